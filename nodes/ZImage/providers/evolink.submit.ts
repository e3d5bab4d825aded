import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import type { ParameterNaming } from '../parameters';
import type { SubmitPlan } from '../types';
import {
	checkInteger,
	checkOneOf,
	invalidInput,
	isPrivateHost,
	parseDecimal,
	readPrompt,
	readText,
} from '../validation';
import { SIDE } from './evolink.fields';

// What Evolink's API is asked for (see the README's "Evolink / ODKKK parameters").

const MODELS = ['z-image-turbo'] as const;
const RATIOS = ['1:1', '2:3', '3:2', '3:4', '4:3', '9:16', '16:9', '1:2', '2:1'] as const;
const SEED = { min: 1, max: 2147483647 };
export const PROMPT_MAX = 2000;
const CALLBACK_MAX = 2048;

function readSize(
	ctx: IExecuteFunctions,
	itemIndex: number,
	own: ParameterNaming,
): { size: string; width?: number; height?: number } {
	const value = readText(ctx, itemIndex, own.of(ctx, 'size'), 'Size', '1:1');
	let width: unknown;
	let height: unknown;
	if (value === 'custom') {
		width = ctx.getNodeParameter(own.of(ctx, 'width'), itemIndex);
		height = ctx.getNodeParameter(own.of(ctx, 'height'), itemIndex);
	} else if ((RATIOS as readonly string[]).includes(value)) {
		return { size: value };
	} else {
		const match = /^\s*(\d+)\s*[x*×]\s*(\d+)\s*$/i.exec(value);
		if (!match) {
			const allowed = `allowed: ${RATIOS.join(', ')}, or WxH with each side from ${SIDE.min} to ${SIDE.max}`;
			throw invalidInput(ctx, itemIndex, 'Size', value, allowed);
		}
		[width, height] = [Number(match[1]), Number(match[2])];
	}
	const checkedWidth = checkInteger(ctx, itemIndex, 'Width', width, SIDE.min, SIDE.max);
	const checkedHeight = checkInteger(ctx, itemIndex, 'Height', height, SIDE.min, SIDE.max);
	return { size: `${checkedWidth}x${checkedHeight}`, width: checkedWidth, height: checkedHeight };
}

const CALLBACK_RULE = `an https:// address on the public internet, at most ${CALLBACK_MAX} characters`;

/** Why the API would refuse this callback address (its own rule), or undefined. */
export function callbackUrlProblem(value: string): string | undefined {
	const refuse = (reason: string) => `${reason}; ${CALLBACK_RULE}`;
	if (value.length > CALLBACK_MAX) return refuse(`${value.length} characters is too long`);
	let url: URL;
	try {
		url = new URL(value);
	} catch {
		return refuse('not a URL');
	}
	if (url.protocol !== 'https:') return refuse('only HTTPS is accepted');
	if (isPrivateHost(url.hostname))
		return refuse(`${url.hostname} is a private or loopback address`);
	return undefined;
}

function readCallbackUrl(
	ctx: IExecuteFunctions,
	itemIndex: number,
	own: ParameterNaming,
): string | undefined {
	// In callback wait mode the node sets the address itself (callback/).
	if (ctx.getNodeParameter(own.of(ctx, 'waitMode'), itemIndex, 'poll') === 'callback')
		return undefined;
	const value = readText(ctx, itemIndex, own.of(ctx, 'callbackUrl'), 'Callback URL').trim();
	if (!value) return undefined;
	const problem = callbackUrlProblem(value);
	if (problem) throw invalidInput(ctx, itemIndex, 'Callback URL', value, problem);
	return value;
}

/** Reads and checks one item's Generate parameters, under the names of the node's version. */
export function prepareSubmitWith(own: ParameterNaming) {
	return async function prepareSubmit(
		ctx: IExecuteFunctions,
		itemIndex: number,
	): Promise<SubmitPlan> {
		const param = (name: string, fallback?: unknown) =>
			ctx.getNodeParameter(own.of(ctx, name), itemIndex, fallback);
		const prompt = readPrompt(ctx, itemIndex, PROMPT_MAX);
		const model = checkOneOf(ctx, itemIndex, 'Model', param('model', 'z-image-turbo'), MODELS);
		const { size, width, height } = readSize(ctx, itemIndex, own);
		const seedValue = param('seed', -1);
		const seed =
			seedValue === '' || seedValue === undefined || parseDecimal(seedValue) === -1
				? undefined
				: checkInteger(ctx, itemIndex, 'Seed', seedValue, SEED.min, SEED.max);
		const callbackUrl = readCallbackUrl(ctx, itemIndex, own);
		const json: IDataObject = { model, prompt, size };
		if (seed !== undefined) json.seed = seed;
		if (param('nsfwCheck', false) === true) json.nsfw_check = true;
		if (callbackUrl) json.callback_url = callbackUrl;
		return {
			request: { method: 'POST', path: '/v1/images/generations', json },
			meta: { model, prompt, seed, width, height, images: 1 },
		};
	};
}
