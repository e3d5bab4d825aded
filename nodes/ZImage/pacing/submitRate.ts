import type { RunControl } from '../run';

import type { RateLimit } from './rateReading';
import { firstReading, pacedWindowMs, RATE_RULES, recount, waitInMs } from './rateReading';

export type { RateLimit } from './rateReading';
export { pacedWindowMs, RATE_RULES } from './rateReading';

/** A documented rate, as a provider declares it: `requests` per `perSeconds`. */
export interface DeclaredRate {
	requests: number;
	perSeconds: number;
}

/** One submission in the key's record: when it went, or (once answered) when its answer came. */
export interface Sent {
	at: number;
	answered: boolean;
	/** Let go past a rate on trial, with fewer tasks in flight than at its refusal: its answer decides. */
	trial?: boolean;
}

/**
 * What a refusal taught. `rate`: the learned rate paces submissions and explains it (the key
 * had taken at least half its count in the window, or this is the first reading, tried at
 * once); the window of tasks stays open. `tasks`: the rate paced, yet the record had room
 * under it: not the rate, the tasks in flight; the rate stops pacing and the window narrows.
 * `unknown`: the rate does not pace (it was found not to explain refusals): the window
 * narrows as before.
 */
export type RefusalReading = 'rate' | 'tasks' | 'unknown';

/**
 * The submit rate of one provider key, learned from its answers. Each refusal (429/503 to a
 * submission) is read against the submissions the key accepted before it: with the provider's
 * "wait this long" (Retry-After, or its words), the first refusal tells the window and how many
 * it took in it (`k` accepted from the moment `t + wait − window`); later ones re-count what it
 * took in that window. The first reading paces at once, on trial (the window of tasks is
 * reopened): a later refusal with the window's record nearly empty, or a submission it held
 * taken with fewer tasks in flight than at the refusal, shows the tasks were the limit and the
 * rate stops pacing. While `active`, submissions are let go at most `count` per `window × 1.03`
 * (bursts within that allowed), and after a quiet while one more per window is tried, as the
 * window of tasks does. A documented rate starts it active; it is a starting point, not a ceiling.
 */
export class SubmitRate {
	private limit?: RateLimit;
	/** Whether the limit paces submissions: declared, learned, or confirmed again (a refusal the window cannot explain). */
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
	/**
	 * A first reading on trial: tasks in flight at that refusal (it may have been them, not the
	 * rate). It ends once the key takes clearly more tasks at once (the rate), or once a trial
	 * submission — let go past the rate with fewer tasks in flight — is taken (the tasks) or refused (the rate).
	 */
	private trialLevel?: number;
	private trialOut = false;
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

	/** Tasks in flight at the refusal that gave the rate on trial, if it is on trial. */
	get trial(): number | undefined {
		return this.trialLevel;
	}

	/**
	 * Waits for this submission's turn (first come, first served); returns its place in the
	 * record, to be marked `answered` when the provider answers it.
	 */
	async turn(run: RunControl, itemIndex: number, othersInFlight = () => 0): Promise<Sent> {
		const mine: Sent = { at: 0, answered: false };
		const go = this.queue.then(
			async () => await this.waitForRoom(run, itemIndex, mine, othersInFlight),
		);
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
	private async waitForRoom(
		run: RunControl,
		itemIndex: number,
		mine: Sent,
		othersInFlight: () => number,
	): Promise<void> {
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
			const trial = this.trialLevel;
			if (trial !== undefined && !this.trialOut && othersInFlight() < trial) {
				// Fewer tasks in flight than at the refusal, and the rate holds this one: try it.
				mine.trial = true;
				this.trialOut = true;
				break;
			}
			this.binding = true;
			const look = trial === undefined ? Infinity : RATE_RULES.trialLookMs;
			await run.wait(Math.min(at - now, look), itemIndex);
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

	/**
	 * The provider took a submission (now), with `inFlight` tasks (its own included): after a
	 * quiet while, try one more per window. False when it shows the rate on trial was not the
	 * limit (a trial submission taken): the rate no longer paces.
	 */
	accept(sent?: Sent, inFlight = 0): boolean {
		this.counts.accepted++;
		const now = Date.now();
		this.accepted.push(now);
		this.forget(now);
		const level = this.trialLevel;
		if (sent?.trial) {
			this.trialOut = false;
			// Taken while still on trial (not confirmed meanwhile): the tasks were the limit.
			if (level !== undefined) {
				this.trialLevel = undefined;
				this.active = false;
				return false;
			}
		}
		// Clearly more tasks at once than at the refusal (two more, or a quarter): it was the rate.
		if (level !== undefined && inFlight >= level + Math.max(2, Math.ceil(level / 4)))
			this.trialLevel = undefined;
		const limit = this.pacing;
		// A step not yet used to the full (its whole count taken in a window) is not stepped again.
		const full = () =>
			this.accepted.filter((at) => at > now - pacedWindowMs(limit!.windowMs)).length >=
			Math.floor(limit!.count);
		if (limit && this.binding && now >= this.probeAt && (!this.stepped || full())) {
			limit.count += 1;
			this.binding = false;
			this.stepped = true;
			this.probeAt = now + limit.windowMs;
		}
		return true;
	}

	/**
	 * The provider refused a submission (at `now`); `waitSeconds` is when it said room comes
	 * back, if it said. Learns (or re-counts) the limit and holds off the next step up.
	 */
	refuse(waitSeconds: number | undefined, sent?: Sent, inFlight = 0): RefusalReading {
		this.counts.refused++;
		if (sent?.trial) {
			// The trial was refused: it is the rate.
			this.trialOut = false;
			this.trialLevel = undefined;
		}
		const now = Date.now();
		this.forget(now);
		const waitMs = waitInMs(waitSeconds);
		// Refusals of one moment (a burst already on their way) count once: the first after a step up, or a window after the last.
		const fresh = this.stepped || now - this.lastCut >= (this.limit?.windowMs ?? 0);
		let reading: RefusalReading;
		if (!this.limit) {
			// The first reading paces at once (the window of tasks reopened): a rate is told from a
			// cap on tasks in flight by the next refusal, not by waiting for a proof that may never come.
			this.limit = firstReading(this.accepted, now, waitMs);
			this.active = true;
			this.trialLevel = inFlight;
			reading = 'rate';
		} else if (this.active && !this.explains(this.limit, now)) {
			// Paced, and the key had room under the rate: it is not the rate that refused.
			this.active = false;
			this.trialLevel = undefined;
			reading = 'tasks';
		} else {
			reading = this.active ? 'rate' : 'unknown';
			if (fresh) this.limit = recount(this.accepted, this.limit, now, waitMs, this.stepped);
		}
		if (fresh) this.lastCut = now;
		if (this.stepped) this.probeDelayMs = Math.min(RATE_RULES.maxProbeMs, this.probeDelayMs * 2);
		this.stepped = false;
		this.probeAt = now + Math.max(this.probeDelayMs, this.limit.windowMs);
		this.binding = false;
		return reading;
	}

	/**
	 * Whether the rate explains a refusal now: the key took at least half its count in the
	 * window (a step up tried, answers jittering: not all of it). Under a cap on tasks in flight
	 * the refusal comes once tasks outlast the window, with it nearly empty.
	 */
	private explains(limit: RateLimit, now: number): boolean {
		const took = this.accepted.filter((at) => at > now - limit.windowMs).length;
		return took >= Math.max(1, Math.floor(limit.count / 2));
	}

	private forget(now: number): void {
		while (this.accepted.length > 0 && this.accepted[0] <= now - RATE_RULES.maxWindowMs)
			this.accepted.shift();
	}
}
