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
		return `${parsed.origin}${parsed.pathname}`;
	} catch {
		return url.split('?')[0];
	}
}
