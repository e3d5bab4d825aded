import type { IBinaryData, IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import type { ProviderClient } from './http/client';
import { safeUrl } from './http/errors';
import type { ImageInfo } from './imageInfo';
import { describeNonImage, sniffImage } from './imageInfo';
import type { GenerationMeta, NodeContext, TaskState } from './types';
import { safeFileName } from './taskIds';

export interface OutputOptions {
	binaryPropertyName: string;
	downloadImages: boolean;
	maxDownloadBytes: number;
}

/** A task to describe: the client that knows its provider, the task, what was asked for. */
export interface TaskOutput {
	client: ProviderClient;
	task: TaskState;
	meta?: GenerationMeta;
}

/** One result image of a task, to turn into an output item. */
export interface ImageOutput extends TaskOutput {
	ctx: NodeContext;
	itemIndex: number;
	options: OutputOptions;
	/** Which of the task's images. */
	index: number;
}

/** What is known of a task, the provider's word first, what was asked for otherwise. */
function taskFacts({ client, task, meta }: TaskOutput): IDataObject {
	return {
		provider: client.provider.name,
		model: task.model ?? meta?.model,
		taskId: task.taskId,
		status: task.status,
		prompt: task.prompt ?? meta?.prompt,
		seed: task.seed ?? meta?.seed,
		width: task.width ?? meta?.width,
		height: task.height ?? meta?.height,
	};
}

/** The task as JSON in the shared vocabulary, with the provider's own fields under `raw`. */
export function taskToJson(output: TaskOutput): IDataObject {
	const { client, task, meta } = output;
	const json = dropUndefined({
		...taskFacts(output),
		progress: task.progress,
		error: task.error as IDataObject | undefined,
		notice: meta?.notice,
	});
	const urls = task.images
		.map((image) => image.url)
		.filter((url): url is string => !!url)
		.map((url) => client.resolveUrl(url));
	if (urls.length) json.urls = urls;
	json.raw = task.raw;
	return json;
}

/**
 * A task as an AI Agent's model can use it: links (never files, which n8n does not pass on),
 * how long the links work, the size, the task id; nothing about files or the provider's raw answer.
 */
export function toolResult(output: TaskOutput): IDataObject {
	const { client, task } = output;
	const { provider, model, taskId, status, prompt, seed, width, height } = taskFacts(output);
	const urls = task.images.flatMap((image) => (image.url ? [client.resolveUrl(image.url)] : []));
	const inline = task.images.length - urls.length;
	return dropUndefined({
		status,
		urls: urls.length ? urls : undefined,
		urlsExpire: urls.length
			? (client.provider.resultLinksExpire ?? 'unknown: the provider does not say')
			: undefined,
		width,
		height,
		taskId,
		provider,
		model,
		prompt,
		seed,
		progress: status === 'completed' ? undefined : task.progress,
		error: task.error as IDataObject | undefined,
		notice: output.meta?.notice,
		note: inline
			? `${inline} image(s) came back inline, without a link an agent could pass on: set the node's Response Format to "URL to Download"`
			: undefined,
	});
}

type BinarySource = Parameters<IExecuteFunctions['helpers']['prepareBinaryData']>[0];

/**
 * One output item for one result image: the real bytes as n8n binary data with the type
 * and size read from the bytes themselves, and the task's facts as JSON.
 */
export async function toBinaryItem(output: ImageOutput): Promise<INodeExecutionData> {
	const { ctx, client, task, meta, itemIndex, options, index } = output;
	const image = task.images[index];
	const url = image.url ? client.resolveUrl(image.url) : undefined;
	const json: IDataObject = { ...taskFacts(output), url, index, notice: meta?.notice };
	// What the provider reports beyond the shared vocabulary, never in place of it.
	for (const [key, value] of Object.entries({ ...task.details, ...image.details }))
		if (json[key] === undefined) json[key] = value;
	if (!options.downloadImages && url) {
		return { json: dropUndefined(json), pairedItem: { item: itemIndex } };
	}
	const notAnImage = (bytes: number, complete: boolean, contentType?: string) =>
		client.error({
			message: `Result ${index + 1}${url ? ` at ${safeUrl(url)}` : ''} is not an image (${describeNonImage(contentType, bytes, complete)})`,
		});
	/** Hands the bytes (or the stream, on disk as it arrives in filesystem mode) to n8n's binary storage. */
	const store = async (
		head: Buffer,
		data: BinarySource,
		size: { bytes: number; complete: boolean; contentType?: string },
	) => {
		const info = sniffImage(head);
		if (!info) throw notAnImage(size.bytes, size.complete, size.contentType);
		const fileName = safeFileName(client.redact(task.taskId), index, info.extension);
		return {
			binary: await ctx.helpers.prepareBinaryData(data, fileName, info.mimeType),
			info,
			fileName,
		};
	};
	let stored: { binary: IBinaryData; info: ImageInfo; fileName: string };
	if (image.base64 !== undefined) {
		const data = Buffer.from(image.base64.replace(/^data:[^,]*,/, ''), 'base64');
		stored = await store(data, data, { bytes: data.length, complete: true });
	} else {
		stored = await client.download(url as string, options.maxDownloadBytes, async (incoming) => {
			const { head, body, complete, contentType, contentLength } = incoming;
			const size = {
				bytes: contentLength ?? head.length,
				complete: complete || contentLength !== undefined,
				contentType,
			};
			return await store(head, body as unknown as BinarySource, size);
		});
	}
	const { binary, info, fileName } = stored;
	json.width = info.width ?? json.width;
	json.height = info.height ?? json.height;
	json.mimeType = info.mimeType;
	json.fileName = fileName;
	json.fileSize = binary.bytes;
	return {
		json: dropUndefined(json),
		binary: { [options.binaryPropertyName]: binary },
		pairedItem: { item: itemIndex },
	};
}

function dropUndefined(json: IDataObject): IDataObject {
	for (const key of Object.keys(json)) if (json[key] === undefined) delete json[key];
	return json;
}
