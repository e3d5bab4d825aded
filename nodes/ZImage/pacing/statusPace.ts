import type { IExecuteFunctions } from 'n8n-workflow';

import { waitOrCancel } from '../cancel';

/** Status requests per second to one provider key unless the user sets another number. */
export const DEFAULT_STATUS_PER_SECOND = 20;

/** Never hold status looks longer than this on one Retry-After. */
const MAX_HOLD_MS = 60_000;

/**
 * The polling budget of one provider key: status looks take turns, evenly spaced, so that
 * however many tasks are in flight the provider sees at most `perSecond` looks a second.
 */
export class StatusPace {
	private nextAt = 0;

	constructor(public perSecond: number) {}

	/** Waits for this look's turn; cancelling the execution stops the wait. */
	async turn(ctx: IExecuteFunctions, itemIndex: number): Promise<void> {
		const now = Date.now();
		const at = Math.max(now, this.nextAt);
		this.nextAt = at + 1000 / this.perSecond;
		if (at > now) await waitOrCancel(ctx, at - now, itemIndex);
	}

	/** The provider said "too many requests" to a look: no look before `seconds` from now. */
	hold(seconds: number): void {
		this.nextAt = Math.max(this.nextAt, Date.now() + Math.min(seconds * 1000, MAX_HOLD_MS));
	}
}
