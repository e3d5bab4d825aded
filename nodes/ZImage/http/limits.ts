import { Transform } from 'node:stream';
import { sleep } from 'n8n-workflow';

import type { RunControl } from '../run';
import type { BodyStream } from './download';

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
export async function withinBounds<T>(work: Promise<T>, bounds: RequestBounds, onLate: (value: T) => void): Promise<T> {
	let lost = false;
	let expire: (error: Error) => void = () => undefined;
	const expired = new Promise<never>((_, reject) => (expire = reject));
	const cancelTimer = deadlineTimer(bounds, () => expire(new LimitError(bounds.deadlineIs)));
	const onStop = () => expire(bounds.run.error(bounds.itemIndex));
	bounds.run.signal.addEventListener('abort', onStop, { once: true });
	if (bounds.run.stopped) onStop();
	try {
		return await Promise.race([work, expired]);
	} catch (error) {
		lost = true;
		throw error;
	} finally {
		cancelTimer();
		bounds.run.signal.removeEventListener('abort', onStop);
		void work.then((value) => lost && onLate(value), () => undefined);
	}
}

/**
 * The same stream, bounded: past `maxBytes` or the deadline, or when the run stops, it is
 * destroyed with the reason, and so is its source (the connection closes: nothing more is read).
 */
export function boundStream(source: BodyStream & NodeJS.ReadableStream, bounds: RequestBounds): Transform {
	let bytes = 0;
	const bounded = new Transform({
		transform(chunk: Buffer, _encoding, done) {
			bytes += chunk.length;
			if (bytes > bounds.maxBytes) done(new LimitError('tooLarge', bytes));
			else done(null, chunk);
		},
	});
	const fail = (error: Error) => bounded.destroy(error);
	const cancelTimer = deadlineTimer(bounds, () => fail(new LimitError(bounds.deadlineIs)));
	const onStop = () => fail(bounds.run.error(bounds.itemIndex));
	bounds.run.signal.addEventListener('abort', onStop, { once: true });
	if (bounds.run.stopped) onStop();
	bounded.once('close', () => {
		cancelTimer();
		bounds.run.signal.removeEventListener('abort', onStop);
		source.destroy();
	});
	source.once('error', (error) => fail(error as Error));
	source.pipe(bounded);
	return bounded;
}

/** Reads a whole (JSON) answer within its bounds. */
export async function readBody(source: BodyStream & NodeJS.ReadableStream, bounds: RequestBounds): Promise<Buffer> {
	const chunks: Buffer[] = [];
	for await (const chunk of boundStream(source, bounds)) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks);
}
