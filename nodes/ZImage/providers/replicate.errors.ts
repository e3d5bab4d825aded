import type { ErrorTable, FailureFacts } from '../types';
import { asObject } from '../validation';

// Replicate's error shapes (docs/providers/replicate.md#what-its-errors-mean): an HTTP error is a
// problem document `{title, detail, status}`, a refused input (422) adds `invalid_fields`
// `[{type, field, description}]`; a 429 says in `detail` when the limit resets ("Request was
// throttled. Your rate limit resets in ~30s."). A failed prediction is `status: "failed"` with
// `error` as text (read in replicate.task.ts).

const text = (value: unknown) => (typeof value === 'string' && value.trim() ? value.trim() : '');

const param = (facts: FailureFacts) => (facts.param ? ` (parameter: ${facts.param})` : '');

export const replicateErrors: ErrorTable = {
	read(answer) {
		const body = asObject(answer.body);
		const fields = Array.isArray(body?.invalid_fields) ? body.invalid_fields.map(asObject) : [];
		const [first] = fields;
		const detail = text(body?.detail)
			.replace(/^-\s*/, '')
			.replace(/\n-\s*/g, '; ');
		const title = text(body?.title);
		return {
			code: title || undefined,
			message: detail || title || text(body?.error) || `HTTP ${answer.statusCode}`,
			param: text(first?.field) || undefined,
		};
	},
	statuses: {
		400: 'invalid',
		401: 'keyRejected',
		402: 'credits',
		403: 'noAccess',
		404: 'notFound',
		422: 'invalid',
		429: 'notAccepted',
		503: 'notAccepted',
	},
	words(kind, facts) {
		const { statusCode, message } = facts;
		switch (kind) {
			case 'keyRejected':
				return {
					message: `Replicate rejected the API token: ${message}`,
					description:
						'Check the API token in the Replicate credential: the whole token as replicate.com/account/api-tokens shows it (r8_…).',
				};
			case 'credits':
				return {
					message: `Replicate refused the prediction for credit (HTTP 402): ${message}`,
					description: 'Add credit at https://replicate.com/account/billing and run again.',
				};
			case 'noAccess':
				return { message: `Replicate refused this token access (HTTP 403): ${message}` };
			case 'notFound':
				return {
					message: `Replicate does not know this prediction or model (HTTP 404): ${message}`,
					description:
						'Prediction IDs are the task IDs a Generate or Edit on Replicate returned; a pinned Model Version must belong to the model the operation uses.',
				};
			case 'invalid':
				return {
					message: `Replicate refused the input (HTTP ${statusCode}): ${message}${param(facts)}`,
				};
			case 'notAccepted': {
				const state =
					statusCode === 429 ? 'is rate limiting requests' : 'is temporarily unavailable';
				return { message: `Replicate ${state} (HTTP ${statusCode}): ${message}` };
			}
			case 'unreadable':
				return { message: 'Replicate sent an answer that is not JSON' };
			default: {
				const what =
					statusCode >= 500
						? `could not take the request (HTTP ${statusCode})`
						: `rejected the request (HTTP ${statusCode})`;
				return { message: `Replicate ${what}: ${message}${param(facts)}` };
			}
		}
	},
};
