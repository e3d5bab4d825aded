import { randomUUID } from 'crypto';
import type { IDataObject } from 'n8n-workflow';

import { classifyAnswer } from '../failures';
import type { ResultImage, TaskState, ZImageProvider } from '../types';
import { pathSegment } from '../taskIds';
import { asObject } from '../validation';
import { selfHostedErrors as errors } from './selfHosted.errors';
import { selfHostedHealth } from './selfHosted.health';
import { selfHostedFields } from './selfHosted.fields';
import { MAX_IMAGES, own, prepareSubmit, PROMPT_MAX } from './selfHosted.submit';
import { offerOperations } from './operations';

// The self-hosted Z-Image Vision server (see the README's "Self-hosted server parameters"):
// an OpenAI-style API, synchronous by default, async endpoints on newer servers.

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
		return ctx.getNodeParameter(own.of(ctx, 'useAsync'), 0, false) === true ? undefined : 2;
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
	properties: own.describe(selfHostedFields),
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
