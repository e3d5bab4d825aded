import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import type { RunOptions } from '../options';
import { taskToJson, toBinaryItem } from '../output';
import { pollUntilDone } from '../poller';
import type { WorkPool } from '../pool';
import type { GenerationMeta, TaskState, ZImageProvider } from '../providers/types';
import { describeWhere, ProviderClient } from '../transport';
import { invalidInput } from '../validation';

/** Runs one item's work once every item has passed its checks. */
export type ItemRunner = () => Promise<INodeExecutionData[]>;

export interface OperationInput {
	ctx: IExecuteFunctions;
	provider: ZImageProvider;
	itemIndex: number;
	operation: string;
	/** The execution's one bounded pool: every item's work takes its turn in it. */
	pool: WorkPool;
}

export async function openClient(
	input: OperationInput,
	options?: Pick<RunOptions, 'requestTimeoutSeconds'>,
): Promise<ProviderClient> {
	return await ProviderClient.create(
		input.ctx,
		input.provider,
		{ operation: input.operation, itemIndex: input.itemIndex },
		{
			timeoutSeconds: options?.requestTimeoutSeconds,
			onRateLimited: (seconds) => input.pool.slowDown(seconds),
		},
	);
}

export function checkTaskId(input: OperationInput, taskId: string, field = 'Task ID'): string {
	const { ctx, provider, itemIndex } = input;
	const id = taskId.trim();
	if (!id) throw invalidInput(ctx, itemIndex, field, taskId, 'a task ID is required');
	const problem = provider.checkTaskId?.(id);
	if (problem) throw invalidInput(ctx, itemIndex, field, id, problem);
	return id;
}

/** One look at a task, in the shared vocabulary. */
export async function fetchTask(
	client: ProviderClient,
	provider: ZImageProvider,
	taskId: string,
): Promise<TaskState> {
	if (!provider.statusRequest) {
		throw client.error({ message: `${provider.displayName} cannot look tasks up` });
	}
	const body = await client.send(provider.statusRequest(taskId), 'read');
	const state = provider.readTask(body, taskId);
	if (!state) {
		throw client.error({
			message: `${provider.displayName} answered the status request in a form the node cannot read`,
			description: client.redact(JSON.stringify(body ?? null).slice(0, 300)),
		});
	}
	return state;
}

function taskFailedError(
	input: OperationInput,
	client: ProviderClient,
	state: TaskState,
): NodeOperationError {
	const code = state.error?.code ? `${state.error.code}: ` : '';
	const reason = state.error?.message ?? 'no reason given';
	const error = new NodeOperationError(
		input.ctx.getNode(),
		client.redact(`${describeWhere(input.provider, client.where)}: the task failed: ${code}${reason}`),
		{ itemIndex: input.itemIndex, description: `Task ID: ${state.taskId}` },
	);
	error.context.taskId = state.taskId;
	return error;
}

/** Output items still being produced: a finished task's image downloads, already queued. */
export interface Outcome {
	items: Array<Promise<INodeExecutionData>>;
}

export const finished = (items: INodeExecutionData[]): Outcome => ({ items: items.map(async (item) => item) });

/**
 * Waits for a task (unless told not to), then queues its image downloads in the pool — ahead
 * of items not yet started — or outputs the task itself when it is not finished.
 * Call it inside the item's pool turn; await the outcome's items after the turn ends.
 */
export async function settleTask(
	input: OperationInput,
	client: ProviderClient,
	taskId: string,
	options: RunOptions,
	initial: TaskState | undefined,
	meta: GenerationMeta | undefined,
	failOnTaskError: boolean,
): Promise<Outcome> {
	const { ctx, provider, itemIndex, pool } = input;
	const taskClient = client.forTask(taskId);
	let state = initial;
	if (options.waitForCompletion) {
		state = await pollUntilDone(
			ctx,
			async () => await fetchTask(taskClient, provider, taskId),
			{
				taskId,
				itemIndex,
				maxWaitSeconds: options.maxWaitSeconds,
				firstPollSeconds: provider.firstPollSeconds,
				where: describeWhere(provider, taskClient.where),
				providerName: provider.displayName,
			},
			initial,
		);
	}
	state ??= { taskId, status: 'queued', images: [], raw: {} };
	if (state.status === 'failed' && failOnTaskError) throw taskFailedError(input, taskClient, state);
	if (state.status !== 'completed') {
		return finished([{ json: taskToJson(taskClient, provider, state, meta), pairedItem: { item: itemIndex } }]);
	}
	if (state.images.length === 0) {
		throw taskClient.error({ message: 'The task completed but the provider returned no images' });
	}
	const done = state;
	return {
		items: done.images.map(
			async (_, index) =>
				await pool.run(
					async () => await toBinaryItem(ctx, taskClient, provider, done, meta, itemIndex, options, index),
					'continue',
				),
		),
	};
}

/** Runs an item's main work in its pool turn, then collects the outputs it queued. */
export async function inTurn(input: OperationInput, work: () => Promise<Outcome>): Promise<INodeExecutionData[]> {
	const outcome = await input.pool.run(work);
	return await Promise.all(outcome.items);
}
