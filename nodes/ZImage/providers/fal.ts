import { PROBE_TASK_IDS } from '../../../credentials/contract';
import { classifyAnswer } from '../failures';
import { parameterNaming } from '../parameters';
import type { ProviderRequest, ZImageProvider } from '../types';
import { pathSegment } from '../taskIds';
import { asObject, isPrivateHost } from '../validation';
import { falErrors } from './fal.errors';
import { falFields } from './fal.fields';
import { prepareSubmitWith, PROMPT_MAX } from './fal.submit';
import { readLinks, readResult, readTask } from './fal.task';
import { offerOperations } from './operations';

// fal.ai's queue API (docs/providers/fal.md): submit to queue.fal.run/<model>, then follow the
// status_url, response_url and cancel_url the submission answers with. Their queue app is the
// model id's first two segments (`fal-ai/z-image` for every Z-Image endpoint), which is where a
// request id the user typed is looked up; the node never rebuilds a known task's addresses.
//
// Limits: fal caps the requests of an account that run at once and queues the rest: it never
// refuses one for concurrency, so the shared window stays wide. It documents no submission
// rate, so it declares no submitRate: the shared pacing learns one if a key meets it.
//
// fal's queue retries a request that failed on a 503, a 504, a 429 or a broken connection of
// its own (up to 10 times, without billing server errors). The node does not opt out
// (`x-fal-no-retry`): it never re-submits an accepted request itself, so those retries are the
// only ones such a request gets, and Max Wait bounds them.

const APP = 'fal-ai/z-image';
const own = parameterNaming('fal', false);

/** A task's address with `logs=1`: the model's logs carry its progress. */
function withLogs(path: string): string {
	if (!/^https?:/i.test(path)) return `${path}${path.includes('?') ? '&' : '?'}logs=1`;
	const url = new URL(path);
	url.searchParams.set('logs', '1');
	return url.toString();
}

/** Where a request id the user typed lives (its own addresses are followed when known). */
const byId = (taskId: string, what = '') => `/${APP}/requests/${pathSegment(taskId)}${what}`;

/** Why fal.ai would not call this address back, or undefined when it would. */
function webhookProblem(value: string): string | undefined {
	let url: URL;
	try {
		url = new URL(value);
	} catch {
		return 'not a URL';
	}
	// The resume URL carries its signature: it goes over HTTPS only.
	if (url.protocol !== 'https:') return 'only HTTPS is accepted (the address carries a signature)';
	if (isPrivateHost(url.hostname))
		return `${url.hostname} is a private or loopback address, which fal.ai cannot reach`;
	return undefined;
}

function statusRequest(taskId: string, links?: { status?: string }): ProviderRequest {
	return { method: 'GET', path: withLogs(links?.status ?? byId(taskId, '/status')) };
}

export const fal: ZImageProvider = {
	name: 'fal',
	displayName: 'fal.ai',
	credentialType: 'zImageFalApi',
	requestTimeoutSeconds: 60,
	maxPromptLength: PROMPT_MAX,
	maxResultsPerTask: 4,
	resultLinksExpire:
		'unknown: fal.ai keeps result files on its CDN for a time it does not state for these models',
	// Z-Image Turbo takes about a second; the schedule backs off from there.
	firstPollSeconds: 1,
	operations: offerOperations({
		deleteTask: {
			description: 'Cancel queued or running requests (fal.ai cancels them; nothing is deleted)',
			action: 'Cancel requests',
		},
		edit: 'Image to image with Z-Image Turbo, from a binary field or an image URL',
		generate: 'Text to image with Z-Image Turbo or Base',
		getTask: 'Look up a request, optionally wait and download its images',
		health: 'Check that fal.ai answers and accepts the key, at no cost',
	}),
	properties: own.describe(falFields),
	errors: falErrors,
	callback: {
		attach: (request, url) => ({
			...request,
			path: `${request.path}${request.path.includes('?') ? '&' : '?'}fal_webhook=${encodeURIComponent(url)}`,
		}),
		problem: webhookProblem,
	},
	prepareSubmit: prepareSubmitWith(own),
	readSubmit(body) {
		const answer = asObject(body);
		const taskId = typeof answer?.request_id === 'string' ? answer.request_id : undefined;
		if (!answer || !taskId) return {};
		return { taskId, links: readLinks(answer), state: readTask(body, taskId) };
	},
	checkTaskId(taskId) {
		return /^[A-Za-z0-9-]{8,64}$/.test(taskId)
			? undefined
			: 'a fal.ai request ID looks like 80e732af-660e-45cd-bd63-580e4f2a94cc';
	},
	statusRequest,
	readTask,
	resultRequest: (taskId, links) => ({ method: 'GET', path: links?.result ?? byId(taskId) }),
	readResult,
	readFailure: (answer) => classifyAnswer(falErrors, answer),
	cancelRequest: (taskId, links) => ({
		method: 'PUT',
		path: links?.cancel ?? byId(taskId, '/cancel'),
	}),
	async health(call) {
		const answer = await call.request(statusRequest(PROBE_TASK_IDS.fal), 'probe');
		const { statusCode } = answer;
		// A request that cannot exist is "not found" for a right key: only a refused key or a broken server fail.
		const fine = statusCode < 300 ? !!asObject(answer.body) : [400, 404, 422].includes(statusCode);
		const failure = fine ? undefined : classifyAnswer(falErrors, answer);
		if (failure) throw call.error(failure);
		return { reachable: true, keyAccepted: true, baseUrl: call.baseUrl, httpStatus: statusCode };
	},
};
