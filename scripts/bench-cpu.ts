/**
 * Child process of the benchmark: CPU time per item of a batch through the node (n8n-core's
 * real execution context, filesystem binary mode) against a simulator that lives in the
 * parent process. Reports the process's CPU time, and — from V8's sampling profiler over
 * the same batch — the share spent in the node's own code (nodes/ZImage) apart from n8n's
 * helpers, the HTTP client and the runtime moving the image bytes.
 *   node build/scripts/bench-cpu.js <Evolink simulator URL> <API key> <storage dir> <items>
 */
/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals, no-console -- a development script run by Node, never shipped; the n8n Cloud sandbox rules are for the nodes */
import { Session } from 'node:inspector';

import { runNode, useFilesystemBinaryMode } from '../test/harness';

interface Profile {
	nodes: Array<{ id: number; callFrame: { url: string; functionName: string } }>;
	samples: number[];
	timeDeltas: number[];
}

async function main(): Promise<void> {
	const [url, apiKey, storage, count] = process.argv.slice(2);
	await useFilesystemBinaryMode(storage);
	const generate = async (items: number) =>
		await runNode({
			parameters: {
				provider: 'evolink',
				operation: 'generate',
				prompt: '={{ $json.prompt }}',
				size: '1:1',
				options: {},
			},
			credentials: { evolinkApi: { apiKey, baseUrl: url } },
			items: Array.from({ length: items }, (_, i) => ({ json: { prompt: `prompt ${i}` } })),
		});
	await generate(5);
	const session = new Session();
	session.connect();
	const post = async <T>(method: string) =>
		await new Promise<T>((resolve, reject) =>
			session.post(method, (error, result) => (error ? reject(error) : resolve(result as T))),
		);
	await post('Profiler.enable');
	await post('Profiler.start');
	const before = process.cpuUsage();
	const started = Date.now();
	const result = await generate(Number(count));
	const used = process.cpuUsage(before);
	const wallMs = Date.now() - started;
	const { profile } = await post<{ profile: Profile }>('Profiler.stop');
	const own = new Set(
		profile.nodes
			.filter((node) => /\/nodes\/ZImage\//.test(node.callFrame.url))
			.map((node) => node.id),
	);
	let ownUs = 0;
	profile.samples.forEach((id, index) => {
		if (own.has(id)) ownUs += profile.timeDeltas[index];
	});
	process.stdout.write(
		`${JSON.stringify({ items: result.items.length, wallMs, cpuMs: (used.user + used.system) / 1000, ownMs: ownUs / 1000 })}\n`,
	);
}

void main().catch((error: Error) => {
	console.error(error);
	process.exit(1);
});
