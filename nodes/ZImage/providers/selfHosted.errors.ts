import type { ErrorTable } from '../types';
import { asObject } from '../validation';

// The self-hosted server's errors: FastAPI's {detail}, 500 when the model failed to load
// (the documented cure is to send the request again after ~10 s), 422 for bad fields.

/** A model that failed to load is retried after this, as the server's documentation asks. */
const MODEL_LOAD_RETRY_SECONDS = 10;
/**
 * The server's own words for a model that failed to load, before anything was generated:
 * "T2I Load Error: …" / "Edit Load Error: …" (newer servers; "500: " in front when the sync
 * endpoint re-wraps it), "Model loading failed…" (the seed document's wording). Nothing else.
 */
const MODEL_LOAD_FAILED = /^\s*(?:500:\s*)?(?:(?:T2I|Edit) Load Error:|Model loading failed\b)/i;

/** FastAPI's `detail`: a text, or a list of validation errors [{loc: ['body', 'size'], msg}]. */
function detailOf(body: unknown): string {
	const detail = asObject(body)?.detail;
	if (typeof detail === 'string') return detail;
	if (Array.isArray(detail)) {
		return detail
			.map((entry) => {
				const item = asObject(entry);
				const loc = Array.isArray(item?.loc) ? item.loc.join('.') : '';
				return `${loc ? `${loc}: ` : ''}${String(item?.msg ?? JSON.stringify(entry))}`;
			})
			.join('; ');
	}
	// Whole: the error is cut to length only once secrets are removed.
	return typeof body === 'string' ? body : '';
}

/** The self-hosted server's error shapes, read by the shared classifier (failures.ts). */
export const selfHostedErrors: ErrorTable = {
	read: (answer) => ({ message: detailOf(answer.body) }),
	// Nothing was generated when the model failed to load: the documented cure is to send it again.
	matches: [
		{ kind: 'notAccepted', when: (f) => f.statusCode === 500 && MODEL_LOAD_FAILED.test(f.message) },
	],
	statuses: {
		401: 'keyRejected',
		403: 'keyRejected',
		404: 'notFound',
		422: 'invalid',
		429: 'notAccepted',
		503: 'notAccepted',
	},
	retryAfter: (facts) => (facts.statusCode === 500 ? MODEL_LOAD_RETRY_SECONDS : undefined),
	words(kind, { statusCode, message }) {
		const said = message ? `: ${message}` : '';
		switch (kind) {
			case 'keyRejected':
				return {
					message: `the server refused the token (HTTP ${statusCode})${said}`,
					description:
						'Check the API Key (bearer token) of the Z-Image Server credential, or clear it if the server needs none.',
				};
			case 'notAccepted':
				return statusCode === 500
					? { message: `the model failed to load (HTTP 500)${said}` }
					: { message: `the server is busy (HTTP ${statusCode})${said}` };
			case 'invalid':
				return {
					message: `the server rejected the request (HTTP 422): ${message || 'validation error'}`,
				};
			case 'notFound':
				return {
					message: `not found (HTTP 404)${said}`,
					description:
						'Older servers have no async endpoints or task look-up: turn off "Use Async Endpoints".',
				};
			case 'unreadable':
				return { message: 'the server sent an answer that is not JSON' };
			default:
				return { message: `the server answered HTTP ${statusCode}${said}` };
		}
	},
};
