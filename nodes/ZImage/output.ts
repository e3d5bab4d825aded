import type { IBinaryData, IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import type { ImageInfo } from './imageInfo';
import { describeNonImage, sniffImage } from './imageInfo';
import type { GenerationMeta, TaskState, ZImageProvider } from './providers/types';
import type { ProviderClient } from './transport';
import { safeUrl, tooLarge } from './transport';

export interface OutputOptions {
	binaryPropertyName: string;
	downloadImages: boolean;
	maxDownloadBytes: number;
}

/** What is known of a task, the provider's word first, what was asked for otherwise. */
function taskFacts(provider: ZImageProvider, task: TaskState, meta?: GenerationMeta): IDataObject {
	return {
		provider: provider.name,
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
export function taskToJson(
	client: ProviderClient,
	provider: ZImageProvider,
	task: TaskState,
	meta?: GenerationMeta,
): IDataObject {
	const json = dropUndefined({
		...taskFacts(provider, task, meta),
		progress: task.progress,
		error: task.error as IDataObject | undefined,
		notice: meta?.notice,
	});
	const urls = task.images
		.map((image) => image.url)
		.filter((url): url is string => !!url)
		.map((url) => client.absoluteUrl(url));
	if (urls.length) json.urls = urls;
	json.raw = task.raw;
	return json;
}

/**
 * One output item for one result image: the real bytes as n8n binary data with the type
 * and size read from the bytes themselves, and the task's facts as JSON.
 */
export async function toBinaryItem(
	ctx: IExecuteFunctions,
	client: ProviderClient,
	provider: ZImageProvider,
	task: TaskState,
	meta: GenerationMeta | undefined,
	itemIndex: number,
	options: OutputOptions,
	index: number,
): Promise<INodeExecutionData> {
	const image = task.images[index];
	const url = image.url ? client.absoluteUrl(image.url) : undefined;
	const json: IDataObject = { ...taskFacts(provider, task, meta), url, index, notice: meta?.notice };
	if (!options.downloadImages && url) {
		return { json: dropUndefined(json), pairedItem: { item: itemIndex } };
	}
	const notAnImage = (head: Buffer, contentType?: string) =>
		client.error({
			message: `Result ${index + 1}${url ? ` at ${safeUrl(url)}` : ''} is not an image (${describeNonImage(head, contentType)})`,
		});
	let stored: { binary: IBinaryData; info: ImageInfo; fileName: string };
	if (image.base64 !== undefined) {
		const data = Buffer.from(image.base64.replace(/^data:[^,]*,/, ''), 'base64');
		const info = sniffImage(data);
		if (!info) throw notAnImage(data);
		const fileName = `${task.taskId}-${index}.${info.extension}`;
		stored = { binary: await ctx.helpers.prepareBinaryData(data, fileName, info.mimeType), info, fileName };
	} else {
		stored = await client.download(url as string, options.maxDownloadBytes, async ({ head, body, contentType }) => {
			const info = sniffImage(head);
			if (!info) throw notAnImage(head, contentType);
			const fileName = `${task.taskId}-${index}.${info.extension}`;
			// The stream goes to n8n's binary storage as it arrives (on disk in filesystem mode).
			const data = body as unknown as Parameters<IExecuteFunctions['helpers']['prepareBinaryData']>[0];
			return { binary: await ctx.helpers.prepareBinaryData(data, fileName, info.mimeType), info, fileName };
		});
	}
	const { binary, info, fileName } = stored;
	if (url && binary.bytes !== undefined && binary.bytes > options.maxDownloadBytes) {
		// Without a Content-Length the size is known only once stored.
		throw client.error(tooLarge(url, binary.bytes, options.maxDownloadBytes));
	}
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
