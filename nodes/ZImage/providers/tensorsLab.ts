import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { retryAfterSeconds } from '../transport';
import {
	asObject,
	checkInteger,
	checkOneOf,
	invalidInput,
	parseSize,
	readInputImages,
	readPrompt,
} from '../validation';
import type {
	FormField,
	HttpAnswer,
	ProviderCall,
	ProviderFailure,
	SubmitOperation,
	SubmitPlan,
	TaskState,
	TaskStatus,
	ZImageProvider,
} from './types';

// Contract: shared/PROVIDERS.md §1 and the TensorsLab seed documents.

type Model = 'zimage' | 'seedreamv45' | 'seedreamv4';

interface ModelRules {
	label: string;
	presets: readonly string[];
	/** Total pixels allowed for a custom size; absent when custom sizes are not accepted. */
	pixels?: { min: number; max: number; text: string };
	/** How this endpoint wants a custom size written. */
	separator: '*' | 'x';
}

const MODELS: Record<Model, ModelRules> = {
	zimage: {
		label: 'Z-Image Turbo',
		presets: ['1024*1024', '1:1', '16:9', '9:16', '4:3', '3:4'],
		pixels: { min: 512 * 512, max: 2048 * 2048, text: 'between 512×512 and 2048×2048 pixels in total' },
		separator: '*',
	},
	seedreamv45: {
		label: 'SeeDream 4.5',
		presets: ['2K', '4K', '1:1', '16:9', '9:16', '4:3', '3:4', '2:3', '3:2'],
		pixels: { min: 3_686_400, max: 16_777_216, text: 'between 3,686,400 and 16,777,216 pixels in total (e.g. 2560x1440)' },
		separator: 'x',
	},
	seedreamv4: {
		label: 'SeeDream 4',
		presets: ['1:1', '16:9', '9:16', '4:3', '3:4'],
		separator: 'x',
	},
};

const EDIT_MODELS: Model[] = ['seedreamv45', 'seedreamv4'];
const STATUS: Record<number, TaskStatus> = { 1: 'queued', 2: 'processing', 3: 'completed', 4: 'failed' };
const TOP_UP_URL = 'https://tensorai.tensorslab.com/';
const AUTH_WORDS =
	/unauthori[sz]ed|invalid (api[ _-]?)?key|invalid token|token (is )?(invalid|expired|missing)|api[ _-]?key (is )?(invalid|missing|wrong|expired)/i;
/** A task id no one has: asking for it costs nothing and still proves the key. */
const PROBE_TASK_ID = 'n8n-zimage-health-check';

const show = (extra: IDataObject = {}) => ({ show: { provider: ['tensorsLab'], ...extra } });

const presetOption = (value: string) => {
	const names: Record<string, string> = {
		'1024*1024': 'Default (1024×1024)',
		'2K': '2K',
		'4K': '4K',
	};
	return { name: names[value] ?? `${value} Aspect Ratio`, value };
};

const resolutionProperty = (model: Model, fallback: string): INodeProperties => ({
	displayName: 'Resolution',
	name: 'resolution',
	type: 'options',
	options: [
		...MODELS[model].presets.map(presetOption),
		...(MODELS[model].pixels ? [{ name: 'Custom Width × Height', value: 'custom' }] : []),
	],
	default: fallback,
	description: `Output size for ${MODELS[model].label}`,
	displayOptions: show({ operation: ['generate', 'edit'], model: [model] }),
});

const properties: INodeProperties[] = [
	{
		displayName: 'Model',
		name: 'model',
		type: 'options',
		options: [
			{ name: 'SeeDream 4', value: 'seedreamv4', description: 'Faster, good quality' },
			{ name: 'SeeDream 4.5', value: 'seedreamv45', description: 'Highest quality, up to 15 images' },
			{ name: 'Z-Image Turbo', value: 'zimage', description: 'Z-Image: one image per task' },
		],
		default: 'zimage',
		displayOptions: show({ operation: ['generate'] }),
	},
	{
		displayName: 'Model',
		name: 'model',
		type: 'options',
		options: [
			{ name: 'SeeDream 4', value: 'seedreamv4' },
			{ name: 'SeeDream 4.5', value: 'seedreamv45' },
		],
		default: 'seedreamv45',
		description: 'Only the SeeDream models take source images',
		displayOptions: show({ operation: ['edit'] }),
	},
	resolutionProperty('zimage', '1024*1024'),
	resolutionProperty('seedreamv45', '2K'),
	resolutionProperty('seedreamv4', '1:1'),
	{
		displayName: 'Width',
		name: 'width',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 1024,
		description: 'Width in pixels',
		displayOptions: show({ operation: ['generate', 'edit'], resolution: ['custom'] }),
	},
	{
		displayName: 'Height',
		name: 'height',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 1024,
		description: 'Height in pixels',
		displayOptions: show({ operation: ['generate', 'edit'], resolution: ['custom'] }),
	},
	{
		displayName: 'Seed',
		name: 'seed',
		type: 'number',
		typeOptions: { minValue: -1 },
		default: -1,
		description: 'Same seed and prompt give the same image; -1 picks a random seed',
		displayOptions: show({ operation: ['generate'], model: ['zimage'] }),
	},
	{
		displayName: 'Prompt Extend',
		name: 'promptExtend',
		type: 'boolean',
		default: false,
		description: 'Whether TensorsLab should enrich the prompt before generating',
		displayOptions: show({ operation: ['generate'], model: ['zimage'] }),
	},
	{
		displayName: 'Batch Size',
		name: 'batchSize',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: 15 },
		default: 1,
		description: 'How many images one task makes (1-15)',
		displayOptions: show({ operation: ['generate', 'edit'], model: ['seedreamv45', 'seedreamv4'] }),
	},
	{
		displayName: 'Source Image URL',
		name: 'imageUrl',
		type: 'string',
		default: '',
		placeholder: 'https://example.com/photo.jpg',
		description: 'A public image URL to edit, besides or instead of the binary fields',
		displayOptions: show({ operation: ['edit'] }),
	},
];

function readModel(ctx: IExecuteFunctions, itemIndex: number, operation: SubmitOperation): Model {
	const allowed = operation === 'edit' ? EDIT_MODELS : (Object.keys(MODELS) as Model[]);
	const context = operation === 'edit' ? ' for Edit (only SeeDream models take images)' : '';
	return checkOneOf(ctx, itemIndex, 'Model', ctx.getNodeParameter('model', itemIndex), allowed, context);
}

/** The resolution as the endpoint wants it written, and the size when it is known. */
function readResolution(
	ctx: IExecuteFunctions,
	itemIndex: number,
	model: Model,
): { resolution: string; width?: number; height?: number } {
	const rules = MODELS[model];
	const fallback = model === 'zimage' ? '1024*1024' : rules.presets[0];
	const value = String(ctx.getNodeParameter('resolution', itemIndex, fallback));
	let size: { width: number; height: number } | undefined;
	if (value === 'custom') {
		size = {
			width: checkInteger(ctx, itemIndex, 'Width', ctx.getNodeParameter('width', itemIndex), 1, 16384),
			height: checkInteger(ctx, itemIndex, 'Height', ctx.getNodeParameter('height', itemIndex), 1, 16384),
		};
	} else if (rules.presets.includes(value)) {
		const preset = parseSize(value);
		return { resolution: value, ...preset };
	} else {
		size = parseSize(value);
	}
	const allowedText = `${rules.label} accepts ${rules.presets.join(', ')}${
		rules.pixels ? `, or a custom width × height ${rules.pixels.text}` : ' (no custom sizes)'
	}`;
	if (!size || !rules.pixels) {
		throw invalidInput(ctx, itemIndex, 'Resolution', value, allowedText);
	}
	const pixels = size.width * size.height;
	if (pixels < rules.pixels.min || pixels > rules.pixels.max) {
		throw invalidInput(
			ctx,
			itemIndex,
			'Resolution',
			`${size.width}x${size.height}`,
			`${size.width}×${size.height} is ${pixels.toLocaleString('en-US')} pixels; ${allowedText}`,
		);
	}
	return { resolution: `${size.width}${rules.separator}${size.height}`, ...size };
}

async function prepareSubmit(
	ctx: IExecuteFunctions,
	itemIndex: number,
	operation: SubmitOperation,
): Promise<SubmitPlan> {
	const prompt = readPrompt(ctx, itemIndex);
	const model = readModel(ctx, itemIndex, operation);
	const { resolution, width, height } = readResolution(ctx, itemIndex, model);
	const form: FormField[] = [
		{ field: 'prompt', value: prompt },
		{ field: 'resolution', value: resolution },
	];
	let seed: number | undefined;
	if (model === 'zimage') {
		const seedValue = checkInteger(ctx, itemIndex, 'Seed', ctx.getNodeParameter('seed', itemIndex, -1), -1, 2147483647);
		if (seedValue >= 0) {
			seed = seedValue;
			form.push({ field: 'seed', value: String(seed) });
		}
		const extend = ctx.getNodeParameter('promptExtend', itemIndex, false) === true;
		form.push({ field: 'prompt_extend', value: extend ? '1' : '0' });
	} else {
		const batch = checkInteger(ctx, itemIndex, 'Batch Size', ctx.getNodeParameter('batchSize', itemIndex, 1), 1, 15);
		form.push({ field: 'batchsize', value: String(batch) });
	}
	if (operation === 'edit') {
		const fields = String(ctx.getNodeParameter('inputImageFields', itemIndex, '') ?? '');
		const imageUrl = String(ctx.getNodeParameter('imageUrl', itemIndex, '') ?? '').trim();
		if (imageUrl && !/^https?:\/\/\S+$/i.test(imageUrl)) {
			throw invalidInput(ctx, itemIndex, 'Source Image URL', imageUrl, 'an http:// or https:// URL is required');
		}
		const images = await readInputImages(ctx, itemIndex, fields, 'Input Image Fields');
		if (!images.length && !imageUrl) {
			throw invalidInput(
				ctx,
				itemIndex,
				'Input Image Fields',
				fields,
				'Edit needs a source image: name a binary field of the input item, or give a Source Image URL',
			);
		}
		for (const image of images) {
			form.push({ field: 'sourceImage', file: image.data, fileName: image.fileName, mimeType: image.mimeType });
		}
		if (imageUrl) form.push({ field: 'imageUrl', value: imageUrl });
	}
	return {
		request: { method: 'POST', path: `/v1/images/${model}`, form },
		meta: { model, prompt, seed, width, height },
	};
}

function numberOf(value: unknown): number | undefined {
	const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
	return typeof number === 'number' && Number.isFinite(number) ? number : undefined;
}

function readTask(body: unknown, taskId: string): TaskState | undefined {
	const data = asObject(asObject(body)?.data);
	const code = numberOf(data?.image_status);
	const status = code === undefined ? undefined : STATUS[code];
	if (!data || !status) return undefined;
	const urls = Array.isArray(data.url) ? data.url : typeof data.url === 'string' && data.url ? [data.url] : [];
	const message = typeof data.error_message === 'string' && data.error_message ? data.error_message : undefined;
	return {
		taskId: typeof data.taskid === 'string' && data.taskid ? data.taskid : taskId,
		status,
		images: status === 'completed' ? urls.filter((url): url is string => typeof url === 'string').map((url) => ({ url })) : [],
		error: status === 'failed' ? { message: message ?? 'TensorsLab gave no reason' } : undefined,
		model: typeof data.category === 'string' ? data.category : undefined,
		prompt: typeof data.prompt === 'string' ? data.prompt : undefined,
		seed: numberOf(data.origseed),
		width: numberOf(data.width),
		height: numberOf(data.height),
		raw: data as IDataObject,
	};
}

function messageOf(answer: HttpAnswer): string {
	const msg = asObject(answer.body)?.msg;
	return typeof msg === 'string' ? msg : '';
}

/** TensorsLab may say "bad key" with an HTTP status or with a message under HTTP 200. */
function keyRejected(answer: HttpAnswer): boolean {
	const body = asObject(answer.body);
	return (
		answer.statusCode === 401 ||
		answer.statusCode === 403 ||
		(body !== undefined && body.code !== 1000 && AUTH_WORDS.test(messageOf(answer)))
	);
}

function readFailure(answer: HttpAnswer): ProviderFailure | undefined {
	const { statusCode, headers } = answer;
	const body = asObject(answer.body);
	const msg = messageOf(answer);
	const httpCode = String(statusCode);
	if (keyRejected(answer)) {
		return {
			message: `TensorsLab rejected the API key${msg ? ` (${msg})` : ''}`,
			description: 'Check the API key and the "Authorization Header" form in the TensorsLab credential.',
			httpCode,
		};
	}
	if (statusCode === 429 || statusCode === 503) {
		return {
			message: `TensorsLab is busy (HTTP ${statusCode})${msg ? `: ${msg}` : ''}`,
			httpCode,
			notAccepted: true,
			transient: true,
			retryAfterSeconds: retryAfterSeconds(headers),
		};
	}
	if (statusCode >= 400) {
		return {
			message: `TensorsLab answered HTTP ${statusCode}${msg ? `: ${msg}` : ''}`,
			httpCode,
			transient: statusCode >= 500,
		};
	}
	if (!body) {
		return {
			message: 'TensorsLab sent an answer that is not JSON',
			description: String(answer.body ?? '').slice(0, 200),
			transient: true,
		};
	}
	// No code at all is not a TensorsLab refusal: the caller finds the answer unreadable.
	if (body.code === 1000 || body.code === undefined) return undefined;
	if (body.code === 9000) {
		return {
			message: `Your TensorsLab credits are used up (code 9000). Top up at ${TOP_UP_URL} and run again`,
			description: msg || undefined,
		};
	}
	return { message: `TensorsLab refused the request (code ${String(body.code)}): ${msg || 'no message'}` };
}

async function health(call: ProviderCall): Promise<IDataObject> {
	const answer = await call.exchange({
		method: 'POST',
		path: '/v1/images/infobytaskid',
		json: { taskid: PROBE_TASK_ID },
	});
	// An unknown task id is the expected answer; only a refused key or a broken server fail.
	const failure = readFailure(answer);
	if (failure && (keyRejected(answer) || answer.statusCode >= 400 || !asObject(answer.body))) {
		throw call.fail(failure);
	}
	const body = asObject(answer.body);
	return {
		reachable: true,
		keyAccepted: true,
		baseUrl: call.baseUrl,
		httpStatus: answer.statusCode,
		providerCode: body?.code as number | undefined,
		providerMessage: body?.msg as string | undefined,
	};
}

export const tensorsLab: ZImageProvider = {
	name: 'tensorsLab',
	displayName: 'TensorsLab',
	credentialType: 'tensorsLabApi',
	firstPollSeconds: 1,
	requestTimeoutSeconds: 180,
	operations: [
		{ name: 'Delete Task', value: 'deleteTask', action: 'Delete tasks', description: 'Delete one or more tasks' },
		{ name: 'Edit', value: 'edit', action: 'Edit an image', description: 'Image to image with SeeDream' },
		{ name: 'Generate', value: 'generate', action: 'Generate an image', description: 'Text to image' },
		{ name: 'Get Task', value: 'getTask', action: 'Get a task', description: 'Look up a task, optionally wait and download its images' },
		{ name: 'Health', value: 'health', action: 'Check the connection', description: 'Check that TensorsLab answers and accepts the key, at no cost' },
	],
	properties,
	prepareSubmit,
	readSubmit(body) {
		const data = asObject(asObject(body)?.data);
		const taskId = data?.taskid;
		return { taskId: typeof taskId === 'string' && taskId ? taskId : undefined };
	},
	checkTaskId(taskId) {
		return /^[A-Za-z0-9_.:-]{1,128}$/.test(taskId)
			? undefined
			: 'a TensorsLab task id is letters, digits, "_" or "-" (e.g. abcd_1234567890abcdef)';
	},
	statusRequest(taskId) {
		return { method: 'POST', path: '/v1/images/infobytaskid', json: { taskid: taskId } };
	},
	readTask,
	deleteRequest(taskIds) {
		return { method: 'POST', path: '/v1/images/deleteimagestask', json: { taskids: taskIds } };
	},
	health,
	readFailure,
};
