import { sleep } from 'n8n-workflow';

import type { RunControl } from '../run';

/** How the window of tasks in flight reacts to a provider's limits (documented in the README). */
export const WINDOW_RULES = {
	/** After a narrowing, wait this long before trying one task more than the provider took. */
	firstProbeMs: 2_000,
	/** Each further narrowing doubles that wait, up to this. */
	maxProbeMs: 30_000,
	/** Never hold submissions longer than this on one Retry-After. */
	maxHoldMs: 60_000,
	/** Slow start: with no answer this long after the last slot was added, the window doubles anyway (a provider that holds submissions). */
	slowStartMs: 200,
	/** Slow start: each accepted submission adds this many slots (1.5: half again per round; a refusal then costs about half a round). */
	slowStartGrowth: 1.5,
};

interface Waiter {
	grant(): void;
}

/**
 * How many tasks one provider key may have in flight, learned from its answers. A "not
 * accepted" answer (429/503) gives the slot back and narrows the window to the tasks still
 * in flight (what the provider evidently takes); a Retry-After holds new submissions.
 * After a quiet while, accepted submissions widen it again — one slot per window's worth
 * (additive increase) — up to the ceiling (Max Concurrent Items); a window full of waiting
 * work tries one slot more when due; probing above a level the provider refused backs off.
 */
export class TaskWindow {
	private size: number;
	private running = 0;
	private readonly waiting: Waiter[] = [];
	private holdUntil = 0;
	private probeAt = 0;
	private probeDelayMs = WINDOW_RULES.firstProbeMs;
	/** Tasks in flight when the provider last refused one; Infinity before any refusal. */
	private refusedAt = Infinity;
	private wakeAt = 0;
	/** One slot more is being tried; the provider's answer ends the try. */
	private probing = false;
	/** Tasks in flight at the last refusal that narrowed the window (kept when probing frees it). */
	private refusalLevel = Infinity;
	/** Slow start: the window starts at one and grows by `slowStartGrowth` per accepted submission until a refusal or the ceiling. */
	private slowStart: boolean;
	private grewAt = 0;
	readonly counts = { accepted: 0, notAccepted: 0 };

	constructor(
		private maxSize: number,
		slowStart = false,
	) {
		this.slowStart = slowStart && maxSize > 1;
		this.size = this.slowStart ? 1 : maxSize;
		this.grewAt = Date.now();
	}

	/** Tasks that may be in flight at once now. */
	get limit(): number {
		return Math.floor(this.size);
	}

	get inFlight(): number {
		return this.running;
	}

	get ceiling(): number {
		return this.maxSize;
	}

	/** A new ceiling (the largest Max Concurrent Items of the executions sharing the key). */
	set ceiling(value: number) {
		this.maxSize = Math.max(1, value);
		// Never refused yet: the window is simply the ceiling (once slow start is over).
		const open = this.refusedAt === Infinity && !this.slowStart;
		this.size = open ? this.maxSize : Math.min(this.size, this.maxSize);
		this.pump();
	}

	/** No submission before this moment (epoch ms). */
	get heldUntil(): number {
		return this.holdUntil;
	}

	/** Waits for a free slot (first come, first served); a stopped run ends the wait. */
	async acquire(run: RunControl, itemIndex: number): Promise<void> {
		run.check(itemIndex);
		const { signal } = run;
		if (this.waiting.length === 0 && this.canStart()) {
			this.running++;
			return;
		}
		await new Promise<void>((resolve, reject) => {
			const onAbort = () => {
				const at = this.waiting.indexOf(waiter);
				if (at !== -1) this.waiting.splice(at, 1);
				reject(run.error(itemIndex));
			};
			const waiter: Waiter = {
				grant: () => {
					signal.removeEventListener('abort', onAbort);
					resolve();
				},
			};
			signal.addEventListener('abort', onAbort, { once: true });
			this.waiting.push(waiter);
			this.pump();
		});
	}

	/** The task finished (or gave up): its slot goes to the next waiting one. */
	release(): void {
		this.running = Math.max(0, this.running - 1);
		this.pump();
	}

	/**
	 * The provider took a submission: after a quiet while, widen — by one slot per window's
	 * worth of them (in slow start by `slowStartGrowth` each). True when it took clearly more tasks than it
	 * refused at (two more, or a quarter; one more may be a task done there and not yet seen
	 * here): that refusal was not about tasks in flight.
	 */
	accepted(): boolean {
		this.counts.accepted++;
		const now = Date.now();
		const level = this.refusalLevel;
		const notAboutTasks =
			level !== Infinity && this.running >= level + Math.max(2, Math.ceil(level / 4));
		if (notAboutTasks) this.refusalLevel = Infinity;
		if (this.running > this.refusedAt) {
			// It took more than it once refused: its limit moved, probe freely again.
			this.refusedAt = Infinity;
			this.probeDelayMs = WINDOW_RULES.firstProbeMs;
		}
		if (this.slowStart) {
			this.size = Math.min(this.maxSize, this.size + WINDOW_RULES.slowStartGrowth);
			this.grewAt = now;
			if (this.size >= this.maxSize) this.slowStart = false;
		} else if (now >= this.probeAt)
			this.size = Math.min(this.maxSize, this.size + 1 / Math.max(1, this.limit));
		this.probing = false;
		this.pump();
		return notAboutTasks;
	}

	/** A refusal turned out not to be about tasks in flight (a rate limit paces them): back to the ceiling. */
	reopen(): void {
		this.size = this.maxSize;
		this.refusedAt = Infinity;
		this.refusalLevel = Infinity;
		this.slowStart = false;
		this.pump();
	}

	/** A rate on trial did not hold: the tasks in flight were the limit, at `level` (as a refusal there would narrow it). */
	narrowTo(level: number): void {
		this.size = Math.max(1, Math.min(this.size, level));
		this.refusedAt = level;
		this.refusalLevel = level;
		this.probeAt = Math.max(this.probeAt, Date.now() + this.probeDelayMs);
		this.probing = false;
		this.pump();
	}

	/**
	 * The provider did not take a submission: its slot is given back and the window narrows
	 * to what is still in flight. With nothing else in flight, no task's end will free a turn:
	 * the Retry-After (else `fallbackSeconds`) then holds every new submission.
	 */
	notAccepted(
		retryAfterSeconds: number | undefined,
		fallbackSeconds: number,
		rateExplains = false,
	): void {
		this.counts.notAccepted++;
		const now = Date.now();
		this.running = Math.max(0, this.running - 1);
		this.slowStart = false;
		// Paced by a learned rate that explains the refusal: the rate, not the window.
		if (rateExplains) {
			this.pump();
			return;
		}
		this.size = Math.max(1, Math.min(this.size, this.running));
		this.refusedAt = this.running;
		this.refusalLevel = this.running;
		if (now >= this.probeAt) {
			this.probeAt = now + this.probeDelayMs;
			this.probeDelayMs = Math.min(WINDOW_RULES.maxProbeMs, this.probeDelayMs * 2);
		}
		this.probing = false;
		const seconds = this.running === 0 ? (retryAfterSeconds ?? fallbackSeconds) : 0;
		if (seconds > 0)
			this.holdUntil = Math.max(
				this.holdUntil,
				now + Math.min(seconds * 1000, WINDOW_RULES.maxHoldMs),
			);
		this.pump();
	}

	private canStart(): boolean {
		return this.running < this.limit && Date.now() >= this.holdUntil;
	}

	private pump(): void {
		while (this.waiting.length > 0 && this.canStart()) {
			this.running++;
			this.waiting.shift()!.grant();
		}
		if (this.waiting.length === 0) return;
		const now = Date.now();
		const narrowed =
			!this.slowStart && this.running >= this.limit && this.size < this.maxSize && !this.probing;
		if (narrowed && this.probeAt <= now && this.holdUntil <= now) {
			// A probe is due while everything waits on a full window: one slot more, the provider's answer decides.
			this.probing = true;
			this.size = this.limit + 1;
			this.pump();
			return;
		}
		if (
			this.slowStart &&
			this.running >= this.limit &&
			now >= this.grewAt + WINDOW_RULES.slowStartMs
		) {
			// No answer for a while (a provider that holds submissions): double anyway.
			this.size = Math.min(this.maxSize, this.size * 2);
			this.grewAt = now;
			if (this.size >= this.maxSize) this.slowStart = false;
			this.pump();
			return;
		}
		// Wake up when the hold ends, when a probe is due, or when slow start may double.
		let wake = this.holdUntil > now ? this.holdUntil : 0;
		if (!wake && narrowed) wake = this.probeAt;
		if (!wake && this.slowStart) wake = this.grewAt + WINDOW_RULES.slowStartMs;
		if (wake && (this.wakeAt <= now || wake < this.wakeAt)) {
			this.wakeAt = wake;
			void sleep(wake - now).then(() => {
				if (this.wakeAt === wake) this.wakeAt = 0;
				this.pump();
			});
		}
	}
}
