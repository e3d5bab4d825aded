import type { IDataObject } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { invalidInput, readText, splitTaskIds } from '../validation';
import type { ZImageOperation } from './operation';
import { checkTaskId, openClient, readyItems, runInPool } from './operation';

/** Task ids one Delete Task item may name. */
const MAX_DELETE = 100;

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
		const text = readText(ctx, itemIndex, 'taskId', 'Task IDs');
		const ids = splitTaskIds(text);
		if (ids.length > MAX_DELETE) {
			throw invalidInput(
				ctx,
				itemIndex,
				'Task IDs',
				text,
				`at most ${MAX_DELETE} task IDs at once, this has ${ids.length}`,
			);
		}
		ids.forEach((id) => checkTaskId(input, id, 'Task IDs'));
		if (!ids.length) checkTaskId(input, text, 'Task IDs');
		const { deleteRequest, cancelRequest } = provider;
		const client = await openClient(input);
		if (!deleteRequest && !cancelRequest)
			throw client.error({ message: `${provider.displayName} cannot delete tasks` });
		// One request for all, or (a provider that cancels) one per task.
		const requests = deleteRequest
			? [deleteRequest(ids)]
			: ids.map((id) => (cancelRequest as NonNullable<typeof cancelRequest>)(id));
		return async () =>
			await runInPool(input, client, async () => {
				// Deleting the same task twice changes nothing, so transient failures may be retried.
				const bodies: IDataObject[] = [];
				for (const request of requests) {
					const { body } = await client.request(request, 'housekeeping');
					bodies.push((body ?? {}) as IDataObject);
				}
				const raw = deleteRequest ? bodies[0] : bodies;
				const json = { provider: provider.name, deleted: ids, raw } as IDataObject;
				return readyItems([{ json, pairedItem: { item: itemIndex } }]);
			});
	},
};
