/** Reading a provider key's submit rate from its answers: the rules and the arithmetic (documented in docs/scale.md). */

/** How the submit rate of a provider key is learned and kept. */
export const RATE_RULES = {
	/** Submissions go at most `count` in any `window × (1 + margin)`, at least `marginMs` longer: just under the limit. */
	margin: 0.03,
	/** A request's way to the provider jitters by tens of milliseconds: a short window is kept this much longer. */
	marginMs: 40,
	/** No window is assumed shorter than this (a rate without a hint counts per second). */
	minWindowMs: 1_000,
	/** Nor longer than this. */
	maxWindowMs: 120_000,
	/** After a refusal, this long (at least one window) before one submission more per window is tried. */
	firstProbeMs: 2_000,
	/** Each further refusal doubles that wait, up to this. */
	maxProbeMs: 30_000,
	/** An unanswered submission counts as sent now for at most this long (an answer that never comes). */
	unansweredMs: 10_000,
	/** Submissions remembered while none is paced yet. */
	unpacedMemory: 200,
	/** While a first reading is on trial, a submission waiting on it looks this often whether tasks ended (a try is then due). */
	trialLookMs: 100,
};

/** At most `count` submissions in any `windowMs` (a provider's documented or learned limit). */
export interface RateLimit {
	count: number;
	windowMs: number;
}

/**
 * The first refusal (`accepted`: the key's accepted submissions' times, oldest first): the window is from the k-th latest accepted submission to when room
 * comes back (at least a second); of the readings, the one giving the highest rate.
 */
export function firstReading(accepted: number[], now: number, waitMs: number): RateLimit {
	let best: RateLimit = { count: 1, windowMs: clampWindow(waitMs) };
	for (let k = 1; k <= accepted.length; k++) {
		const windowMs = clampWindow(now + waitMs - accepted[accepted.length - k]);
		if (k / windowMs > best.count / best.windowMs) best = { count: k, windowMs };
	}
	return best;
}

/**
 * A later refusal: the window is at least as long as the provider's wait says (from an
 * accepted submission the limit back to when room comes back); what the key took in it is
 * its limit — one less after a step up, at most half (answers seen here jitter: a window
 * may look emptier than the provider's); nothing taken at all: the window is longer than
 * thought.
 */
export function recount(
	accepted: number[],
	limit: RateLimit,
	now: number,
	waitMs: number,
	stepped: boolean,
): RateLimit {
	// Room comes back `wait` from now: the limit-th latest accepted one is then a window old
	// (the one before it, as the limit may just have been stepped up: a bound from below).
	const nth = Math.max(1, Math.floor(limit.count) - 1);
	const oldest = accepted[accepted.length - nth];
	// Only a wait that says something (a second or more) times the oldest one's leaving.
	const seen = oldest === undefined || waitMs === 0 ? 0 : now + waitMs - oldest;
	const windowMs = clampWindow(Math.max(limit.windowMs, waitMs, seen));
	const took = accepted.filter((at) => at > now - windowMs).length;
	if (took === 0) return { count: limit.count, windowMs: clampWindow(windowMs * 2) };
	// A refused step up goes back one; otherwise down to what it took, at most by half.
	const most = stepped ? limit.count - 1 : limit.count;
	const count = Math.min(most, Math.max(took, Math.ceil(limit.count / 2)));
	return { count: Math.max(1, count), windowMs };
}

/** The window submissions are let go by: the limit's, just longer. */
export function pacedWindowMs(windowMs: number): number {
	return Math.max(windowMs * (1 + RATE_RULES.margin), windowMs + RATE_RULES.marginMs);
}

/**
 * A provider's wait in ms. Whole seconds are rounded up: `Retry-After: 1` may mean the 40 ms
 * left, so it is taken as nothing (the shortest window is a second anyway); a longer whole wait
 * ("resets in ~6s") is taken as said: the window is then learned at most a second long, never short.
 */
export function waitInMs(waitSeconds: number | undefined): number {
	const wait = waitSeconds !== undefined && waitSeconds > 0 ? waitSeconds : 0;
	return (Number.isInteger(wait) && wait === 1 ? 0 : wait) * 1000;
}

export function clampWindow(ms: number): number {
	return Math.min(RATE_RULES.maxWindowMs, Math.max(RATE_RULES.minWindowMs, ms));
}
