/** The learned schedule (documented in the README). */
export const LEARNED_SCHEDULE = {
	/** How many finished tasks the estimate is taken from (quartiles). */
	remember: 9,
	/** The first look goes this share of the way from "still running" to "done". */
	towardsDone: 0.8,
	/** When every task was done at its first look: assume it might have been done this much sooner. */
	noLowerBound: 0.8,
	/** From the expected time on, look every this share of it… */
	stepShare: 0.05,
	/** …but never sooner than this. */
	minStepMs: 500,
	/** A task still running at this multiple of the expected time goes back to the usual schedule. */
	giveUpShare: 1.5,
};

/**
 * What the finished tasks of a provider key took, for providers that give no estimate: the
 * first tasks of a batch teach the looks of the rest. Each finished task bounds its own
 * time: above the last look that found it running, at most the look that found it done.
 */
export class TaskDurations {
	private readonly running: number[] = [];
	private readonly done: number[] = [];

	/** A task finished: still running at `lastRunningMs` (if looked at before), done at `doneMs`, from its submission. */
	observe(lastRunningMs: number | undefined, doneMs: number): void {
		if (lastRunningMs !== undefined) remember(this.running, lastRunningMs);
		remember(this.done, doneMs);
	}

	/**
	 * When to look first: most of the way from a late "still running" to an early "done"
	 * (upper and lower quartiles: a task's time lies between the two), since a look too
	 * early costs a whole step and one a little late costs only that little. Each task
	 * then narrows the two together.
	 */
	expectedMs(): number | undefined {
		if (this.done.length === 0) return undefined;
		const done = quantile(this.done, 0.25);
		const running =
			this.running.length > 0 ? quantile(this.running, 0.75) : done * LEARNED_SCHEDULE.noLowerBound;
		return running >= done ? done : running + (done - running) * LEARNED_SCHEDULE.towardsDone;
	}
}

function remember(list: number[], value: number): void {
	list.push(value);
	if (list.length > LEARNED_SCHEDULE.remember) list.shift();
}

function quantile(values: number[], share: number): number {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.round(share * (sorted.length - 1))];
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
