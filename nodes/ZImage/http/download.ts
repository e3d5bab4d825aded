import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import { networkReason, retryAfterSeconds } from '../failures';
import { StoppedError } from '../run';
import type { ProviderFailure } from '../types';
import { safeUrl } from './errors';
import type { BodyStream, RequestBounds } from './limits';
import { guardStream, LimitError } from './limits';
import type { RequestContext } from './request';
import { RedirectRefused, sendRequest } from './request';
import type { RetryContext } from './retry';
import { withRetries } from './retry';

/** Enough of a file's start to know its type and, for PNG, WebP, GIF and most JPEGs, its size. */
const HEAD_BYTES = 64 * 1024;

/** A result image being received: its first bytes, and all of it (the stream, or the bytes when that was all). */
export interface IncomingImage {
	head: Buffer;
	body: BodyStream | Buffer;
	/** Whether `head` is all of it. */
	complete: boolean;
	contentType?: string;
	contentLength?: number;
}

/** A result over Max Download Size: its declared size, or (`atLeast`) what was read before stopping. */
export function tooLarge(
	url: string,
	bytes: number,
	maxBytes: number,
	atLeast = false,
): ProviderFailure {
	return {
		message: `The result image at ${safeUrl(url)} is ${atLeast ? 'more than ' : ''}${bytes} bytes, over the download limit of ${maxBytes} bytes`,
		description:
			'Raise "Max Download Size" in the node options, or turn off "Download Images" to get the URL only.',
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
async function peek(
	stream: BodyStream,
	bytes: number,
): Promise<{ head: Buffer; complete: boolean }> {
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

/** Why a result URL is never fetched, or undefined when it may be. */
function refusedScheme(url: string): string | undefined {
	let protocol: string;
	try {
		protocol = new URL(url).protocol;
	} catch {
		return 'it is not a valid URL';
	}
	return /^https?:$/.test(protocol)
		? undefined
		: `its scheme "${protocol}" is not http: or https:, so it is never fetched`;
}

/**
 * Downloads a result as a stream: its first bytes are read (to know what it is), the rest
 * flows straight into `consume` — into n8n's binary storage, never whole in memory here —
 * and stops at `maxBytes` or the deadline, whichever comes first. HTTP and connection
 * failures are tried again (downloading twice costs nothing); a verdict on the content,
 * the size or the time is final.
 */
export async function download<T>(
	request: RequestContext,
	retry: RetryContext,
	bounds: () => RequestBounds,
	url: string,
	consume: (image: IncomingImage) => Promise<T>,
): Promise<T> {
	const failed = (reason: string): ProviderFailure => ({
		message: `Downloading the result image at ${safeUrl(url)} failed: ${reason}`,
		transient: true,
	});
	/** A download that got no answer: a stop, a refused redirect and Max Wait are final, the rest is tried again. */
	const unanswered = (error: unknown): ProviderFailure => {
		if (error instanceof StoppedError) return { message: error.message, stopped: error };
		if (error instanceof RedirectRefused)
			return {
				message: `The result image at ${safeUrl(url)} was not downloaded: ${error.message}`,
			};
		if (error instanceof LimitError && error.limit === 'maxWait') return maxWaitFailure(url);
		return failed(networkReason(error));
	};
	const scheme = refusedScheme(url);
	if (scheme)
		throw retry.error({ message: `The result URL ${safeUrl(url)} was not downloaded: ${scheme}` });
	return await withRetries<T>('download', retry, async () => {
		const limits = bounds();
		let answer;
		try {
			answer = await sendRequest(request, { method: 'GET', url, purpose: 'download' }, limits);
		} catch (error) {
			return { failure: unanswered(error) };
		}
		const { statusCode: status, headers, body: source } = answer;
		if (status < 200 || status >= 300) {
			source.destroy();
			const gone = status === 404 || status === 410;
			const failure: ProviderFailure = {
				message: gone
					? `The result image at ${safeUrl(url)} is gone (HTTP ${status}); result links expire, run the generation again`
					: `Downloading the result image at ${safeUrl(url)} failed (HTTP ${status})`,
				httpCode: String(status),
				transient: status === 429 || status >= 500,
				retryAfterSeconds: retryAfterSeconds(headers),
			};
			// A CDN's 429 is not the provider's limit: the pool is not slowed for it.
			return { failure };
		}
		const contentLength = Number(headers['content-length']);
		if (contentLength > limits.maxBytes) {
			source.destroy();
			throw retry.error(tooLarge(url, contentLength, limits.maxBytes));
		}
		guardStream(source, limits);
		const stream = source;
		let verdict: unknown;
		try {
			const { head, complete } = await peek(stream, HEAD_BYTES);
			const contentType =
				typeof headers['content-type'] === 'string' ? headers['content-type'] : undefined;
			const body = complete ? head : stream;
			return {
				value: await consume({
					head,
					body,
					complete,
					contentType,
					contentLength: contentLength || undefined,
				}),
			};
		} catch (error) {
			stream.destroy();
			verdict = error;
		}
		// Our own verdict on the content, its size or its time stands; a broken transfer is tried again.
		if (verdict instanceof NodeApiError || verdict instanceof NodeOperationError) throw verdict;
		if (verdict instanceof LimitError) {
			if (verdict.limit === 'tooLarge')
				throw retry.error(tooLarge(url, limits.maxBytes, limits.maxBytes, true));
			if (verdict.limit === 'maxWait') throw retry.error(maxWaitFailure(url));
			return { failure: failed('no answer came within the request timeout') };
		}
		return { failure: failed('the transfer broke off') };
	});
}

function maxWaitFailure(url: string): ProviderFailure {
	return {
		message: `Max Wait ran out while downloading the result image at ${safeUrl(url)}`,
		description:
			'Raise "Max Wait" in the node options, or turn off "Download Images" to get the URL only.',
	};
}
