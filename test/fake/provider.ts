/**
 * A provider that exists only in the tests: the smallest complete one, added through the
 * same registry as the real ones (see CONTRIBUTING.md). Its API is deliberately its own:
 * `POST /jobs {text}` → `{id}`, `GET /jobs/{id}` → `{id, status: running|done|failed, images, error}`.
 */
import type { ICredentialType } from 'n8n-workflow';

import { classifyAnswer } from '../../nodes/ZImage/failures';
import { offerOperations } from '../../nodes/ZImage/providers/operations';
import { pathSegment } from '../../nodes/ZImage/taskIds';
import type { ErrorTable, TaskState, ZImageProvider } from '../../nodes/ZImage/types';
import { asObject, readPrompt } from '../../nodes/ZImage/validation';

const STATUS = { running: 'processing', done: 'completed', failed: 'failed' } as const;

const errors: ErrorTable = {
	read: (answer) => ({ message: String(asObject(answer.body)?.error ?? '') }),
	statuses: { 401: 'keyRejected', 404: 'notFound', 429: 'notAccepted', 503: 'notAccepted' },
	words: (kind, { statusCode, message }) =>
		kind === 'unreadable'
			? { message: 'Fake sent an answer that is not JSON' }
			: { message: `Fake answered HTTP ${statusCode} (${kind})${message ? `: ${message}` : ''}` },
};

function readTask(body: unknown, taskId: string): TaskState | undefined {
	const job = asObject(body);
	const status = STATUS[String(job?.status) as keyof typeof STATUS];
	if (!job || !status) return undefined;
	const images = Array.isArray(job.images)
		? job.images.filter((url): url is string => typeof url === 'string')
		: [];
	return {
		taskId: typeof job.id === 'string' ? job.id : taskId,
		status,
		images: status === 'completed' ? images.map((url) => ({ url })) : [],
		error: status === 'failed' ? { message: String(job.error ?? 'no reason given') } : undefined,
		raw: job as TaskState['raw'],
	};
}

export const fakeProvider: ZImageProvider = {
	name: 'fake' as ZImageProvider['name'],
	displayName: 'Fake',
	credentialType: 'fakeApi',
	requestTimeoutSeconds: 30,
	maxPromptLength: 500,
	maxResultsPerTask: 1,
	firstPollSeconds: 0.1,
	operations: offerOperations({
		generate: 'Text to image',
		getTask: 'Look up a job',
		health: 'Check the key',
	}),
	properties: [],
	errors,
	async prepareSubmit(ctx, itemIndex) {
		const prompt = readPrompt(ctx, itemIndex, 500);
		return {
			request: { method: 'POST', path: '/jobs', json: { text: prompt } },
			meta: { model: 'fake', prompt, images: 1 },
		};
	},
	readSubmit: (body) => {
		const id = asObject(body)?.id;
		return { taskId: typeof id === 'string' ? id : undefined };
	},
	statusRequest: (taskId) => ({ method: 'GET', path: `/jobs/${pathSegment(taskId)}` }),
	readTask,
	readFailure: (answer) => classifyAnswer(errors, answer),
	async health(call) {
		await call.request({ method: 'GET', path: '/me' }, 'check');
		return { reachable: true, keyAccepted: true };
	},
};

/** Its credential: the fields every Z-Image credential has. */
export const fakeCredentialType: ICredentialType = {
	name: 'fakeApi',
	displayName: 'Fake API',
	properties: [
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
		},
		{ displayName: 'Base URL', name: 'baseUrl', type: 'string', default: '' },
	],
	authenticate: {
		type: 'generic',
		properties: { headers: { 'X-Fake-Key': '={{$credentials.apiKey}}' } },
	},
};
