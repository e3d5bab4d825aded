import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { PROBE_TASK_IDS } from '../../../credentials/contract';
import { classifyAnswer } from '../failures';
import { parameterNaming } from '../parameters';
import type {
	FormField,
	SubmitOperation,
	SubmitPlan,
	TaskState,
	TaskStatus,
	ZImageProvider,
} from '../types';
import {
	asObject,
	checkInteger,
	checkOneOf,
	invalidInput,
	parseSize,
	readInputImages,
	readPrompt,
	readText,
} from '../validation';
import { offerOperations } from './operations';
import { keyRejected, tensorsLabErrors as errors } from './tensorsLab.errors';
import type { Model } from './tensorsLab.fields';
import { MODELS, tensorsLabFields } from './tensorsLab.fields';

// TensorsLab's API (see the README's "TensorsLab parameters"): multipart submissions,
// answers {code, msg, data} with HTTP 200 even when `code` says it failed.

const EDIT_MODELS: Model[] = ['seedreamv45', 'seedreamv4'];
const STATUS: Record<number, TaskStatus> = {
	1: 'queued',
	2: 'processing',
	3: 'completed',
	4: 'failed',
};
/** TensorsLab documents no prompt limit: the cap Evolink documents for the same z-image-turbo. */
const PROMPT_MAX = 2000;
const MAX_BATCH = 15;
// Node version 1 named its parameters plainly (model, resolution): kept there (parameters.ts).
const own = parameterNaming('tensorsLab', true);

function readModel(ctx: IExecuteFunctions, itemIndex: number, operation: SubmitOperation): Model {
	const allowed = operation === 'edit' ? EDIT_MODELS : (Object.keys(MODELS) as Model[]);
	const context = operation === 'edit' ? ' for Edit (only SeeDream models take images)' : '';
	return checkOneOf(
		ctx,
		itemIndex,
		'Model',
		ctx.getNodeParameter(own.of(ctx, 'model'), itemIndex),
		allowed,
		context,
	);
}

/** The resolution as the endpoint wants it written, and the size when it is known. */
function readResolution(
	ctx: IExecuteFunctions,
	itemIndex: number,
	model: Model,
): { resolution: string; width?: number; height?: number } {
	const rules = MODELS[model];
	const fallback = model === 'zimage' ? '1024*1024' : rules.presets[0];
	const value = readText(ctx, itemIndex, own.of(ctx, 'resolution'), 'Resolution', fallback);
	let size: { width: number; height: number } | undefined;
	if (value === 'custom') {
		size = {
			width: checkInteger(
				ctx,
				itemIndex,
				'Width',
				ctx.getNodeParameter(own.of(ctx, 'width'), itemIndex),
				1,
				16384,
			),
			height: checkInteger(
				ctx,
				itemIndex,
				'Height',
				ctx.getNodeParameter(own.of(ctx, 'height'), itemIndex),
				1,
				16384,
			),
		};
	} else if (rules.presets.includes(value)) {
		return { resolution: value, ...parseSize(value) };
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
		const shown = `${size.width}x${size.height}`;
		const reason = `${size.width}×${size.height} is ${pixels.toLocaleString('en-US')} pixels; ${allowedText}`;
		throw invalidInput(ctx, itemIndex, 'Resolution', shown, reason);
	}
	return { resolution: `${size.width}${rules.separator}${size.height}`, ...size };
}

/** The source images of an Edit: binary fields of the input item and/or a URL. */
async function readSources(ctx: IExecuteFunctions, itemIndex: number): Promise<FormField[]> {
	const fields = readText(ctx, itemIndex, 'inputImageFields', 'Input Image Fields');
	const imageUrl = readText(ctx, itemIndex, own.of(ctx, 'imageUrl'), 'Source Image URL').trim();
	if (imageUrl && !/^https?:\/\/\S+$/i.test(imageUrl)) {
		throw invalidInput(
			ctx,
			itemIndex,
			'Source Image URL',
			imageUrl,
			'an http:// or https:// URL is required',
		);
	}
	const images = await readInputImages(ctx, itemIndex, fields, 'Input Image Fields');
	if (!images.length && !imageUrl) {
		const allowed =
			'Edit needs a source image: name a binary field of the input item, or give a Source Image URL';
		throw invalidInput(ctx, itemIndex, 'Input Image Fields', fields, allowed);
	}
	const form: FormField[] = images.map((image) => ({
		field: 'sourceImage',
		file: image.data,
		fileName: image.fileName,
		mimeType: image.mimeType,
	}));
	if (imageUrl) form.push({ field: 'imageUrl', value: imageUrl });
	return form;
}

async function prepareSubmit(
	ctx: IExecuteFunctions,
	itemIndex: number,
	operation: SubmitOperation,
): Promise<SubmitPlan> {
	const prompt = readPrompt(ctx, itemIndex, PROMPT_MAX);
	const model = readModel(ctx, itemIndex, operation);
	const { resolution, width, height } = readResolution(ctx, itemIndex, model);
	const form: FormField[] = [
		{ field: 'prompt', value: prompt },
		{ field: 'resolution', value: resolution },
	];
	let seed: number | undefined;
	let images = 1;
	if (model === 'zimage') {
		const seedValue = checkInteger(
			ctx,
			itemIndex,
			'Seed',
			ctx.getNodeParameter(own.of(ctx, 'seed'), itemIndex, -1),
			-1,
			2147483647,
		);
		if (seedValue >= 0) {
			seed = seedValue;
			form.push({ field: 'seed', value: String(seed) });
		}
		const extend = ctx.getNodeParameter(own.of(ctx, 'promptExtend'), itemIndex, false) === true;
		form.push({ field: 'prompt_extend', value: extend ? '1' : '0' });
	} else {
		images = checkInteger(
			ctx,
			itemIndex,
			'Batch Size',
			ctx.getNodeParameter(own.of(ctx, 'batchSize'), itemIndex, 1),
			1,
			MAX_BATCH,
		);
		form.push({ field: 'batchsize', value: String(images) });
	}
	if (operation === 'edit') form.push(...(await readSources(ctx, itemIndex)));
	return {
		request: { method: 'POST', path: `/v1/images/${model}`, form },
		meta: { model, prompt, seed, width, height, images },
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
	const urls = Array.isArray(data.url)
		? data.url
		: typeof data.url === 'string' && data.url
			? [data.url]
			: [];
	const message =
		typeof data.error_message === 'string' && data.error_message ? data.error_message : undefined;
	return {
		taskId: typeof data.taskid === 'string' && data.taskid ? data.taskid : taskId,
		status,
		images:
			status === 'completed'
				? urls.filter((url): url is string => typeof url === 'string').map((url) => ({ url }))
				: [],
		error: status === 'failed' ? { message: message ?? 'TensorsLab gave no reason' } : undefined,
		model: typeof data.category === 'string' ? data.category : undefined,
		prompt: typeof data.prompt === 'string' ? data.prompt : undefined,
		seed: numberOf(data.origseed),
		width: numberOf(data.width),
		height: numberOf(data.height),
		raw: data as IDataObject,
	};
}

export const tensorsLab: ZImageProvider = {
	name: 'tensorsLab',
	displayName: 'TensorsLab',
	credentialType: 'tensorsLabApi',
	firstPollSeconds: 1,
	requestTimeoutSeconds: 180,
	maxPromptLength: PROMPT_MAX,
	maxResultsPerTask: MAX_BATCH,
	resultLinksExpire: 'unknown: TensorsLab does not document how long its result links last',
	operations: offerOperations({
		deleteTask: 'Delete one or more tasks',
		edit: 'Image to image with SeeDream',
		generate: 'Text to image',
		getTask: 'Look up a task, optionally wait and download its images',
		health: 'Check that TensorsLab answers and accepts the key, at no cost',
	}),
	properties: own.describe(tensorsLabFields),
	errors,
	prepareSubmit,
	readSubmit(body) {
		const taskId = asObject(asObject(body)?.data)?.taskid;
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
	readFailure: (answer) => classifyAnswer(errors, answer),
	deleteRequest(taskIds) {
		return { method: 'POST', path: '/v1/images/deleteimagestask', json: { taskids: taskIds } };
	},
	async health(call) {
		const probe = {
			method: 'POST' as const,
			path: '/v1/images/infobytaskid',
			json: { taskid: PROBE_TASK_IDS.tensorsLab },
		};
		const answer = await call.request(probe, 'probe');
		const body = asObject(answer.body);
		// An unknown task id is the expected answer; only a refused key or a broken server fail.
		const failure = classifyAnswer(errors, answer);
		const refusedKey = keyRejected({ statusCode: answer.statusCode, body, ...errors.read(answer) });
		if (failure && (refusedKey || answer.statusCode >= 400 || !body)) throw call.error(failure);
		return {
			reachable: true,
			keyAccepted: true,
			baseUrl: call.baseUrl,
			httpStatus: answer.statusCode,
			providerCode: body?.code as number | undefined,
			providerMessage: body?.msg as string | undefined,
		};
	},
};
