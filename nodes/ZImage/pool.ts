import { sleep } from 'n8n-workflow';

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
 * in it, at most `limit` at a time. A provider's "too many requests" slows it down.
 */
export class WorkPool {
	private running = 0;
	private readonly waiting: Record<JobPriority, Array<() => void>> = { continue: [], start: [] };
	private pausedUntil = 0;
	private resumeScheduled = false;

	constructor(private limit: number) {}

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

	/**
	 * A provider said "too many requests": start nothing new for `seconds`, and from then on
	 * run half as many jobs at once (never fewer than one).
	 */
	slowDown(seconds: number): void {
		this.pausedUntil = Math.max(this.pausedUntil, Date.now() + seconds * 1000);
		this.limit = Math.max(1, Math.ceil(this.limit / 2));
	}

	private async acquire(priority: JobPriority): Promise<void> {
		await new Promise<void>((resolve) => {
			this.waiting[priority].push(resolve);
			this.pump();
		});
	}

	private pump(): void {
		const pause = this.pausedUntil - Date.now();
		while (this.running < this.limit) {
			const next =
				this.waiting.continue.shift() ?? (pause > 0 ? undefined : this.waiting.start.shift());
			if (!next) break;
			this.running++;
			next();
		}
		if (pause > 0 && this.waiting.start.length > 0 && !this.resumeScheduled) {
			this.resumeScheduled = true;
			void sleep(pause).then(() => {
				this.resumeScheduled = false;
				this.pump();
			});
		}
	}
}
