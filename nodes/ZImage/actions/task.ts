import type { INodeExecutionData } from 'n8n-workflow';

import type { ProviderClient } from '../http/client';
import { mayHaveBeenTaken } from '../http/client';
import type { RunOptions } from '../options';
import { readRunOptions } from '../options';
import { runsAsTool } from '../agentTool';
import type { ImageOutput } from '../output';
import { taskToJson, toBinaryItem, toolResult } from '../output';
import type { WorkPool } from '../pool';
import { pollUntilDone } from '../poller';
import type { GenerationMeta, SubmitOperation, SubmitPlan, TaskLinks, TaskState } from '../types';
import { parkedItem } from './callbackParked';
import type { ItemInput, ItemRunner, PendingItems } from './operation';
import { checkProviderTaskId, openClient, readyItems, runTaskInPool } from './operation';

/**
 * One look at a task, in the shared vocabulary: its status, and for a completed task whose
 * status lists no results, its result (where the provider keeps that apart).
 */
export async function lookUpTask(
	client: ProviderClient,
	taskId: string,
	links?: TaskLinks,
): Promise<TaskState> {
	const { provider } = client;
	if (!provider.statusRequest) {
		throw client.error({ message: `${provider.displayName} cannot look tasks up` });
	}
	const { body } = await client.request(provider.statusRequest(taskId, links), 'status');
	let state = readAnswer(client, body, provider.readTask(body, taskId), 'status request');
	// An answer about another task (a proxy's cache, a mix-up) would deliver someone else's images.
	if (state.taskId !== taskId) {
		throw client.error({
			message: `the status answer is about task ${state.taskId}, not this one`,
			description: 'This is a fault of the provider or of a proxy in between.',
		});
	}
	if (state.status === 'completed' && state.images.length === 0 && provider.resultRequest) {
		const own = state.links ?? links;
		const result = await client.request(provider.resultRequest(taskId, own), 'result');
		const read = provider.readResult?.(result.body, state, result);
		// A failed answer is the task's own failure only where the provider reads it so.
		const failure = provider.readFailure(result);
		if (failure && read?.status !== 'failed') throw client.error(failure);
		state = readAnswer(
			client,
			result.body,
			read && { ...read, links: read.links ?? own },
			'result request',
		);
	}
	return state;
}

/** A provider's answer in the shared vocabulary, or the error saying it could not be read. */
function readAnswer(
	client: ProviderClient,
	body: unknown,
	state: TaskState | undefined,
	what: string,
): TaskState {
	if (state) return state;
	throw client.error({
		message: `${client.provider.displayName} answered the ${what} in a form the node cannot read`,
		description: JSON.stringify(body ?? null),
	});
}

/** Results a task may list beyond what was asked for, before it is refused. */
export const RESULT_TOLERANCE = 2;

/**
 * A finished task lists at most what was asked for (batch size, number of images; for Get Task
 * the provider's most per task), plus a small tolerance: beyond it nothing is downloaded.
 */
function checkResultCount(client: ProviderClient, state: TaskState, meta?: GenerationMeta): void {
	const asked = meta?.images ?? client.provider.maxResultsPerTask;
	const limit = asked + RESULT_TOLERANCE;
	if (state.images.length <= limit) return;
	const what =
		meta?.images === undefined
			? `${client.provider.displayName} gives for one task (${asked})`
			: `the ${asked} asked for`;
	throw client.error({
		message: `the task lists ${state.images.length} results, more than ${what} (at most ${limit} are accepted); nothing was downloaded`,
		description: 'This is a fault of the provider or of a proxy in between.',
	});
}

/** The error of a failed task: the provider's code and reason, and the task id. */
export function taskFailed(client: ProviderClient, state: TaskState) {
	const code = state.error?.code ? `${state.error.code}: ` : '';
	const reason = state.error?.message ?? 'no reason given';
	return client.error({
		message: `the task failed: ${code}${reason}`,
		description: `Task ID: ${state.taskId}`,
	});
}

/** A completed task's results are there to download, and not more of them than can be right. */
export function checkResults(
	client: ProviderClient,
	state: TaskState,
	meta?: GenerationMeta,
): void {
	if (state.images.length === 0) {
		throw client.error({ message: 'The task completed but the provider returned no images' });
	}
	checkResultCount(client, state, meta);
}

/** What collecting a task needs. */
export interface TaskToCollect {
	input: ItemInput;
	/** The item's client, already naming the task. */
	client: ProviderClient;
	options: RunOptions;
	/** What is known of the task already (a submission's answer, a first look). */
	known?: TaskState;
	/** The task's own addresses, when the provider gave them. */
	links?: TaskLinks;
	meta?: GenerationMeta;
	/** Generate and Edit fail on a failed task; Get Task reports it. */
	failOnTaskError: boolean;
}

/**
 * Waits for a task (unless told not to), then queues its image downloads in the pool — ahead
 * of items not yet started — or outputs the task itself when it is not finished.
 * Call it inside the item's pool turn; await the items after the turn ends.
 */
export async function collectTask(task: TaskToCollect): Promise<PendingItems> {
	const { input, client, options, meta } = task;
	const taskId = client.place.taskId ?? '';
	let state = task.known;
	// A status answer may bring newer addresses of the task: the next look follows them.
	let links = task.known?.links ?? task.links;
	const look = async () => {
		const looked = await lookUpTask(client, taskId, links);
		links = looked.links ?? links;
		return looked;
	};
	if (options.waitForCompletion) {
		state = await pollUntilDone({
			run: input.run,
			ctx: input.ctx,
			place: client.place,
			look,
			maxWaitSeconds: options.maxWaitSeconds,
			deadline: client.maxWaitDeadline ?? Date.now() + options.maxWaitSeconds * 1000,
			firstPollSeconds: input.provider.firstPollSeconds,
			known: task.known,
			durations: client.pace?.durations,
		});
	}
	state ??= { taskId, status: 'queued', images: [], raw: {} };
	if (state.status === 'failed' && task.failOnTaskError) throw taskFailed(client, state);
	const pairedItem = { item: input.itemIndex };
	// An agent gets JSON only: links and facts, no downloads that nobody would see.
	const asTool = runsAsTool(input.ctx);
	const json = () => (asTool ? toolResult : taskToJson)({ client, task: state, meta });
	if (state.status !== 'completed')
		return { items: [Promise.resolve({ json: json(), pairedItem })] };
	checkResults(client, state, meta);
	if (asTool) return { items: [Promise.resolve({ json: json(), pairedItem })] };
	return {
		items: downloadImages(input.pool, {
			ctx: input.ctx,
			client,
			task: state,
			meta,
			itemIndex: input.itemIndex,
			options,
		}),
	};
}

/**
 * One output item per image of a completed task, each downloaded in its turn in the pool —
 * ahead of items not yet started.
 */
export function downloadImages(
	pool: WorkPool,
	image: Omit<ImageOutput, 'index'>,
): Array<Promise<INodeExecutionData>> {
	return image.task.images.map(
		async (_, index) =>
			await pool.run(async () => await toBinaryItem({ ...image, index }), 'continue'),
	);
}

/** Generate and Edit: check the item, then submit it, wait for it and output its images. */
export async function prepareSubmission(input: ItemInput): Promise<ItemRunner> {
	const { ctx, provider, itemIndex, operation } = input;
	const options = readRunOptions(ctx, itemIndex, true);
	const plan = await provider.prepareSubmit(ctx, itemIndex, operation as SubmitOperation);
	if (input.callback && provider.callback) {
		plan.request = provider.callback.attach(plan.request, input.callback.urlFor(itemIndex));
	}
	const itemClient = await openClient(input, options);
	return async () =>
		await runTaskInPool(input, itemClient, options.maxWaitSeconds, async () => {
			// Max Wait bounds the whole item, the submission included.
			const client = options.waitForCompletion
				? itemClient.withMaxWait(options.maxWaitSeconds)
				: itemClient;
			const body = await submitOnce(client, plan);
			const { taskId, state, links } = provider.readSubmit(body, plan);
			if (!taskId) {
				throw client.error({
					message: `${provider.displayName} answered the submission without a task ID; it was not sent again, so nothing is billed twice`,
					description: JSON.stringify(body ?? null),
				});
			}
			checkProviderTaskId(client, taskId);
			if (state && state.taskId !== taskId) checkProviderTaskId(client, state.taskId);
			const task = { taskId, links: state?.links ?? links };
			if (input.callback) return readyItems([parkTask(input, task, plan.meta, options)]);
			return await collectTask({
				input,
				client: client.forTask(taskId),
				options,
				known: state,
				links: task.links,
				meta: plan.meta,
				failOnTaskError: true,
			});
		});
}

/**
 * Sends the submission once; if its answer was lost (it may have been taken), asks the provider
 * for the task it made, where it can say (findSubmission), instead of sending it again.
 */
async function submitOnce(client: ProviderClient, plan: SubmitPlan): Promise<unknown> {
	const sentAt = Date.now();
	try {
		return (await client.request(plan.request, 'submit')).body;
	} catch (error) {
		const { findSubmission } = client.provider;
		const late = client.maxWaitDeadline !== undefined && Date.now() >= client.maxWaitDeadline;
		if (!findSubmission || !mayHaveBeenTaken(error) || late) throw client.scrubError(error);
		const found = await findSubmission(client, plan, sentAt);
		if (found === undefined) throw client.scrubError(error);
		return found;
	}
}

/** In Wait Mode "Provider Callback": the submitted task, to show and to resume by. */
function parkTask(
	input: ItemInput,
	{ taskId, links }: { taskId: string; links?: TaskLinks },
	meta: GenerationMeta,
	options: RunOptions,
): INodeExecutionData {
	const { binaryPropertyName, downloadImages, maxDownloadBytes } = options;
	const { requestTimeoutSeconds, maxConcurrent, maxWaitSeconds } = options;
	const task = {
		itemIndex: input.itemIndex,
		taskId,
		links,
		deadline: Date.now() + maxWaitSeconds * 1000,
		meta,
		options: {
			binaryPropertyName,
			downloadImages,
			maxDownloadBytes,
			requestTimeoutSeconds,
			maxConcurrent,
		},
	};
	return parkedItem(task, {
		provider: input.provider.name,
		continueOnFail: input.ctx.continueOnFail(),
	});
}
