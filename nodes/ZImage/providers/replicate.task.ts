import type { IDataObject } from 'n8n-workflow';

import type { TaskLinks, TaskState, TaskStatus } from '../types';
import { asObject } from '../validation';

// A Replicate prediction in the shared task vocabulary: starting (queued, booting), processing
// (with the model's progress bar in its logs), succeeded (output: one URL or a list), failed
// (error as text), canceled or aborted. Inputs, outputs and files are removed an hour after a
// prediction made through the API ends (`data_removed`).

const STATUSES: Record<string, TaskStatus> = {
	starting: 'queued',
	processing: 'processing',
	succeeded: 'completed',
	failed: 'failed',
	canceled: 'failed',
	aborted: 'failed',
};

const text = (value: unknown) => (typeof value === 'string' && value ? value : undefined);
const numberOf = (value: unknown) =>
	typeof value === 'number' && Number.isFinite(value) ? value : undefined;

/** The prediction's own addresses: urls.get to look, urls.cancel to cancel. */
export function readLinks(prediction: Record<string, unknown>): TaskLinks | undefined {
	const urls = asObject(prediction.urls);
	const links: TaskLinks = { status: text(urls?.get), cancel: text(urls?.cancel) };
	return links.status || links.cancel ? links : undefined;
}

/** The last step count ("4/8") or percentage of the model's progress bar in the logs. */
function progressOf(logs: unknown): number | undefined {
	const lines = typeof logs === 'string' ? logs.split(/[\r\n]+/).reverse() : [];
	for (const line of lines) {
		const steps = /(\d+)\s*\/\s*(\d+)/.exec(line);
		if (steps && Number(steps[2]) > 0 && Number(steps[1]) <= Number(steps[2]))
			return Math.floor((100 * Number(steps[1])) / Number(steps[2]));
		const percent = /(\d{1,3})%\|/.exec(line);
		if (percent && Number(percent[1]) <= 100) return Number(percent[1]);
	}
	return undefined;
}

/** The seed: as asked, else as the model logged it ("Using seed: 1234"). */
function seedOf(input: Record<string, unknown> | undefined, logs: unknown): number | undefined {
	const asked = numberOf(input?.seed);
	if (asked !== undefined) return asked;
	const logged = typeof logs === 'string' ? /seed[^0-9\n]{0,12}(\d+)/i.exec(logs) : null;
	return logged ? Number(logged[1]) : undefined;
}

/** The prediction as it may be shown: an input image sent inline is not echoed back in full. */
function shownRaw(prediction: Record<string, unknown>): IDataObject {
	const input = asObject(prediction.input);
	if (!input || typeof input.image !== 'string' || !input.image.startsWith('data:'))
		return prediction as IDataObject;
	const image = `${input.image.slice(0, input.image.indexOf(',') + 1)}… (${input.image.length} characters)`;
	return { ...prediction, input: { ...input, image } } as IDataObject;
}

/** A prediction (a create's answer, a look, a list entry) as a task; undefined when it is not one. */
export function readTask(body: unknown, taskId: string): TaskState | undefined {
	const prediction = asObject(body);
	const status = STATUSES[String(prediction?.status)];
	if (!prediction || !status) return undefined;
	const input = asObject(prediction.input);
	const metrics = asObject(prediction.metrics);
	const details: IDataObject = {};
	if (text(prediction.version)) details.version = prediction.version as string;
	if (numberOf(metrics?.predict_time) !== undefined)
		details.predictTime = metrics?.predict_time as number;
	const output = prediction.output;
	const urls = (Array.isArray(output) ? output : [output]).filter(
		(url): url is string => typeof url === 'string' && !!url,
	);
	const state: TaskState = {
		taskId: text(prediction.id) ?? taskId,
		links: readLinks(prediction),
		status,
		progress:
			status === 'queued' ? 0 : status === 'processing' ? progressOf(prediction.logs) : undefined,
		images: status === 'completed' ? urls.map((url) => ({ url })) : [],
		model: text(prediction.model),
		prompt: text(input?.prompt),
		seed: seedOf(input, prediction.logs),
		width: numberOf(input?.width),
		height: numberOf(input?.height),
		details,
		raw: shownRaw(prediction),
	};
	if (status === 'completed' && urls.length === 0) {
		// Replicate removes an API prediction's input, output and files an hour after it ends.
		const removed = prediction.data_removed === true;
		const message = removed
			? "Replicate has removed this prediction's output: it deletes the files of predictions made through the API an hour after they end, so the images cannot be collected any more; run the generation again"
			: 'the prediction succeeded but lists no output';
		return {
			...state,
			status: 'failed',
			error: { code: removed ? 'data_removed' : undefined, message },
		};
	}
	if (status === 'failed') {
		const word = String(prediction.status);
		const reason =
			text(prediction.error) ??
			(word === 'canceled'
				? 'the prediction was canceled'
				: word === 'aborted'
					? 'the prediction was aborted before it ran'
					: 'Replicate gave no reason');
		return { ...state, error: { code: word === 'failed' ? undefined : word, message: reason } };
	}
	return state;
}
