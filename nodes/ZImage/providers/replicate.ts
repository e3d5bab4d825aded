import type { IDataObject } from 'n8n-workflow';

import { REPLICATE_ACCOUNT_PATH } from '../../../credentials/contract';
import { classifyAnswer } from '../failures';
import { parameterNaming } from '../parameters';
import type { ProviderCall, ProviderRequest, SubmitPlan, ZImageProvider } from '../types';
import { pathSegment } from '../taskIds';
import { asObject, isPrivateHost } from '../validation';
import { replicateErrors as errors } from './replicate.errors';
import { replicateFields, TURBO } from './replicate.fields';
import { prepareSubmitWith, PROMPT_MAX } from './replicate.submit';
import { readLinks, readTask } from './replicate.task';
import { offerOperations } from './operations';

// Replicate (docs/providers/replicate.md): a create (`POST /v1/models/<owner>/<name>/predictions`,
// or `POST /v1/predictions` with a pinned version) held open with `Prefer: wait=<n>` until the
// prediction ends or n seconds pass; a prediction not finished by then is looked up at its own
// urls.get. Z-Image Turbo takes about a second, so most items cost one create and one download.
//
// Limits: 600 creates a minute per account (far fewer on granted credit without a card); a 429's
// `detail` says when the limit resets, and reaches the shared failure classifier as a refusal
// that was not accepted (sent again, paced by the shared pacing).

const own = parameterNaming('replicate', false);

/** How far Replicate's clock (created_at) may be from this machine's when a lost create is looked for. */
const CLOCK_SLACK_MS = 60_000;

const byId = (taskId: string, what = '') => `/v1/predictions/${pathSegment(taskId)}${what}`;

/** Why Replicate would not call this address back, or undefined when it would. */
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
		return `${url.hostname} is a private or loopback address, which Replicate cannot reach`;
	return undefined;
}

/** A value with its object keys in order, to compare inputs as Replicate echoes them. */
function canonical(value: unknown): unknown {
	if (Array.isArray(value)) return value.map(canonical);
	const object = asObject(value);
	if (!object) return value;
	return Object.fromEntries(
		Object.keys(object)
			.sort()
			.map((key) => [key, canonical(object[key])]),
	);
}

/**
 * After a create whose answer was lost (a reset or a timeout during the hold): the prediction it
 * made, found in the account's recent predictions by its input, its model or version and its
 * creation time; undefined when none is listed. Two candidates cannot be told apart: that fails.
 */
async function findSubmission(
	call: ProviderCall,
	plan: SubmitPlan,
	sentAt: number,
): Promise<unknown> {
	const sent = plan.request.json ?? {};
	const input = JSON.stringify(canonical(sent.input));
	// A list that cannot be read finds nothing: the create's own error (it may exist) then stands.
	const listed = await call
		.request({ method: 'GET', path: '/v1/predictions' }, 'status')
		.catch(() => undefined);
	const results = asObject(listed?.body)?.results;
	const candidates = (Array.isArray(results) ? results : []).map(asObject).filter((entry) => {
		if (!entry) return false;
		const created = Date.parse(String(entry.created_at));
		const inWindow = created >= sentAt - CLOCK_SLACK_MS && created <= Date.now() + CLOCK_SLACK_MS;
		const sameModel =
			typeof sent.version === 'string'
				? entry.version === sent.version
				: entry.model === plan.meta.model;
		return inWindow && sameModel && JSON.stringify(canonical(entry.input)) === input;
	});
	if (candidates.length <= 1) return candidates[0];
	const ids = candidates.map((entry) => String(entry?.id)).join(', ');
	throw call.error({
		message: `the answer to the create was lost, and Replicate lists ${candidates.length} predictions made from this same input since (${ids}); the node cannot tell which one is this item's, so it collects none and sent nothing again`,
		description: 'Collect them with Get Task, or cancel the ones not needed with Delete Task.',
	});
}

function statusRequest(taskId: string, links?: { status?: string }): ProviderRequest {
	return { method: 'GET', path: links?.status ?? byId(taskId) };
}

export const replicate: ZImageProvider = {
	name: 'replicate',
	displayName: 'Replicate',
	credentialType: 'zImageReplicateApi',
	requestTimeoutSeconds: 60,
	maxPromptLength: PROMPT_MAX,
	maxResultsPerTask: 4,
	resultLinksExpire:
		'after 1 hour: Replicate deletes the files of predictions made through the API an hour after they end',
	// Z-Image Turbo takes about a second; a create usually answers with the images already.
	firstPollSeconds: 1,
	// Replicate documents 600 creates a minute (far fewer on granted credit: the pacing learns it).
	submitRate: { requests: 600, perSeconds: 60 },
	operations: offerOperations({
		deleteTask: {
			description:
				'Cancel starting or running predictions (Replicate cancels them; nothing is deleted)',
			action: 'Cancel predictions',
		},
		edit: 'Image to image with Z-Image Turbo, from a binary field or an image URL',
		generate: 'Text to image with Z-Image Turbo (its LoRA variant when LoRAs are given)',
		getTask: 'Look up a prediction, optionally wait and download its images',
		health: 'Check that Replicate answers, accepts the token and serves Z-Image Turbo, at no cost',
	}),
	properties: own.describe(replicateFields),
	errors,
	callback: {
		// A callback replaces the hold: the create answers at once and the execution parks.
		attach: (request, url) => ({
			method: request.method,
			path: request.path,
			json: { ...(request.json ?? {}), webhook: url, webhook_events_filter: ['completed'] },
		}),
		problem: webhookProblem,
	},
	prepareSubmit: prepareSubmitWith(own),
	readSubmit(body) {
		const prediction = asObject(body);
		const taskId = typeof prediction?.id === 'string' ? prediction.id : undefined;
		if (!prediction || !taskId) return {};
		return { taskId, links: readLinks(prediction), state: readTask(body, taskId) };
	},
	findSubmission,
	checkTaskId(taskId) {
		return /^[a-z0-9]{10,64}$/.test(taskId)
			? undefined
			: 'a Replicate prediction ID looks like gm3qorzdhgbfurvjtvhg6dckhu (lower-case letters and digits)';
	},
	statusRequest,
	readTask,
	readFailure: (answer) => classifyAnswer(errors, answer),
	cancelRequest: (taskId, links) => ({
		method: 'POST',
		path: links?.cancel ?? byId(taskId, '/cancel'),
	}),
	async health(call) {
		const account = asObject(
			(await call.request({ method: 'GET', path: REPLICATE_ACCOUNT_PATH }, 'check')).body,
		);
		const model = asObject(
			(await call.request({ method: 'GET', path: `/v1/models/${TURBO}` }, 'check')).body,
		);
		const result: IDataObject = {
			reachable: true,
			keyAccepted: true,
			modelAvailable: true,
			baseUrl: call.baseUrl,
			model: TURBO,
		};
		if (typeof account?.username === 'string') result.account = account.username;
		const latest = asObject(model?.latest_version)?.id;
		if (typeof latest === 'string') result.latestVersion = latest;
		return result;
	},
};
