/**
 * fal.ai's rows of `npm run bench` (issue #23; `npm run bench -- fal` runs them alone): 20
 * items of a 1 s request through the node, and the same 20 items the way fal's own community
 * node does it (a status look, then one every 5 s, one item after another), on the same
 * simulator. The simulator runs in a process of its own, as fal runs on servers of its own:
 * making its result images takes CPU that is not the node's.
 */
/* eslint-disable @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-dangerous-functions -- a development script run by Node, never shipped; the n8n Cloud sandbox rules are for the nodes */
import { type ChildProcess, fork } from 'node:child_process';

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

type Counts = FalBench['perItem'];

function counts(sim: FalSimulator): Counts {
	return {
		submits: sim.submits().length,
		statusLooks: sim.statusLooks().length,
		results: sim.results().length,
		downloads: sim.cdn.requests.length,
	};
}

/** The simulator in its own process: its address and key, and its request counts on demand. */
interface RemoteSimulator {
	url: string;
	apiKey: string;
	counts(): Promise<Counts>;
	stop(): void;
}

async function startRemote(): Promise<RemoteSimulator> {
	const child: ChildProcess = fork(__filename, [String(TASK_MS)], { stdio: 'inherit' });
	const next = async <T>() => await new Promise<T>((resolve) => child.once('message', resolve));
	const { url, apiKey } = await next<{ url: string; apiKey: string }>();
	return {
		url,
		apiKey,
		async counts() {
			child.send('counts');
			return await next<Counts>();
		},
		stop: () => child.kill('SIGTERM'),
	};
}

// The child: a simulator, its counts whenever asked.
if (require.main === module && process.send) {
	void new FalSimulator({ taskMs: Number(process.argv[2]) }).start().then((sim) => {
		process.send?.({ url: sim.url, apiKey: sim.apiKey });
		process.on('message', (message) => {
			if (message === 'counts') process.send?.(counts(sim));
		});
	});
}

/** fal's community node (n8n-nodes-fal): submit, look at once, then every 5 s; result; here also the download. */
async function communityStrategy(sim: RemoteSimulator, prompts: string[]): Promise<void> {
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
	const sim = await startRemote();
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
		// Warm: module loading and the first connections are not the runs' cost. Medians of three.
		await generate(ITEMS);
		const median = async (count: number) => {
			const walls = [await generate(count), await generate(count), await generate(count)];
			return walls.sort((a, b) => a - b)[1];
		};
		const single = await median(1);
		const before = await sim.counts();
		const twenty = await median(ITEMS);
		const after = await sim.counts();
		const runs = 3 * ITEMS;
		const perItem = {
			submits: (after.submits - before.submits) / runs,
			statusLooks: (after.statusLooks - before.statusLooks) / runs,
			results: (after.results - before.results) / runs,
			downloads: (after.downloads - before.downloads) / runs,
		};
		const prompts = Array.from({ length: ITEMS }, (_, i) => `prompt ${i}`);
		const communityStarted = Date.now();
		await communityStrategy(sim, prompts);
		const community = Date.now() - communityStarted;
		say('| run | wall | vs the node, 20 items |');
		say('| --- | ---: | ---: |');
		say(`| the node, 1 item (median of 3) | ${seconds(single)} | — |`);
		say(`| the node, ${ITEMS} items (default pool, median of 3) | ${seconds(twenty)} | 1.0× |`);
		say(
			`| fal's community node's strategy, ${ITEMS} items (a look, then every 5 s; one after another) | ${seconds(community)} | ${(community / twenty).toFixed(1)}× slower |`,
		);
		say();
		say(
			`Requests per item (the node, 3 runs of ${ITEMS} items): ${perItem.submits} submit, ${perItem.statusLooks.toFixed(2)} status looks, ${perItem.results} result, ${perItem.downloads} download.`,
		);
		say();
		return { single, twenty, community, perItem };
	} finally {
		sim.stop();
	}
}
