import type { ZImageOperation } from './operation';
import { openClient, readyItems, runInPool } from './operation';

/** An operation only some providers have (e.g. the self-hosted server's housekeeping): one item per result. */
export const providerOperation: ZImageOperation = {
	fields: [],
	async prepare(input) {
		const { provider, itemIndex, operation } = input;
		const run = provider.ownOperations?.[operation];
		const client = await openClient(input);
		if (!run)
			throw client.error({ message: `${provider.displayName} has no "${operation}" operation` });
		return async () =>
			await runInPool(input, client, async () => {
				const result = await run(client);
				return readyItems(
					(Array.isArray(result) ? result : [result]).map((json) => ({
						json: { provider: provider.name, ...json },
						pairedItem: { item: itemIndex },
					})),
				);
			});
	},
};
