import type { IDataObject, IExecuteFunctions, IHttpRequestOptions } from 'n8n-workflow';

import type { FormField, ProviderRequest } from '../types';

/** Everything one request needs besides its method, URL and body: one object, one builder. */
export interface RequestContext {
	ctx: IExecuteFunctions;
	/** The credential type whose key may be attached; only for the credential's own origin. */
	credentialType: string;
	/** The credential's base URL: the one origin the key may reach. */
	baseUrl: string;
	timeoutMs: number;
	ignoreSslIssues: boolean;
}

/** A response as n8n's helper returns it with `returnFullResponse`. */
export interface RawResponse {
	statusCode: number;
	headers?: IDataObject;
	body: unknown;
}

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

/** The options of every request the node sends: status codes are read, never thrown. */
export function buildRequestOptions(
	context: RequestContext,
	url: string,
	request: Pick<ProviderRequest, 'method' | 'json' | 'form'> & { stream?: boolean },
): IHttpRequestOptions {
	const options: IHttpRequestOptions = {
		method: request.method,
		url,
		returnFullResponse: true,
		ignoreHttpStatusErrors: true,
		timeout: context.timeoutMs,
		skipSslCertificateValidation: context.ignoreSslIssues,
		abortSignal: context.ctx.getExecutionCancelSignal(),
	};
	if (request.stream) {
		options.encoding = 'stream';
	} else if (request.json !== undefined) {
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

/**
 * Sends one request through n8n's helpers. The credential is attached only when the URL is
 * on the credential's own origin: result URLs often point at a CDN that must never see the key.
 */
export async function sendRequest(context: RequestContext, options: IHttpRequestOptions): Promise<RawResponse> {
	const { ctx } = context;
	const url = String(options.url);
	const response = sameOrigin(url, context.baseUrl)
		? await ctx.helpers.httpRequestWithAuthentication.call(ctx, context.credentialType, options)
		: await ctx.helpers.httpRequest(options);
	return response as RawResponse;
}

/** A JSON body as a value; any other text stays text. */
export function parseJsonBody(body: unknown): unknown {
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
