import type { IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { sniffImage } from './imageInfo';

/** A value as an error shows it: text quoted (control characters escaped), anything else as JSON; both cut at 80. */
function shownValue(value: unknown): string {
	const clip = (text: string) => (text.length > 80 ? `${text.slice(0, 80)}…` : text);
	if (typeof value === 'string') {
		const escaped = [...value]
			.map((c) =>
				c < ' ' || c === '\u007f' ? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}` : c,
			)
			.join('');
		return `"${clip(escaped)}"`;
	}
	if (value !== null && typeof value === 'object') {
		try {
			return clip(JSON.stringify(value) ?? String(value));
		} catch {
			return Array.isArray(value) ? '[list]' : '{object}';
		}
	}
	return String(value);
}

/** The one shape of every input error: the field, the value, and what is allowed. */
export function invalidInput(
	ctx: IExecuteFunctions,
	itemIndex: number,
	field: string,
	value: unknown,
	allowed: string,
): NodeOperationError {
	return new NodeOperationError(
		ctx.getNode(),
		`Invalid ${field} ${shownValue(value)}: ${allowed}`,
		{
			itemIndex,
			description: `Nothing was sent to the provider. Fix "${field}" and run again.`,
		},
	);
}

/** What kind of value an expression gave, in words. */
function kindOf(value: unknown): string {
	if (Array.isArray(value)) return 'a list';
	if (value === null) return 'null';
	if (typeof value === 'object') return 'an object';
	if (typeof value === 'boolean') return 'true/false';
	return `a ${typeof value}`;
}

/**
 * A text field's value: text as it is, nothing (undefined, null) as empty; anything else an
 * expression may give (an object, a list, a number) is refused, naming the field and the type.
 */
export function checkText(
	ctx: IExecuteFunctions,
	itemIndex: number,
	field: string,
	value: unknown,
): string {
	if (value === undefined || value === null) return '';
	if (typeof value === 'string') return value;
	throw invalidInput(ctx, itemIndex, field, value, `text is expected, this is ${kindOf(value)}`);
}

/** Reads a text parameter under the one rule of `checkText`. */
export function readText(
	ctx: IExecuteFunctions,
	itemIndex: number,
	name: string,
	field: string,
	fallback = '',
): string {
	return checkText(ctx, itemIndex, field, ctx.getNodeParameter(name, itemIndex, fallback));
}

/** A required prompt of at most `maxLength` characters (each provider has its own limit). */
export function readPrompt(ctx: IExecuteFunctions, itemIndex: number, maxLength: number): string {
	const prompt = readText(ctx, itemIndex, 'prompt', 'Prompt');
	if (!prompt.trim()) {
		throw invalidInput(
			ctx,
			itemIndex,
			'Prompt',
			prompt,
			'a prompt is required (describe the image)',
		);
	}
	return checkLength(ctx, itemIndex, 'Prompt', prompt, maxLength);
}

/** A text of at most `maxLength` characters, or an error saying how long it is. */
export function checkLength(
	ctx: IExecuteFunctions,
	itemIndex: number,
	field: string,
	text: string,
	maxLength: number,
): string {
	if (text.length > maxLength) {
		const allowed = `at most ${maxLength} characters are allowed, this one has ${text.length}`;
		throw invalidInput(ctx, itemIndex, field, text, allowed);
	}
	return text;
}

/**
 * One rule for numbers everywhere: a number, or a decimal written as text ("4", "-1", "2.5");
 * hex, exponents and anything else give NaN, which every range check refuses.
 */
export function parseDecimal(value: unknown): number {
	if (typeof value === 'number') return value;
	if (typeof value === 'string' && /^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)\s*$/.test(value))
		return Number(value);
	return Number.NaN;
}

/** `value` within [min, max] and of the kind asked for, or an error naming the field and the range. */
function checkRange(
	ctx: IExecuteFunctions,
	itemIndex: number,
	field: string,
	value: unknown,
	min: number,
	max: number,
	whole: boolean,
): number {
	const number = parseDecimal(value);
	const fits =
		(whole ? Number.isInteger(number) : Number.isFinite(number)) && number >= min && number <= max;
	if (!fits) {
		throw invalidInput(
			ctx,
			itemIndex,
			field,
			value,
			`a ${whole ? 'whole ' : ''}number from ${min} to ${max} is allowed`,
		);
	}
	return number;
}

/** An integer in [min, max] (a decimal text from an expression counts), or an error naming the field. */
export function checkInteger(
	ctx: IExecuteFunctions,
	itemIndex: number,
	field: string,
	value: unknown,
	min: number,
	max: number,
): number {
	return checkRange(ctx, itemIndex, field, value, min, max, true);
}

/** A number in [min, max] (a decimal text from an expression counts), or an error naming the field. */
export function checkNumber(
	ctx: IExecuteFunctions,
	itemIndex: number,
	field: string,
	value: unknown,
	min: number,
	max: number,
): number {
	return checkRange(ctx, itemIndex, field, value, min, max, false);
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
	if (
		host === 'localhost' ||
		host.endsWith('.localhost') ||
		host.endsWith('.local') ||
		host.endsWith('.internal')
	) {
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
		return (
			host === '::' ||
			host === '::1' ||
			/^f[cd]/.test(host) ||
			/^fe[89ab]/.test(host) ||
			host.startsWith('::ffff:')
		);
	}
	return false;
}
