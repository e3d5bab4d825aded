import type { RunControl } from '../run';

/** Status requests per second to one provider key unless the user sets another number. */
export const DEFAULT_STATUS_PER_SECOND = 20;

/** Never hold status looks longer than this on one Retry-After. */
const MAX_HOLD_MS = 60_000;

/**
 * The polling budget of one provider key: at most `perSecond` status looks in any one
 * second, however many tasks are in flight. Looks that are due together go at once while
 * the second has room (no lag added to a batch finishing together); the rest take turns.
 */
export class StatusPace {
	/** When the last `perSecond` looks went (or will go), oldest first. */
	private readonly recent: Array<{ at: number }> = [];
	private holdUntil = 0;

	constructor(public perSecond: number) {}

	/** Waits for this look's turn; a stopped run ends the wait. */
	async turn(run: RunControl, itemIndex: number): Promise<void> {
		const now = Date.now();
		const limit = Math.max(1, Math.floor(this.perSecond));
		while (this.recent.length > limit) this.recent.shift();
		let at = Math.max(now, this.holdUntil, this.recent[this.recent.length - 1]?.at ?? 0);
		if (this.recent.length === limit) at = Math.max(at, this.recent[0].at + 1000);
		const mine = { at };
		this.recent.push(mine);
		if (this.recent.length > limit) this.recent.shift();
		if (at <= now) return;
		await run.wait(at - now, itemIndex);
		// A late wake-up counts from when the look really goes.
		mine.at = Math.max(mine.at, Date.now());
	}

	/** The provider said "too many requests" to a look: no look before `seconds` from now. */
	hold(seconds: number): void {
		this.holdUntil = Math.max(this.holdUntil, Date.now() + Math.min(seconds * 1000, MAX_HOLD_MS));
	}
}
