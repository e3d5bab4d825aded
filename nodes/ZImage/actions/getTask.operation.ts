import type { INodeProperties } from 'n8n-workflow';

import { readRunOptions } from '../options';
import type { ItemRunner, OperationInput } from './common';
import { checkTaskId, fetchTask, inTurn, openClient, settleTask } from './common';

export const description: INodeProperties[] = [
	{
		displayName: 'Task ID',
		name: 'taskId',
		type: 'string',
		required: true,
		default: '',
		description: 'The task ID a Generate or Edit returned (with "Wait for Completion" off)',
		displayOptions: { show: { operation: ['getTask'] } },
	},
];

/** Looks a task up; with "Wait for Completion" it waits and outputs the images like Generate. */
export async function prepare(input: OperationInput): Promise<ItemRunner> {
	const { ctx, provider, itemIndex } = input;
	const options = readRunOptions(ctx, itemIndex, false);
	const taskId = checkTaskId(input, String(ctx.getNodeParameter('taskId', itemIndex, '')));
	const client = await openClient(input, options);
	return async () =>
		await inTurn(input, async () => {
			const state = await fetchTask(client.forTask(taskId), provider, taskId);
			return await settleTask(input, client, taskId, options, state, undefined, false);
		});
}
