import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { PROBE_TASK_IDS } from '../../../credentials/contract';
import { classifyAnswer, taskErrorMessage } from '../failures';
import type {
	ErrorTable,
	FailureFacts,
	ProviderName,
	SubmitPlan,
	TaskState,
	TaskStatus,
	ZImageProvider,
} from '../types';
import { pathSegment } from '../taskIds';
import {
	asObject,
	checkInteger,
	checkOneOf,
	invalidInput,
	isPrivateHost,
	parseDecimal,
	readPrompt,
	readText,
} from '../validation';
import { evolinkFields, SIDE } from './evolink.fields';
import { offerOperations } from './operations';

// Evolink's API (see the README's "Evolink / ODKKK parameters"): one API on two hosts.
// Evolink writes error codes as strings, ODKKK as the integer HTTP status.

const MODELS = ['z-image-turbo'] as const;
const RATIOS = ['1:1', '2:3', '3:2', '3:4', '4:3', '9:16', '16:9', '1:2', '2:1'] as const;
const SEED = { min: 1, max: 2147483647 };
const PROMPT_MAX = 2000;
const CALLBACK_MAX = 2048;
const STATUSES: Record<string, TaskStatus> = {
	pending: 'queued',
	processing: 'processing',
	completed: 'completed',
	failed: 'failed',
};

function readSize(
	ctx: IExecuteFunctions,
	itemIndex: number,
): { size: string; width?: number; height?: number } {
	const value = readText(ctx, itemIndex, 'size', 'Size', '1:1');
	let width: unknown;
	let height: unknown;
	if (value === 'custom') {
		width = ctx.getNodeParameter('width', itemIndex);
		height = ctx.getNodeParameter('height', itemIndex);
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

function readCallbackUrl(ctx: IExecuteFunctions, itemIndex: number): string | undefined {
	const value = readText(ctx, itemIndex, 'callbackUrl', 'Callback URL').trim();
	if (!value) return undefined;
	const rule = `an https:// address on the public internet, at most ${CALLBACK_MAX} characters`;
	const refuse = (reason: string) =>
		invalidInput(ctx, itemIndex, 'Callback URL', value, `${reason}; ${rule}`);
	if (value.length > CALLBACK_MAX) throw refuse(`${value.length} characters is too long`);
	let url: URL;
	try {
		url = new URL(value);
	} catch {
		throw refuse('not a URL');
	}
	if (url.protocol !== 'https:') throw refuse('only HTTPS is accepted');
	if (isPrivateHost(url.hostname)) throw refuse(`${url.hostname} is a private or loopback address`);
	return value;
}

async function prepareSubmit(ctx: IExecuteFunctions, itemIndex: number): Promise<SubmitPlan> {
	const prompt = readPrompt(ctx, itemIndex, PROMPT_MAX);
	const model = checkOneOf(
		ctx,
		itemIndex,
		'Model',
		ctx.getNodeParameter('model', itemIndex, 'z-image-turbo'),
		MODELS,
	);
	const { size, width, height } = readSize(ctx, itemIndex);
	const seedValue = ctx.getNodeParameter('seed', itemIndex, -1);
	const seed =
		seedValue === '' || seedValue === undefined || parseDecimal(seedValue) === -1
			? undefined
			: checkInteger(ctx, itemIndex, 'Seed', seedValue, SEED.min, SEED.max);
	const callbackUrl = readCallbackUrl(ctx, itemIndex);
	const json: IDataObject = { model, prompt, size };
	if (seed !== undefined) json.seed = seed;
	if (ctx.getNodeParameter('nsfwCheck', itemIndex, false) === true) json.nsfw_check = true;
	if (callbackUrl) json.callback_url = callbackUrl;
	return {
		request: { method: 'POST', path: '/v1/images/generations', json },
		meta: { model, prompt, seed, width, height, images: 1 },
	};
}

function numberOf(value: unknown): number | undefined {
	return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/**
 * Seconds the task still needs: what is left of the provider's own estimate while the task
 * is on schedule; once it is late (or has no estimate), its progress extrapolated.
 * `created` is in whole seconds, so a young task's progress says little.
 */
function remainingSeconds(task: Record<string, unknown>): number | undefined {
	const created = numberOf(task.created);
	const progress = numberOf(task.progress);
	const estimated = numberOf(asObject(task.task_info)?.estimated_time);
	// A task with no progress yet has all of its estimate ahead of it.
	const elapsed =
		created !== undefined && progress ? Math.max(0, Date.now() / 1000 - created) : undefined;
	if (estimated !== undefined && (elapsed === undefined || estimated > elapsed)) {
		return estimated - (elapsed ?? 0);
	}
	if (
		progress !== undefined &&
		progress > 0 &&
		progress < 100 &&
		elapsed !== undefined &&
		elapsed > 0
	) {
		return (elapsed * (100 - progress)) / progress;
	}
	return undefined;
}

/** "retry after 60 seconds" → 60 */
function secondsIn(text: string | undefined): number | undefined {
	const match = text ? /(\d+)\s*s(ec|econds?)?\b/i.exec(text) : null;
	return match ? Number(match[1]) : undefined;
}

function errorTable(displayName: string): ErrorTable {
	const also = (facts: FailureFacts) => (facts.hint ? `; ${facts.hint}` : '');
	const param = (facts: FailureFacts) => (facts.param ? ` (parameter: ${facts.param})` : '');
	return {
		read(answer) {
			const error = asObject(asObject(answer.body)?.error);
			return {
				code: error?.code as string | number | undefined,
				message: typeof error?.message === 'string' ? error.message : `HTTP ${answer.statusCode}`,
				hint:
					typeof error?.fallback_suggestion === 'string' ? error.fallback_suggestion : undefined,
				param: typeof error?.param === 'string' ? error.param : undefined,
			};
		},
		statuses: {
			401: 'keyRejected',
			402: 'credits',
			403: 'noAccess',
			404: 'notFound',
			429: 'notAccepted',
			503: 'notAccepted',
		},
		retryAfter: (facts) => secondsIn(facts.hint) ?? (facts.statusCode === 429 ? 60 : 30),
		temporaryTaskErrors: ['generation_timeout', 'service_error', 'resource_exhausted'],
		words(kind, facts) {
			const { statusCode, message, hint } = facts;
			switch (kind) {
				case 'keyRejected':
					return {
						message: `${displayName} rejected the API key: ${message}`,
						description: `Check the API key in the ${displayName} credential.`,
					};
				case 'credits':
					return {
						message: `Your ${displayName} quota is used up: ${message}. Top up your balance${hint ? ` at ${hint}` : ''} and run again`,
					};
				case 'noAccess':
					return {
						message: `Your ${displayName} key has no access to this model: ${message}${param(facts)}`,
					};
				case 'notFound':
					return {
						message: `Not found or expired: ${message}${also(facts)}`,
						description: 'Tasks and their image links are kept for 24 hours.',
					};
				case 'notAccepted': {
					const state =
						statusCode === 429 ? 'is rate limiting requests' : 'is temporarily unavailable';
					return {
						message: `${displayName} ${state} (HTTP ${statusCode}): ${message}${also(facts)}`,
					};
				}
				case 'unreadable':
					return { message: `${displayName} sent an answer that is not JSON` };
				default: {
					const what = statusCode >= 500 ? 'had a server error' : 'rejected the request';
					return {
						message: `${displayName} ${what} (HTTP ${statusCode}): ${message}${param(facts)}${also(facts)}`,
					};
				}
			}
		},
	};
}

function createProvider(
	name: ProviderName,
	displayName: string,
	credentialType: string,
): ZImageProvider {
	const errors = errorTable(displayName);

	function readTask(body: unknown, taskId: string): TaskState | undefined {
		const task = asObject(body);
		const status = typeof task?.status === 'string' ? STATUSES[task.status] : undefined;
		if (!task || !status) return undefined;
		const results = Array.isArray(task.results) ? task.results : [];
		const error = asObject(task.error);
		const code = error?.code === undefined ? undefined : String(error.code);
		const reason = typeof error?.message === 'string' ? error.message : 'no reason given';
		const urls = results
			.map((entry) => (typeof entry === 'string' ? entry : asObject(entry)?.url))
			.filter((url): url is string => typeof url === 'string' && url !== '');
		const finished = status === 'completed' || status === 'failed';
		return {
			taskId: typeof task.id === 'string' && task.id ? task.id : taskId,
			status,
			progress: numberOf(task.progress),
			images: status === 'completed' ? urls.map((url) => ({ url })) : [],
			error:
				status === 'failed' ? { code, message: taskErrorMessage(errors, code, reason) } : undefined,
			etaSeconds: finished ? undefined : remainingSeconds(task),
			model: typeof task.model === 'string' ? task.model : undefined,
			raw: task as IDataObject,
		};
	}

	return {
		name,
		displayName,
		credentialType,
		requestTimeoutSeconds: 60,
		maxPromptLength: PROMPT_MAX,
		// z-image-turbo gives one image per task.
		maxResultsPerTask: 1,
		resultLinksExpire: `after 24 hours: ${displayName} keeps tasks and their image links for 24 hours`,
		// The API's own advice: first look after about 3 s, then every 3-5 s.
		firstPollSeconds: 3,
		operations: offerOperations({
			generate: 'Text to image with Z-Image Turbo',
			getTask: 'Look up a task, optionally wait and download its images',
			health: 'Check the API answers and accepts the key, at no cost',
		}),
		unsupported: {
			edit: `z-image-turbo on ${displayName} takes no input image, so Edit is not available`,
			deleteTask: `the ${displayName} API has no delete or cancel endpoint (tasks expire after 24 hours)`,
		},
		properties: evolinkFields(name),
		errors,
		prepareSubmit,
		readSubmit(body) {
			const state = readTask(body, '');
			return state?.taskId ? { taskId: state.taskId, state } : {};
		},
		checkTaskId(taskId) {
			return /^task-unified-[A-Za-z0-9_-]+$/.test(taskId)
				? undefined
				: `${displayName} task IDs look like task-unified-1757165031-uyujaw3d`;
		},
		statusRequest(taskId) {
			return { method: 'GET', path: `/v1/tasks/${pathSegment(taskId)}` };
		},
		readTask,
		readFailure: (answer) => classifyAnswer(errors, answer),
		async health(call) {
			const answer = await call.request(
				{ method: 'GET', path: `/v1/tasks/${PROBE_TASK_IDS.evolink}` },
				'probe',
			);
			// A 404 for a task that cannot exist is the healthy answer: the key was accepted.
			const failure = answer.statusCode === 404 ? undefined : classifyAnswer(errors, answer);
			if (failure) throw call.error(failure);
			return {
				reachable: true,
				keyAccepted: true,
				baseUrl: call.baseUrl,
				httpStatus: answer.statusCode,
			};
		},
	};
}

export const evolink = createProvider('evolink', 'Evolink', 'evolinkApi');
export const odkkk = createProvider('odkkk', 'ODKKK', 'odkkkApi');
