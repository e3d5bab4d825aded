import type { ZImageOperation } from './operation';
import { openClient, readyItems, runInPool } from './operation';

/** Reachability and key check, at no cost. */
export const health: ZImageOperation = {
	fields: [],
	async prepare(input) {
		const { provider, itemIndex } = input;
		const client = await openClient(input);
		return async () =>
			await runInPool(input, client, async () => {
				const result = await provider.health(client);
				return readyItems([
					{ json: { provider: provider.name, ...result }, pairedItem: { item: itemIndex } },
				]);
			});
	},
};
