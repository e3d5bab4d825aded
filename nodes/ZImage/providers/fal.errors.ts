import type { ErrorTable, FailureFacts, HttpAnswer } from '../types';
import { asObject } from '../validation';

// fal.ai's error shapes (docs/providers/fal.md#what-its-errors-mean): a model's validation error
// is `{detail: [{loc, msg, type}]}` (HTTP 422), a request error `{detail: "...", error_type}`
// with the same type in the X-Fal-Error-Type header, anything else `{detail: "..."}`.

/** fal's request error types (its "Request Error Types" page): infrastructure, not the input. */
const REQUEST_ERRORS = [
	'request_timeout',
	'startup_timeout',
	'runner_scheduling_failure',
	'runner_connection_timeout',
	'runner_disconnected',
	'runner_connection_refused',
	'runner_connection_error',
	'runner_incomplete_response',
	'runner_server_error',
	'internal_error',
];

/** The request error type an answer names, in its body or its X-Fal-Error-Type header. */
export function errorTypeOf(answer: HttpAnswer): string | undefined {
	const type = asObject(answer.body)?.error_type ?? answer.headers['x-fal-error-type'];
	return typeof type === 'string' && type ? type : undefined;
}

/** `detail` as one line: "image_size.width: must be ≤ 4096; prompt: field required". */
function readDetail(detail: unknown): { message: string; code?: string; param?: string } {
	if (typeof detail === 'string') return { message: detail };
	if (!Array.isArray(detail)) return { message: '' };
	const entries = detail.map((entry) => asObject(entry) ?? { msg: String(entry) });
	const where = (entry: Record<string, unknown>) =>
		Array.isArray(entry.loc) ? entry.loc.filter((part) => part !== 'body').join('.') : '';
	const lines = entries.map((entry) => {
		const msg = typeof entry.msg === 'string' ? entry.msg : JSON.stringify(entry);
		return where(entry) ? `${where(entry)}: ${msg}` : msg;
	});
	const [first] = entries;
	return {
		message: lines.join('; '),
		code: typeof first?.type === 'string' ? first.type : undefined,
		param: first ? where(first) || undefined : undefined,
	};
}

const param = (facts: FailureFacts) => (facts.param ? ` (parameter: ${facts.param})` : '');

export const falErrors: ErrorTable = {
	read(answer) {
		const body = asObject(answer.body);
		const { message, code, param: at } = readDetail(body?.detail);
		// A cancel answers {status: "ALREADY_COMPLETED"} and the like.
		const status = answer.statusCode >= 300 && typeof body?.status === 'string' ? body.status : '';
		const error = typeof body?.error === 'string' ? body.error : '';
		return {
			code: errorTypeOf(answer) ?? code ?? (status || undefined),
			message: message || error || status || `HTTP ${answer.statusCode}`,
			param: at,
		};
	},
	statuses: {
		400: 'invalid',
		401: 'keyRejected',
		403: 'noAccess',
		404: 'notFound',
		422: 'invalid',
		429: 'notAccepted',
		503: 'notAccepted',
	},
	matches: [
		// fal locks an account whose balance is used up: "User is locked. Reason: Exhausted balance…"
		{
			kind: 'credits',
			when: (facts) => facts.statusCode === 403 && /exhausted balance|locked/i.test(facts.message),
		},
		// A request's own failure as fal keeps it (it names its error type): asked again, it is the same.
		{
			kind: 'refused',
			when: (facts) => facts.statusCode >= 500 && REQUEST_ERRORS.includes(String(facts.code)),
		},
	],
	temporaryTaskErrors: REQUEST_ERRORS,
	words(kind, facts) {
		const { statusCode, message, code } = facts;
		switch (kind) {
			case 'keyRejected':
				return {
					message: `fal.ai rejected the API key: ${message}`,
					description:
						'Check the API key in the fal.ai credential: the whole key as fal.ai/dashboard/keys shows it, <key_id>:<key_secret>.',
				};
			case 'credits':
				return {
					message: `Your fal.ai balance is used up: ${message}. Top up at https://fal.ai/dashboard/billing and run again`,
				};
			case 'noAccess':
				return { message: `fal.ai refused this key (HTTP 403): ${message}` };
			case 'notFound':
				return {
					message: `fal.ai does not know this request (HTTP 404): ${message}`,
					description:
						'Request IDs are the task IDs a Generate or Edit on fal.ai returned; fal.ai keeps requests for a limited time.',
				};
			case 'invalid':
				if (code === 'ALREADY_COMPLETED')
					return { message: 'fal.ai did not cancel the request: it has already completed' };
				return {
					message: `fal.ai refused the input (HTTP ${statusCode}): ${message}${param(facts)}`,
				};
			case 'notAccepted': {
				const state =
					statusCode === 429 ? 'is rate limiting requests' : 'is temporarily unavailable';
				return { message: `fal.ai ${state} (HTTP ${statusCode}): ${message}` };
			}
			case 'unreadable':
				return { message: 'fal.ai sent an answer that is not JSON' };
			default: {
				const what =
					statusCode >= 500
						? `could not run the request (HTTP ${statusCode}${code ? `, ${code}` : ''})`
						: `rejected the request (HTTP ${statusCode})`;
				return { message: `fal.ai ${what}: ${message}${param(facts)}` };
			}
		}
	},
};
