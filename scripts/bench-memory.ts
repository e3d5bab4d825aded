/**
 * Child process of the benchmark: produces one 16-megapixel image through the node in n8n's
 * filesystem binary mode and reports how much its memory grew while doing so.
 *   node build/scripts/bench-memory.js <TensorsLab simulator URL> <API key> <storage dir>
 */
/* eslint-disable @n8n/community-nodes/no-restricted-globals, no-console -- a development script run by Node, never shipped; the n8n Cloud sandbox rules are for the nodes */
import type { IDataObject } from 'n8n-workflow';

import { runNode, useFilesystemBinaryMode } from '../test/harness';

async function main(): Promise<void> {
	const [url, apiKey, storage] = process.argv.slice(2);
	await useFilesystemBinaryMode(storage);
	const credentials = { tensorsLabApi: { apiKey, baseUrl: url, authHeaderFormat: 'bearer' } };
	const generate = (parameters: IDataObject) =>
		runNode({
			parameters: {
				provider: 'tensorsLab',
				operation: 'generate',
				prompt: 'memory',
				...parameters,
			},
			credentials,
		});

	// Warm up: every module loaded and every code path taken once, with a small image.
	await generate({ model: 'zimage', resolution: 'custom', width: 512, height: 512 });
	global.gc?.();
	const baseline = process.memoryUsage().rss;
	let peak = baseline;
	const sampler = setInterval(() => {
		peak = Math.max(peak, process.memoryUsage().rss);
	}, 5);
	const result = await generate({
		model: 'seedreamv45',
		resolution: '4K',
		options: { maxDownloadMb: 200 },
	});
	clearInterval(sampler);
	peak = Math.max(peak, process.memoryUsage().rss);
	const item = result.items[0];
	process.stdout.write(
		`${JSON.stringify({
			width: item.json.width,
			height: item.json.height,
			bytes: item.json.fileSize,
			mimeType: item.json.mimeType,
			stored: item.binary?.data.id ? 'filesystem' : 'memory',
			baseline,
			peak,
		})}\n`,
	);
}

void main().catch((error: Error) => {
	console.error(error);
	process.exit(1);
});
