export type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };

/** The outcome of one piece of work, failure included. */
export async function settle<R>(work: () => Promise<R>): Promise<Settled<R>> {
	try {
		return { ok: true, value: await work() };
	} catch (error) {
		return { ok: false, error };
	}
}

/**
 * Runs `worker` over every item with at most `limit` running at once and returns the
 * outcomes in input order; one item's failure never stops the others.
 */
export async function mapWithConcurrency<T, R>(
	items: readonly T[],
	limit: number,
	worker: (item: T, index: number) => Promise<R>,
): Promise<Array<Settled<R>>> {
	const results = new Array<Settled<R>>(items.length);
	let next = 0;
	const lane = async (): Promise<void> => {
		while (next < items.length) {
			const index = next++;
			results[index] = await settle(async () => await worker(items[index], index));
		}
	};
	const lanes = Math.max(1, Math.min(Math.floor(limit), items.length));
	await Promise.all(Array.from({ length: lanes }, lane));
	return results;
}
