export type Result<R> = { ok: true; value: R } | { ok: false; error: unknown };

/** What one piece of work came to: its value, or the error it threw. */
export async function toResult<R>(work: () => Promise<R>): Promise<Result<R>> {
	try {
		return { ok: true, value: await work() };
	} catch (error) {
		return { ok: false, error };
	}
}

/**
 * Work that is already under way (a finished task's downloads) goes before work not yet
 * begun (the next item), so that an item is finished before another is started.
 */
export type JobPriority = 'continue' | 'start';

/**
 * The one bounded pool of an execution: items and the downloads of their images take turns
 * in it, at most `limit` at a time (a provider's limits are paced per key: pacing/).
 */
export class WorkPool {
	private running = 0;
	private readonly waiting: Record<JobPriority, Array<() => void>> = { continue: [], start: [] };

	constructor(private readonly limit: number) {}

	get concurrency(): number {
		return this.limit;
	}

	async run<T>(job: () => Promise<T>, priority: JobPriority = 'start'): Promise<T> {
		await this.acquire(priority);
		try {
			return await job();
		} finally {
			this.running--;
			this.pump();
		}
	}

	private async acquire(priority: JobPriority): Promise<void> {
		await new Promise<void>((resolve) => {
			this.waiting[priority].push(resolve);
			this.pump();
		});
	}

	private pump(): void {
		while (this.running < this.limit) {
			const next = this.waiting.continue.shift() ?? this.waiting.start.shift();
			if (!next) break;
			this.running++;
			next();
		}
	}
}
