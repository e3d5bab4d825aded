import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { ProviderClient } from '../http/client';
import type { OutputOptions } from '../output';
import { toBinaryItem } from '../output';
import { toResult, WorkPool } from '../pool';
import { RunControl } from '../run';
import type { GenerationMeta, NodeContext, TaskState, ZImageProvider } from '../types';
import { errorItem } from './operation';
import { checkResultCount, lookUpTask } from './task';

// What a parked execution keeps (in the node's own output while it waits) and how a look at
// its tasks settles it: shared by the execution that parks and the callback that resumes it.

/** The query parameter naming the item a callback is about; the callback's body is never trusted. */
export const ITEM_PARAM = 'zimage_item';

const MARK = 'zImageCallbackWait';

/** Where the parked run is kept: the node's metadata on n8n's execution stack (setMetadata). */
export const PARKED_KEY = 'zImageParked';

/** A parked run as read back from n8n's stored execution, or undefined when it is not one. */
export function asParkedRun(value: unknown): ParkedRun | undefined {
	const run = value as ParkedRun | undefined;
	if (!run || typeof run !== 'object' || !Array.isArray(run.entries)) return undefined;
	const wellFormed = run.entries.every((entry) =>
		'task' in entry ? typeof entry.task?.taskId === 'string' : typeof entry.item === 'object',
	);
	return wellFormed && typeof run.provider === 'string' ? run : undefined;
}

/** One item's task, as parked. */
export interface ParkedTask {
	itemIndex: number;
	taskId: string;
	/** Epoch ms when the item's Max Wait runs out. */
	deadline: number;
	meta: GenerationMeta;
	options: OutputOptions & { requestTimeoutSeconds: number; maxConcurrent: number };
}

/** The whole parked run: every input item in order, a task or an error item already decided. */
export interface ParkedRun {
	provider: string;
	/** Epoch ms when the last item's Max Wait runs out. */
	deadline: number;
	continueOnFail: boolean;
	entries: Array<{ task: ParkedTask } | { item: INodeExecutionData }>;
}

/** The item shown while the execution waits: the task, and what resuming needs. */
export function parkedItem(
	task: ParkedTask,
	run: Pick<ParkedRun, 'provider' | 'continueOnFail'>,
): INodeExecutionData {
	return {
		json: {
			taskId: task.taskId,
			provider: run.provider,
			status: 'waiting for the provider to call back',
			maxWaitUntil: new Date(task.deadline).toISOString(),
			[MARK]: { v: 1, ...run, task } as unknown as IDataObject,
		},
		pairedItem: { item: task.itemIndex },
	};
}

/** The parked run in the node's output items, or undefined when none of them is parked. */
export function readParked(items: INodeExecutionData[]): ParkedRun | undefined {
	let run: Omit<ParkedRun, 'entries'> | undefined;
	const entries: ParkedRun['entries'] = [];
	for (const item of items) {
		const mark = item.json?.[MARK] as
			| (Pick<ParkedRun, 'provider' | 'continueOnFail'> & { v: number; task: ParkedTask })
			| undefined;
		if (mark?.v === 1 && typeof mark.task?.taskId === 'string') {
			const deadline = Math.max(run?.deadline ?? 0, Number(mark.task.deadline) || 0);
			run = { provider: mark.provider, continueOnFail: mark.continueOnFail === true, deadline };
			entries.push({ task: mark.task });
		} else {
			entries.push({ item });
		}
	}
	return run ? { ...run, entries } : undefined;
}

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
						if (state.status === 'failed') {
							const code = state.error?.code ? `${state.error.code}: ` : '';
							throw client.error({
								message: `the task failed: ${code}${state.error?.message ?? 'no reason given'}`,
								description: `Task ID: ${state.taskId}`,
							});
						}
						if (state.images.length === 0) {
							throw client.error({
								message: 'The task completed but the provider returned no images',
							});
						}
						checkResultCount(client, state, task.meta);
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
