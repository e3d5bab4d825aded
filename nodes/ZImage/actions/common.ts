import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import type { RunOptions } from '../options';
import { taskToJson, toBinaryItems } from '../output';
import { pollUntilDone } from '../poller';
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
}

export async function openClient(
	input: OperationInput,
	options?: Pick<RunOptions, 'requestTimeoutSeconds'>,
): Promise<ProviderClient> {
	return await ProviderClient.create(
		input.ctx,
		input.provider,
		{ operation: input.operation, itemIndex: input.itemIndex },
		{ timeoutSeconds: options?.requestTimeoutSeconds },
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

export function taskFailedError(
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

/**
 * Waits for a task (unless told not to), then outputs its images, or the task itself when
 * it is not finished or images are not wanted.
 */
export async function settleTask(
	input: OperationInput,
	client: ProviderClient,
	taskId: string,
	options: RunOptions,
	initial: TaskState | undefined,
	meta: GenerationMeta | undefined,
	failOnTaskError: boolean,
): Promise<INodeExecutionData[]> {
	const { ctx, provider, itemIndex } = input;
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
	if (state.status === 'completed') {
		return await toBinaryItems(ctx, taskClient, provider, state, meta, itemIndex, options);
	}
	return [{ json: taskToJson(taskClient, provider, state, meta), pairedItem: { item: itemIndex } }];
}
