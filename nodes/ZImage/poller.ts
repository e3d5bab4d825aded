import type { IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { waitOrCancel } from './cancel';
import type { TaskState } from './providers/types';

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
 * otherwise a share of the time spent so far (quick at first, then backing off to a cap).
 */
export function nextPollDelayMs(elapsedMs: number, state?: TaskState): number {
	if (state?.etaSeconds !== undefined && state.etaSeconds > 0) {
		return clamp(state.etaSeconds * 1000);
	}
	return clamp(elapsedMs * POLL_SCHEDULE.growth);
}

export interface PollOptions {
	taskId: string;
	itemIndex: number;
	maxWaitSeconds: number;
	/** When to look first if the task gave no estimate. */
	firstPollSeconds: number;
	/** Provider, operation and task, for the timeout message. */
	where: string;
	providerName: string;
}

/**
 * Looks at a task until it completes or fails, no longer than max wait, and stops at once
 * when the execution is cancelled.
 */
export async function pollUntilDone(
	ctx: IExecuteFunctions,
	check: () => Promise<TaskState>,
	options: PollOptions,
	initial?: TaskState,
): Promise<TaskState> {
	if (initial && isFinished(initial)) return initial;
	const startedAt = Date.now();
	const deadline = startedAt + options.maxWaitSeconds * 1000;
	let state = initial;
	let delay =
		initial?.etaSeconds !== undefined && initial.etaSeconds > 0
			? clamp(initial.etaSeconds * 1000)
			: options.firstPollSeconds * 1000;
	for (;;) {
		const remaining = deadline - Date.now();
		if (remaining <= 0) break;
		await waitOrCancel(ctx, Math.min(delay, remaining), options.itemIndex);
		state = await check();
		if (isFinished(state)) return state;
		delay = nextPollDelayMs(Date.now() - startedAt, state);
	}
	const status = state ? state.status : 'queued';
	throw new NodeOperationError(
		ctx.getNode(),
		`${options.where}: still ${status} after the max wait of ${options.maxWaitSeconds} s`,
		{
			itemIndex: options.itemIndex,
			description: `The task keeps running at ${options.providerName}. Use the Get Task operation with task ID ${options.taskId} to collect the images later, or raise "Max Wait".`,
		},
	);
}
