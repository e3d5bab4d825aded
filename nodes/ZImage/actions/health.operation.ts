import type { ItemRunner, OperationInput } from './common';
import { finished, inTurn, openClient } from './common';

/** Reachability and key check, at no cost. */
export async function prepare(input: OperationInput): Promise<ItemRunner> {
	const { provider, itemIndex } = input;
	const client = await openClient(input);
	return async () =>
		await inTurn(input, async () => {
			const result = await provider.health(client);
			return finished([{ json: { provider: provider.name, ...result }, pairedItem: { item: itemIndex } }]);
		});
}
