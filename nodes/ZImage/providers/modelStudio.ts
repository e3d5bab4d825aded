import { randomUUID } from 'crypto';
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { MODEL_STUDIO_MODELS_PATH } from '../../../credentials/contract';
import { classifyAnswer } from '../failures';
import { parameterNaming } from '../parameters';
import type { ResultImage, SubmitPlan, TaskState, ZImageProvider } from '../types';
import { asObject, checkInteger, invalidInput, readPrompt, readText } from '../validation';
import { modelStudioErrors as errors, REQUESTS_PER_MINUTE } from './modelStudio.errors';
import { modelStudioFields, PIXELS, SIZE_PRESETS } from './modelStudio.fields';
import { offerOperations } from './operations';

// Alibaba Cloud Model Studio (DashScope), z-image-turbo's maker: one synchronous request per
// image, held open until the image is made; its answer carries a signed link to the file.

const MODEL = 'z-image-turbo';
const GENERATION_PATH = '/api/v1/services/aigc/multimodal-generation/generation';
/** z-image-turbo takes prompts of up to 800 characters. */
const PROMPT_MAX = 800;
const SEED_MAX = 2147483647;
const own = parameterNaming('modelStudio', false);

/** Refused for its parameters before anything is made (no prompt, 1×1 pixel): Health's free look at the model. */
const PROBE = { model: MODEL, input: { messages: [] }, parameters: { size: '1*1' } };

function readSize(ctx: IExecuteFunctions, itemIndex: number): { width: number; height: number } {
	const value = readText(ctx, itemIndex, own.of(ctx, 'size'), 'Size', '1024*1024');
	if (SIZE_PRESETS.includes(value)) {
		const [width, height] = value.split('*').map(Number);
		return { width, height };
	}
	if (value !== 'custom') {
		const allowed = `allowed: ${SIZE_PRESETS.join(', ')}, or custom (Width and Height)`;
		throw invalidInput(ctx, itemIndex, 'Size', value, allowed);
	}
	const sideOf = (name: string, field: string) =>
		checkInteger(
			ctx,
			itemIndex,
			field,
			ctx.getNodeParameter(own.of(ctx, name), itemIndex),
			1,
			16384,
		);
	const width = sideOf('width', 'Width');
	const height = sideOf('height', 'Height');
	const pixels = width * height;
	if (pixels < PIXELS.min || pixels > PIXELS.max) {
		const reason = `${width}×${height} is ${pixels.toLocaleString('en-US')} pixels; z-image-turbo makes 512×512 to 2048×2048 pixels in total (262,144 to 4,194,304)`;
		throw invalidInput(ctx, itemIndex, 'Size', `${width}x${height}`, reason);
	}
	return { width, height };
}

async function prepareSubmit(ctx: IExecuteFunctions, itemIndex: number): Promise<SubmitPlan> {
	const prompt = readPrompt(ctx, itemIndex, PROMPT_MAX);
	const { width, height } = readSize(ctx, itemIndex);
	const seedValue = ctx.getNodeParameter(own.of(ctx, 'seed'), itemIndex, -1);
	const seed = checkInteger(ctx, itemIndex, 'Seed', seedValue, -1, SEED_MAX);
	const promptExtend = ctx.getNodeParameter(own.of(ctx, 'promptExtend'), itemIndex, false) === true;
	const parameters: IDataObject = { size: `${width}*${height}`, prompt_extend: promptExtend };
	if (seed >= 0) parameters.seed = seed;
	const messages = [{ role: 'user', content: [{ text: prompt }] }];
	return {
		request: {
			method: 'POST',
			path: GENERATION_PATH,
			json: { model: MODEL, input: { messages }, parameters },
		},
		meta: { model: MODEL, prompt, seed: seed >= 0 ? seed : undefined, width, height, images: 1 },
	};
}

const text = (value: unknown) => (typeof value === 'string' && value ? value : undefined);
const numberOf = (value: unknown) =>
	typeof value === 'number' && Number.isFinite(value) ? value : undefined;

/**
 * A generation's answer as a finished task: `output.choices[0].message.content` holds the image
 * link and, with prompt extension, the rewritten prompt (as separate parts or in one); the
 * request id names it. Undefined when the answer is not one.
 */
function readAnswer(body: unknown, taskId: string): TaskState | undefined {
	const answer = asObject(body);
	const choices = asObject(answer?.output)?.choices;
	if (!answer || !Array.isArray(choices)) return undefined;
	const choice = asObject(choices[0]);
	const message = asObject(choice?.message);
	const parts = (Array.isArray(message?.content) ? message.content : []).map(asObject);
	const images: ResultImage[] = parts.flatMap((part) =>
		text(part?.image) ? [{ url: part?.image as string }] : [],
	);
	const usage = asObject(answer.usage);
	const details: IDataObject = { requestId: text(answer.request_id) };
	if (usage) details.usage = usage as IDataObject;
	const extended = parts.map((part) => text(part?.text)).find(Boolean);
	if (extended) details.extendedPrompt = extended;
	const state: TaskState = {
		taskId: text(answer.request_id) ?? taskId,
		status: 'completed',
		images,
		model: MODEL,
		width: numberOf(usage?.width),
		height: numberOf(usage?.height),
		details,
		raw: answer as IDataObject,
	};
	if (images.length > 0) return state;
	const reason = text(choice?.finish_reason);
	const error = {
		message: `Model Studio answered without an image${reason ? ` (finish_reason: ${reason})` : ''}`,
	};
	return { ...state, status: 'failed', error };
}

export const modelStudio: ZImageProvider = {
	name: 'modelStudio',
	displayName: 'Alibaba Cloud Model Studio',
	credentialType: 'zImageModelStudioApi',
	// One request holds until the image is made (seconds; longer with prompt extension or under load).
	requestTimeoutSeconds: 120,
	// Documented: 120 requests a minute per model, in both regions: the pacing's starting point.
	submitRate: { requests: REQUESTS_PER_MINUTE, perSeconds: 60 },
	maxPromptLength: PROMPT_MAX,
	maxResultsPerTask: 1,
	firstPollSeconds: 1,
	resultLinksExpire: 'after 24 hours: Model Studio signs its image links for 24 hours',
	operations: offerOperations({
		generate: 'Text to image with Z-Image Turbo, from its maker',
		health: 'Check the key, its region and z-image-turbo, at no cost',
	}),
	unsupported: {
		edit: 'z-image-turbo on Model Studio takes no input image, so Edit is not available',
		getTask:
			'Model Studio answers each Z-Image request with its image: there is no task to look up (and no callback)',
		deleteTask:
			'Model Studio keeps no Z-Image tasks to delete: each request is answered with its image, whose link expires after 24 hours',
	},
	properties: own.describe(modelStudioFields),
	errors,
	prepareSubmit,
	readSubmit(body) {
		// An answer without a request id still carries a billed image: it is named after its time.
		const state = readAnswer(body, `modelstudio-${Date.now()}-${randomUUID().slice(0, 8)}`);
		return state ? { taskId: state.taskId, state } : {};
	},
	readTask: readAnswer,
	readFailure: (answer) => classifyAnswer(errors, answer),
	async health(call) {
		// The model list proves the key and its region; a request refused for its parameters, the model.
		const models = asObject(
			(await call.request({ method: 'GET', path: MODEL_STUDIO_MODELS_PATH }, 'check')).body,
		);
		const probe = await call.request(
			{ method: 'POST', path: GENERATION_PATH, json: PROBE },
			'probe',
		);
		const { code } = errors.read(probe);
		// The documented codes of a request refused for what it asks (InvalidParameter, BadRequest.EmptyInput…).
		const refusedAsMeant =
			probe.statusCode === 400 &&
			/^(InvalidParameter|BadRequest)/.test(String(code ?? 'InvalidParameter'));
		const failure = classifyAnswer(errors, probe);
		if (failure && !refusedAsMeant && probe.statusCode !== 429) throw call.error(failure);
		const result: IDataObject = {
			reachable: true,
			keyAccepted: true,
			modelAvailable: true,
			baseUrl: call.baseUrl,
			httpStatus: probe.statusCode,
		};
		if (code) result.providerCode = String(code);
		if (Array.isArray(models?.data)) result.models = models.data.length;
		if (probe.statusCode === 429) result.rateLimited = true;
		return result;
	},
};
