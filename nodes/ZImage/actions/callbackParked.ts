import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import type { OutputOptions } from '../output';
import type { GenerationMeta, TaskLinks } from '../types';

// What a parked execution keeps: its tasks, shown in the node's output while it waits and
// kept in the node's metadata for the callback that resumes it.

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
	/** The task's own addresses, when the provider gave them. */
	links?: TaskLinks;
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
