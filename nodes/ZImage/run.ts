import { NodeOperationError, sleep } from 'n8n-workflow';

import type { NodeContext } from './types';

/** The execution's cancel signal; a resume call has none (it ends with its HTTP request). */
export function cancelSignalOf(ctx: NodeContext): AbortSignal | undefined {
	return 'getExecutionCancelSignal' in ctx ? ctx.getExecutionCancelSignal() : undefined;
}

/**
 * One execution's stop switch. It trips when the user cancels the execution, or when an item
 * fails and Continue On Fail is off: the run is lost, so nothing new starts (no new paid
 * generation), waits end, and requests in flight are abandoned within moments.
 */
export class RunControl {
	private readonly controller = new AbortController();
	private reason?: 'cancelled' | 'failed';
	private readonly onCancel = () => this.stop('cancelled');
	private readonly cancelSignal?: AbortSignal;

	constructor(
		private readonly ctx: NodeContext,
		private readonly continueOnFail: boolean,
	) {
		this.cancelSignal = cancelSignalOf(ctx);
		if (this.cancelSignal?.aborted) this.stop('cancelled');
		else this.cancelSignal?.addEventListener('abort', this.onCancel, { once: true });
	}

	/** Aborted once the run is stopped, for whatever reason. */
	get signal(): AbortSignal {
		return this.controller.signal;
	}

	get stopped(): boolean {
		return this.reason !== undefined;
	}

	stop(reason: 'cancelled' | 'failed'): void {
		if (this.reason) return;
		this.reason = reason;
		this.controller.abort();
	}

	/**
	 * An item failed: without Continue On Fail the run is lost, so it stops at once — before
	 * the failed item's pool turn passes to an item not yet started.
	 */
	itemFailed(): void {
		if (!this.continueOnFail) this.stop('failed');
	}

	/** Lets go of the execution's cancel signal once the node is done. */
	dispose(): void {
		this.cancelSignal?.removeEventListener('abort', this.onCancel);
	}

	/** The error of an item that was stopped, saying why. */
	error(itemIndex: number): StoppedError {
		return new StoppedError(this.ctx, itemIndex, this.reason ?? 'cancelled');
	}

	/** Throws the stop error when the run is stopped. */
	check(itemIndex: number): void {
		if (this.reason) throw this.error(itemIndex);
	}

	/** Waits `ms`, but ends at once (by throwing) when the run is stopped. */
	async wait(ms: number, itemIndex: number): Promise<void> {
		this.check(itemIndex);
		if (ms > 0) await this.race(sleep(ms, this.signal).catch(() => undefined));
		this.check(itemIndex);
	}

	/**
	 * Settles with `work`, or as soon as the run is stopped (then `work` is left to end on
	 * its own). Also covers the `sleep` of older n8n versions, which takes no abort signal.
	 */
	async race<T>(work: Promise<T>): Promise<T | undefined> {
		const signal = this.signal;
		if (signal.aborted) return undefined;
		let onAbort: (() => void) | undefined;
		const stopped = new Promise<undefined>((resolve) => {
			onAbort = () => resolve(undefined);
			signal.addEventListener('abort', onAbort, { once: true });
		});
		try {
			return await Promise.race([work, stopped]);
		} finally {
			if (onAbort) signal.removeEventListener('abort', onAbort);
		}
	}
}

/** An item that did not fail on its own: the execution was cancelled, or another item failed. */
export class StoppedError extends NodeOperationError {
	constructor(
		ctx: NodeContext,
		itemIndex: number,
		readonly reason: 'cancelled' | 'failed',
	) {
		super(
			ctx.getNode(),
			reason === 'cancelled'
				? 'The execution was cancelled'
				: 'Stopped: another item failed and Continue On Fail is off, so no further work was started',
			{ itemIndex },
		);
	}
}
