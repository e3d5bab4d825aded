import type { IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import type { ZImageCredential } from '../../../credentials/contract';
import { BASE_URL_RULE, baseUrlProblem } from '../../../credentials/contract';
import { cancelledError, isCancelled } from '../cancel';
import { networkFailure } from '../failures';
import type { CallKind, HttpAnswer, ProviderCall, ProviderFailure, ProviderRequest, ZImageProvider } from '../types';
import { download, type IncomingImage } from './download';
import type { CallPlace } from './errors';
import { providerError, redact, redactJson, scrubError } from './errors';
import type { RequestContext } from './request';
import { buildRequestOptions, parseJsonBody, sendRequest } from './request';
import type { RetryContext } from './retry';
import { RETRY_RULES, withRetries } from './retry';

/** What opening a client needs: the provider, where the call is, and the user's settings. */
export interface ClientSetup {
	ctx: IExecuteFunctions;
	provider: ZImageProvider;
	operation: string;
	itemIndex: number;
	/** Per-request timeout set on the node; 0 or absent: the credential's, else the provider's. */
	timeoutSeconds?: number;
	/** Told when the provider says "too many requests", with the seconds it asked for. */
	onRateLimited?: (seconds: number) => void;
}

/**
 * A provider's HTTP client for one item: every request it sends is built by one function,
 * passes one retry loop, and fails with one kind of worded, redacted error.
 */
export class ProviderClient implements ProviderCall {
	private constructor(
		private readonly setup: ClientSetup,
		private readonly http: RequestContext,
		private readonly secrets: string[],
		readonly place: CallPlace,
	) {}

	static async open(setup: ClientSetup): Promise<ProviderClient> {
		const { ctx, provider, itemIndex } = setup;
		const credential = (await ctx.getCredentials(provider.credentialType, itemIndex)) as unknown as ZImageCredential;
		const baseUrl = String(credential.baseUrl ?? '').trim().replace(/\/+$/, '');
		const problem = baseUrlProblem(baseUrl);
		if (problem) {
			throw new NodeOperationError(
				ctx.getNode(),
				`The ${provider.displayName} credential's Base URL ${problem.shown} ${problem.reason}`,
				{ itemIndex, description: BASE_URL_RULE },
			);
		}
		const timeoutSeconds =
			setup.timeoutSeconds || Number(credential.requestTimeoutSeconds) || provider.requestTimeoutSeconds;
		const http: RequestContext = {
			ctx,
			credentialType: provider.credentialType,
			baseUrl,
			timeoutMs: timeoutSeconds * 1000,
			ignoreSslIssues: credential.ignoreSslIssues === true,
		};
		const place = { providerName: provider.displayName, operation: setup.operation, itemIndex };
		return new ProviderClient(setup, http, [String(credential.apiKey ?? '')], place);
	}

	get baseUrl(): string {
		return this.http.baseUrl;
	}

	get provider(): ZImageProvider {
		return this.setup.provider;
	}

	/** The same client, for errors about a known task. */
	forTask(taskId: string): ProviderClient {
		return new ProviderClient(this.setup, this.http, this.secrets, { ...this.place, taskId });
	}

	error(failure: ProviderFailure): Error {
		return providerError(this.setup.ctx, this.place, failure, this.secrets);
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
		const url = `${this.baseUrl}${request.path}`;
		const options = buildRequestOptions(this.http, url, request);
		const rule = RETRY_RULES[kind];
		return await withRetries<HttpAnswer>(kind, this.retryContext(), async () => {
			let answer: HttpAnswer;
			try {
				const response = await sendRequest(this.http, { ...options });
				answer = { statusCode: response.statusCode, headers: response.headers ?? {}, body: parseJsonBody(response.body) };
			} catch (error) {
				if (isCancelled(this.setup.ctx)) throw cancelledError(this.setup.ctx, this.place.itemIndex);
				const failure = networkFailure(this.provider.displayName, url, error);
				if (!rule.brokenConnectionIsFinal) return { failure };
				return {
					failure: {
						...failure,
						transient: false,
						message: `${failure.message}; the task may or may not have been created, so it was not sent again`,
					},
				};
			}
			const failure = kind === 'probe' ? undefined : this.provider.readFailure(answer);
			return failure ? { failure, statusCode: answer.statusCode } : { value: answer };
		});
	}

	async download<T>(url: string, maxBytes: number, consume: (image: IncomingImage) => Promise<T>): Promise<T> {
		return await download(this.http, this.retryContext(), url, maxBytes, consume);
	}

	private retryContext(): RetryContext {
		return {
			ctx: this.setup.ctx,
			itemIndex: this.place.itemIndex,
			onRateLimited: this.setup.onRateLimited,
			error: (failure) => this.error(failure),
		};
	}
}
