import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { parameterNaming } from '../parameters';
import type { SubmitOperation, SubmitPlan } from '../types';
import {
	checkInteger,
	checkLength,
	checkNumber,
	checkOneOf,
	invalidInput,
	parseSize,
	readInputImages,
	readPrompt,
	readText,
} from '../validation';

// What the self-hosted server is asked for: sizes in multiples of 32, the sync or async
// endpoints, base64 or URL answers.

const MIN_PIXELS = 512 * 512;
const MAX_PIXELS = 2048 * 2048;
const FORMATS = ['b64_json', 'url'] as const;
/**
 * The server documents no prompt limit; its text encoder reads about 512 tokens (some 2000
 * English characters), so 4000 characters leaves room for any prompt it can use.
 */
export const PROMPT_MAX = 4000;
/** The most images one request may ask for (`n`). */
export const MAX_IMAGES = 8;
/** Node version 1 named its parameters plainly (size, useAsync): kept there (parameters.ts). */
export const own = parameterNaming('selfHosted', true);

interface Size {
	width: number;
	height: number;
	notice?: string;
}

/** WxH in multiples of 32 within the model's pixel range, rounded only when the user said so. */
function readSize(ctx: IExecuteFunctions, itemIndex: number, text: string): Size {
	const parsed = parseSize(text);
	const allowed =
		'width x height, both multiples of 32, 512×512 to 2048×2048 pixels in total (e.g. 1024x1024, 1344x768)';
	if (!parsed) throw invalidInput(ctx, itemIndex, 'Size', text, allowed);
	let { width, height } = parsed;
	let notice: string | undefined;
	if (width % 32 !== 0 || height % 32 !== 0) {
		const down = `${width - (width % 32)}x${height - (height % 32)}`;
		const up = `${Math.ceil(width / 32) * 32}x${Math.ceil(height / 32) * 32}`;
		if (ctx.getNodeParameter(own.of(ctx, 'sizeRounding'), itemIndex, 'reject') !== 'roundDown') {
			const reason = `width and height must be multiples of 32; the nearest valid sizes are ${down} and ${up} (or set "Size Not a Multiple of 32" to Round Down)`;
			throw invalidInput(ctx, itemIndex, 'Size', text, reason);
		}
		notice = `Size ${width}x${height} was rounded down to ${down} (multiples of 32)`;
		width -= width % 32;
		height -= height % 32;
	}
	const pixels = width * height;
	if (pixels < MIN_PIXELS || pixels > MAX_PIXELS) {
		const reason = `${pixels.toLocaleString('en-US')} pixels is outside ${allowed}`;
		throw invalidInput(ctx, itemIndex, 'Size', `${width}x${height}`, reason);
	}
	return { width, height, notice };
}

export async function prepareSubmit(
	ctx: IExecuteFunctions,
	itemIndex: number,
	operation: SubmitOperation,
): Promise<SubmitPlan> {
	const param = (name: string, fallback: unknown) =>
		ctx.getNodeParameter(own.of(ctx, name), itemIndex, fallback);
	const prompt = readPrompt(ctx, itemIndex, PROMPT_MAX);
	const format = checkOneOf(
		ctx,
		itemIndex,
		'Response Format',
		param('responseFormat', 'b64_json'),
		FORMATS,
	);
	const steps = checkInteger(
		ctx,
		itemIndex,
		'Inference Steps',
		param('numInferenceSteps', 50),
		1,
		200,
	);
	const useAsync = param('useAsync', false) === true;
	const sizeText = readText(
		ctx,
		itemIndex,
		own.of(ctx, 'size'),
		'Size',
		operation === 'generate' ? '1024x1024' : '',
	).trim();

	if (operation === 'generate') {
		const size = readSize(ctx, itemIndex, sizeText);
		const negative = readText(ctx, itemIndex, own.of(ctx, 'negativePrompt'), 'Negative Prompt');
		const n = checkInteger(
			ctx,
			itemIndex,
			'Number of Images',
			param('numberOfImages', 1),
			1,
			MAX_IMAGES,
		);
		const json: IDataObject = {
			prompt,
			negative_prompt: checkLength(ctx, itemIndex, 'Negative Prompt', negative, PROMPT_MAX),
			size: `${size.width}x${size.height}`,
			n,
			response_format: format,
			num_inference_steps: steps,
			guidance_scale: checkNumber(
				ctx,
				itemIndex,
				'Guidance Scale',
				param('guidanceScale', 4),
				0,
				30,
			),
			cfg_normalization: param('cfgNormalization', false) === true,
		};
		const path = useAsync ? '/v1/images/async_generate' : '/v1/images/generations';
		return {
			request: {
				method: 'POST',
				path,
				json,
				inlineImages: format === 'b64_json' && !useAsync ? n : 0,
			},
			meta: {
				model: 'z-image',
				prompt,
				width: size.width,
				height: size.height,
				notice: size.notice,
				images: n,
			},
		};
	}

	const fields = readText(ctx, itemIndex, 'inputImageFields', 'Input Image Fields', 'data').trim();
	if (!fields || fields.includes(',')) {
		const allowed = 'the self-hosted server edits exactly one image: name one binary field';
		throw invalidInput(ctx, itemIndex, 'Input Image Fields', fields, allowed);
	}
	const [image] = await readInputImages(ctx, itemIndex, fields, 'Input Image Fields');
	const size = sizeText ? readSize(ctx, itemIndex, sizeText) : undefined;
	const guidance = checkNumber(
		ctx,
		itemIndex,
		'Guidance Scale',
		param('guidanceScale', 1.5),
		0,
		30,
	);
	const form = [
		{ field: 'image', file: image.data, fileName: image.fileName, mimeType: image.mimeType },
		{ field: 'prompt', value: prompt },
		...(size ? [{ field: 'size', value: `${size.width}x${size.height}` }] : []),
		{ field: 'response_format', value: format },
		{ field: 'num_inference_steps', value: String(steps) },
		{ field: 'guidance_scale', value: String(guidance) },
	];
	return {
		request: {
			method: 'POST',
			path: useAsync ? '/v1/images/async_edit' : '/v1/images/edits',
			form,
			inlineImages: format === 'b64_json' && !useAsync ? 1 : 0,
		},
		meta: {
			model: 'z-image-edit',
			prompt,
			width: size?.width,
			height: size?.height,
			notice: size?.notice,
			images: 1,
		},
	};
}
