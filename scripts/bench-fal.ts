/**
 * fal.ai's rows of `npm run bench` (issue #23; `npm run bench -- fal` runs them alone): 20
 * items of a 1 s request through the node, and the same 20 items the way fal's own community
 * node does it (a status look, then one every 5 s, one item after another), on the same
 * simulator.
 */
/* eslint-disable @n8n/community-nodes/no-restricted-globals -- a development script run by Node, never shipped; the n8n Cloud sandbox rules are for the nodes */
import { runNode } from '../test/harness';
import { FalSimulator } from '../test/simulators/fal';

const TASK_MS = 1000;
const ITEMS = 20;
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const pause = async (ms: number) => await new Promise((resolve) => setTimeout(resolve, ms));

export interface FalBench {
	single: number;
	twenty: number;
	community: number;
	perItem: { submits: number; statusLooks: number; results: number; downloads: number };
}

function counts(sim: FalSimulator) {
	return {
		submits: sim.submits().length,
		statusLooks: sim.statusLooks().length,
		results: sim.results().length,
		downloads: sim.cdn.requests.length,
	};
}

/** fal's community node (n8n-nodes-fal): submit, look at once, then every 5 s; result; here also the download. */
async function communityStrategy(sim: FalSimulator, prompts: string[]): Promise<void> {
	const headers = { authorization: `Key ${sim.apiKey}`, 'content-type': 'application/json' };
	for (const prompt of prompts) {
		const submitted = (await (
			await fetch(`${sim.url}/fal-ai/z-image/turbo`, {
				method: 'POST',
				headers,
				body: JSON.stringify({ prompt, image_size: 'square_hd' }),
			})
		).json()) as { status_url: string; response_url: string };
		for (;;) {
			const status = (await (await fetch(submitted.status_url, { headers })).json()) as {
				status: string;
			};
			if (status.status === 'COMPLETED') break;
			await pause(5000);
		}
		const result = (await (await fetch(submitted.response_url, { headers })).json()) as {
			images: Array<{ url: string }>;
		};
		await (await fetch(result.images[0].url)).arrayBuffer();
	}
}

export async function falQueue(say: (line?: string) => void): Promise<FalBench> {
	say(`## fal.ai: ${ITEMS} items of a ${TASK_MS / 1000} s request (fal.ai simulator)`);
	say();
	const sim = await new FalSimulator({ taskMs: TASK_MS }).start();
	try {
		const generate = async (count: number) => {
			const started = Date.now();
			const result = await runNode({
				parameters: {
					provider: 'fal',
					operation: 'generate',
					prompt: '={{ $json.prompt }}',
					falImageSize: 'square_hd',
				},
				credentials: { zImageFalApi: { apiKey: sim.apiKey, baseUrl: sim.url } },
				items: Array.from({ length: count }, (_, i) => ({ json: { prompt: `prompt ${i}` } })),
			});
			if (result.items.length !== count)
				throw new Error(`expected ${count} images, got ${result.items.length}`);
			return Date.now() - started;
		};
		await generate(1); // warm-up: module loading and the first connections
		const single = await generate(1);
		const before = counts(sim);
		const twenty = await generate(ITEMS);
		const after = counts(sim);
		const perItem = {
			submits: (after.submits - before.submits) / ITEMS,
			statusLooks: (after.statusLooks - before.statusLooks) / ITEMS,
			results: (after.results - before.results) / ITEMS,
			downloads: (after.downloads - before.downloads) / ITEMS,
		};
		const prompts = Array.from({ length: ITEMS }, (_, i) => `prompt ${i}`);
		const communityStarted = Date.now();
		await communityStrategy(sim, prompts);
		const community = Date.now() - communityStarted;
		say('| run | wall | vs the node, 20 items |');
		say('| --- | ---: | ---: |');
		say(`| the node, 1 item | ${seconds(single)} | — |`);
		say(`| the node, ${ITEMS} items (default pool) | ${seconds(twenty)} | 1.0× |`);
		say(
			`| fal's community node's strategy, ${ITEMS} items (a look, then every 5 s; one after another) | ${seconds(community)} | ${(community / twenty).toFixed(1)}× slower |`,
		);
		say();
		say(
			`Requests per item (the node, ${ITEMS} items): ${perItem.submits} submit, ${perItem.statusLooks.toFixed(2)} status looks, ${perItem.results} result, ${perItem.downloads} download.`,
		);
		say();
		return { single, twenty, community, perItem };
	} finally {
		await sim.stop();
	}
}
