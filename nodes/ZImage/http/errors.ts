import type { JsonObject } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import type { NodeContext, ProviderFailure } from '../types';

/** Where a call happened, so that every message names provider, operation and task. */
export interface CallPlace {
	providerName: string;
	operation: string;
	itemIndex: number;
	taskId?: string;
}

/** A key's recognisable start or end: this many characters of it are never shown. */
const RECOGNISABLE = 8;
/** How much of a provider's text an error shows, cut only after secrets are removed. */
const SHOWN_MESSAGE = 1000;
const SHOWN_DESCRIPTION = 300;

function escapeRegExp(text: string): string {
	return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Removes every secret from a text that may reach the user: the whole key (also URL-encoded),
 * and any run of 8 or more of its first or last characters, as a cut-off key leaves behind.
 */
export function redact(text: string, secrets: string[]): string {
	let out = text;
	for (const secret of secrets) {
		if (!secret || secret.length < 4) continue;
		for (const form of new Set([secret, encodeURIComponent(secret)]))
			out = out.split(form).join('***');
		if (secret.length <= RECOGNISABLE) continue;
		const start = escapeRegExp(secret.slice(0, RECOGNISABLE));
		const rest = [...secret.slice(RECOGNISABLE)].map(escapeRegExp);
		// The key's first 8 characters and as many of the following ones as are there.
		const head = rest.reduceRight((tail, char) => `(?:${char}${tail})?`, '');
		out = out.replace(new RegExp(`${start}${head}`, 'g'), '***');
		out = out.replace(new RegExp(escapeRegExp(secret.slice(-RECOGNISABLE)), 'g'), '***');
	}
	return out;
}

/** Any JSON value with every text in it (keys too) redacted; a new value, the input is left alone. */
export function redactJson<T>(value: T, secrets: string[]): T {
	if (typeof value === 'string') return redact(value, secrets) as T;
	if (Array.isArray(value)) return value.map((entry) => redactJson(entry, secrets) as unknown) as T;
	if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value)) {
		const out: Record<string, unknown> = {};
		for (const [key, entry] of Object.entries(value))
			out[redact(key, secrets)] = redactJson(entry, secrets);
		return out as T;
	}
	return value;
}

/** Far beyond anything shown: a key cut here could never reach the part that is shown. */
const SCANNED_CHARS = 64 * 1024;

/** A text that may reach the user: secrets removed first, then cut to `max` characters. */
export function shown(text: string, secrets: string[], max: number): string {
	const clean = redact(text.length > SCANNED_CHARS ? text.slice(0, SCANNED_CHARS) : text, secrets);
	return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

/**
 * Removes secrets from an error already thrown (its message, description and task id), so
 * that every error leaving an item passes one filter, whoever built it.
 */
export function scrubError(error: unknown, secrets: string[]): unknown {
	if (
		!secrets.some((secret) => secret && secret.length >= 4) ||
		error === null ||
		typeof error !== 'object'
	) {
		return error;
	}
	const e = error as {
		message?: unknown;
		description?: unknown;
		context?: Record<string, unknown>;
	};
	if (typeof e.message === 'string') e.message = redact(e.message, secrets);
	if (typeof e.description === 'string') e.description = redact(e.description, secrets);
	if (e.context && typeof e.context.taskId === 'string')
		e.context.taskId = redact(e.context.taskId, secrets);
	return error;
}

/** "Evolink (generate, task task-unified-…)": the start of every provider error. */
export function describePlace(place: CallPlace): string {
	const task = place.taskId ? `, task ${place.taskId}` : '';
	return `${place.providerName} (${place.operation}${task})`;
}

/** The one error a user sees for a provider failure: provider, operation, task, then the cause. */
export function providerError(
	ctx: NodeContext,
	place: CallPlace,
	failure: ProviderFailure,
	secrets: string[],
): NodeApiError {
	const message = shown(`${describePlace(place)}: ${failure.message}`, secrets, SHOWN_MESSAGE);
	const description = failure.description
		? shown(failure.description, secrets, SHOWN_DESCRIPTION)
		: undefined;
	const taskId = place.taskId ? redact(place.taskId, secrets) : undefined;
	const payload: JsonObject = { message };
	if (description) payload.description = description;
	if (failure.httpCode) payload.httpCode = failure.httpCode;
	if (taskId) payload.taskId = taskId;
	const error = new NodeApiError(ctx.getNode(), payload, {
		message,
		description,
		httpCode: failure.httpCode,
		itemIndex: place.itemIndex,
	});
	if (taskId) error.context.taskId = taskId;
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
