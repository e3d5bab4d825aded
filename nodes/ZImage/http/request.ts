import type { IDataObject, IHttpRequestOptions } from 'n8n-workflow';

import { cancelSignalOf } from '../run';
import type { FormField, NodeContext, ProviderRequest } from '../types';
import type { BodyStream, RequestBounds } from './limits';
import { withinBounds } from './limits';

/** Everything one request needs besides its method, URL and body: one object, one builder. */
export interface RequestContext {
	ctx: NodeContext;
	/** The credential type whose key may be attached. */
	credentialType: string;
	/** The credential's base URL: the one origin the key may ever reach. */
	baseUrl: string;
	timeoutMs: number;
	ignoreSslIssues: boolean;
	/** Whether result downloads from the provider's own origin need the key (documented for the self-hosted server). */
	downloadsNeedKey: boolean;
}

/** One request to send: an API call (to the base URL's origin only) or a result download. */
export interface OutgoingRequest
	extends Pick<ProviderRequest, 'method' | 'json' | 'form' | 'headers'> {
	url: string;
	purpose: 'api' | 'download';
}

/** An answer whose body is still a stream. */
export interface StreamedAnswer {
	statusCode: number;
	headers: IDataObject;
	body: BodyStream & NodeJS.ReadableStream;
	/** Where the answer came from, after any redirects. */
	url: string;
}

/** How many redirects are followed at most. */
const MAX_REDIRECTS = 5;

/** A redirect the node will not follow, with why. */
export class RedirectRefused extends Error {}

function toFormData(fields: FormField[]): FormData {
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

/**
 * The options of every request the node sends. The answer comes as a stream, read under the
 * node's own size and time bounds; status codes are read, never thrown; redirects are never
 * followed by n8n's helper (it would re-send the key to another host), only by `sendRequest`.
 */
export function buildRequestOptions(
	context: RequestContext,
	request: OutgoingRequest,
	timeoutMs: number,
): IHttpRequestOptions {
	const options: IHttpRequestOptions = {
		method: request.method,
		url: request.url,
		returnFullResponse: true,
		ignoreHttpStatusErrors: true,
		encoding: 'stream',
		disableFollowRedirect: true,
		timeout: Math.max(1, timeoutMs),
		skipSslCertificateValidation: context.ignoreSslIssues,
		abortSignal: cancelSignalOf(context.ctx),
	};
	// The provider's own headers; the credential alone sets Authorization.
	const headers = Object.entries(request.headers ?? {}).filter(
		([name]) => name.toLowerCase() !== 'authorization',
	);
	if (headers.length > 0) options.headers = Object.fromEntries(headers);
	if (request.json !== undefined) {
		options.body = request.json;
		options.json = true;
	} else if (request.form !== undefined) {
		options.body = toFormData(request.form);
	} else {
		options.json = true;
	}
	return options;
}

export function sameOrigin(url: string, baseUrl: string): boolean {
	try {
		return new URL(url).origin === new URL(baseUrl).origin;
	} catch {
		return false;
	}
}

/** The origin of a URL, for messages. */
export function originOf(url: string): string {
	try {
		return new URL(url).origin;
	} catch {
		return url;
	}
}

const REDIRECTS = [301, 302, 303, 307, 308];

/**
 * Sends a request through n8n's helpers and follows redirects itself. The key is attached
 * only on the credential's own origin (and, for a download, only where the provider needs it).
 * An API call is never redirected to another origin: the request (and its body) is not sent there.
 */
export async function sendRequest(
	context: RequestContext,
	request: OutgoingRequest,
	bounds: RequestBounds,
): Promise<StreamedAnswer> {
	const { ctx } = context;
	let current = { ...request };
	for (let hop = 0; ; hop++) {
		const own = sameOrigin(current.url, context.baseUrl);
		const withKey = own && (current.purpose === 'api' || context.downloadsNeedKey);
		const options = buildRequestOptions(
			context,
			current,
			Math.min(context.timeoutMs, bounds.deadline - Date.now()),
		);
		const sent = withKey
			? ctx.helpers.httpRequestWithAuthentication.call(ctx, context.credentialType, options)
			: ctx.helpers.httpRequest(options);
		const response = (await withinBounds(sent as Promise<StreamedAnswer>, bounds, (late) =>
			late?.body?.destroy?.(),
		)) as StreamedAnswer;
		const location = response.headers?.location;
		if (!REDIRECTS.includes(response.statusCode) || typeof location !== 'string') {
			return {
				statusCode: response.statusCode,
				headers: response.headers ?? {},
				body: response.body,
				url: current.url,
			};
		}
		response.body?.destroy?.();
		const next = new URL(location, current.url).toString();
		if (hop >= MAX_REDIRECTS) throw new RedirectRefused(`more than ${MAX_REDIRECTS} redirects`);
		if (current.purpose === 'api' && !sameOrigin(next, context.baseUrl)) {
			throw new RedirectRefused(
				`it redirected to another host (${originOf(next)}); the key is only ever sent to ${originOf(context.baseUrl)}, so the redirect was not followed`,
			);
		}
		if (!/^https?:$/.test(new URL(next).protocol)) {
			throw new RedirectRefused(
				`it redirected to a ${new URL(next).protocol} address, which is never fetched`,
			);
		}
		const keepsBody = response.statusCode === 307 || response.statusCode === 308;
		current = keepsBody
			? { ...current, url: next }
			: { url: next, method: 'GET', purpose: current.purpose };
	}
}

/** A JSON body as a value; any other text stays text. */
export function parseJsonBody(body: Buffer): unknown {
	const text = body.toString('utf8').trim();
	if (text.startsWith('{') || text.startsWith('[')) {
		try {
			return JSON.parse(text);
		} catch {
			return body.toString('utf8');
		}
	}
	return body.toString('utf8');
}
