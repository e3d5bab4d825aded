import { randomUUID } from 'crypto';
import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { retryAfterSeconds } from '../transport';
import {
	asObject,
	checkInteger,
	checkNumber,
	checkOneOf,
	invalidInput,
	parseSize,
	readInputImages,
	readPrompt,
} from '../validation';
import type {
	HttpAnswer,
	ProviderCall,
	ProviderFailure,
	ResultImage,
	SubmitOperation,
	SubmitPlan,
	TaskState,
	ZImageProvider,
} from './types';

// Contract: shared/PROVIDERS.md §2 and the Z-Image Vision server seed document.

const MIN_PIXELS = 512 * 512;
const MAX_PIXELS = 2048 * 2048;
/** A model that failed to load is retried after this, as the server's documentation asks. */
const MODEL_LOAD_RETRY_SECONDS = 10;
const FORMATS = ['b64_json', 'url'] as const;

const show = (operation: string[], extra: IDataObject = {}) => ({
	show: { provider: ['selfHosted'], operation, ...extra },
});

const properties: INodeProperties[] = [
	{
		displayName: 'Negative Prompt',
		name: 'negativePrompt',
		type: 'string',
		typeOptions: { rows: 2 },
		default: '',
		placeholder: 'blurry, low quality',
		description: 'What the image should not show',
		displayOptions: show(['generate']),
	},
	{
		displayName: 'Size',
		name: 'size',
		type: 'string',
		default: '1024x1024',
		placeholder: '1024x1024',
		description: 'Width x height; both multiples of 32, 512×512 to 2048×2048 pixels in total',
		displayOptions: show(['generate']),
	},
	{
		displayName: 'Size',
		name: 'size',
		type: 'string',
		default: '',
		placeholder: 'Same as the input image',
		description: "Width x height of the result (multiples of 32); empty keeps the input image's size",
		displayOptions: show(['edit']),
	},
	{
		displayName: 'Size Not a Multiple of 32',
		name: 'sizeRounding',
		type: 'options',
		options: [
			{ name: 'Reject', value: 'reject', description: 'Stop with an error naming the nearest valid sizes' },
			{ name: 'Round Down', value: 'roundDown', description: 'Round each side down and say so in the output' },
		],
		default: 'reject',
		description: 'The server needs multiples of 32 and would silently round down otherwise',
		displayOptions: show(['generate', 'edit']),
	},
	{
		displayName: 'Number of Images',
		name: 'numberOfImages',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: 8 },
		default: 1,
		description: 'Images in one request (1-8)',
		displayOptions: show(['generate']),
	},
	{
		displayName: 'Inference Steps',
		name: 'numInferenceSteps',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: 200 },
		default: 50,
		description: 'More steps: better and slower. Z-Image base: 28-50; Z-Image-Turbo: 9.',
		displayOptions: show(['generate', 'edit']),
	},
	{
		displayName: 'Guidance Scale',
		name: 'guidanceScale',
		type: 'number',
		typeOptions: { minValue: 0, maxValue: 30, numberPrecision: 2 },
		default: 4,
		description: 'How closely to follow the prompt. Z-Image base: 3-5; Z-Image-Turbo: 0.',
		displayOptions: show(['generate']),
	},
	{
		displayName: 'Guidance Scale',
		name: 'guidanceScale',
		type: 'number',
		typeOptions: { minValue: 0, maxValue: 30, numberPrecision: 2 },
		default: 1.5,
		description: 'How closely to follow the instruction',
		displayOptions: show(['edit']),
	},
	{
		displayName: 'CFG Normalization',
		name: 'cfgNormalization',
		type: 'boolean',
		default: false,
		description: 'Whether to normalize classifier-free guidance (off for standard generation)',
		displayOptions: show(['generate']),
	},
	{
		displayName: 'Response Format',
		name: 'responseFormat',
		type: 'options',
		options: [
			{ name: 'Base64 in the Answer', value: 'b64_json', description: 'No second download' },
			{ name: 'URL to Download', value: 'url', description: 'The node downloads each /outputs/ file' },
		],
		default: 'b64_json',
		displayOptions: show(['generate', 'edit']),
	},
	{
		displayName: 'Use Async Endpoints',
		name: 'useAsync',
		type: 'boolean',
		default: false,
		description:
			'Whether to submit a task and poll it (newer servers) instead of holding one request open for minutes, which reverse proxies may cut',
		displayOptions: show(['generate', 'edit']),
	},
];

interface Size {
	width: number;
	height: number;
	notice?: string;
}

/** WxH in multiples of 32 within the model's pixel range, rounded only when the user said so. */
function readSize(ctx: IExecuteFunctions, itemIndex: number, text: string): Size {
	const parsed = parseSize(text);
	const allowed = 'width x height, both multiples of 32, 512×512 to 2048×2048 pixels in total (e.g. 1024x1024, 1344x768)';
	if (!parsed) throw invalidInput(ctx, itemIndex, 'Size', text, allowed);
	let { width, height } = parsed;
	let notice: string | undefined;
	if (width % 32 !== 0 || height % 32 !== 0) {
		const down = `${width - (width % 32)}x${height - (height % 32)}`;
		const up = `${Math.ceil(width / 32) * 32}x${Math.ceil(height / 32) * 32}`;
		if (ctx.getNodeParameter('sizeRounding', itemIndex, 'reject') !== 'roundDown') {
			throw invalidInput(
				ctx,
				itemIndex,
				'Size',
				text,
				`width and height must be multiples of 32; the nearest valid sizes are ${down} and ${up} (or set "Size Not a Multiple of 32" to Round Down)`,
			);
		}
		notice = `Size ${width}x${height} was rounded down to ${down} (multiples of 32)`;
		width -= width % 32;
		height -= height % 32;
	}
	const pixels = width * height;
	if (pixels < MIN_PIXELS || pixels > MAX_PIXELS) {
		throw invalidInput(ctx, itemIndex, 'Size', `${width}x${height}`, `${pixels.toLocaleString('en-US')} pixels is outside ${allowed}`);
	}
	return { width, height, notice };
}

async function prepareSubmit(
	ctx: IExecuteFunctions,
	itemIndex: number,
	operation: SubmitOperation,
): Promise<SubmitPlan> {
	const prompt = readPrompt(ctx, itemIndex);
	const format = checkOneOf(ctx, itemIndex, 'Response Format', ctx.getNodeParameter('responseFormat', itemIndex, 'b64_json'), FORMATS);
	const steps = checkInteger(ctx, itemIndex, 'Inference Steps', ctx.getNodeParameter('numInferenceSteps', itemIndex, 50), 1, 200);
	const useAsync = ctx.getNodeParameter('useAsync', itemIndex, false) === true;
	const sizeText = String(ctx.getNodeParameter('size', itemIndex, operation === 'generate' ? '1024x1024' : '') ?? '').trim();

	if (operation === 'generate') {
		const size = readSize(ctx, itemIndex, sizeText);
		const json: IDataObject = {
			prompt,
			negative_prompt: String(ctx.getNodeParameter('negativePrompt', itemIndex, '') ?? ''),
			size: `${size.width}x${size.height}`,
			n: checkInteger(ctx, itemIndex, 'Number of Images', ctx.getNodeParameter('numberOfImages', itemIndex, 1), 1, 8),
			response_format: format,
			num_inference_steps: steps,
			guidance_scale: checkNumber(ctx, itemIndex, 'Guidance Scale', ctx.getNodeParameter('guidanceScale', itemIndex, 4), 0, 30),
			cfg_normalization: ctx.getNodeParameter('cfgNormalization', itemIndex, false) === true,
		};
		return {
			request: { method: 'POST', path: useAsync ? '/v1/images/async_generate' : '/v1/images/generations', json },
			meta: { model: 'z-image', prompt, width: size.width, height: size.height, notice: size.notice },
		};
	}

	const fields = String(ctx.getNodeParameter('inputImageFields', itemIndex, 'data') ?? '').trim();
	if (!fields || fields.includes(',')) {
		throw invalidInput(ctx, itemIndex, 'Input Image Fields', fields, 'the self-hosted server edits exactly one image: name one binary field');
	}
	const [image] = await readInputImages(ctx, itemIndex, fields, 'Input Image Fields');
	const size = sizeText ? readSize(ctx, itemIndex, sizeText) : undefined;
	const guidance = checkNumber(ctx, itemIndex, 'Guidance Scale', ctx.getNodeParameter('guidanceScale', itemIndex, 1.5), 0, 30);
	const form = [
		{ field: 'image', file: image.data, fileName: image.fileName, mimeType: image.mimeType },
		{ field: 'prompt', value: prompt },
		...(size ? [{ field: 'size', value: `${size.width}x${size.height}` }] : []),
		{ field: 'response_format', value: format },
		{ field: 'num_inference_steps', value: String(steps) },
		{ field: 'guidance_scale', value: String(guidance) },
	];
	return {
		request: { method: 'POST', path: useAsync ? '/v1/images/async_edit' : '/v1/images/edits', form },
		meta: { model: 'z-image-edit', prompt, width: size?.width, height: size?.height, notice: size?.notice },
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
	const raw = (answer ?? {}) as IDataObject;
	const base = { taskId: typeof answer?.task_id === 'string' ? answer.task_id : taskId, raw };
	if (status === 'processing' || status === 'pending' || status === 'queued') {
		return { ...base, status: status === 'processing' ? 'processing' : 'queued', images: [] };
	}
	if (status === 'failed') {
		const error = typeof answer?.error === 'string' ? answer.error : JSON.stringify(answer?.error ?? 'no reason given');
		return { ...base, status: 'failed', images: [], error: { message: error } };
	}
	if (status === 'completed') {
		const images = readImages(answer?.data);
		return images ? { ...base, status: 'completed', images } : undefined;
	}
	return undefined;
}

function detailOf(body: unknown): string {
	const detail = asObject(body)?.detail;
	if (typeof detail === 'string') return detail;
	if (Array.isArray(detail)) {
		// FastAPI validation errors: [{loc: ['body', 'size'], msg, type}]
		return detail
			.map((entry) => {
				const item = asObject(entry);
				const loc = Array.isArray(item?.loc) ? item.loc.join('.') : '';
				return `${loc ? `${loc}: ` : ''}${String(item?.msg ?? JSON.stringify(entry))}`;
			})
			.join('; ');
	}
	return typeof body === 'string' ? body.slice(0, 200) : '';
}

function readFailure(answer: HttpAnswer): ProviderFailure | undefined {
	const { statusCode } = answer;
	const detail = detailOf(answer.body);
	const httpCode = String(statusCode);
	if (statusCode === 401 || statusCode === 403) {
		return {
			message: `the server refused the token (HTTP ${statusCode})${detail ? `: ${detail}` : ''}`,
			description: 'Check the API Key (bearer token) of the Z-Image Server credential, or clear it if the server needs none.',
			httpCode,
		};
	}
	if (statusCode === 500 && /model/i.test(detail) && /load/i.test(detail)) {
		// Nothing was generated: the documented cure is to wait and send the same request again.
		return {
			message: `the model failed to load (HTTP 500): ${detail}`,
			httpCode,
			notAccepted: true,
			transient: true,
			retryAfterSeconds: retryAfterSeconds(answer.headers) ?? MODEL_LOAD_RETRY_SECONDS,
		};
	}
	if (statusCode === 429 || statusCode === 503) {
		return {
			message: `the server is busy (HTTP ${statusCode})${detail ? `: ${detail}` : ''}`,
			httpCode,
			notAccepted: true,
			transient: true,
			retryAfterSeconds: retryAfterSeconds(answer.headers),
		};
	}
	if (statusCode === 422) {
		return { message: `the server rejected the request (HTTP 422): ${detail || 'validation error'}`, httpCode };
	}
	if (statusCode === 404) {
		return {
			message: `not found (HTTP 404)${detail ? `: ${detail}` : ''}`,
			description: 'Older servers have no async endpoints or task look-up: turn off "Use Async Endpoints".',
			httpCode,
		};
	}
	if (statusCode >= 400) {
		return {
			message: `the server answered HTTP ${statusCode}${detail ? `: ${detail}` : ''}`,
			httpCode,
			transient: statusCode >= 500,
		};
	}
	if (!asObject(answer.body)) {
		return {
			message: 'the server sent an answer that is not JSON',
			description: String(answer.body ?? '').slice(0, 200),
			transient: true,
		};
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
	const created = typeof answer?.created === 'number' ? answer.created : Math.floor(Date.now() / 1000);
	const taskId = `local-${created}-${randomUUID().slice(0, 8)}`;
	return { taskId, state: { taskId, status: 'completed', images, raw: answer as IDataObject } };
}

async function health(call: ProviderCall): Promise<IDataObject> {
	const answer = await call.exchange({ method: 'GET', path: '/health' });
	const failure = readFailure(answer);
	if (failure) throw call.fail(failure);
	const h = asObject(answer.body) ?? {};
	const statusAnswer = await call.exchange({ method: 'GET', path: '/v1/internal/status' });
	const s = statusAnswer.statusCode === 200 ? asObject(statusAnswer.body) : undefined;
	const t2iLoaded = typeof h.t2i_loaded === 'boolean' ? h.t2i_loaded : undefined;
	const editLoaded = typeof h.edit_loaded === 'boolean' ? h.edit_loaded : undefined;
	const modelLoaded =
		typeof h.model_loaded === 'boolean' ? h.model_loaded : t2iLoaded === undefined && editLoaded === undefined ? undefined : !!(t2iLoaded || editLoaded);
	const result: IDataObject = {
		reachable: true,
		keyAccepted: true,
		baseUrl: call.baseUrl,
		status: h.status as string,
		modelLoaded,
		textToImageModel: (h.t2i_model ?? h.model) as string | undefined,
		textToImageLoaded: t2iLoaded ?? (typeof h.model_loaded === 'boolean' ? h.model_loaded : undefined),
		editModel: h.edit_model as string | undefined,
		editLoaded,
		busy: s ? s.status === 'generating' : undefined,
		serverStatus: s?.status as string | undefined,
		raw: { health: h, status: s ?? null } as IDataObject,
	};
	for (const key of Object.keys(result)) if (result[key] === undefined) delete result[key];
	return result;
}

export const selfHosted: ZImageProvider = {
	name: 'selfHosted',
	displayName: 'Z-Image Server',
	credentialType: 'zImageServerApi',
	// The server is on the user's own GPU: the first request may load the model for minutes.
	requestTimeoutSeconds: 600,
	firstPollSeconds: 2,
	// One GPU generates one image at a time: more synchronous requests would only queue
	// there, each holding a connection open towards its timeout.
	maxConcurrency(ctx) {
		return ctx.getNodeParameter('useAsync', 0, false) === true ? undefined : 2;
	},
	operations: [
		{ name: 'Edit', value: 'edit', action: 'Edit an image', description: 'Image to image' },
		{ name: 'Generate', value: 'generate', action: 'Generate an image', description: 'Text to image' },
		{ name: 'Get Task', value: 'getTask', action: 'Get a task', description: 'Look up an async task (newer servers)' },
		{ name: 'Health', value: 'health', action: 'Check the server', description: 'Reachable, model loaded, busy or idle' },
		{ name: 'List Models', value: 'listModels', action: 'List models', description: 'The models the server offers' },
		{ name: 'Unload Model', value: 'unloadModel', action: 'Unload the model', description: 'Free the GPU memory now' },
	],
	unsupported: {
		deleteTask: 'the Z-Image server keeps no deletable tasks (it has no delete endpoint)',
	},
	properties,
	prepareSubmit,
	readSubmit,
	checkTaskId(taskId) {
		return /^[A-Za-z0-9_.:-]{1,128}$/.test(taskId) ? undefined : 'a task id is letters, digits, ".", "_", ":" or "-"';
	},
	statusRequest(taskId) {
		return { method: 'GET', path: `/v1/images/tasks/${encodeURIComponent(taskId)}` };
	},
	readTask,
	health,
	readFailure,
	extraOperations: {
		async listModels(_ctx, _itemIndex, call) {
			const body = asObject(await call.send({ method: 'GET', path: '/v1/models' }, 'read'));
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
		async unloadModel(_ctx, _itemIndex, call) {
			const body = asObject(await call.send({ method: 'POST', path: '/v1/internal/unload' }, 'read'));
			return { unloaded: true, message: (body?.status as string | undefined) ?? 'models unloaded' };
		},
	},
};
