import type { IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { sniffImage } from './imageInfo';

/** The one shape of every input error: the field, the value, and what is allowed. */
export function invalidInput(
	ctx: IExecuteFunctions,
	itemIndex: number,
	field: string,
	value: unknown,
	allowed: string,
): NodeOperationError {
	const shown = typeof value === 'string' ? `"${value.length > 80 ? `${value.slice(0, 80)}…` : value}"` : String(value);
	return new NodeOperationError(ctx.getNode(), `Invalid ${field} ${shown}: ${allowed}`, {
		itemIndex,
		description: `Nothing was sent to the provider. Fix "${field}" and run again.`,
	});
}

export function readPrompt(
	ctx: IExecuteFunctions,
	itemIndex: number,
	maxLength?: number,
): string {
	const prompt = String(ctx.getNodeParameter('prompt', itemIndex, '') ?? '');
	if (!prompt.trim()) {
		throw invalidInput(ctx, itemIndex, 'Prompt', prompt, 'a prompt is required (describe the image)');
	}
	if (maxLength !== undefined && prompt.length > maxLength) {
		throw invalidInput(
			ctx,
			itemIndex,
			'Prompt',
			prompt,
			`at most ${maxLength} characters are allowed, this one has ${prompt.length}`,
		);
	}
	return prompt;
}

/** `value` within [min, max] and of the kind asked for, or an error naming the field and the range. */
function checkRange(
	ctx: IExecuteFunctions,
	itemIndex: number,
	field: string,
	value: unknown,
	number: unknown,
	min: number,
	max: number,
	whole: boolean,
): number {
	const fits =
		typeof number === 'number' &&
		(whole ? Number.isInteger(number) : Number.isFinite(number)) &&
		number >= min &&
		number <= max;
	if (!fits) {
		throw invalidInput(ctx, itemIndex, field, value, `a ${whole ? 'whole ' : ''}number from ${min} to ${max} is allowed`);
	}
	return number;
}

/** An integer in [min, max] (numeric text from an expression counts), or an error naming the field. */
export function checkInteger(
	ctx: IExecuteFunctions,
	itemIndex: number,
	field: string,
	value: unknown,
	min: number,
	max: number,
): number {
	const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
	return checkRange(ctx, itemIndex, field, value, number, min, max, true);
}

/** A number in [min, max], or an error naming the field. */
export function checkNumber(
	ctx: IExecuteFunctions,
	itemIndex: number,
	field: string,
	value: unknown,
	min: number,
	max: number,
): number {
	return checkRange(ctx, itemIndex, field, value, value, min, max, false);
}

/** One of the listed values, or an error listing them. */
export function checkOneOf<T extends string>(
	ctx: IExecuteFunctions,
	itemIndex: number,
	field: string,
	value: unknown,
	allowed: readonly T[],
	context = '',
): T {
	if (typeof value !== 'string' || !allowed.includes(value as T)) {
		throw invalidInput(ctx, itemIndex, field, value, `allowed${context}: ${allowed.join(', ')}`);
	}
	return value as T;
}

/** Task ids from a comma-, space- or newline-separated text. */
export function splitTaskIds(text: string): string[] {
	return text
		.split(/[\s,]+/)
		.map((id) => id.trim())
		.filter((id) => id !== '');
}

/** Reads the binary input fields named in a comma-separated text. */
export async function readInputImages(
	ctx: IExecuteFunctions,
	itemIndex: number,
	fieldNames: string,
	parameterLabel: string,
): Promise<Array<{ data: Buffer; fileName: string; mimeType: string }>> {
	const names = fieldNames
		.split(',')
		.map((name) => name.trim())
		.filter((name) => name !== '');
	const item = ctx.getInputData()[itemIndex];
	const images = [];
	for (const name of names) {
		const binary = item?.binary?.[name];
		if (!binary) {
			const present = Object.keys(item?.binary ?? {});
			throw invalidInput(
				ctx,
				itemIndex,
				parameterLabel,
				name,
				present.length
					? `the input item has no binary field "${name}"; it has: ${present.join(', ')}`
					: `the input item has no binary data; connect a node that outputs an image (e.g. Read Files, HTTP Request) or a Z-Image Generate`,
			);
		}
		const data = await ctx.helpers.getBinaryDataBuffer(itemIndex, name);
		const info = sniffImage(data);
		if (!info) {
			throw invalidInput(
				ctx,
				itemIndex,
				parameterLabel,
				name,
				`binary field "${name}" (${binary.mimeType ?? 'unknown type'}) is not a PNG, JPEG, WebP or GIF image`,
			);
		}
		images.push({
			data,
			fileName: binary.fileName ?? `${name}.${info.extension}`,
			mimeType: info.mimeType,
		});
	}
	return images;
}

/** Reads "1024x768", "1024*768" or "1024×768". */
export function parseSize(text: string): { width: number; height: number } | undefined {
	const match = /^\s*(\d{1,5})\s*[x*×]\s*(\d{1,5})\s*$/i.exec(text);
	if (!match) return undefined;
	return { width: Number(match[1]), height: Number(match[2]) };
}

/** The value as a plain object to read fields from, or undefined when it is not one (null, a list, text). */
export function asObject(value: unknown): Record<string, unknown> | undefined {
	return value !== null && typeof value === 'object' && !Array.isArray(value)
		? (value as Record<string, unknown>)
		: undefined;
}

/** Whether a host name or IP literal points at this machine or a private network. */
export function isPrivateHost(hostname: string): boolean {
	const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
	if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.local') || host.endsWith('.internal')) {
		return true;
	}
	const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
	if (v4) {
		const [a, b] = [Number(v4[1]), Number(v4[2])];
		return (
			a === 0 ||
			a === 10 ||
			a === 127 ||
			(a === 100 && b >= 64 && b <= 127) ||
			(a === 169 && b === 254) ||
			(a === 172 && b >= 16 && b <= 31) ||
			(a === 192 && b === 168)
		);
	}
	if (host.includes(':')) {
		return host === '::' || host === '::1' || /^f[cd]/.test(host) || /^fe[89ab]/.test(host) || host.startsWith('::ffff:');
	}
	return false;
}
