/**
 * The demo: a real n8n (with this package installed as a community package) executes the
 * text-to-image example and the images land in demo-output/. Without a provider key it runs
 * against the bundled self-hosted-server simulator; with one in the environment it uses
 * that provider for real:
 *   TENSORSLAB_API_KEY, EVOLINK_API_KEY, ODKKK_API_KEY, FAL_KEY, or ZIMAGE_SERVER_URL (+ ZIMAGE_SERVER_TOKEN).
 */
/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals, no-console -- a development script run by Node, never shipped; the n8n Cloud sandbox rules are for the nodes */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { type Credential, ensureRuntime, loadExample, N8nInstance, ROOT } from '../e2e/lib/n8n';
import { ZImageServerSimulator } from '../test/simulators/zImageServer';

interface Target {
	example: string;
	label: string;
	credential(): Promise<Credential>;
}

function targetFromEnvironment(simulator: { server?: ZImageServerSimulator }): Target {
	const env = process.env;
	if (env.TENSORSLAB_API_KEY) {
		return {
			example: 'text-to-image-tensorslab.json',
			label: 'TensorsLab (your key)',
			credential: async () => ({
				id: 'zimage-tensorslab',
				name: 'TensorsLab account',
				type: 'tensorsLabApi',
				data: {
					apiKey: env.TENSORSLAB_API_KEY,
					baseUrl: env.TENSORSLAB_BASE_URL ?? 'https://api.tensorslab.com',
					authHeaderFormat: 'bearer',
				},
			}),
		};
	}
	if (env.EVOLINK_API_KEY) {
		return {
			example: 'text-to-image-evolink.json',
			label: 'Evolink (your key)',
			credential: async () => ({
				id: 'zimage-evolink',
				name: 'Evolink account',
				type: 'evolinkApi',
				data: {
					apiKey: env.EVOLINK_API_KEY,
					baseUrl: env.EVOLINK_BASE_URL ?? 'https://api.evolink.ai',
				},
			}),
		};
	}
	if (env.ODKKK_API_KEY) {
		return {
			example: 'text-to-image-odkkk.json',
			label: 'ODKKK (your key)',
			credential: async () => ({
				id: 'zimage-odkkk',
				name: 'ODKKK account',
				type: 'odkkkApi',
				data: {
					apiKey: env.ODKKK_API_KEY,
					baseUrl: env.ODKKK_BASE_URL ?? 'https://ai.odkkk.com/apiv1',
				},
			}),
		};
	}
	if (env.FAL_KEY) {
		return {
			example: 'text-to-image-fal.json',
			label: 'fal.ai (your key)',
			credential: async () => ({
				id: 'zimage-fal',
				name: 'fal.ai account',
				type: 'zImageFalApi',
				data: { apiKey: env.FAL_KEY, baseUrl: env.FAL_BASE_URL ?? 'https://queue.fal.run' },
			}),
		};
	}
	if (env.ZIMAGE_SERVER_URL) {
		return {
			example: 'text-to-image-self-hosted.json',
			label: `your Z-Image server at ${env.ZIMAGE_SERVER_URL}`,
			credential: async () => ({
				id: 'zimage-server',
				name: 'Z-Image Server',
				type: 'zImageServerApi',
				data: {
					baseUrl: env.ZIMAGE_SERVER_URL,
					apiKey: env.ZIMAGE_SERVER_TOKEN ?? '',
					requestTimeoutSeconds: 600,
				},
			}),
		};
	}
	return {
		example: 'text-to-image-self-hosted.json',
		label: 'the bundled Z-Image server simulator (no account needed)',
		credential: async () => {
			simulator.server = await new ZImageServerSimulator({ loadMs: 800, generateMs: 1200 }).start();
			return {
				id: 'zimage-server',
				name: 'Z-Image Server',
				type: 'zImageServerApi',
				data: { baseUrl: simulator.server.url, apiKey: '', requestTimeoutSeconds: 600 },
			};
		},
	};
}

async function main(): Promise<void> {
	const simulator: { server?: ZImageServerSimulator } = {};
	const target = targetFromEnvironment(simulator);
	const n8n = new N8nInstance(ensureRuntime());
	try {
		console.log(`Z-Image demo: a real n8n runs examples/${target.example} against ${target.label}`);
		n8n.installPackage();
		await n8n.importCredentials([await target.credential()]);
		const workflow = loadExample(target.example);
		await n8n.importWorkflows([workflow]);
		const started = Date.now();
		const execution = await n8n.execute(workflow.id);
		if (execution.status !== 'success') {
			console.error(`The workflow failed: ${execution.error}`);
			process.exitCode = 1;
			return;
		}
		const outDir = join(ROOT, 'demo-output');
		mkdirSync(outDir, { recursive: true });
		const items = execution.outputs['Z-Image'] ?? [];
		for (const item of items) {
			const binary = item.binary?.data;
			if (!binary) continue;
			const file = join(outDir, binary.fileName);
			writeFileSync(file, n8n.binaryBytes(binary));
			console.log(
				`${file}  (${binary.mimeType}, ${String(item.json.width)}x${String(item.json.height)}, task ${String(item.json.taskId)})`,
			);
		}
		console.log(
			`${items.length} image(s) in ${((Date.now() - started) / 1000).toFixed(1)} s, n8n start-up included.`,
		);
	} finally {
		await simulator.server?.stop();
		n8n.remove();
	}
}

void main().catch((error: Error) => {
	console.error(error.message);
	process.exit(1);
});
