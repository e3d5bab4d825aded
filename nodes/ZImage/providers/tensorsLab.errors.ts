import type { ErrorTable, FailureFacts } from '../types';
import { asObject } from '../validation';

// TensorsLab's errors: {code, msg} with HTTP 200 even when `code` says it failed.

const TOP_UP_URL = 'https://tensorai.tensorslab.com/';
const AUTH_WORDS =
	/unauthori[sz]ed|invalid (api[ _-]?)?key|invalid token|token (is )?(invalid|expired|missing)|api[ _-]?key (is )?(invalid|missing|wrong|expired)/i;

/** TensorsLab may say "bad key" with an HTTP status or with a message under HTTP 200. */
export function keyRejected(facts: FailureFacts): boolean {
	const { statusCode, body, code, message } = facts;
	return (
		statusCode === 401 ||
		statusCode === 403 ||
		(asObject(body) !== undefined && code !== 1000 && AUTH_WORDS.test(message))
	);
}

/** TensorsLab's error shapes, read by the shared classifier (failures.ts). */
export const tensorsLabErrors: ErrorTable = {
	read(answer) {
		const body = asObject(answer.body);
		return {
			code: body?.code as number | undefined,
			message: typeof body?.msg === 'string' ? body.msg : '',
		};
	},
	matches: [{ kind: 'keyRejected', when: keyRejected }],
	statuses: { 429: 'notAccepted', 503: 'notAccepted' },
	// No code at all is not a TensorsLab refusal: the caller finds the answer unreadable.
	codes: { success: [1000, undefined], kinds: { 9000: 'credits' } },
	words(kind, { statusCode, code, message }) {
		const said = message ? `: ${message}` : '';
		switch (kind) {
			case 'keyRejected':
				return {
					message: `TensorsLab rejected the API key${message ? ` (${message})` : ''}`,
					description:
						'Check the API key and the "Authorization Header" form in the TensorsLab credential.',
				};
			case 'notAccepted':
				return { message: `TensorsLab is busy (HTTP ${statusCode})${said}` };
			case 'credits':
				return {
					message: `Your TensorsLab credits are used up (code 9000). Top up at ${TOP_UP_URL} and run again`,
					description: message || undefined,
				};
			case 'unreadable':
				return { message: 'TensorsLab sent an answer that is not JSON' };
			default:
				return statusCode >= 300
					? { message: `TensorsLab answered HTTP ${statusCode}${said}` }
					: {
							message: `TensorsLab refused the request (code ${String(code)}): ${message || 'no message'}`,
						};
		}
	},
};
