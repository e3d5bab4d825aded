import type { RunControl } from '../run';
import type { CallKind, ProviderFailure } from '../types';

/** What may be sent again, per kind of call: one table, read by the one retry loop below. */
export interface RetryRule {
	/** How many times the call may be sent again. */
	retries: number;
	/** Which failures are worth another try: only "not accepted" ones may re-send a submission. */
	retryWhen: 'notAccepted' | 'transient';
	/** A call whose connection broke may have been carried out: say so, and do not send it again. */
	brokenConnectionIsFinal: boolean;
	/** A look at a task: it takes a turn of the key's status budget, and a 429 holds the key's looks. */
	look?: boolean;
	/** Which failed answers come back as the answer instead of an error: all (a probe), or those not retried (a result, which may be the task's own failure). */
	handsBack?: 'all' | 'final';
}

export const RETRY_RULES: Record<CallKind, RetryRule> = {
	submit: { retries: 3, retryWhen: 'notAccepted', brokenConnectionIsFinal: true },
	status: { retries: 4, retryWhen: 'transient', brokenConnectionIsFinal: false, look: true },
	result: {
		retries: 4,
		retryWhen: 'transient',
		brokenConnectionIsFinal: false,
		look: true,
		handsBack: 'final',
	},
	housekeeping: { retries: 4, retryWhen: 'transient', brokenConnectionIsFinal: false },
	download: { retries: 4, retryWhen: 'transient', brokenConnectionIsFinal: false },
	check: { retries: 0, retryWhen: 'transient', brokenConnectionIsFinal: false },
	probe: { retries: 0, retryWhen: 'transient', brokenConnectionIsFinal: false, handsBack: 'all' },
};

/** Never sit longer than this on one Retry-After. */
const MAX_RETRY_WAIT_SECONDS = 60;

/** Seconds to wait before trying again: what the provider asked, else 1, 2, 4 … 16, bounded. */
export function retryDelaySeconds(failure: ProviderFailure, attempt: number): number {
	const hinted = failure.retryAfterSeconds;
	const seconds = hinted !== undefined && hinted >= 0 ? hinted : Math.min(2 ** attempt, 16);
	return Math.min(seconds, MAX_RETRY_WAIT_SECONDS);
}

/** One try's result: the value, or the failure (with the status, to notice rate limits). */
export type Attempt<T> = { value: T } | { failure: ProviderFailure; statusCode?: number };

export interface RetryContext {
	run: RunControl;
	itemIndex: number;
	/** Epoch ms when Max Wait runs out: no retry waits past it. */
	maxWaitAt?: number;
	/** Told when the provider says "too many requests", with the seconds it will be left alone. */
	onRateLimited?: (seconds: number) => void;
	/**
	 * Told when a submission was not accepted (429/503) under a paced window: resolves true
	 * once it may be sent again (that try is not counted), false to give up.
	 */
	whenNotAccepted?: (failure: ProviderFailure) => Promise<boolean>;
	/** The error to throw for the failure that ends the call. */
	error(failure: ProviderFailure): Error;
}

/** Tries a call as often as its kind allows, waiting between tries; cancelling stops the wait. */
export async function withRetries<T>(
	kind: CallKind,
	context: RetryContext,
	attempt: () => Promise<Attempt<T>>,
): Promise<T> {
	const rule = RETRY_RULES[kind];
	for (let tries = 0; ; tries++) {
		const result = await attempt();
		if ('value' in result) return result.value;
		const { failure } = result;
		if (failure.stopped) throw failure.stopped;
		const refused = result.statusCode === 429 || result.statusCode === 503;
		if (kind === 'submit' && failure.notAccepted && refused && context.whenNotAccepted) {
			if (!(await context.whenNotAccepted(failure))) throw context.error(failure);
			tries--;
			continue;
		}
		const retryable =
			rule.retryWhen === 'notAccepted' ? failure.notAccepted === true : failure.transient === true;
		if (!retryable || tries >= rule.retries) throw context.error(failure);
		const delay = retryDelaySeconds(failure, tries);
		if (context.maxWaitAt !== undefined && Date.now() + delay * 1000 >= context.maxWaitAt)
			throw context.error(failure);
		if (result.statusCode === 429) context.onRateLimited?.(delay);
		await context.run.wait(delay * 1000, context.itemIndex);
	}
}
