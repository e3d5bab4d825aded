import type { IDataObject } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { splitTaskIds } from '../validation';
import type { ZImageOperation } from './operation';
import { checkTaskId, openClient, readyItems, runInPool } from './operation';

/** Deletes one or more tasks (where the provider can). */
export const deleteTask: ZImageOperation = {
	fields: updateDisplayOptions({ show: { operation: ['deleteTask'] } }, [
		{
			displayName: 'Task IDs',
			name: 'taskId',
			type: 'string',
			required: true,
			default: '',
			placeholder: 'abcd_123, abcd_456',
			description: 'One or more task IDs, separated by commas',
		},
	]),
	async prepare(input) {
		const { ctx, provider, itemIndex } = input;
		const text = String(ctx.getNodeParameter('taskId', itemIndex, ''));
		const ids = splitTaskIds(text).map((id) => checkTaskId(input, id, 'Task IDs'));
		if (!ids.length) checkTaskId(input, text, 'Task IDs');
		const deleteRequest = provider.deleteRequest;
		const client = await openClient(input);
		if (!deleteRequest) throw client.error({ message: `${provider.displayName} cannot delete tasks` });
		return async () =>
			await runInPool(input, async () => {
				// Deleting the same task twice changes nothing, so transient failures may be retried.
				const { body } = await client.request(deleteRequest(ids), 'housekeeping');
				const json = { provider: provider.name, deleted: ids, raw: (body ?? {}) as IDataObject };
				return readyItems([{ json, pairedItem: { item: itemIndex } }]);
			});
	},
};
