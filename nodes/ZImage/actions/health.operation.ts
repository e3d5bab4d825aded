import type { ItemRunner, OperationInput } from './common';
import { openClient } from './common';

/** Reachability and key check, at no cost. */
export async function prepare(input: OperationInput): Promise<ItemRunner> {
	const { provider, itemIndex } = input;
	const client = await openClient(input);
	return async () => {
		const result = await provider.health(client);
		return [{ json: { provider: provider.name, ...result }, pairedItem: { item: itemIndex } }];
	};
}
