import type { IDataObject, INodeProperties } from 'n8n-workflow';

import { splitTaskIds } from '../validation';
import type { ItemRunner, OperationInput } from './common';
import { checkTaskId, finished, inTurn, openClient } from './common';

export const description: INodeProperties[] = [
	{
		displayName: 'Task IDs',
		name: 'taskId',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'abcd_123, abcd_456',
		description: 'One or more task IDs, separated by commas',
		displayOptions: { show: { operation: ['deleteTask'] } },
	},
];

export async function prepare(input: OperationInput): Promise<ItemRunner> {
	const { ctx, provider, itemIndex } = input;
	const text = String(ctx.getNodeParameter('taskId', itemIndex, ''));
	const ids = splitTaskIds(text).map((id) => checkTaskId(input, id, 'Task IDs'));
	if (!ids.length) checkTaskId(input, text, 'Task IDs');
	const deleteRequest = provider.deleteRequest;
	const client = await openClient(input);
	if (!deleteRequest) throw client.error({ message: `${provider.displayName} cannot delete tasks` });
	return async () =>
		await inTurn(input, async () => {
			// Deleting the same task twice changes nothing, so transient failures may be retried.
			const body = await client.send(deleteRequest(ids), 'read');
			return finished([
				{
					json: { provider: provider.name, deleted: ids, raw: (body ?? {}) as IDataObject },
					pairedItem: { item: itemIndex },
				},
			]);
		});
}
