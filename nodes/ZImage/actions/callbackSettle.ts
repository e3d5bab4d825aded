import type { INodeExecutionData } from 'n8n-workflow';

import { ProviderClient } from '../http/client';
import { toBinaryItem } from '../output';
import { toResult, WorkPool } from '../pool';
import { RunControl } from '../run';
import type { NodeContext, TaskState, ZImageProvider } from '../types';
import type { ParkedRun } from './callbackParked';
import { errorItem } from './operation';
import { checkResults, lookUpTask, taskFailed } from './task';

// How one look at every parked task settles a parked run: in the execution that parks it,
// and in each callback that resumes it.

export const isFinished = (state: TaskState) =>
	state.status === 'completed' || state.status === 'failed';

/** How a look at every parked task came out. */
export type Settled =
	| { finished: false; unfinished: TaskState[] }
	| { finished: true; items: INodeExecutionData[]; failure?: unknown };

/**
 * Looks once at every parked task (the provider's status answer is the only word trusted).
 * While any is unfinished, that is all. Once all are, downloads every result and returns one
 * item per image, in input order; a failed task is an error item with Continue On Fail, else
 * the failure.
 */
export async function settle(
	ctx: NodeContext,
	provider: ZImageProvider,
	parked: ParkedRun,
): Promise<Settled> {
	const tasks = parked.entries.flatMap((entry) => ('task' in entry ? [entry.task] : []));
	const run = new RunControl(ctx, true);
	const pool = new WorkPool(Math.max(1, ...tasks.map((task) => task.options.maxConcurrent)));
	try {
		const looked = await Promise.all(
			tasks.map(async (task) => {
				const client = (
					await ProviderClient.open({
						ctx,
						provider,
						operation: 'generate',
						itemIndex: task.itemIndex,
						run,
						timeoutSeconds: task.options.requestTimeoutSeconds,
						maxDownloadBytes: task.options.maxDownloadBytes,
					})
				).forTask(task.taskId);
				const state = await pool.run(async () => await lookUpTask(client, task.taskId));
				return { task, client, state };
			}),
		);
		const unfinished = looked.filter(({ state }) => !isFinished(state)).map(({ state }) => state);
		if (unfinished.length) return { finished: false, unfinished };
		const outputs = await Promise.all(
			looked.map(
				async ({ task, client, state }) =>
					await toResult(async () => {
						if (state.status === 'failed') throw taskFailed(client, state);
						checkResults(client, state, task.meta);
						const items = await Promise.all(
							state.images.map(
								async (_, index) =>
									await pool.run(
										async () =>
											await toBinaryItem({
												ctx,
												client,
												task: state,
												meta: task.meta,
												itemIndex: task.itemIndex,
												options: task.options,
												index,
											}),
									),
							),
						);
						return items.map((item) => ({ ...item, json: client.redactJson(item.json) }));
					}).then((result) => ({ result, client })),
			),
		);
		const items: INodeExecutionData[] = [];
		let failure: unknown;
		let next = 0;
		for (const entry of parked.entries) {
			if (!('task' in entry)) {
				items.push(entry.item);
				continue;
			}
			// Tasks are in the entries' order.
			const { result, client } = outputs[next++];
			if (result.ok) items.push(...result.value);
			else if (parked.continueOnFail) {
				items.push(errorItem(client.scrubError(result.error), entry.task.itemIndex));
			} else failure ??= client.scrubError(result.error);
		}
		return { finished: true, items, failure };
	} finally {
		run.dispose();
	}
}
