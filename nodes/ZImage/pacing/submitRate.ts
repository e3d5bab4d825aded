import type { RunControl } from '../run';

/** How the submit rate of a provider key is learned and kept (documented in docs/scale.md). */
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
};

/** At most `count` submissions in any `windowMs` (a provider's documented or learned limit). */
export interface RateLimit {
	count: number;
	windowMs: number;
}

/** A documented rate, as a provider declares it: `requests` per `perSeconds`. */
export interface DeclaredRate {
	requests: number;
	perSeconds: number;
}

/** One submission in the key's record: when it went, or (once answered) when its answer came. */
export interface Sent {
	at: number;
	answered: boolean;
}

/** What a refusal taught: whether the rate explains it (it was at the learned limit). */
export type RefusalReading = 'rate' | 'unknown';

/**
 * The submit rate of one provider key, learned from its answers. Each refusal (429/503 to a
 * submission) is read against the submissions the key accepted before it: with the provider's
 * "wait this long" (Retry-After, or its words), the first refusal tells the window and how many
 * it took in it (`k` accepted from the moment `t + wait − window`); later ones re-count what it
 * took in that window. While `active`, submissions are let go at most `count` per
 * `window × 1.05` (bursts within that allowed), and after a quiet while one more per window is
 * tried, as the window of tasks does. A documented rate starts it active; it is a starting
 * point, not a ceiling.
 */
export class SubmitRate {
	private limit?: RateLimit;
	/** Whether the limit paces submissions: declared, or confirmed (a refusal the window cannot explain). */
	private active = false;
	/**
	 * When submissions were let go, the last `count` of them, oldest first; an answered one
	 * counts from its answer (it reached the provider before that: the way there jitters).
	 */
	private sent: Sent[] = [];
	/** Turns are taken one after another. */
	private queue: Promise<void> = Promise.resolve();
	/** When accepted submissions were let go (oldest first), within the longest window. */
	private readonly accepted: number[] = [];
	private probeAt = 0;
	private probeDelayMs = RATE_RULES.firstProbeMs;
	/** A submission waited for its turn since the last step up: the limit is what holds them. */
	private binding = false;
	/** One more per window was tried since the last refusal. */
	private stepped = false;
	/** When a refusal last lowered the limit. */
	private lastCut = 0;
	readonly counts = { accepted: 0, refused: 0 };

	constructor(declared?: DeclaredRate) {
		if (declared && declared.requests > 0 && declared.perSeconds > 0) {
			this.limit = { count: declared.requests, windowMs: declared.perSeconds * 1000 };
			this.active = true;
			this.probeAt = Date.now() + Math.max(RATE_RULES.firstProbeMs, this.limit.windowMs);
		}
	}

	/** The limit that paces submissions now, if any. */
	get pacing(): RateLimit | undefined {
		return this.active ? this.limit : undefined;
	}

	/** What was learned so far, paced or not. */
	get learned(): RateLimit | undefined {
		return this.limit;
	}

	/** The learned limit explains the provider's refusals: pace by it from now on. */
	confirm(): void {
		if (this.limit) this.active = true;
	}

	/**
	 * Waits for this submission's turn (first come, first served); returns its place in the
	 * record, to be marked `answered` when the provider answers it.
	 */
	async turn(run: RunControl, itemIndex: number): Promise<Sent> {
		const mine: Sent = { at: 0, answered: false };
		const go = this.queue.then(async () => await this.waitForRoom(run, itemIndex, mine));
		// A stopped wait ends its own turn, not the queue.
		this.queue = go.catch(() => undefined);
		await go;
		return mine;
	}

	/**
	 * Room under the limit: fewer than `count` submissions in the paced window before now. One
	 * still unanswered counts as now (it may reach the provider any moment); an answered one
	 * from its answer. Looked at again after each wait, as answers move the record.
	 */
	private async waitForRoom(run: RunControl, itemIndex: number, mine: Sent): Promise<void> {
		for (;;) {
			const now = Date.now();
			const limit = this.pacing;
			// Kept unpaced too: once a limit paces them, the submissions just sent count against it.
			const count = limit ? Math.max(1, Math.floor(limit.count)) : RATE_RULES.unpacedMemory;
			while (this.sent.length > count) this.sent.shift();
			if (!limit || this.sent.length < count) break;
			const times = this.sent
				.map((sent) => (sent.answered || now - sent.at > RATE_RULES.unansweredMs ? sent.at : now))
				.sort((a, b) => a - b);
			const at = times[times.length - count] + pacedWindowMs(limit.windowMs);
			if (at <= now) break;
			this.binding = true;
			await run.wait(at - now, itemIndex);
		}
		mine.at = Date.now();
		this.sent.push(mine);
	}

	/** The provider answered this submission: from now on it counts from the answer. */
	answered(sent: Sent): void {
		sent.at = Math.max(sent.at, Date.now());
		sent.answered = true;
		this.sent.sort((a, b) => a.at - b.at);
	}

	/** The provider took a submission (now): after a quiet while, try one more per window. */
	accept(): void {
		this.counts.accepted++;
		const now = Date.now();
		this.accepted.push(now);
		this.forget(now);
		const limit = this.pacing;
		if (limit && this.binding && now >= this.probeAt) {
			limit.count += 1;
			this.binding = false;
			this.stepped = true;
			this.probeAt = now + limit.windowMs;
		}
	}

	/**
	 * The provider refused a submission (at `now`); `waitSeconds` is when it said room comes
	 * back, if it said. Learns (or re-counts) the limit and holds off the next step up.
	 */
	refuse(waitSeconds: number | undefined): RefusalReading {
		this.counts.refused++;
		const now = Date.now();
		this.forget(now);
		// Whole seconds are rounded up (Retry-After: 1 for the 40 ms left): room may come a second sooner.
		const wait = waitSeconds !== undefined && waitSeconds > 0 ? waitSeconds : 0;
		const waitMs = (Number.isInteger(wait) && wait >= 1 ? wait - 1 : wait) * 1000;
		const wasAtLimit = this.limit !== undefined && this.active;
		// Refusals of one moment (a burst already on their way) count once: the first after a step up, or a window after the last.
		const fresh = this.stepped || now - this.lastCut >= (this.limit?.windowMs ?? 0);
		if (!this.limit) this.limit = this.firstReading(now, waitMs);
		else if (fresh) this.limit = this.recount(this.limit, now, waitMs);
		if (fresh) this.lastCut = now;
		if (this.stepped) this.probeDelayMs = Math.min(RATE_RULES.maxProbeMs, this.probeDelayMs * 2);
		this.stepped = false;
		this.probeAt = now + Math.max(this.probeDelayMs, this.limit.windowMs);
		this.binding = false;
		return wasAtLimit ? 'rate' : 'unknown';
	}

	/**
	 * The first refusal: the window is from the k-th latest accepted submission to when room
	 * comes back (at least a second); of the readings, the one giving the highest rate.
	 */
	private firstReading(now: number, waitMs: number): RateLimit {
		let best: RateLimit = { count: 1, windowMs: clampWindow(waitMs) };
		for (let k = 1; k <= this.accepted.length; k++) {
			const windowMs = clampWindow(now + waitMs - this.accepted[this.accepted.length - k]);
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
	private recount(limit: RateLimit, now: number, waitMs: number): RateLimit {
		// Room comes back `wait` from now: the limit-th latest accepted one is then a window old
		// (the one before it, as the limit may just have been stepped up: a bound from below).
		const nth = Math.max(1, Math.floor(limit.count) - 1);
		const oldest = this.accepted[this.accepted.length - nth];
		const seen = oldest === undefined ? 0 : now + waitMs - oldest;
		const windowMs = clampWindow(Math.max(limit.windowMs, waitMs, seen));
		const took = this.accepted.filter((at) => at > now - windowMs).length;
		if (took === 0) return { count: limit.count, windowMs: clampWindow(windowMs * 2) };
		// A refused step up goes back one; otherwise down to what it took, at most by half.
		const most = this.stepped ? limit.count - 1 : limit.count;
		const count = Math.min(most, Math.max(took, Math.ceil(limit.count / 2)));
		return { count: Math.max(1, count), windowMs };
	}

	private forget(now: number): void {
		while (this.accepted.length > 0 && this.accepted[0] <= now - RATE_RULES.maxWindowMs)
			this.accepted.shift();
	}
}

/** The window submissions are let go by: the limit's, just longer. */
export function pacedWindowMs(windowMs: number): number {
	return Math.max(windowMs * (1 + RATE_RULES.margin), windowMs + RATE_RULES.marginMs);
}

function clampWindow(ms: number): number {
	return Math.min(RATE_RULES.maxWindowMs, Math.max(RATE_RULES.minWindowMs, ms));
}
