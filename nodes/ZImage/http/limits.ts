import { sleep } from 'n8n-workflow';

import type { RunControl } from '../run';

/** The parts of a Node.js readable stream used here (n8n's helper hands back an IncomingMessage). */
export interface BodyStream extends AsyncIterable<unknown> {
	read(size?: number): Buffer | null;
	push(chunk: Buffer | null, encoding?: BufferEncoding): boolean;
	unshift(chunk: Buffer): void;
	once(event: string, listener: (...args: unknown[]) => void): unknown;
	removeListener(event: string, listener: (...args: unknown[]) => void): unknown;
	destroy(error?: Error): unknown;
	readableEnded?: boolean;
}

/** What bounds one request: when it must be over, how large its answer may be, and the run's stop switch. */
export interface RequestBounds {
	/** Epoch ms by which the whole request (headers and body) must be done. */
	deadline: number;
	/** What sets the deadline: the request timeout, or Max Wait running out first. */
	deadlineIs: 'requestTimeout' | 'maxWait';
	maxBytes: number;
	run: RunControl;
	itemIndex: number;
}

/** A request that went past what the user allowed: too slow or too large. */
export class LimitError extends Error {
	constructor(
		readonly limit: 'requestTimeout' | 'maxWait' | 'tooLarge',
		readonly bytes = 0,
	) {
		super(limit === 'tooLarge' ? `over the size limit (${bytes} bytes read)` : `over the ${limit}`);
	}
}

/** Calls `onExpiry` at the deadline unless cancelled first; n8n's own `sleep` keeps the time. */
function deadlineTimer(bounds: RequestBounds, onExpiry: () => void): () => void {
	const timer = new AbortController();
	void sleep(Math.max(0, bounds.deadline - Date.now()), timer.signal).then(
		() => !timer.signal.aborted && onExpiry(),
		() => undefined,
	);
	return () => timer.abort();
}

/**
 * Settles with `work`, or fails at the deadline or when the run stops. Work that ends after
 * that is handed to `onLate` (to close the answer it brought).
 */
export async function withinBounds<T>(
	work: Promise<T>,
	bounds: RequestBounds,
	onLate: (value: T) => void,
): Promise<T> {
	let expire: (error: Error) => void = () => undefined;
	const expired = new Promise<never>((_, reject) => (expire = reject));
	const cancelTimer = deadlineTimer(bounds, () => expire(new LimitError(bounds.deadlineIs)));
	const onStop = () => expire(bounds.run.error(bounds.itemIndex));
	bounds.run.signal.addEventListener('abort', onStop, { once: true });
	if (bounds.run.stopped) onStop();
	const winner = await Promise.race([work, expired]).then(
		(value) => ({ value }),
		(error: unknown) => ({ error }),
	);
	cancelTimer();
	bounds.run.signal.removeEventListener('abort', onStop);
	if ('value' in winner) return winner.value;
	void work.then(onLate, () => undefined);
	throw winner.error;
}

/**
 * Bounds a stream where its data comes in: past `maxBytes` or the deadline, or when the run
 * stops, it is destroyed with the reason (the connection closes, nothing more is read) and
 * whoever reads it gets that error. Done on the stream itself, whatever reads it afterwards.
 */
export function guardStream(source: BodyStream, bounds: RequestBounds): void {
	let bytes = 0;
	const fail = (error: Error) => source.destroy(error);
	const push = source.push.bind(source);
	source.push = (chunk: Buffer | null, encoding?: BufferEncoding) => {
		bytes += chunk?.length ?? 0;
		if (bytes <= bounds.maxBytes) return push(chunk, encoding);
		fail(new LimitError('tooLarge', bytes));
		return false;
	};
	const cancelTimer = deadlineTimer(bounds, () => fail(new LimitError(bounds.deadlineIs)));
	const onStop = () => fail(bounds.run.error(bounds.itemIndex));
	bounds.run.signal.addEventListener('abort', onStop, { once: true });
	if (bounds.run.stopped) onStop();
	source.once('close', () => {
		cancelTimer();
		bounds.run.signal.removeEventListener('abort', onStop);
	});
}

/** Reads a whole (JSON) answer within its bounds. */
export async function readBody(source: BodyStream, bounds: RequestBounds): Promise<Buffer> {
	guardStream(source, bounds);
	const chunks: Buffer[] = [];
	for await (const chunk of source) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks);
}
