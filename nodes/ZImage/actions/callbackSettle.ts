import type { INodeExecutionData } from 'n8n-workflow';

import { ProviderClient } from '../http/client';
import { isFinished } from '../poller';
import { toResult, WorkPool } from '../pool';
import { RunControl } from '../run';
import type { NodeContext, TaskState, ZImageProvider } from '../types';
import type { ParkedRun, ParkedTask } from './callbackParked';
import { errorItem } from './operation';
import { checkResults, downloadImages, lookUpTask, taskFailed } from './task';

// How one look at every parked task settles a parked run: in the execution that parks it,
// and in each callback that resumes it.

/** How a look at the parked tasks came out. */
export type Settled =
	| { finished: false; unfinished: TaskState }
	| { finished: true; items: INodeExecutionData[]; failure?: unknown };

export interface SettleOptions {
	/** Tasks an earlier callback of this run saw finished (this process's memory): not looked at again. */
	known?: Map<string, TaskState>;
	/** The item a callback names: its task is looked at first. */
	firstItem?: number;
	/** Each look's own time limit: a callback must be answered within the provider's timeout. */
	lookSeconds?: number;
	/** More secrets to keep out of outputs and errors (the resume URL's signature). */
	secrets?: string[];
}

/**
 * Looks at the parked tasks (the provider's status answer is the only word trusted), one at
 * a time, until one is unfinished: then that is all. Once all are finished, downloads every
 * result and returns one item per image, in input order; a failed task is an error item
 * with Continue On Fail, else the failure.
 */
export async function settle(
	ctx: NodeContext,
	provider: ZImageProvider,
	parked: ParkedRun,
	options: SettleOptions = {},
): Promise<Settled> {
	const tasks = parked.entries.flatMap((entry) => ('task' in entry ? [entry.task] : []));
	const order = [
		...tasks.filter((task) => task.itemIndex === options.firstItem),
		...tasks.filter((task) => task.itemIndex !== options.firstItem),
	];
	const run = new RunControl(ctx, true);
	const pool = new WorkPool(Math.max(1, ...tasks.map((task) => task.options.maxConcurrent)));
	// One client per task, opened when first needed (its credential is read once).
	const clients = new Map<ParkedTask, Promise<ProviderClient>>();
	const clientFor = async (task: ParkedTask): Promise<ProviderClient> => {
		let client = clients.get(task);
		if (!client) {
			client = ProviderClient.open({
				ctx,
				provider,
				operation: 'generate',
				itemIndex: task.itemIndex,
				run,
				timeoutSeconds: task.options.requestTimeoutSeconds,
				maxDownloadBytes: task.options.maxDownloadBytes,
				secrets: options.secrets,
			}).then((opened) => opened.forTask(task.taskId));
			clients.set(task, client);
		}
		return await client;
	};
	try {
		const states = new Map<ParkedTask, TaskState>();
		for (const task of order) {
			let state = options.known?.get(task.taskId);
			if (!state) {
				const client = await clientFor(task);
				const looker = options.lookSeconds ? client.withMaxWait(options.lookSeconds) : client;
				// lookUpTask refuses an answer about another task.
				state = await lookUpTask(looker, task.taskId, task.links);
				if (!isFinished(state)) return { finished: false, unfinished: state };
				options.known?.set(task.taskId, state);
			}
			states.set(task, state);
		}
		const looked = await Promise.all(
			tasks.map(async (task) => ({
				task,
				client: await clientFor(task),
				state: states.get(task) as TaskState,
			})),
		);
		const outputs = await Promise.all(
			looked.map(
				async ({ task, client, state }) =>
					await toResult(async () => {
						if (state.status === 'failed') throw taskFailed(client, state);
						checkResults(client, state, task.meta);
						const items = await Promise.all(
							downloadImages(pool, {
								ctx,
								client,
								task: state,
								meta: task.meta,
								itemIndex: task.itemIndex,
								options: task.options,
							}),
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
