/**
 * A provider's limits per API key, as heavy users meet them: at most N tasks running at
 * once, and at most M submissions per time window. A submission past either is answered
 * 429, with or without a Retry-After saying when room comes back.
 */
export interface KeyLimitOptions {
	/** At most this many tasks running at once. */
	maxRunning?: number;
	/** At most this many submissions per window (sliding). */
	submitsPerWindow?: number;
	/** The window of `submitsPerWindow`; 1 s by default. */
	windowMs?: number;
	/** Send Retry-After (whole seconds until room comes back, at least 1) with each 429. */
	retryAfter?: boolean;
	/** Say when room comes back in the 429's words instead, as Replicate does ("resets in ~Ns"). */
	words?: boolean;
}

export interface Refusal {
	/** Seconds for the Retry-After header, when the limits send one. */
	retryAfter?: string;
	/** The refusal's message, when the limits say the wait in words. */
	words?: string;
}

export class KeyLimits {
	private readonly submitted: number[] = [];
	/** Submissions answered 429. */
	refused = 0;
	/** When each 429 was sent, and the Retry-After it carried (seconds). */
	readonly refusals: Array<{ at: number; retryAfter?: number; prompt?: string }> = [];
	/** Most tasks seen running at once. */
	peakRunning = 0;
	/** When each submission was taken (the wire's accepted timeline). */
	readonly accepted: number[] = [];

	constructor(readonly options: KeyLimitOptions) {}

	/**
	 * Whether a submission is taken, given the key's running tasks and when the first of
	 * them ends (ms from now); a taken one counts against the window.
	 */
	admit(running: number, firstEndsInMs: number, prompt?: string): Refusal | undefined {
		const now = Date.now();
		const { maxRunning, submitsPerWindow } = this.options;
		const windowMs = this.options.windowMs ?? 1000;
		while (this.submitted.length > 0 && this.submitted[0] <= now - windowMs) this.submitted.shift();
		let waitMs: number | undefined;
		if (maxRunning !== undefined && running >= maxRunning) waitMs = firstEndsInMs;
		if (submitsPerWindow !== undefined && this.submitted.length >= submitsPerWindow) {
			waitMs = Math.max(waitMs ?? 0, this.submitted[0] + windowMs - now);
		}
		if (waitMs !== undefined) {
			this.refused++;
			const seconds = Math.max(1, Math.ceil(waitMs / 1000));
			const retryAfter = this.options.retryAfter || this.options.words ? seconds : undefined;
			this.refusals.push({ at: now, retryAfter, prompt });
			if (this.options.words)
				return { words: `Request was throttled. Your rate limit resets in ~${seconds}s.` };
			return retryAfter === undefined ? {} : { retryAfter: String(retryAfter) };
		}
		this.submitted.push(now);
		this.accepted.push(now);
		this.peakRunning = Math.max(this.peakRunning, running + 1);
		return undefined;
	}
}
