import type { IDataObject } from 'n8n-workflow';

import { PROBE_TASK_IDS } from '../../../credentials/contract';
import { classifyAnswer, taskErrorMessage } from '../failures';
import { parameterNaming } from '../parameters';
import type {
	ErrorTable,
	FailureFacts,
	ProviderName,
	TaskState,
	TaskStatus,
	ZImageProvider,
} from '../types';
import { pathSegment } from '../taskIds';
import { asObject } from '../validation';
import { evolinkFields } from './evolink.fields';
import { callbackUrlProblem, prepareSubmitWith, PROMPT_MAX } from './evolink.submit';
import { offerOperations } from './operations';

// Evolink's API (see the README's "Evolink / ODKKK parameters"): one API on two hosts.
// Evolink writes error codes as strings, ODKKK as the integer HTTP status.

const STATUSES: Record<string, TaskStatus> = {
	pending: 'queued',
	processing: 'processing',
	completed: 'completed',
	failed: 'failed',
};

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
	// Node version 1 named its parameters plainly (model, size): kept there (parameters.ts).
	const own = parameterNaming(name, true);

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
		properties: own.describe(evolinkFields(name)),
		callback: {
			attach: (request, url) => ({ ...request, json: { ...request.json, callback_url: url } }),
			problem: callbackUrlProblem,
		},
		errors,
		prepareSubmit: prepareSubmitWith(own),
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
