import { networkFailure } from '../failures';
import type { TaskPacer } from '../pacing/taskPacer';
import { StoppedError } from '../run';
import type {
	CallKind,
	HttpAnswer,
	ProviderCall,
	ProviderFailure,
	ProviderRequest,
	ZImageProvider,
} from '../types';
import type { ClientSetup } from './clientSetup';
import { openSetup } from './clientSetup';
import { download, type IncomingImage } from './download';
import type { CallPlace } from './errors';
import { providerError, redact, redactJson, scrubError } from './errors';
import type { RequestBounds } from './limits';
import { LimitError, readBody } from './limits';
import type { RequestContext } from './request';
import { originOf, parseJsonBody, RedirectRefused, sameOrigin, sendRequest } from './request';
import type { Attempt, RetryContext } from './retry';
import { RETRY_RULES, withRetries } from './retry';

export type { ClientSetup } from './clientSetup';

/** Errors of submissions that got no readable answer: they may have been taken (findSubmission). */
const maybeTaken = new WeakSet<Error>();

/** Whether this error ended a submission that may have been taken all the same. */
export function mayHaveBeenTaken(error: unknown): boolean {
	return error instanceof Error && maybeTaken.has(error);
}

/** A JSON answer (a task, an error) is small: more than this is not one. */
export const MAX_JSON_BYTES = 1024 * 1024;

const DEFAULT_MAX_DOWNLOAD_BYTES = 50 * 1024 * 1024;

/** A request the provider holds open (holdSeconds) may take this much longer to be answered. */
const HOLD_MARGIN_SECONDS = 15;

/**
 * A provider's HTTP client for one item: every request it sends is built by one function,
 * bounded in bytes and time, passes one retry loop, and fails with one kind of worded,
 * redacted error.
 */
export class ProviderClient implements ProviderCall {
	private constructor(
		private readonly setup: ClientSetup,
		private readonly http: RequestContext,
		private readonly secrets: string[],
		readonly place: CallPlace,
		/** Epoch ms when Max Wait runs out for this item, if it has one. */
		private readonly maxWaitAt?: number,
		/** This item's side of its provider key's budget: task slot, status turns, refusals. */
		readonly pace?: TaskPacer,
	) {}

	static async open(setup: ClientSetup): Promise<ProviderClient> {
		const { http, secrets, place, pace } = await openSetup(setup);
		return new ProviderClient(setup, http, secrets, place, undefined, pace);
	}

	get baseUrl(): string {
		return this.http.baseUrl;
	}

	get provider(): ZImageProvider {
		return this.setup.provider;
	}

	/** The same client, for errors about a known task. */
	forTask(taskId: string): ProviderClient {
		return new ProviderClient(
			this.setup,
			this.http,
			this.secrets,
			{ ...this.place, taskId },
			this.maxWaitAt,
			this.pace,
		);
	}

	/** The same client, with Max Wait counting from now: no request of the item outlives it. */
	withMaxWait(seconds: number): ProviderClient {
		return new ProviderClient(
			this.setup,
			this.http,
			this.secrets,
			this.place,
			Date.now() + seconds * 1000,
			this.pace,
		);
	}

	/** When Max Wait runs out for this item (epoch ms), if it has one. */
	get maxWaitDeadline(): number | undefined {
		return this.maxWaitAt;
	}

	error(failure: ProviderFailure): Error {
		const error = providerError(this.setup.ctx, this.place, failure, this.secrets);
		if (failure.maybeTaken) maybeTaken.add(error);
		return error;
	}

	redact(text: string): string {
		return redact(text, this.secrets);
	}

	/** Any output value without the credential's secrets: every item passes here on its way out. */
	redactJson<T>(value: T): T {
		return redactJson(value, this.secrets);
	}

	/** The same error, its texts without the credential's secrets. */
	scrubError(error: unknown): unknown {
		return scrubError(error, this.secrets);
	}

	/** A result URL as an absolute one: servers may answer with paths such as /outputs/x.png. */
	resolveUrl(url: string): string {
		try {
			return new URL(url, `${this.baseUrl}/`).toString();
		} catch {
			return url;
		}
	}

	async request(request: ProviderRequest, kind: CallKind): Promise<HttpAnswer> {
		const url = this.apiUrl(request.path);
		const rule = RETRY_RULES[kind];
		const imageBytes = Math.ceil(
			((this.setup.maxDownloadBytes ?? DEFAULT_MAX_DOWNLOAD_BYTES) * 4) / 3,
		);
		const maxBytes = MAX_JSON_BYTES + (request.inlineImages ?? 0) * imageBytes;
		const answer = await withRetries<HttpAnswer>(kind, this.retryContext(kind), async () => {
			if (rule.look) await this.pace?.statusTurn();
			if (kind === 'submit') await this.pace?.submitTurn();
			try {
				return await this.attemptOnce(request, url, rule, maxBytes);
			} finally {
				if (kind === 'submit') this.pace?.submitAnswered();
			}
		});
		if (kind === 'submit') this.pace?.accepted();
		return answer;
	}

	/** One try of an API request: its answer, or the failure it came to. */
	private async attemptOnce(
		request: ProviderRequest,
		url: string,
		rule: (typeof RETRY_RULES)[CallKind],
		maxBytes: number,
	): Promise<Attempt<HttpAnswer>> {
		let answer: HttpAnswer;
		try {
			const bounds = this.bounds(maxBytes, request.holdSeconds);
			const http =
				bounds.timeoutMs === this.http.timeoutMs
					? this.http
					: { ...this.http, timeoutMs: bounds.timeoutMs };
			const streamed = await sendRequest(http, { ...request, url, purpose: 'api' }, bounds);
			const body = parseJsonBody(await readBody(streamed.body, bounds));
			answer = { statusCode: streamed.statusCode, headers: streamed.headers, body };
		} catch (error) {
			const failure = this.failureOf(error, url, maxBytes);
			// A submission that got no readable answer may have been taken: it is never sent again.
			if (!rule.brokenConnectionIsFinal || failure.stopped || error instanceof RedirectRefused)
				return { failure };
			return {
				failure: {
					...failure,
					maybeTaken: true,
					transient: false,
					message: `${failure.message}; the task may or may not have been created, so it was not sent again`,
				},
			};
		}
		const failure = rule.handsBack === 'all' ? undefined : this.provider.readFailure(answer);
		const handBack = !failure || (rule.handsBack === 'final' && !failure.transient);
		return handBack ? { value: answer } : { failure, statusCode: answer.statusCode };
	}

	async download<T>(
		url: string,
		maxBytes: number,
		consume: (image: IncomingImage) => Promise<T>,
	): Promise<T> {
		return await download(
			this.http,
			this.retryContext(),
			() => this.bounds(maxBytes),
			url,
			consume,
		);
	}

	/**
	 * Where an API request goes: a path under the base URL, or an address the provider handed
	 * back for a task, which must be on the base URL's origin (the key goes nowhere else).
	 */
	private apiUrl(path: string): string {
		if (!/^[a-z][a-z0-9+.-]*:/i.test(path)) return `${this.baseUrl}${path}`;
		if (sameOrigin(path, this.baseUrl) && /^https?:/i.test(path)) return path;
		throw this.error({
			message: `${this.provider.displayName} handed back an address on another host (${originOf(path)}); the key is only ever sent to ${originOf(this.baseUrl)}, so nothing was sent there`,
			description: 'This is a fault of the provider or of a proxy in between.',
		});
	}

	/** A request that brought no usable answer, in the user's words; a stop or a refusal is final. */
	private failureOf(error: unknown, url: string, maxBytes: number): ProviderFailure {
		if (error instanceof StoppedError) return { message: error.message, stopped: error };
		if (error instanceof RedirectRefused)
			return { message: `${this.provider.displayName} was not asked: ${error.message}` };
		if (error instanceof LimitError && error.limit === 'tooLarge') {
			return {
				message: `${this.provider.displayName} sent an answer of more than ${maxBytes} bytes; it was not read further`,
				description:
					'Answers that carry images inline may take 4/3 of "Max Download Size" per image; raise it if your images are larger.',
			};
		}
		if (error instanceof LimitError && error.limit === 'maxWait') {
			return {
				message: `Max Wait ran out while waiting for ${this.provider.displayName} to answer`,
			};
		}
		const reason =
			error instanceof LimitError
				? Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })
				: error;
		return networkFailure(this.provider.displayName, url, reason);
	}

	/**
	 * The bounds of one request: the request timeout (at least a hold the provider was asked
	 * for, plus a margin) or Max Wait, whichever ends first.
	 */
	private bounds(maxBytes: number, holdSeconds = 0): RequestBounds & { timeoutMs: number } {
		const held = holdSeconds > 0 ? (holdSeconds + HOLD_MARGIN_SECONDS) * 1000 : 0;
		const timeoutMs = Math.max(this.http.timeoutMs, held);
		const timeoutAt = Date.now() + timeoutMs;
		const maxWaitFirst = this.maxWaitAt !== undefined && this.maxWaitAt < timeoutAt;
		return {
			deadline: maxWaitFirst ? (this.maxWaitAt as number) : timeoutAt,
			deadlineIs: maxWaitFirst ? 'maxWait' : 'requestTimeout',
			maxBytes,
			run: this.setup.run,
			itemIndex: this.place.itemIndex,
			timeoutMs,
		};
	}

	private retryContext(kind?: CallKind): RetryContext {
		const { pace } = this;
		const look = kind !== undefined && RETRY_RULES[kind].look === true;
		return {
			run: this.setup.run,
			itemIndex: this.place.itemIndex,
			onRateLimited: look && pace ? (seconds) => pace.statusRateLimited(seconds) : undefined,
			whenNotAccepted: pace?.holdsSlot
				? async (failure) => await pace.notAccepted(failure.retryAfterSeconds)
				: undefined,
			error: (failure) => this.error(failure),
			maxWaitAt: this.maxWaitAt,
		};
	}
}
