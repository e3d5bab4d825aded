import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { readRunOptions } from '../options';
import type { ParameterNaming } from '../parameters';
import type { SubmitOperation, SubmitPlan } from '../types';
import {
	asObject,
	checkInteger,
	checkLength,
	checkNumber,
	checkOneOf,
	checkText,
	invalidInput,
	isPrivateHost,
	parseDecimal,
	readInputImages,
	readPrompt,
	readText,
} from '../validation';
import { BASE, EDIT, PRESETS, SIDE, TURBO } from './fal.fields';

// What fal.ai's Z-Image endpoints are asked for (docs/providers/fal.md); every value is checked
// here, before anything is sent.

/** fal documents no prompt limit: the one the self-hosted Z-Image server has. */
export const PROMPT_MAX = 4000;
const STEPS = { [TURBO]: 8, [BASE]: 50 } as const;
const MAX_LORAS = 3;
const URL_MAX = 2048;

type Reader = (name: string, fallback?: unknown) => unknown;

interface Read {
	ctx: IExecuteFunctions;
	itemIndex: number;
	param: Reader;
	/** A text parameter, by its unscoped name. */
	text: (name: string, field: string) => string;
}

/** `image_size` as fal takes it (a preset name or {width, height}), and the pixels when known. */
function readImageSize({ ctx, itemIndex, param }: Read, operation: SubmitOperation) {
	const fallback = operation === 'edit' ? 'auto' : 'landscape_4_3';
	const value = param('imageSize', fallback);
	const allowed = [...Object.keys(PRESETS), 'custom', ...(operation === 'edit' ? ['auto'] : [])];
	const size = checkOneOf(ctx, itemIndex, 'Image Size', value, allowed);
	if (size === 'auto') return { imageSize: size };
	if (size !== 'custom') {
		const [width, height] = PRESETS[size];
		return { imageSize: size, width, height };
	}
	const width = checkInteger(ctx, itemIndex, 'Width', param('width'), SIDE.min, SIDE.max);
	const height = checkInteger(ctx, itemIndex, 'Height', param('height'), SIDE.min, SIDE.max);
	if (width * height > SIDE.pixels) {
		const reason = `${width}×${height} is ${(width * height).toLocaleString('en-US')} pixels; fal.ai makes at most 4 megapixels (${SIDE.pixels.toLocaleString('en-US')})`;
		throw invalidInput(ctx, itemIndex, 'Width', `${width}x${height}`, reason);
	}
	return { imageSize: { width, height }, width, height };
}

/** An http(s) URL fal.ai can download itself (not this machine's or a private network's). */
function publicUrlProblem(value: string): string | undefined {
	let url: URL;
	try {
		url = new URL(value);
	} catch {
		return 'an http:// or https:// URL is required';
	}
	if (!/^https?:$/.test(url.protocol)) return 'an http:// or https:// URL is required';
	if (value.length > URL_MAX) return `at most ${URL_MAX} characters`;
	if (isPrivateHost(url.hostname))
		return `${url.hostname} is a private or loopback address, which fal.ai cannot reach`;
	return undefined;
}

/** Why a LoRA path will not do: a public URL, or a Hugging Face path such as owner/repo. */
function loraPathProblem(path: string): string | undefined {
	if (!path) return 'a URL or a Hugging Face path (owner/repo) is required';
	if (/^[a-z][a-z0-9+.-]*:/i.test(path)) return publicUrlProblem(path);
	return /^[\w.-]+(\/[\w.-]+)+$/.test(path) && path.length <= URL_MAX
		? undefined
		: 'a URL, or a Hugging Face path such as owner/repo';
}

/** Up to 3 LoRAs, each with a scale of 0-4. */
function readLoras({ ctx, itemIndex, param }: Read): IDataObject[] {
	const value = param('loras', {});
	const collection = value === undefined || value === '' ? {} : asObject(value);
	// A collection {lora: [...]}; anything else an expression may give is refused.
	const entries = collection ? (collection.lora ?? []) : value;
	if (!Array.isArray(entries))
		throw invalidInput(ctx, itemIndex, 'LoRAs', value, 'a list of LoRAs is expected');
	if (entries.length > MAX_LORAS) {
		const allowed = `at most ${MAX_LORAS} LoRAs, this has ${entries.length}`;
		throw invalidInput(ctx, itemIndex, 'LoRAs', `${entries.length} LoRAs`, allowed);
	}
	return entries.map((entry) => {
		const lora = asObject(entry) ?? {};
		const path = checkText(ctx, itemIndex, 'LoRA Path', lora.path).trim();
		const problem = loraPathProblem(path);
		if (problem) throw invalidInput(ctx, itemIndex, 'LoRA Path', path, problem);
		return { path, scale: checkNumber(ctx, itemIndex, 'LoRA Scale', lora.scale ?? 1, 0, 4) };
	});
}

/** Edit's source image: a public URL fal.ai fetches, or the input binary sent as a data URI. */
async function readSource({ ctx, itemIndex, text }: Read): Promise<string> {
	const imageUrl = text('imageUrl', 'Source Image URL').trim();
	if (imageUrl) {
		const problem = publicUrlProblem(imageUrl);
		if (problem) throw invalidInput(ctx, itemIndex, 'Source Image URL', imageUrl, problem);
		return imageUrl;
	}
	const fields = readText(ctx, itemIndex, 'inputImageFields', 'Input Image Fields', 'data');
	const images = await readInputImages(ctx, itemIndex, fields, 'Input Image Fields');
	if (images.length !== 1) {
		const allowed =
			images.length === 0
				? 'Edit needs a source image: name a binary field of the input item, or give a Source Image URL'
				: 'fal.ai takes one source image: name one binary field';
		throw invalidInput(ctx, itemIndex, 'Input Image Fields', fields, allowed);
	}
	const [image] = images;
	// Bounded like any image: what Max Download Size allows (4/3 of it once base64).
	const { maxDownloadBytes } = readRunOptions(ctx, itemIndex, true);
	if (image.data.length > maxDownloadBytes) {
		const allowed = `the image is ${image.data.length} bytes, over Max Download Size (${maxDownloadBytes} bytes); raise it or make the image smaller`;
		throw invalidInput(ctx, itemIndex, 'Input Image Fields', fields, allowed);
	}
	return `data:${image.mimeType};base64,${image.data.toString('base64')}`;
}

/** Reads and checks one item's Generate or Edit parameters, under the names of the node's version. */
export function prepareSubmitWith(own: ParameterNaming) {
	return async function prepareSubmit(
		ctx: IExecuteFunctions,
		itemIndex: number,
		operation: SubmitOperation,
	): Promise<SubmitPlan> {
		const param: Reader = (name, fallback) =>
			ctx.getNodeParameter(own.of(ctx, name), itemIndex, fallback);
		const text = (name: string, field: string) =>
			readText(ctx, itemIndex, own.of(ctx, name), field);
		const read: Read = { ctx, itemIndex, param, text };
		const prompt = readPrompt(ctx, itemIndex, PROMPT_MAX);
		const family =
			operation === 'edit'
				? TURBO
				: checkOneOf(ctx, itemIndex, 'Model', param('model', TURBO), [TURBO, BASE]);
		const json: IDataObject = { prompt };
		const { imageSize, width, height } = readImageSize(read, operation);
		json.image_size = imageSize;
		const steps = checkInteger(
			ctx,
			itemIndex,
			'Inference Steps',
			param('steps', 0),
			0,
			STEPS[family],
		);
		if (steps > 0) json.num_inference_steps = steps;
		const seedValue = param('seed', -1);
		const seed =
			seedValue === '' || seedValue === undefined || parseDecimal(seedValue) === -1
				? undefined
				: checkInteger(ctx, itemIndex, 'Seed', seedValue, 0, Number.MAX_SAFE_INTEGER);
		if (seed !== undefined) json.seed = seed;
		const images = checkInteger(ctx, itemIndex, 'Number of Images', param('numImages', 1), 1, 4);
		json.num_images = images;
		json.output_format = checkOneOf(ctx, itemIndex, 'Output Format', param('outputFormat', 'png'), [
			'jpeg',
			'png',
			'webp',
		]);
		json.acceleration = checkOneOf(
			ctx,
			itemIndex,
			'Acceleration',
			param('acceleration', 'regular'),
			['none', 'regular', 'high'],
		);
		json.enable_safety_checker = param('safetyChecker', true) !== false;
		if (family === TURBO && param('promptExpansion', false) === true)
			json.enable_prompt_expansion = true;
		if (family === BASE) {
			const negative = text('negativePrompt', 'Negative Prompt');
			if (negative.trim())
				json.negative_prompt = checkLength(ctx, itemIndex, 'Negative Prompt', negative, PROMPT_MAX);
			json.guidance_scale = checkNumber(
				ctx,
				itemIndex,
				'Guidance Scale',
				param('guidanceScale', 4),
				1,
				20,
			);
		}
		const loras = readLoras(read);
		if (loras.length > 0) json.loras = loras;
		if (operation === 'edit') {
			json.image_url = await readSource(read);
			json.strength = checkNumber(ctx, itemIndex, 'Strength', param('strength', 0.6), 0, 1);
		}
		// The LoRA variant of each endpoint takes the same input plus `loras`.
		const model = `${operation === 'edit' ? EDIT : family}${loras.length > 0 ? '/lora' : ''}`;
		return {
			request: { method: 'POST', path: `/${model}`, json },
			meta: { model, prompt, seed, width, height, images },
		};
	};
}
