/** The learned schedule (documented in the README). */
export const LEARNED_SCHEDULE = {
	/** How many finished tasks the estimate is taken from (their median). */
	remember: 9,
	/** From the expected time on, look every this share of it… */
	stepShare: 0.05,
	/** …but never sooner than this. */
	minStepMs: 500,
	/** A task still running at this multiple of the expected time goes back to the usual schedule. */
	giveUpShare: 1.5,
};

/**
 * What the finished tasks of a provider key took, from submission to done, for providers
 * that give no estimate: the first tasks of a batch teach the looks of the rest.
 */
export class TaskDurations {
	private readonly seen: number[] = [];

	/**
	 * A task finished: it was still running at `lastRunningMs` (if it was looked at before)
	 * and done at `doneMs`, both from its submission.
	 */
	observe(lastRunningMs: number | undefined, doneMs: number): void {
		// Done at the first look: it took a little less than that.
		const estimate = lastRunningMs !== undefined ? (lastRunningMs + doneMs) / 2 : doneMs * 0.95;
		this.seen.push(estimate);
		if (this.seen.length > LEARNED_SCHEDULE.remember) this.seen.shift();
	}

	/** The typical task time, once a task has finished. */
	expectedMs(): number | undefined {
		if (this.seen.length === 0) return undefined;
		const sorted = [...this.seen].sort((a, b) => a - b);
		return sorted[Math.floor(sorted.length / 2)];
	}
}

/**
 * When to look next at a task expected to take `expectedMs`: at that time, then in small
 * steps; undefined once the task is far past it (the usual schedule then).
 */
export function learnedDelayMs(elapsedMs: number, expectedMs: number): number | undefined {
	const step = Math.max(LEARNED_SCHEDULE.minStepMs, expectedMs * LEARNED_SCHEDULE.stepShare);
	if (elapsedMs > expectedMs * LEARNED_SCHEDULE.giveUpShare) return undefined;
	return elapsedMs < expectedMs - step / 2 ? expectedMs - elapsedMs : step;
}
