import type { IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import type { CallPlace } from './http/errors';
import type { RunControl } from './run';
import { StoppedError } from './run';
import { describePlace } from './http/errors';
import { learnedDelayMs } from './pacing/durations';
import type { TaskState } from './types';

/** The polling schedule (documented in the README). */
export const POLL_SCHEDULE = {
	/** Never look again sooner than this. */
	minIntervalMs: 500,
	/** Never wait longer than this between two looks. */
	maxIntervalMs: 10_000,
	/** Without a hint, wait this share of the time spent so far: lag stays within 15 % of the task time. */
	growth: 0.15,
};

export function isFinished(state: TaskState): boolean {
	return state.status === 'completed' || state.status === 'failed';
}

function clamp(ms: number): number {
	return Math.min(POLL_SCHEDULE.maxIntervalMs, Math.max(POLL_SCHEDULE.minIntervalMs, ms));
}

/**
 * How long to wait before the next look: the provider's own estimate when it gives one,
 * else what the key's earlier tasks took (`expectedMs`), otherwise a share of the time
 * spent so far (quick at first, then backing off to a cap).
 */
export function nextPollDelayMs(elapsedMs: number, state?: TaskState, expectedMs?: number): number {
	if (state?.etaSeconds !== undefined && state.etaSeconds > 0) {
		return clamp(state.etaSeconds * 1000);
	}
	const learned = expectedMs === undefined ? undefined : learnedDelayMs(elapsedMs, expectedMs);
	return learned ?? clamp(elapsedMs * POLL_SCHEDULE.growth);
}

/** What a provider key's finished tasks took (pacing/durations.ts). */
export interface LearnedDurations {
	expectedMs(): number | undefined;
	observe(lastRunningMs: number | undefined, doneMs: number): void;
}

export interface TaskToWaitFor {
	ctx: IExecuteFunctions;
	run: RunControl;
	/** Provider, operation, item and task, for the max-wait error. */
	place: CallPlace;
	/** One look at the task. */
	look: () => Promise<TaskState>;
	maxWaitSeconds: number;
	/** Epoch ms when Max Wait runs out for the item. */
	deadline: number;
	/** When to look first if the task gave no estimate. */
	firstPollSeconds: number;
	/** What is known of the task already, if anything. */
	known?: TaskState;
	/** For a task just submitted: what earlier tasks took, to learn from and to time the looks by. */
	durations?: LearnedDurations;
}

/**
 * Looks at a task until it completes or fails, no longer than max wait, and stops at once
 * when the execution is cancelled.
 */
export async function pollUntilDone(task: TaskToWaitFor): Promise<TaskState> {
	const { ctx, place, known, deadline } = task;
	if (known && isFinished(known)) return known;
	const startedAt = Date.now();
	let state = known;
	const expected = task.durations?.expectedMs();
	let delay =
		known?.etaSeconds !== undefined && known.etaSeconds > 0
			? clamp(known.etaSeconds * 1000)
			: ((expected === undefined ? undefined : learnedDelayMs(0, expected)) ??
				task.firstPollSeconds * 1000);
	let lastRunningMs: number | undefined;
	for (;;) {
		const remaining = deadline - Date.now();
		if (remaining <= 0) break;
		await task.run.wait(Math.min(delay, remaining), place.itemIndex);
		if (Date.now() >= deadline) break;
		const lookedAt = Date.now() - startedAt;
		const looked = await task.look().then(
			(value) => ({ value }),
			(error: unknown) => ({ error }),
		);
		// A look cut short by Max Wait ends like any wait that ran out.
		if ('error' in looked && Date.now() >= deadline && !(looked.error instanceof StoppedError))
			break;
		if ('error' in looked) throw looked.error;
		state = looked.value;
		if (isFinished(state)) {
			if (state.status === 'completed') task.durations?.observe(lastRunningMs, lookedAt);
			return state;
		}
		lastRunningMs = lookedAt;
		delay = nextPollDelayMs(Date.now() - startedAt, state, task.durations?.expectedMs());
	}
	const status = state ? state.status : 'queued';
	throw new NodeOperationError(
		ctx.getNode(),
		`${describePlace(place)}: still ${status} after the max wait of ${task.maxWaitSeconds} s`,
		{
			itemIndex: place.itemIndex,
			description: `The task keeps running at ${place.providerName}. Use the Get Task operation with task ID ${place.taskId} to collect the images later, or raise "Max Wait".`,
		},
	);
}
