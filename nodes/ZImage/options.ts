import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { DEFAULT_STATUS_PER_SECOND } from './pacing/statusPace';
import { checkInteger, checkText, invalidInput } from './validation';

/** What the user set for how an item runs, checked before anything is sent. */
export interface RunOptions {
	waitForCompletion: boolean;
	maxWaitSeconds: number;
	downloadImages: boolean;
	binaryPropertyName: string;
	maxConcurrent: number;
	maxDownloadBytes: number;
	/** Status requests per second to one provider key, shared by every item and execution using it. */
	maxStatusPerSecond: number;
	/** 0: the provider's own default. */
	requestTimeoutSeconds: number;
}

/** Enough for a typical batch to run in about the time of one generation. */
export const DEFAULT_MAX_CONCURRENT = 20;
const DEFAULT_MAX_WAIT_SECONDS = 600;
const DEFAULT_MAX_DOWNLOAD_MB = 50;

const waitDescription =
	'Whether to wait until the images are ready. Off returns the task at once, to look up later with Get Task.';
const waitOn: INodeProperties = {
	displayName: 'Wait for Completion',
	name: 'waitForCompletion',
	type: 'boolean',
	default: true,
	description: waitDescription,
};
const waitOff: INodeProperties = { ...waitOn, default: false };

const sharedOptions = (waitDefault: boolean): INodeProperties[] => [
	{
		displayName: 'Binary Property',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		description: 'Name of the binary field the images are written to',
	},
	{
		displayName: 'Download Images',
		name: 'downloadImages',
		type: 'boolean',
		default: true,
		description:
			'Whether to download the images as binary data. Off returns the image URLs only (handy for AI agents); provider URLs expire.',
	},
	{
		displayName: 'Max Concurrent Items',
		name: 'maxConcurrent',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: DEFAULT_MAX_CONCURRENT,
		description:
			'How many input items run at the same time; image downloads take turns in the same pool. Fewer run while the provider answers "too many requests". A self-hosted server without async endpoints runs at most 2.',
	},
	{
		displayName: 'Max Download Size (MB)',
		name: 'maxDownloadMb',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: DEFAULT_MAX_DOWNLOAD_MB,
		description: 'A result image larger than this fails the item instead of filling memory',
	},
	{
		displayName: 'Max Status Requests per Second',
		name: 'maxStatusPerSecond',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: DEFAULT_STATUS_PER_SECOND,
		description:
			'How many status requests per second the node sends to one provider key while waiting for tasks, across all items and executions using it',
	},
	{
		displayName: 'Max Wait (Seconds)',
		name: 'maxWaitSeconds',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: DEFAULT_MAX_WAIT_SECONDS,
		description:
			'How long an item may take in all (submission, waiting, downloads); after that it fails with the task ID, to collect later with Get Task',
	},
	{
		displayName: 'Request Timeout (Seconds)',
		name: 'requestTimeoutSeconds',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 0,
		description:
			"Longest time for one whole HTTP request, answer included; 0 uses the provider's default",
	},
	waitDefault ? waitOn : waitOff,
];

/** An operation's Options collection: Generate and Edit wait by default, Get Task does not. */
export function optionsCollection(waitDefault: boolean): INodeProperties {
	return {
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: sharedOptions(waitDefault),
	};
}

export function readRunOptions(
	ctx: IExecuteFunctions,
	itemIndex: number,
	waitDefault: boolean,
): RunOptions {
	const raw = (ctx.getNodeParameter('options', itemIndex, {}) ?? {}) as IDataObject;
	const positive = (field: string, value: unknown, fallback: number, max: number) =>
		value === undefined ? fallback : checkInteger(ctx, itemIndex, field, value, 1, max);
	const binaryPropertyName = checkText(
		ctx,
		itemIndex,
		'Binary Property',
		raw.binaryPropertyName ?? 'data',
	).trim();
	if (!binaryPropertyName) {
		throw invalidInput(
			ctx,
			itemIndex,
			'Binary Property',
			binaryPropertyName,
			'a field name such as "data" is required',
		);
	}
	return {
		waitForCompletion:
			raw.waitForCompletion === undefined ? waitDefault : raw.waitForCompletion === true,
		maxWaitSeconds: positive(
			'Max Wait (Seconds)',
			raw.maxWaitSeconds,
			DEFAULT_MAX_WAIT_SECONDS,
			86_400,
		),
		downloadImages: raw.downloadImages === undefined ? true : raw.downloadImages === true,
		binaryPropertyName,
		maxConcurrent: positive('Max Concurrent Items', raw.maxConcurrent, DEFAULT_MAX_CONCURRENT, 100),
		maxDownloadBytes:
			positive('Max Download Size (MB)', raw.maxDownloadMb, DEFAULT_MAX_DOWNLOAD_MB, 4096) *
			1024 *
			1024,
		maxStatusPerSecond: positive(
			'Max Status Requests per Second',
			raw.maxStatusPerSecond,
			DEFAULT_STATUS_PER_SECOND,
			1000,
		),
		requestTimeoutSeconds:
			raw.requestTimeoutSeconds === undefined
				? 0
				: checkInteger(
						ctx,
						itemIndex,
						'Request Timeout (Seconds)',
						raw.requestTimeoutSeconds,
						0,
						3600,
					),
	};
}
