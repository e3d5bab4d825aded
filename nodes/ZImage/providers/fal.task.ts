import type { IDataObject } from 'n8n-workflow';

import { taskErrorMessage } from '../failures';
import type { HttpAnswer, ResultImage, TaskLinks, TaskState, TaskStatus } from '../types';
import { asObject } from '../validation';
import { errorTypeOf, falErrors } from './fal.errors';

// fal.ai's queue answers in the shared task vocabulary: a status answer (IN_QUEUE with its
// queue_position, IN_PROGRESS with logs, COMPLETED, with `error` when the request failed), and
// the result at response_url (the model's output, or the request's error).

const STATUSES: Record<string, TaskStatus> = {
	IN_QUEUE: 'queued',
	IN_PROGRESS: 'processing',
	COMPLETED: 'completed',
	// Not in fal's own clients, but in descriptions of its API: read as failed if they come.
	FAILED: 'failed',
	CANCELED: 'failed',
	CANCELLED: 'failed',
};

function text(value: unknown): string | undefined {
	return typeof value === 'string' && value ? value : undefined;
}

function numberOf(value: unknown): number | undefined {
	return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** The task's own addresses in a submit or status answer. */
export function readLinks(answer: Record<string, unknown>): TaskLinks | undefined {
	const links: TaskLinks = {
		status: text(answer.status_url),
		result: text(answer.response_url),
		cancel: text(answer.cancel_url),
	};
	return links.status || links.result || links.cancel ? links : undefined;
}

/**
 * Progress from the model's logs (`logs=1`), when they count steps ("3/8") or percent, and the
 * time still needed as the logs' own clock says: elapsed since the first log × what is left.
 */
export function progressOf(logs: unknown): { progress?: number; etaSeconds?: number } {
	const entries = Array.isArray(logs) ? logs.map(asObject).filter((entry) => !!entry) : [];
	for (let i = entries.length - 1; i >= 0; i--) {
		const message = String(entries[i].message ?? '');
		const steps = /(\d+)\s*\/\s*(\d+)/.exec(message);
		const percent = /(\d{1,3}(?:\.\d+)?)\s*%/.exec(message);
		const progress =
			steps && Number(steps[2]) > 0
				? (100 * Number(steps[1])) / Number(steps[2])
				: percent
					? Number(percent[1])
					: undefined;
		if (progress === undefined || progress > 100) continue;
		const elapsed =
			(Date.parse(String(entries[i].timestamp)) - Date.parse(String(entries[0].timestamp))) / 1000;
		const etaSeconds =
			progress > 0 && progress < 100 && elapsed > 0
				? (elapsed * (100 - progress)) / progress
				: undefined;
		return { progress: Math.floor(progress), etaSeconds };
	}
	return {};
}

/** A failed task with fal's reason, saying when running it again usually works. */
function failed(state: TaskState, code: string | undefined, reason: string): TaskState {
	const message = taskErrorMessage(falErrors, code, reason);
	return { ...state, status: 'failed', images: [], error: { code, message } };
}

/** A status (or submit) answer in the shared vocabulary; undefined when it is not one. */
export function readTask(body: unknown, taskId: string): TaskState | undefined {
	const task = asObject(body);
	const status = typeof task?.status === 'string' ? STATUSES[task.status] : undefined;
	if (!task || !status) return undefined;
	const running = status === 'processing' ? progressOf(task.logs) : {};
	const state: TaskState = {
		taskId: text(task.request_id) ?? taskId,
		links: readLinks(task),
		status,
		progress: status === 'queued' ? 0 : running.progress,
		etaSeconds: running.etaSeconds,
		images: [],
		raw: task as IDataObject,
	};
	// fal marks a request that failed COMPLETED, with its error (and error_type) in the status.
	const code = text(task.error_type);
	const reason = text(task.error);
	if (status === 'failed' || (status === 'completed' && (reason || code))) {
		const fallback = /CANCEL/.test(String(task.status))
			? 'the request was cancelled'
			: 'fal.ai gave no reason';
		return failed(state, code, reason ?? fallback);
	}
	return state;
}

/** One result image, with what fal says of it beyond its URL. */
function readImage(entry: unknown, nsfw: unknown): ResultImage | undefined {
	const image = asObject(entry);
	const url = text(image?.url);
	if (!url) return undefined;
	const details: IDataObject = {};
	if (typeof nsfw === 'boolean') details.hasNsfwConcept = nsfw;
	return { url, details };
}

/**
 * The result at response_url: the model's output, or (an answer fal keeps for a failed request:
 * its validation detail, or a request error naming its type) the task's failure.
 */
export function readResult(
	body: unknown,
	state: TaskState,
	answer: HttpAnswer,
): TaskState | undefined {
	if (answer.statusCode >= 300) {
		if (answer.statusCode !== 422 && !errorTypeOf(answer)) return undefined;
		const facts = falErrors.read(answer);
		return failed(state, facts.code === undefined ? undefined : String(facts.code), facts.message);
	}
	const result = asObject(body);
	if (!result || !Array.isArray(result.images)) return undefined;
	const nsfw = Array.isArray(result.has_nsfw_concepts) ? result.has_nsfw_concepts : [];
	const images = result.images.map((entry, index) => readImage(entry, nsfw[index]));
	if (images.some((image) => !image)) return undefined;
	const first = asObject(result.images[0]);
	const details: IDataObject = {};
	if (asObject(result.timings)) details.timings = result.timings as IDataObject;
	// The units fal bills for this request (megapixels for Z-Image), as its answer states them.
	const billed = Number(answer.headers['x-fal-billable-units']);
	if (answer.headers['x-fal-billable-units'] !== undefined && Number.isFinite(billed))
		details.billableUnits = billed;
	return {
		...state,
		status: 'completed',
		images: images as ResultImage[],
		prompt: text(result.prompt) ?? state.prompt,
		seed: numberOf(result.seed) ?? state.seed,
		width: numberOf(first?.width),
		height: numberOf(first?.height),
		details,
		raw: result as IDataObject,
	};
}
