import type { ErrorTable, FailureFacts } from '../types';
import { asObject } from '../validation';

// Model Studio's (DashScope's) errors: {request_id, code, message} with the HTTP status; its
// OpenAI-compatible endpoints (the model list) answer {error: {code, message}} instead.

/** The documented limit, said when it is hit. */
export const REQUESTS_PER_MINUTE = 120;

const isCode = (facts: FailureFacts, ...codes: string[]) =>
	typeof facts.code === 'string' && codes.some((code) => facts.code === code);
const codeStarts = (facts: FailureFacts, prefix: string) =>
	typeof facts.code === 'string' && facts.code.startsWith(prefix);

/** "InvalidApiKey: Invalid API-key provided." — the provider's code and words. */
function said({ code, message, statusCode }: FailureFacts): string {
	const text = message || `HTTP ${statusCode}`;
	return code ? `${code}: ${text}` : text;
}

/** What to quote to Alibaba Cloud's support, after the advice. */
function withRequestId(advice: string | undefined, facts: FailureFacts): string | undefined {
	const id = facts.hint ? `Request ID ${facts.hint}.` : undefined;
	return [advice, id].filter(Boolean).join(' ') || undefined;
}

const REGION_ADVICE =
	'Check the API Key and the Region of the credential: a key works only in the region it was created in (Singapore or Beijing).';

function wordsOf(kind: string, facts: FailureFacts): { message: string; description?: string } {
	const { statusCode } = facts;
	switch (kind) {
		case 'keyRejected':
			return { message: `the API key was rejected (${said(facts)})`, description: REGION_ADVICE };
		case 'noAccess':
			return {
				message: `the key has no access to z-image-turbo (${said(facts)})`,
				description:
					"Activate z-image-turbo for the key's workspace in the Model Studio console of its region.",
			};
		case 'credits':
			return codeStarts(facts, 'AllocationQuota.FreeTierOnly')
				? {
						message: `the free quota of z-image-turbo is used up (${said(facts)}); to go on, turn off "use free tier only" in the Model Studio console`,
					}
				: {
						message: `the Alibaba Cloud account is in arrears (${said(facts)}); top it up and run again`,
					};
		case 'notFound':
			return {
				message: `not found (HTTP 404, ${said(facts)})`,
				description:
					'z-image-turbo may not be offered in this region: check the Region (or Base URL) of the credential.',
			};
		case 'invalid':
			return { message: `the request was refused for its parameters (${said(facts)})` };
		case 'notAccepted':
			if (isCode(facts, 'Throttling.AllocationQuota'))
				return {
					message: `the quota of the key for this period is used up (HTTP ${statusCode}, ${said(facts)})`,
					description: 'Wait for the quota to come back, or raise it in the Model Studio console.',
				};
			return statusCode === 429
				? {
						message: `Model Studio is rate limiting requests (HTTP 429, ${said(facts)}); it takes ${REQUESTS_PER_MINUTE} requests a minute per model`,
					}
				: {
						message: `Model Studio is temporarily unavailable (HTTP ${statusCode}, ${said(facts)})`,
					};
		case 'refused':
			return codeStarts(facts, 'DataInspection')
				? {
						message: `content moderation refused the prompt or the image (${said(facts)}); change the prompt`,
					}
				: { message: `the request was refused (HTTP ${statusCode}, ${said(facts)})` };
		case 'unreadable':
			return { message: 'Model Studio sent an answer that is not JSON' };
		default:
			return { message: `Model Studio had a server error (HTTP ${statusCode}, ${said(facts)})` };
	}
}

/** Model Studio's error shapes, read by the shared classifier (failures.ts). */
export const modelStudioErrors: ErrorTable = {
	read(answer) {
		const body = asObject(answer.body);
		const openAi = asObject(body?.error);
		const code = body?.code ?? openAi?.code;
		const message = body?.message ?? openAi?.message;
		return {
			code: typeof code === 'string' && code ? code : undefined,
			message: typeof message === 'string' ? message : '',
			hint: typeof body?.request_id === 'string' ? body.request_id : undefined,
		};
	},
	matches: [
		{
			kind: 'credits',
			when: (f) => isCode(f, 'Arrearage') || codeStarts(f, 'AllocationQuota.FreeTierOnly'),
		},
		{ kind: 'keyRejected', when: (f) => isCode(f, 'InvalidApiKey', 'invalid_api_key') },
		{ kind: 'notAccepted', when: (f) => codeStarts(f, 'Throttling') },
		{ kind: 'refused', when: (f) => codeStarts(f, 'DataInspection') },
	],
	statuses: {
		400: 'invalid',
		401: 'keyRejected',
		403: 'noAccess',
		404: 'notFound',
		408: 'serverError',
		413: 'invalid',
		429: 'notAccepted',
		503: 'notAccepted',
	},
	// A 2xx answer that carries an error code is that error (a successful one has none).
	codes: { success: [undefined], kinds: {} },
	// A period's quota comes back slowly; a rate limit is left to the shared backoff and pacing.
	retryAfter: (facts) => (isCode(facts, 'Throttling.AllocationQuota') ? 60 : undefined),
	words: (kind, facts) => {
		const words = wordsOf(kind, facts);
		return { ...words, description: withRequestId(words.description, facts) };
	},
};
