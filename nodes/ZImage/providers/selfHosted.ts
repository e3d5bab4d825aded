import { randomUUID } from 'crypto';
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { classifyAnswer } from '../failures';
import type { ResultImage, SubmitOperation, SubmitPlan, TaskState, ZImageProvider } from '../types';
import { pathSegment } from '../taskIds';
import {
	asObject,
	checkInteger,
	checkNumber,
	checkLength,
	checkOneOf,
	invalidInput,
	parseSize,
	readInputImages,
	readPrompt,
	readText,
} from '../validation';
import { selfHostedErrors as errors } from './selfHosted.errors';
import { selfHostedHealth } from './selfHosted.health';
import { selfHostedFields } from './selfHosted.fields';
import { offerOperations } from './operations';

// The self-hosted Z-Image Vision server (see the README's "Self-hosted server parameters"):
// an OpenAI-style API, synchronous by default, async endpoints on newer servers.

const MIN_PIXELS = 512 * 512;
const MAX_PIXELS = 2048 * 2048;
const FORMATS = ['b64_json', 'url'] as const;
/**
 * The server documents no prompt limit; its text encoder reads about 512 tokens (some 2000
 * English characters), so 4000 characters leaves room for any prompt it can use.
 */
const PROMPT_MAX = 4000;
/** The most images one request may ask for (`n`). */
const MAX_IMAGES = 8;

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
		if (ctx.getNodeParameter('sizeRounding', itemIndex, 'reject') !== 'roundDown') {
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

async function prepareSubmit(
	ctx: IExecuteFunctions,
	itemIndex: number,
	operation: SubmitOperation,
): Promise<SubmitPlan> {
	const param = (name: string, fallback: unknown) =>
		ctx.getNodeParameter(name, itemIndex, fallback);
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
		'size',
		'Size',
		operation === 'generate' ? '1024x1024' : '',
	).trim();

	if (operation === 'generate') {
		const size = readSize(ctx, itemIndex, sizeText);
		const negative = readText(ctx, itemIndex, 'negativePrompt', 'Negative Prompt');
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

function readImages(data: unknown): ResultImage[] | undefined {
	if (!Array.isArray(data)) return undefined;
	const images: ResultImage[] = [];
	for (const entry of data) {
		const item = asObject(entry);
		if (typeof item?.b64_json === 'string' && item.b64_json) images.push({ base64: item.b64_json });
		else if (typeof item?.url === 'string' && item.url) images.push({ url: item.url });
		else return undefined;
	}
	return images;
}

function readTask(body: unknown, taskId: string): TaskState | undefined {
	const answer = asObject(body);
	const status = answer?.status;
	const base = {
		taskId: typeof answer?.task_id === 'string' ? answer.task_id : taskId,
		raw: (answer ?? {}) as IDataObject,
	};
	if (status === 'processing' || status === 'pending' || status === 'queued') {
		return { ...base, status: status === 'processing' ? 'processing' : 'queued', images: [] };
	}
	if (status === 'failed') {
		const error =
			typeof answer?.error === 'string'
				? answer.error
				: JSON.stringify(answer?.error ?? 'no reason given');
		return { ...base, status: 'failed', images: [], error: { message: error } };
	}
	if (status === 'completed') {
		const images = readImages(answer?.data);
		return images ? { ...base, status: 'completed', images } : undefined;
	}
	return undefined;
}

function readSubmit(body: unknown): { taskId?: string; state?: TaskState } {
	const answer = asObject(body);
	if (typeof answer?.task_id === 'string' && answer.task_id) {
		return { taskId: answer.task_id, state: readTask(body, answer.task_id) };
	}
	const images = readImages(answer?.data);
	if (!images?.length) return {};
	// The synchronous endpoints have no task: name the result after the answer's time.
	const created =
		typeof answer?.created === 'number' ? answer.created : Math.floor(Date.now() / 1000);
	const taskId = `local-${created}-${randomUUID().slice(0, 8)}`;
	return { taskId, state: { taskId, status: 'completed', images, raw: answer as IDataObject } };
}

export const selfHosted: ZImageProvider = {
	name: 'selfHosted',
	displayName: 'Z-Image Server',
	credentialType: 'zImageServerApi',
	// The server is on the user's own GPU: the first request may load the model for minutes.
	requestTimeoutSeconds: 600,
	maxPromptLength: PROMPT_MAX,
	maxResultsPerTask: MAX_IMAGES,
	firstPollSeconds: 2,
	// The server serves /outputs/ behind the same token as its API (when it has one).
	downloadsNeedKey: true,
	resultLinksExpire:
		'not by a provider rule: the links are files on your own Z-Image server, there as long as it keeps them',
	// One GPU generates one image at a time: more synchronous requests would only queue
	// there, each holding a connection open towards its timeout.
	maxConcurrency(ctx) {
		return ctx.getNodeParameter('useAsync', 0, false) === true ? undefined : 2;
	},
	operations: offerOperations({
		edit: 'Image to image',
		generate: 'Text to image',
		getTask: 'Look up an async task (newer servers)',
		health: { description: 'Reachable, model loaded, busy or idle', action: 'Check the server' },
		listModels: 'The models the server offers',
		unloadModel: 'Free the GPU memory now',
	}),
	unsupported: {
		deleteTask: 'the Z-Image server keeps no deletable tasks (it has no delete endpoint)',
	},
	properties: selfHostedFields,
	errors,
	prepareSubmit,
	readSubmit,
	checkTaskId(taskId) {
		return /^[A-Za-z0-9_.:-]{1,128}$/.test(taskId)
			? undefined
			: 'a task id is letters, digits, ".", "_", ":" or "-"';
	},
	statusRequest(taskId) {
		// A finished task may carry its images inline: as many as a task may make.
		return {
			method: 'GET',
			path: `/v1/images/tasks/${pathSegment(taskId)}`,
			inlineImages: MAX_IMAGES,
		};
	},
	readTask,
	readFailure: (answer) => classifyAnswer(errors, answer),
	health: selfHostedHealth,
	ownOperations: {
		async listModels(call) {
			const body = asObject(
				(await call.request({ method: 'GET', path: '/v1/models' }, 'housekeeping')).body,
			);
			const models = Array.isArray(body?.data) ? body.data : [];
			return models.map((entry) => {
				const model = asObject(entry) ?? {};
				return {
					id: model.id,
					ownedBy: model.owned_by,
					created: model.created,
					capabilities: model.capabilities,
				} as IDataObject;
			});
		},
		async unloadModel(call) {
			const body = asObject(
				(await call.request({ method: 'POST', path: '/v1/internal/unload' }, 'housekeeping')).body,
			);
			return { unloaded: true, message: (body?.status as string | undefined) ?? 'models unloaded' };
		},
	},
};
