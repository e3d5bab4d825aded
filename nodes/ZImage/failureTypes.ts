import type { IDataObject } from 'n8n-workflow';

// The vocabulary of answers and failures: what came back, what a failed answer means, and a
// provider's error shapes as data (read by failures.ts). Re-exported by types.ts.

/** What came back, whatever the status code. */
export interface HttpAnswer {
	statusCode: number;
	headers: IDataObject;
	body: unknown;
}

/** A failed answer, worded for the user, with what the retry loop may do about it. */
export interface ProviderFailure {
	message: string;
	description?: string;
	httpCode?: string;
	/** The provider said the request was not taken: sending it again cannot double-bill. */
	notAccepted?: boolean;
	/** A submission that got no readable answer: it may have been taken (never sent again). */
	maybeTaken?: boolean;
	/** Worth trying again for a request that changes nothing (status, download). */
	transient?: boolean;
	retryAfterSeconds?: number;
	/** The run was stopped (cancelled, or lost to another item): this error ends the call as it is. */
	stopped?: Error;
}

/**
 * What a failed answer means. The kind alone decides what may be sent again: only a
 * `notAccepted` answer proves a submission was not taken.
 */
export type FailureKind =
	| 'keyRejected'
	| 'credits'
	| 'noAccess'
	| 'notFound'
	| 'invalid'
	| 'refused'
	| 'notAccepted'
	| 'serverError'
	| 'unreadable';

/** The facts of one failed answer, as a provider's wording reads them. */
export interface FailureFacts {
	statusCode: number;
	body: unknown;
	/** The provider's own error code, when its answer carries one. */
	code?: string | number;
	/** The provider's own message; '' when it gives none. */
	message: string;
	/** Anything else the provider says about it (a suggestion, the parameter at fault). */
	hint?: string;
	param?: string;
}

/** A provider's error shapes as data: the shared classifier below reads them. */
export interface ErrorTable {
	/** Reads the provider's error fields out of any answer. */
	read(answer: HttpAnswer): Pick<FailureFacts, 'code' | 'message' | 'hint' | 'param'>;
	/** HTTP statuses with a meaning of their own; other 5xx are server errors, other 4xx refusals. */
	statuses: Partial<Record<number, FailureKind>>;
	/** Answers known by their text, before the status decides (e.g. a refused key under HTTP 200). */
	matches?: Array<{ kind: FailureKind; when(facts: FailureFacts): boolean }>;
	/** Error codes inside a 2xx answer: those meaning success, and those with a meaning (others: refused). */
	codes?: {
		success: ReadonlyArray<string | number | undefined>;
		kinds: Record<string, FailureKind>;
	};
	/** Seconds to wait before sending a not-accepted request again, when Retry-After does not say. */
	retryAfter?(facts: FailureFacts): number | undefined;
	/** The user's words for a failure of this kind. */
	words(kind: FailureKind, facts: FailureFacts): { message: string; description?: string };
	/** Codes of failed tasks that a later run may not hit again. */
	temporaryTaskErrors?: readonly string[];
}
