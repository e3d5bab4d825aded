import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { retryAfterSeconds } from '../transport';
import {
	asObject,
	checkInteger,
	checkOneOf,
	invalidInput,
	readPrompt,
} from '../validation';
import type {
	HttpAnswer,
	ProviderCall,
	ProviderFailure,
	ProviderName,
	SubmitPlan,
	TaskState,
	TaskStatus,
	ZImageProvider,
} from './types';

// Contract: shared/PROVIDERS.md §3 and the Evolink / ODKKK seed documents. One API on two
// hosts: Evolink writes error codes as strings, ODKKK as the integer HTTP status.

const MODELS = ['z-image-turbo'] as const;
const RATIOS = ['1:1', '2:3', '3:2', '3:4', '4:3', '9:16', '16:9', '1:2', '2:1'] as const;
const SIDE = { min: 376, max: 1536 };
const SEED = { min: 1, max: 2147483647 };
const PROMPT_MAX = 2000;
const CALLBACK_MAX = 2048;
const STATUSES: Record<string, TaskStatus> = {
	pending: 'queued',
	processing: 'processing',
	completed: 'completed',
	failed: 'failed',
};
/** Failed-task codes that a later run may not hit again. */
const TEMPORARY_TASK_ERRORS = ['generation_timeout', 'service_error', 'resource_exhausted'];
/** The id of a task that cannot exist: looking it up costs nothing and still proves the key. */
export const EVOLINK_PROBE_TASK_ID = 'task-unified-0000000000-n8nprobe';

/** Whether a host name or IP literal points at this machine or a private network. */
export function isPrivateHost(hostname: string): boolean {
	const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
	if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.local') || host.endsWith('.internal')) {
		return true;
	}
	const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
	if (v4) {
		const [a, b] = [Number(v4[1]), Number(v4[2])];
		return (
			a === 0 ||
			a === 10 ||
			a === 127 ||
			(a === 100 && b >= 64 && b <= 127) ||
			(a === 169 && b === 254) ||
			(a === 172 && b >= 16 && b <= 31) ||
			(a === 192 && b === 168)
		);
	}
	if (host.includes(':')) {
		return host === '::' || host === '::1' || /^f[cd]/.test(host) || /^fe[89ab]/.test(host) || host.startsWith('::ffff:');
	}
	return false;
}

function buildProperties(name: ProviderName): INodeProperties[] {
	const show = (extra: IDataObject = {}) => ({ show: { provider: [name], operation: ['generate'], ...extra } });
	return [
		{
			displayName: 'Model',
			name: 'model',
			type: 'options',
			options: [{ name: 'Z-Image Turbo', value: 'z-image-turbo' }],
			default: 'z-image-turbo',
			displayOptions: show(),
		},
		{
			displayName: 'Size',
			name: 'size',
			type: 'options',
			options: [
				{ name: '1:1 Aspect Ratio', value: '1:1' },
				{ name: '1:2 Aspect Ratio', value: '1:2' },
				{ name: '16:9 Aspect Ratio', value: '16:9' },
				{ name: '2:1 Aspect Ratio', value: '2:1' },
				{ name: '2:3 Aspect Ratio', value: '2:3' },
				{ name: '3:2 Aspect Ratio', value: '3:2' },
				{ name: '3:4 Aspect Ratio', value: '3:4' },
				{ name: '4:3 Aspect Ratio', value: '4:3' },
				{ name: '9:16 Aspect Ratio', value: '9:16' },
				{ name: 'Custom Width × Height', value: 'custom' },
			],
			default: '1:1',
			description: 'A ratio preset, or a custom size with each side from 376 to 1536 pixels',
			displayOptions: show(),
		},
		{
			displayName: 'Width',
			name: 'width',
			type: 'number',
			typeOptions: { minValue: SIDE.min, maxValue: SIDE.max },
			default: 1024,
			description: 'Width in pixels (376-1536)',
			displayOptions: show({ size: ['custom'] }),
		},
		{
			displayName: 'Height',
			name: 'height',
			type: 'number',
			typeOptions: { minValue: SIDE.min, maxValue: SIDE.max },
			default: 1024,
			description: 'Height in pixels (376-1536)',
			displayOptions: show({ size: ['custom'] }),
		},
		{
			displayName: 'Seed',
			name: 'seed',
			type: 'number',
			typeOptions: { minValue: -1 },
			default: -1,
			description: 'Same seed and prompt give similar images (1-2147483647); -1 picks a random seed',
			displayOptions: show(),
		},
		{
			displayName: 'NSFW Check',
			name: 'nsfwCheck',
			type: 'boolean',
			default: false,
			description: 'Whether to add stricter content moderation (basic moderation is always on)',
			displayOptions: show(),
		},
		{
			displayName: 'Callback URL',
			name: 'callbackUrl',
			type: 'string',
			default: '',
			placeholder: 'https://your-domain.com/webhooks/image-done',
			description:
				'Public HTTPS address the provider also POSTs the finished task to (e.g. an n8n Webhook URL); the node waits either way',
			displayOptions: show(),
		},
	];
}

function readSize(ctx: IExecuteFunctions, itemIndex: number): { size: string; width?: number; height?: number } {
	const value = String(ctx.getNodeParameter('size', itemIndex, '1:1'));
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
			throw invalidInput(ctx, itemIndex, 'Size', value, `allowed: ${RATIOS.join(', ')}, or WxH with each side from ${SIDE.min} to ${SIDE.max}`);
		}
		[width, height] = [Number(match[1]), Number(match[2])];
	}
	const w = checkInteger(ctx, itemIndex, 'Width', width, SIDE.min, SIDE.max);
	const h = checkInteger(ctx, itemIndex, 'Height', height, SIDE.min, SIDE.max);
	return { size: `${w}x${h}`, width: w, height: h };
}

function readCallbackUrl(ctx: IExecuteFunctions, itemIndex: number): string | undefined {
	const value = String(ctx.getNodeParameter('callbackUrl', itemIndex, '') ?? '').trim();
	if (!value) return undefined;
	const rule = `an https:// address on the public internet, at most ${CALLBACK_MAX} characters`;
	if (value.length > CALLBACK_MAX) {
		throw invalidInput(ctx, itemIndex, 'Callback URL', value, `${value.length} characters is too long; ${rule}`);
	}
	let url: URL;
	try {
		url = new URL(value);
	} catch {
		throw invalidInput(ctx, itemIndex, 'Callback URL', value, `not a URL; ${rule}`);
	}
	if (url.protocol !== 'https:') {
		throw invalidInput(ctx, itemIndex, 'Callback URL', value, `only HTTPS is accepted; ${rule}`);
	}
	if (isPrivateHost(url.hostname)) {
		throw invalidInput(ctx, itemIndex, 'Callback URL', value, `${url.hostname} is a private or loopback address; ${rule}`);
	}
	return value;
}

async function prepareSubmit(ctx: IExecuteFunctions, itemIndex: number): Promise<SubmitPlan> {
	const prompt = readPrompt(ctx, itemIndex, PROMPT_MAX);
	const model = checkOneOf(ctx, itemIndex, 'Model', ctx.getNodeParameter('model', itemIndex, 'z-image-turbo'), MODELS);
	const { size, width, height } = readSize(ctx, itemIndex);
	const seedValue = ctx.getNodeParameter('seed', itemIndex, -1);
	const seed = seedValue === -1 || seedValue === '' || seedValue === undefined
		? undefined
		: checkInteger(ctx, itemIndex, 'Seed', seedValue, SEED.min, SEED.max);
	const callbackUrl = readCallbackUrl(ctx, itemIndex);
	const json: IDataObject = { model, prompt, size };
	if (seed !== undefined) json.seed = seed;
	if (ctx.getNodeParameter('nsfwCheck', itemIndex, false) === true) json.nsfw_check = true;
	if (callbackUrl) json.callback_url = callbackUrl;
	return {
		request: { method: 'POST', path: '/v1/images/generations', json },
		meta: { model, prompt, seed, width, height },
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
	const elapsed = created !== undefined && progress ? Math.max(0, Date.now() / 1000 - created) : undefined;
	if (estimated !== undefined && (elapsed === undefined || estimated > elapsed)) {
		return estimated - (elapsed ?? 0);
	}
	if (progress !== undefined && progress > 0 && progress < 100 && elapsed !== undefined && elapsed > 0) {
		return (elapsed * (100 - progress)) / progress;
	}
	return undefined;
}

function readTask(body: unknown, taskId: string): TaskState | undefined {
	const task = asObject(body);
	const status = typeof task?.status === 'string' ? STATUSES[task.status] : undefined;
	if (!task || !status) return undefined;
	const results = Array.isArray(task.results) ? task.results : [];
	const error = asObject(task.error);
	const code = error?.code === undefined ? undefined : String(error.code);
	return {
		taskId: typeof task.id === 'string' && task.id ? task.id : taskId,
		status,
		progress: numberOf(task.progress),
		images:
			status === 'completed'
				? results
						.map((entry) => (typeof entry === 'string' ? entry : asObject(entry)?.url))
						.filter((url): url is string => typeof url === 'string' && url !== '')
						.map((url) => ({ url }))
				: [],
		error:
			status === 'failed'
				? {
						code,
						message:
							(typeof error?.message === 'string' ? error.message : 'no reason given') +
							(code && TEMPORARY_TASK_ERRORS.includes(code) ? ' (temporary: running the item again usually works)' : ''),
					}
				: undefined,
		etaSeconds: status === 'completed' || status === 'failed' ? undefined : remainingSeconds(task),
		model: typeof task.model === 'string' ? task.model : undefined,
		raw: task as IDataObject,
	};
}

/** "retry after 60 seconds" → 60 */
function secondsIn(text: string | undefined): number | undefined {
	const match = text ? /(\d+)\s*s(ec|econds?)?\b/i.exec(text) : null;
	return match ? Number(match[1]) : undefined;
}

function createReadFailure(displayName: string) {
	return (answer: HttpAnswer): ProviderFailure | undefined => {
		const { statusCode } = answer;
		if (statusCode >= 200 && statusCode < 300) {
			return asObject(answer.body)
				? undefined
				: {
						message: `${displayName} sent an answer that is not JSON`,
						description: String(answer.body ?? '').slice(0, 200),
						transient: true,
					};
		}
		const error = asObject(asObject(answer.body)?.error);
		const message = typeof error?.message === 'string' ? error.message : `HTTP ${statusCode}`;
		const suggestion = typeof error?.fallback_suggestion === 'string' ? error.fallback_suggestion : undefined;
		const param = typeof error?.param === 'string' ? ` (parameter: ${error.param})` : '';
		const also = suggestion ? `; ${suggestion}` : '';
		const httpCode = String(statusCode);
		switch (statusCode) {
			case 401:
				return {
					message: `${displayName} rejected the API key: ${message}`,
					description: `Check the API key in the ${displayName} credential.`,
					httpCode,
				};
			case 402:
				return {
					message: `Your ${displayName} quota is used up: ${message}. Top up your balance${suggestion ? ` at ${suggestion}` : ''} and run again`,
					httpCode,
				};
			case 403:
				return { message: `Your ${displayName} key has no access to this model: ${message}${param}`, httpCode };
			case 404:
				return {
					message: `Not found or expired: ${message}${also}`,
					description: 'Tasks and their image links are kept for 24 hours.',
					httpCode,
				};
			case 429:
			case 503:
				return {
					message: `${displayName} ${statusCode === 429 ? 'is rate limiting requests' : 'is temporarily unavailable'} (HTTP ${statusCode}): ${message}${also}`,
					httpCode,
					notAccepted: true,
					transient: true,
					retryAfterSeconds: retryAfterSeconds(answer.headers) ?? secondsIn(suggestion) ?? (statusCode === 429 ? 60 : 30),
				};
			default:
				return {
					message: `${displayName} ${statusCode >= 500 ? 'had a server error' : 'rejected the request'} (HTTP ${statusCode}): ${message}${param}${also}`,
					httpCode,
					transient: statusCode >= 500,
				};
		}
	};
}

function createProvider(name: ProviderName, displayName: string, credentialType: string): ZImageProvider {
	const readFailure = createReadFailure(displayName);
	return {
		name,
		displayName,
		credentialType,
		requestTimeoutSeconds: 60,
		// The API's own advice: first look after about 3 s, then every 3-5 s.
		firstPollSeconds: 3,
		operations: [
			{ name: 'Generate', value: 'generate', action: 'Generate an image', description: 'Text to image with Z-Image Turbo' },
			{ name: 'Get Task', value: 'getTask', action: 'Get a task', description: 'Look up a task, optionally wait and download its images' },
			{ name: 'Health', value: 'health', action: 'Check the connection', description: 'Check the API answers and accepts the key, at no cost' },
		],
		unsupported: {
			edit: `z-image-turbo on ${displayName} takes no input image, so Edit is not available`,
			deleteTask: `the ${displayName} API has no delete or cancel endpoint (tasks expire after 24 hours)`,
		},
		properties: buildProperties(name),
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
			return { method: 'GET', path: `/v1/tasks/${encodeURIComponent(taskId)}` };
		},
		readTask,
		async health(call: ProviderCall) {
			const answer = await call.exchange({ method: 'GET', path: `/v1/tasks/${EVOLINK_PROBE_TASK_ID}` });
			// A 404 for a task that cannot exist is the healthy answer: the key was accepted.
			if (answer.statusCode !== 404) {
				const failure = readFailure(answer);
				if (failure) throw call.fail(failure);
			}
			return { reachable: true, keyAccepted: true, baseUrl: call.baseUrl, httpStatus: answer.statusCode };
		},
		readFailure,
	};
}

export const evolink = createProvider('evolink', 'Evolink', 'evolinkApi');
export const odkkk = createProvider('odkkk', 'ODKKK', 'odkkkApi');
