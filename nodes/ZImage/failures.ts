import type { IDataObject } from 'n8n-workflow';

import type { ErrorTable, FailureFacts, FailureKind, HttpAnswer, ProviderFailure } from './types';

const RETRY_BY_KIND: Record<FailureKind, Pick<ProviderFailure, 'notAccepted' | 'transient'>> = {
	keyRejected: {},
	credits: {},
	noAccess: {},
	notFound: {},
	invalid: {},
	refused: {},
	notAccepted: { notAccepted: true, transient: true },
	serverError: { transient: true },
	unreadable: { transient: true },
};

function isObject(value: unknown): value is IDataObject {
	return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function kindOf(table: ErrorTable, facts: FailureFacts): FailureKind | undefined {
	const match = table.matches?.find((rule) => rule.when(facts));
	if (match) return match.kind;
	const { statusCode } = facts;
	const byStatus = table.statuses[statusCode];
	if (byStatus) return byStatus;
	if (statusCode >= 500) return 'serverError';
	if (statusCode >= 300) return 'refused';
	if (!isObject(facts.body)) return 'unreadable';
	if (!table.codes || table.codes.success.includes(facts.code)) return undefined;
	return table.codes.kinds[String(facts.code)] ?? 'refused';
}

/** Undefined for a good answer; otherwise the failure in the provider's words, with its retry rule. */
export function classifyAnswer(table: ErrorTable, answer: HttpAnswer): ProviderFailure | undefined {
	const facts: FailureFacts = {
		statusCode: answer.statusCode,
		body: answer.body,
		...table.read(answer),
	};
	const kind = kindOf(table, facts);
	if (!kind) return undefined;
	const failure: ProviderFailure = { ...table.words(kind, facts), ...RETRY_BY_KIND[kind] };
	if (kind === 'unreadable' && failure.description === undefined) {
		// Cut only once secrets are removed (http/errors.ts).
		failure.description = String(answer.body ?? '');
	}
	if (answer.statusCode >= 300) failure.httpCode = String(answer.statusCode);
	if (kind === 'notAccepted') {
		// What the provider says, in its header or in words, before what its table assumes.
		failure.retryAfterSeconds =
			retryAfterSeconds(answer.headers) ??
			waitInWords(facts.message) ??
			waitInWords(facts.hint) ??
			table.retryAfter?.(facts);
	}
	return failure;
}

/** The reason of a failed task as the user reads it, saying when running again usually works. */
export function taskErrorMessage(
	table: ErrorTable,
	code: string | undefined,
	message: string,
): string {
	const temporary = code !== undefined && table.temporaryTaskErrors?.includes(code);
	return temporary ? `${message} (temporary: running the item again usually works)` : message;
}

/** Reads Retry-After (seconds or an HTTP date). */
export function retryAfterSeconds(headers: IDataObject): number | undefined {
	const value = headers['retry-after'] ?? headers['Retry-After'];
	if (value === undefined || value === null || value === '') return undefined;
	const seconds = Number(value);
	if (Number.isFinite(seconds)) return Math.max(0, seconds);
	const date = Date.parse(String(value));
	if (Number.isNaN(date)) return undefined;
	return Math.max(0, (date - Date.now()) / 1000);
}

const WAIT_WORDS =
	/\b(?:retry|try(?: it)? again|resets?|available|wait)\b[^.\d]{0,24}?~?\s*(\d+(?:\.\d+)?)\s*(ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?)\b/i;

/**
 * A refusal's "wait this long" in words, as hosted APIs write it: "Your rate limit resets in
 * ~30s" (Replicate), "retry after 60 seconds" (Evolink, ODKKK), "try again in 2 minutes".
 */
export function waitInWords(text: string | undefined): number | undefined {
	const match = text ? WAIT_WORDS.exec(text) : null;
	if (!match) return undefined;
	const value = Number(match[1]);
	const unit = match[2].toLowerCase();
	if (unit === 'ms' || unit.startsWith('milli')) return value / 1000;
	return unit.startsWith('m') ? value * 60 : value;
}

const NETWORK_REASONS: Record<string, string> = {
	ECONNRESET: 'the connection was reset',
	EPIPE: 'the connection was reset',
	ECONNREFUSED: 'the connection was refused (is the server running?)',
	ENOTFOUND: 'the host name could not be resolved',
	EAI_AGAIN: 'the host name could not be resolved',
	ETIMEDOUT: 'no answer came within the request timeout',
	ECONNABORTED: 'no answer came within the request timeout',
	ERR_CANCELED: 'the request was cancelled',
};

/** A thrown network error in plain words (n8n rewrites messages that carry raw codes). */
export function networkReason(error: unknown): string {
	const e = error as { code?: unknown; cause?: { code?: unknown }; message?: unknown };
	const code = e?.cause?.code ?? e?.code;
	const text = String(e?.message ?? '');
	if (typeof code === 'string' && NETWORK_REASONS[code]) return NETWORK_REASONS[code];
	if (/timeout/i.test(text)) return NETWORK_REASONS.ETIMEDOUT;
	if (/socket hang up/i.test(text)) return NETWORK_REASONS.ECONNRESET;
	return 'a network error occurred';
}

/** A request that got no answer; the original error, which holds the request headers, is dropped. */
export function networkFailure(providerName: string, url: string, error: unknown): ProviderFailure {
	let host = url;
	try {
		host = new URL(url).host;
	} catch {
		// keep the raw text: it is the user's own base URL
	}
	return {
		message: `Could not get an answer from ${providerName} at ${host}: ${networkReason(error)}`,
		description: String((error as Error)?.message ?? ''),
		transient: true,
	};
}
