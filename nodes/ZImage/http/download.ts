import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import { cancelledError, isCancelled } from '../cancel';
import { networkReason, retryAfterSeconds } from '../failures';
import type { ProviderFailure } from '../types';
import { safeUrl } from './errors';
import type { RequestContext } from './request';
import { buildRequestOptions, sendRequest } from './request';
import type { RetryContext } from './retry';
import { withRetries } from './retry';

/** Enough of a file's start to know its type and, for PNG, WebP, GIF and most JPEGs, its size. */
const HEAD_BYTES = 64 * 1024;

/** The parts of a Node.js readable stream used here (n8n's helper hands back an IncomingMessage). */
export interface BodyStream {
	read(size?: number): Buffer | null;
	unshift(chunk: Buffer): void;
	once(event: string, listener: (...args: unknown[]) => void): unknown;
	removeListener(event: string, listener: (...args: unknown[]) => void): unknown;
	destroy(error?: Error): unknown;
	readableEnded?: boolean;
}

/** A result image being received: its first bytes, and all of it (the stream, or the bytes when that was all). */
export interface IncomingImage {
	head: Buffer;
	body: BodyStream | Buffer;
	contentType?: string;
	contentLength?: number;
}

export function tooLarge(url: string, bytes: number, maxBytes: number): ProviderFailure {
	return {
		message: `The result image at ${safeUrl(url)} is ${bytes} bytes, over the download limit of ${maxBytes} bytes`,
		description: 'Raise "Max Download Size" in the node options, or turn off "Download Images" to get the URL only.',
	};
}

/** Waits until the stream has data or has ended; true when it ended. */
async function readableOrEnded(stream: BodyStream): Promise<boolean> {
	return await new Promise<boolean>((resolve, reject) => {
		const onReadable = () => done(false);
		const onEnd = () => done(true);
		const onError = (error: unknown) => {
			cleanup();
			reject(error);
		};
		const cleanup = () => {
			stream.removeListener('readable', onReadable);
			stream.removeListener('end', onEnd);
			stream.removeListener('error', onError);
		};
		const done = (ended: boolean) => {
			cleanup();
			resolve(ended);
		};
		stream.once('readable', onReadable);
		stream.once('end', onEnd);
		stream.once('error', onError);
	});
}

/**
 * Reads up to `bytes` from the start of a stream and puts them back, so the stream is
 * whole again — unless that was all of it (`complete`): an ended stream takes nothing back.
 */
async function peek(stream: BodyStream, bytes: number): Promise<{ head: Buffer; complete: boolean }> {
	let complete = false;
	const chunks: Buffer[] = [];
	let size = 0;
	while (size < bytes) {
		const chunk = stream.read();
		if (chunk !== null) {
			chunks.push(chunk);
			size += chunk.length;
		} else if (stream.readableEnded || (await readableOrEnded(stream))) {
			complete = true;
			break;
		}
	}
	const head = Buffer.concat(chunks);
	if (!complete && head.length > 0) stream.unshift(head);
	return { head, complete };
}

/**
 * Downloads a result as a stream: its first bytes are read (to know what it is), the rest
 * flows straight into `consume` — into n8n's binary storage, never whole in memory here.
 * HTTP and connection failures are tried again (downloading twice costs nothing); an error
 * `consume` raises about the content is final.
 */
export async function download<T>(
	request: RequestContext,
	retry: RetryContext,
	url: string,
	maxBytes: number,
	consume: (image: IncomingImage) => Promise<T>,
): Promise<T> {
	const failed = (reason: string): ProviderFailure => ({
		message: `Downloading the result image at ${safeUrl(url)} failed: ${reason}`,
		transient: true,
	});
	const options = buildRequestOptions(request, url, { method: 'GET', stream: true });
	return await withRetries<T>('download', retry, async () => {
		let response;
		try {
			response = await sendRequest(request, { ...options });
		} catch (error) {
			if (isCancelled(retry.ctx)) throw cancelledError(retry.ctx, retry.itemIndex);
			return { failure: failed(networkReason(error)) };
		}
		const stream = response.body as BodyStream | undefined;
		const status = response.statusCode;
		if (status < 200 || status >= 300 || !stream) {
			stream?.destroy();
			const gone = status === 404 || status === 410;
			const failure: ProviderFailure = {
				message: gone
					? `The result image at ${safeUrl(url)} is gone (HTTP ${status}); result links expire, run the generation again`
					: `Downloading the result image at ${safeUrl(url)} failed (HTTP ${status})`,
				httpCode: String(status),
				transient: status === 429 || status >= 500,
				retryAfterSeconds: retryAfterSeconds(response.headers ?? {}),
			};
			// A CDN's 429 is not the provider's limit: the pool is not slowed for it.
			return { failure };
		}
		const headers = response.headers ?? {};
		const contentLength = Number(headers['content-length']);
		if (contentLength > maxBytes) {
			stream.destroy();
			throw retry.error(tooLarge(url, contentLength, maxBytes));
		}
		let verdict: unknown;
		try {
			const { head, complete } = await peek(stream, HEAD_BYTES);
			const contentType = typeof headers['content-type'] === 'string' ? headers['content-type'] : undefined;
			const body = complete ? head : stream;
			return { value: await consume({ head, body, contentType, contentLength: contentLength || undefined }) };
		} catch (error) {
			stream.destroy();
			verdict = error;
		}
		if (isCancelled(retry.ctx)) throw cancelledError(retry.ctx, retry.itemIndex);
		// Our own verdict on the content stands; a broken transfer is tried again.
		if (verdict instanceof NodeApiError || verdict instanceof NodeOperationError) throw verdict;
		return { failure: failed('the transfer broke off') };
	});
}
