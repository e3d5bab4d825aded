import type { IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError, sleep } from 'n8n-workflow';

export function isCancelled(ctx: IExecuteFunctions): boolean {
	return ctx.getExecutionCancelSignal()?.aborted === true;
}

export function cancelledError(ctx: IExecuteFunctions, itemIndex: number): NodeOperationError {
	return new NodeOperationError(ctx.getNode(), 'The execution was cancelled', { itemIndex });
}

/**
 * Waits `ms`, but returns at once (by throwing) when the execution is cancelled:
 * n8n-workflow's `sleep` cannot be aborted, so it races the execution's cancel signal.
 */
export async function waitOrCancel(
	ctx: IExecuteFunctions,
	ms: number,
	itemIndex: number,
): Promise<void> {
	const signal = ctx.getExecutionCancelSignal();
	if (signal?.aborted) throw cancelledError(ctx, itemIndex);
	if (ms <= 0) return;
	if (!signal) {
		await sleep(ms);
		return;
	}
	let onAbort: (() => void) | undefined;
	const aborted = new Promise<void>((resolve) => {
		onAbort = resolve;
		signal.addEventListener('abort', onAbort, { once: true });
	});
	try {
		await Promise.race([sleep(ms), aborted]);
	} finally {
		if (onAbort) signal.removeEventListener('abort', onAbort);
	}
	if (signal.aborted) throw cancelledError(ctx, itemIndex);
}
