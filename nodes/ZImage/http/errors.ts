import type { IExecuteFunctions, JsonObject } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import type { ProviderFailure } from '../types';

/** Where a call happened, so that every message names provider, operation and task. */
export interface CallPlace {
	providerName: string;
	operation: string;
	itemIndex: number;
	taskId?: string;
}

/** Removes every secret from a text that may reach the user. */
export function redact(text: string, secrets: string[]): string {
	let out = text;
	for (const secret of secrets) {
		if (secret && secret.length >= 4) out = out.split(secret).join('***');
	}
	return out;
}

/** "Evolink (generate, task task-unified-…)": the start of every provider error. */
export function describePlace(place: CallPlace): string {
	const task = place.taskId ? `, task ${place.taskId}` : '';
	return `${place.providerName} (${place.operation}${task})`;
}

/** The one error a user sees for a provider failure: provider, operation, task, then the cause. */
export function providerError(
	ctx: IExecuteFunctions,
	place: CallPlace,
	failure: ProviderFailure,
	secrets: string[],
): NodeApiError {
	const message = redact(`${describePlace(place)}: ${failure.message}`, secrets);
	const description = failure.description ? redact(failure.description, secrets) : undefined;
	const payload: JsonObject = { message };
	if (description) payload.description = description;
	if (failure.httpCode) payload.httpCode = failure.httpCode;
	if (place.taskId) payload.taskId = place.taskId;
	const error = new NodeApiError(ctx.getNode(), payload, {
		message,
		description,
		httpCode: failure.httpCode,
		itemIndex: place.itemIndex,
	});
	if (place.taskId) error.context.taskId = place.taskId;
	return error;
}

/** A URL without its query string (signed CDN links carry tokens there). */
export function safeUrl(url: string): string {
	try {
		const parsed = new URL(url);
		if (parsed.origin !== 'null') return `${parsed.origin}${parsed.pathname}`;
		// file:, data:, javascript: … have no origin: show the scheme and the start of the rest.
		const rest = `${parsed.host ? `//${parsed.host}` : ''}${parsed.pathname}`;
		return `${parsed.protocol}${rest.length > 40 ? `${rest.slice(0, 40)}…` : rest}`;
	} catch {
		return url.split('?')[0].slice(0, 200);
	}
}
