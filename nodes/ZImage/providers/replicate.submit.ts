import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { readRunOptions } from '../options';
import type { ParameterNaming } from '../parameters';
import type { ProviderRequest, SubmitOperation, SubmitPlan } from '../types';
import {
	asObject,
	checkInteger,
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
import { IMG2IMG, SIDE, TURBO, TURBO_LORA } from './replicate.fields';

// What Replicate's Z-Image models are asked for (docs/providers/replicate.md); every value is
// checked here, before anything is sent.

/** Replicate documents no prompt limit for these models: the one the self-hosted server has. */
export const PROMPT_MAX = 4000;
/** Replicate holds a create with `Prefer: wait=<n>` for at most 60 s. */
export const MAX_HOLD_SECONDS = 60;
/** The hold ends this much before Max Wait, so that Replicate answers before the node gives up. */
const HOLD_BEFORE_MAX_WAIT_SECONDS = 5;
/** Not a limit of Replicate's (it documents none): the node's own bound on one list. */
const MAX_LORAS = 8;
const URL_MAX = 2048;
const SEED_MAX = 2 ** 32 - 1;

type Reader = (name: string, fallback?: unknown) => unknown;

/** An http(s) URL Replicate can download itself (not this machine's or a private network's). */
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
		return `${url.hostname} is a private or loopback address, which Replicate cannot reach`;
	return undefined;
}

/** A version ID (64 hex characters), also when given as owner/name:<id>. */
function readVersion(ctx: IExecuteFunctions, itemIndex: number, param: Reader): string | undefined {
	const value = checkText(ctx, itemIndex, 'Model Version', param('version', '') ?? '').trim();
	if (!value) return undefined;
	const id = value.includes(':') ? value.slice(value.lastIndexOf(':') + 1) : value;
	if (/^[0-9a-f]{64}$/.test(id)) return id;
	throw invalidInput(
		ctx,
		itemIndex,
		'Model Version',
		value,
		'a version ID is 64 hexadecimal characters, as the model\'s "Versions" page shows it; empty runs the latest version',
	);
}

function readLoras(ctx: IExecuteFunctions, itemIndex: number, param: Reader) {
	const value = param('loras', {});
	const collection = value === undefined || value === '' ? {} : asObject(value);
	const entries = collection ? (collection.lora ?? []) : value;
	if (!Array.isArray(entries))
		throw invalidInput(ctx, itemIndex, 'LoRAs', value, 'a list of LoRAs is expected');
	if (entries.length > MAX_LORAS) {
		const allowed = `at most ${MAX_LORAS} LoRAs, this has ${entries.length}`;
		throw invalidInput(ctx, itemIndex, 'LoRAs', `${entries.length} LoRAs`, allowed);
	}
	const weights: string[] = [];
	const scales: number[] = [];
	for (const entry of entries) {
		const lora = asObject(entry) ?? {};
		const url = checkText(ctx, itemIndex, 'LoRA URL', lora.url ?? '').trim();
		const problem = url ? publicUrlProblem(url) : 'the URL of the weights is required';
		if (problem) throw invalidInput(ctx, itemIndex, 'LoRA URL', url, problem);
		weights.push(url);
		scales.push(checkNumber(ctx, itemIndex, 'LoRA Scale', lora.scale ?? 1, 0, 4));
	}
	return { weights, scales };
}

/** Edit's source image: a public URL Replicate fetches, or the input binary as a data URI. */
async function readSource(
	ctx: IExecuteFunctions,
	itemIndex: number,
	param: Reader,
	maxBytes: number,
): Promise<string> {
	const imageUrl = checkText(
		ctx,
		itemIndex,
		'Source Image URL',
		param('imageUrl', '') ?? '',
	).trim();
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
				: 'Replicate takes one source image: name one binary field';
		throw invalidInput(ctx, itemIndex, 'Input Image Fields', fields, allowed);
	}
	const [image] = images;
	if (image.data.length > maxBytes) {
		const allowed = `the image is ${image.data.length} bytes, over Max Download Size (${maxBytes} bytes); raise it or make the image smaller`;
		throw invalidInput(ctx, itemIndex, 'Input Image Fields', fields, allowed);
	}
	return `data:${image.mimeType};base64,${image.data.toString('base64')}`;
}

/**
 * How long Replicate is asked to hold the create (`Prefer: wait=<n>`): up to 60 s, ending before
 * Max Wait, and no longer than a Request Timeout the user set; none when the node does not wait.
 */
export function holdSecondsFor(options: {
	waitForCompletion: boolean;
	maxWaitSeconds: number;
	requestTimeoutSeconds: number;
}): number | undefined {
	if (!options.waitForCompletion) return undefined;
	const limits = [MAX_HOLD_SECONDS, options.maxWaitSeconds - HOLD_BEFORE_MAX_WAIT_SECONDS];
	if (options.requestTimeoutSeconds > 0) limits.push(options.requestTimeoutSeconds);
	return Math.max(1, Math.floor(Math.min(...limits)));
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
		const options = readRunOptions(ctx, itemIndex, true);
		const prompt = readPrompt(ctx, itemIndex, PROMPT_MAX);
		const input: IDataObject = { prompt };
		const lora = operation === 'generate' ? readLoras(ctx, itemIndex, param) : undefined;
		const withLoras = !!lora && lora.weights.length > 0;
		let width: number | undefined;
		let height: number | undefined;
		if (operation === 'generate') {
			const max = withLoras ? SIDE.loraMax : SIDE.max;
			width = checkInteger(ctx, itemIndex, 'Width', param('width', 1024), SIDE.min, max);
			height = checkInteger(ctx, itemIndex, 'Height', param('height', 1024), SIDE.min, max);
			input.width = width;
			input.height = height;
		} else {
			input.image = await readSource(ctx, itemIndex, param, options.maxDownloadBytes);
			input.strength = checkNumber(ctx, itemIndex, 'Strength', param('strength', 0.6), 0, 1);
		}
		input.num_inference_steps = checkInteger(
			ctx,
			itemIndex,
			'Inference Steps',
			param('steps', 8),
			1,
			50,
		);
		input.guidance_scale = checkNumber(
			ctx,
			itemIndex,
			'Guidance Scale',
			param('guidanceScale', 0),
			0,
			20,
		);
		const seedValue = param('seed', -1);
		const seed =
			seedValue === '' || seedValue === undefined || parseDecimal(seedValue) === -1
				? undefined
				: checkInteger(ctx, itemIndex, 'Seed', seedValue, 0, SEED_MAX);
		if (seed !== undefined) input.seed = seed;
		const format = checkOneOf(ctx, itemIndex, 'Output Format', param('outputFormat', 'png'), [
			'jpg',
			'png',
			'webp',
		]);
		input.output_format = format;
		if (format !== 'png')
			input.output_quality = checkInteger(
				ctx,
				itemIndex,
				'Output Quality',
				param('outputQuality', 80),
				0,
				100,
			);
		if (withLoras) {
			input.lora_weights = lora.weights;
			input.lora_scales = lora.scales;
		}
		const model = operation === 'edit' ? IMG2IMG : withLoras ? TURBO_LORA : TURBO;
		const version = readVersion(ctx, itemIndex, param);
		const request: ProviderRequest = version
			? { method: 'POST', path: '/v1/predictions', json: { version, input } }
			: { method: 'POST', path: `/v1/models/${model}/predictions`, json: { input } };
		const hold = holdSecondsFor(options);
		if (hold !== undefined) {
			request.headers = { Prefer: `wait=${hold}` };
			request.holdSeconds = hold;
		}
		return {
			request,
			meta: {
				model: version ? `${model}:${version}` : model,
				prompt,
				seed,
				width,
				height,
				images: 1,
			},
		};
	};
}
