import type { IDataObject, IExecuteFunctions, IHttpRequestOptions, JsonObject } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import { cancelledError, isCancelled, waitOrCancel } from './cancel';
import type {
	HttpAnswer,
	ProviderCall,
	ProviderFailure,
	ProviderRequest,
	ZImageProvider,
} from './providers/types';

/** Where an error happened, so that every message names provider, operation and task. */
export interface CallContext {
	operation: string;
	itemIndex: number;
	taskId?: string;
}

export interface TransportOptions {
	/** Per-request timeout set on the node; 0 or absent: the credential's, else the provider's. */
	timeoutSeconds?: number;
	/** How many times a read (status, download) is tried again after a transient failure. */
	readRetries?: number;
	/** How many times a submit the provider did not accept (429/503) is sent again. */
	submitRetries?: number;
	/** Told when the provider says "too many requests", with the seconds it asked for. */
	onRateLimited?: (seconds: number) => void;
}

const DEFAULT_READ_RETRIES = 4;
const DEFAULT_SUBMIT_RETRIES = 3;
/** Never sit longer than this on one Retry-After. */
const MAX_RETRY_WAIT_SECONDS = 60;

/** Removes every secret from a text that may reach the user. */
export function redact(text: string, secrets: string[]): string {
	let out = text;
	for (const secret of secrets) {
		if (secret && secret.length >= 4) out = out.split(secret).join('***');
	}
	return out;
}

export function describeWhere(provider: ZImageProvider, where: CallContext): string {
	const task = where.taskId ? `, task ${where.taskId}` : '';
	return `${provider.displayName} (${where.operation}${task})`;
}

/** The error a user sees for a provider failure: provider, operation, task, then the cause. */
export function providerError(
	ctx: IExecuteFunctions,
	provider: ZImageProvider,
	where: CallContext,
	failure: ProviderFailure,
	secrets: string[] = [],
): NodeApiError {
	const message = redact(`${describeWhere(provider, where)}: ${failure.message}`, secrets);
	const description = failure.description ? redact(failure.description, secrets) : undefined;
	const payload: JsonObject = { message };
	if (description) payload.description = description;
	if (failure.httpCode) payload.httpCode = failure.httpCode;
	if (where.taskId) payload.taskId = where.taskId;
	const error = new NodeApiError(ctx.getNode(), payload, {
		message,
		description,
		httpCode: failure.httpCode,
		itemIndex: where.itemIndex,
	});
	if (where.taskId) error.context.taskId = where.taskId;
	return error;
}

function toFormData(fields: NonNullable<ProviderRequest['form']>): FormData {
	const form = new FormData();
	for (const field of fields) {
		if ('file' in field) {
			form.append(field.field, new Blob([field.file], { type: field.mimeType }), field.fileName);
		} else {
			form.append(field.field, field.value);
		}
	}
	return form;
}

function errorCode(error: unknown): string | undefined {
	const e = error as { code?: unknown; cause?: { code?: unknown } };
	const code = e?.cause?.code ?? e?.code;
	return typeof code === 'string' ? code : undefined;
}

const NETWORK_REASONS: Record<string, string> = {
	ECONNRESET: 'the connection was reset',
	EPIPE: 'the connection was reset',
	ECONNREFUSED: 'the connection was refused (is the server running?)',
	ENOTFOUND: 'the host name could not be resolved',
	EAI_AGAIN: 'the host name could not be resolved',
	ETIMEDOUT: 'no answer came within the request timeout',
	ECONNABORTED: 'no answer came within the request timeout',
	ERR_CANCELED: 'the request was cancelled',
};

/** A thrown network error in plain words (n8n rewrites messages that carry raw codes). */
function networkReason(error: unknown): string {
	const code = errorCode(error);
	const text = String((error as Error)?.message ?? '');
	if (code && NETWORK_REASONS[code]) return NETWORK_REASONS[code];
	if (/timeout/i.test(text)) return NETWORK_REASONS.ETIMEDOUT;
	if (/socket hang up/i.test(text)) return NETWORK_REASONS.ECONNRESET;
	return 'a network error occurred';
}

/** A network failure; the original error, which holds the request headers, is dropped. */
function networkFailure(providerName: string, url: string, error: unknown): ProviderFailure {
	const reason = networkReason(error);
	const text = String((error as Error)?.message ?? '');
	let host = url;
	try {
		host = new URL(url).host;
	} catch {
		// keep the raw text: it is the user's own base URL
	}
	return {
		message: `Could not get an answer from ${providerName} at ${host}: ${reason}`,
		description: text,
		transient: true,
	};
}

/** Seconds to wait before trying again, bounded. */
function retryDelaySeconds(failure: ProviderFailure, attempt: number): number {
	const hinted = failure.retryAfterSeconds;
	const seconds = hinted !== undefined && hinted >= 0 ? hinted : Math.min(2 ** attempt, 16);
	return Math.min(seconds, MAX_RETRY_WAIT_SECONDS);
}

/** Reads Retry-After (seconds or an HTTP date). */
export function retryAfterSeconds(headers: IDataObject): number | undefined {
	const value = headers['retry-after'] ?? headers['Retry-After'];
	if (value === undefined || value === null || value === '') return undefined;
	const seconds = Number(value);
	if (Number.isFinite(seconds)) return Math.max(0, seconds);
	const date = Date.parse(String(value));
	if (Number.isNaN(date)) return undefined;
	return Math.max(0, (date - Date.now()) / 1000);
}

/**
 * The provider's HTTP client for one item: authenticated requests through n8n's helper,
 * provider-worded errors, and retries only where they cannot bill twice.
 */
export class ProviderClient implements ProviderCall {
	private readonly secrets: string[];

	private constructor(
		private readonly ctx: IExecuteFunctions,
		private readonly provider: ZImageProvider,
		readonly baseUrl: string,
		private readonly credentials: IDataObject,
		readonly where: CallContext,
		private readonly options: TransportOptions,
	) {
		this.secrets = [String(credentials.apiKey ?? '')];
	}

	static async create(
		ctx: IExecuteFunctions,
		provider: ZImageProvider,
		where: CallContext,
		options: TransportOptions,
	): Promise<ProviderClient> {
		const credentials = await ctx.getCredentials(provider.credentialType, where.itemIndex);
		const baseUrl = String(credentials.baseUrl ?? '').trim().replace(/\/+$/, '');
		if (!/^https?:\/\//i.test(baseUrl)) {
			throw new NodeOperationError(
				ctx.getNode(),
				`The ${provider.displayName} credential's Base URL "${baseUrl}" must start with http:// or https://`,
				{ itemIndex: where.itemIndex },
			);
		}
		const timeoutSeconds =
			options.timeoutSeconds || Number(credentials.requestTimeoutSeconds) || provider.requestTimeoutSeconds;
		return new ProviderClient(ctx, provider, baseUrl, credentials, where, {
			...options,
			timeoutSeconds,
		});
	}

	private get timeoutMs(): number {
		return (this.options.timeoutSeconds ?? this.provider.requestTimeoutSeconds) * 1000;
	}

	/** The same client, for errors about a known task. */
	forTask(taskId: string): ProviderClient {
		return new ProviderClient(
			this.ctx,
			this.provider,
			this.baseUrl,
			this.credentials,
			{ ...this.where, taskId },
			this.options,
		);
	}

	error(failure: ProviderFailure): NodeApiError {
		return providerError(this.ctx, this.provider, this.where, failure, this.secrets);
	}

	fail(failure: ProviderFailure): NodeApiError {
		return this.error(failure);
	}

	/** One exchange as it came back; a network failure becomes a worded error. */
	async exchange(request: ProviderRequest): Promise<HttpAnswer> {
		const url = `${this.baseUrl}${request.path}`;
		try {
			return await this.roundTrip(url, request);
		} catch (error) {
			if (isCancelled(this.ctx)) throw cancelledError(this.ctx, this.where.itemIndex);
			throw this.error(networkFailure(this.provider.displayName, url, error));
		}
	}

	/** A result URL as an absolute one: servers may answer with paths such as /outputs/x.png. */
	absoluteUrl(url: string): string {
		try {
			return new URL(url, `${this.baseUrl}/`).toString();
		} catch {
			return url;
		}
	}

	redact(text: string): string {
		return redact(text, this.secrets);
	}

	async send(request: ProviderRequest, kind: 'submit' | 'read'): Promise<unknown> {
		const retries =
			kind === 'submit'
				? (this.options.submitRetries ?? DEFAULT_SUBMIT_RETRIES)
				: (this.options.readRetries ?? DEFAULT_READ_RETRIES);
		for (let attempt = 0; ; attempt++) {
			const url = `${this.baseUrl}${request.path}`;
			let failure: ProviderFailure | undefined;
			let answer: HttpAnswer | undefined;
			try {
				answer = await this.roundTrip(url, request);
				failure = this.provider.readFailure(answer);
			} catch (error) {
				if (isCancelled(this.ctx)) throw cancelledError(this.ctx, this.where.itemIndex);
				failure = networkFailure(this.provider.displayName, url, error);
				if (kind === 'submit') {
					// The provider may have taken the task before the connection broke: never send twice.
					failure = {
						...failure,
						transient: false,
						message: `${failure.message}; the task may or may not have been created, so it was not sent again`,
					};
				}
			}
			if (!failure) return answer?.body;
			const retryable = kind === 'submit' ? failure.notAccepted === true : failure.transient === true;
			if (!retryable || attempt >= retries) throw this.error(failure);
			const delay = retryDelaySeconds(failure, attempt);
			if (answer?.statusCode === 429) this.options.onRateLimited?.(delay);
			await waitOrCancel(this.ctx, delay * 1000, this.where.itemIndex);
		}
	}

	private async roundTrip(url: string, request: ProviderRequest): Promise<HttpAnswer> {
		const options: IHttpRequestOptions = {
			method: request.method,
			url,
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			timeout: this.timeoutMs,
			skipSslCertificateValidation: this.credentials.ignoreSslIssues === true,
			abortSignal: this.ctx.getExecutionCancelSignal(),
		};
		if (request.json !== undefined) {
			options.body = request.json;
			options.json = true;
		} else if (request.form !== undefined) {
			options.body = toFormData(request.form);
		} else {
			options.json = true;
		}
		const response = (await this.ctx.helpers.httpRequestWithAuthentication.call(
			this.ctx,
			this.provider.credentialType,
			options,
		)) as { statusCode: number; headers?: IDataObject; body: unknown };
		return {
			statusCode: response.statusCode,
			headers: response.headers ?? {},
			body: parseJsonBody(response.body),
		};
	}

	/**
	 * Downloads a result as a stream: its first bytes are read (to know what it is), the rest
	 * flows straight into `consume` — into n8n's binary storage, never whole in memory here.
	 * The credential is sent only to the provider's own host: result URLs often point at a
	 * CDN that must never see the key. HTTP and connection failures are retried (downloading
	 * twice costs nothing); an error `consume` raises about the content is not.
	 */
	async download<T>(url: string, maxBytes: number, consume: (image: IncomingImage) => Promise<T>): Promise<T> {
		const sameOrigin = sameOriginAs(url, this.baseUrl);
		const retries = this.options.readRetries ?? DEFAULT_READ_RETRIES;
		const options: IHttpRequestOptions = {
			method: 'GET',
			url,
			encoding: 'stream',
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			timeout: this.timeoutMs,
			skipSslCertificateValidation: this.credentials.ignoreSslIssues === true,
			abortSignal: this.ctx.getExecutionCancelSignal(),
		};
		const failed = (reason: string): ProviderFailure => ({
			message: `Downloading the result image at ${safeUrl(url)} failed: ${reason}`,
			transient: true,
		});
		for (let attempt = 0; ; attempt++) {
			let response: { statusCode: number; headers?: IDataObject; body: unknown } | undefined;
			let failure: ProviderFailure | undefined;
			try {
				response = (
					sameOrigin
						? await this.ctx.helpers.httpRequestWithAuthentication.call(
								this.ctx,
								this.provider.credentialType,
								{ ...options },
							)
						: await this.ctx.helpers.httpRequest({ ...options })
				) as { statusCode: number; headers?: IDataObject; body: unknown };
			} catch (error) {
				if (isCancelled(this.ctx)) throw cancelledError(this.ctx, this.where.itemIndex);
				failure = failed(networkReason(error));
			}
			const stream = response?.body as BodyStream | undefined;
			if (response && response.statusCode >= 200 && response.statusCode < 300 && stream) {
				const headers = response.headers ?? {};
				const contentLength = Number(headers['content-length']);
				if (contentLength > maxBytes) {
					stream.destroy();
					throw this.error(tooLarge(url, contentLength, maxBytes));
				}
				let contentError: unknown;
				try {
					const { head, complete } = await peek(stream, HEAD_BYTES);
					const contentType = typeof headers['content-type'] === 'string' ? headers['content-type'] : undefined;
					return await consume({ head, body: complete ? head : stream, contentType, contentLength: contentLength || undefined });
				} catch (error) {
					stream.destroy();
					contentError = error;
				}
				if (isCancelled(this.ctx)) throw cancelledError(this.ctx, this.where.itemIndex);
				// Our own verdict on the content stands; a broken transfer is tried again.
				if (contentError instanceof NodeApiError || contentError instanceof NodeOperationError) throw contentError;
				failure = failed('the transfer broke off');
			} else if (response) {
				stream?.destroy();
				const status = response.statusCode;
				failure = {
					message:
						status === 404 || status === 410
							? `The result image at ${safeUrl(url)} is gone (HTTP ${status}); result links expire, run the generation again`
							: `Downloading the result image at ${safeUrl(url)} failed (HTTP ${status})`,
					httpCode: String(status),
					transient: status === 429 || status >= 500,
					retryAfterSeconds: retryAfterSeconds(response.headers ?? {}),
				};
			}
			const reason = failure ?? failed('no answer');
			if (!reason.transient || attempt >= retries) throw this.error(reason);
			await waitOrCancel(this.ctx, retryDelaySeconds(reason, attempt) * 1000, this.where.itemIndex);
		}
	}
}

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
			continue;
		}
		if (stream.readableEnded) {
			complete = true;
			break;
		}
		const ended = await new Promise<boolean>((resolve, reject) => {
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
			const done = (end: boolean) => {
				cleanup();
				resolve(end);
			};
			stream.once('readable', onReadable);
			stream.once('end', onEnd);
			stream.once('error', onError);
		});
		if (ended) {
			complete = true;
			break;
		}
	}
	const head = Buffer.concat(chunks);
	if (!complete && head.length > 0) stream.unshift(head);
	return { head, complete };
}

function sameOriginAs(url: string, baseUrl: string): boolean {
	try {
		return new URL(url).origin === new URL(baseUrl).origin;
	} catch {
		return false;
	}
}

/** A URL without its query string (signed CDN links carry tokens there). */
export function safeUrl(url: string): string {
	try {
		const parsed = new URL(url);
		return `${parsed.origin}${parsed.pathname}`;
	} catch {
		return url.split('?')[0];
	}
}

function parseJsonBody(body: unknown): unknown {
	if (Buffer.isBuffer(body)) body = body.toString('utf8');
	if (typeof body !== 'string') return body;
	const text = body.trim();
	if (text.startsWith('{') || text.startsWith('[')) {
		try {
			return JSON.parse(text);
		} catch {
			return body;
		}
	}
	return body;
}
