/**
 * Replicate's rows of `npm run bench` (issue #24; `npm run bench -- replicate` runs them alone):
 * 20 items of a 1 s prediction through the node (creates held with `Prefer: wait`), and the same
 * 20 items the way the community Replicate node does it (a create at the version endpoint, then
 * a look every 5 s, one item after another), on the same simulator. The simulator runs in a
 * process of its own, as Replicate runs on servers of its own: making its images takes CPU that
 * is not the node's.
 */
/* eslint-disable @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-dangerous-functions -- a development script run by Node, never shipped; the n8n Cloud sandbox rules are for the nodes */
import { type ChildProcess, fork } from 'node:child_process';

import { runNode } from '../test/harness';
import { ReplicateSimulator, TURBO, VERSIONS } from '../test/simulators/replicate';

const TASK_MS = 1000;
const ITEMS = 20;
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const mark = (ok: boolean) => (ok ? '✓' : '✗');
const pause = async (ms: number) => await new Promise((resolve) => setTimeout(resolve, ms));

type Counts = { creates: number; looks: number; lists: number; downloads: number };

export interface ReplicateBench {
	single: number;
	twenty: number;
	community: number;
	perItem: Counts;
}

function counts(sim: ReplicateSimulator): Counts {
	return {
		creates: sim.creates().length,
		looks: sim.looks().length,
		lists: sim.lists().length,
		downloads: sim.cdn.requests.length,
	};
}

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
	void new ReplicateSimulator({ taskMs: Number(process.argv[2]) }).start().then((sim) => {
		process.send?.({ url: sim.url, apiKey: sim.apiKey });
		process.on('message', (message) => {
			if (message === 'counts') process.send?.(counts(sim));
		});
	});
}

/** The community Replicate node's strategy: a create at the version endpoint, a look every 5 s; here also the download. */
async function communityStrategy(sim: RemoteSimulator, prompts: string[]): Promise<void> {
	const headers = { authorization: `Bearer ${sim.apiKey}`, 'content-type': 'application/json' };
	for (const prompt of prompts) {
		let prediction = (await (
			await fetch(`${sim.url}/v1/predictions`, {
				method: 'POST',
				headers,
				body: JSON.stringify({ version: VERSIONS[TURBO], input: { prompt } }),
			})
		).json()) as { status: string; output?: string; urls: { get: string } };
		while (!['succeeded', 'failed', 'canceled'].includes(prediction.status)) {
			await pause(5000);
			prediction = (await (
				await fetch(prediction.urls.get, { headers })
			).json()) as typeof prediction;
		}
		await (await fetch(String(prediction.output))).arrayBuffer();
	}
}

export async function replicateHeld(say: (line?: string) => void): Promise<ReplicateBench> {
	say(`## Replicate: ${ITEMS} items of a ${TASK_MS / 1000} s prediction (Replicate simulator)`);
	say();
	const sim = await startRemote();
	try {
		const generate = async (count: number) => {
			const started = Date.now();
			const result = await runNode({
				parameters: {
					provider: 'replicate',
					operation: 'generate',
					prompt: '={{ $json.prompt }}',
				},
				credentials: { zImageReplicateApi: { apiKey: sim.apiKey, baseUrl: sim.url } },
				items: Array.from({ length: count }, (_, i) => ({ json: { prompt: `prompt ${i}` } })),
			});
			if (result.items.filter((item) => item.binary).length !== count)
				throw new Error(`expected ${count} images, got ${result.items.length} items`);
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
		const perItem: Counts = {
			creates: (after.creates - before.creates) / runs,
			looks: (after.looks - before.looks) / runs,
			lists: (after.lists - before.lists) / runs,
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
			`| the community Replicate node's strategy, ${ITEMS} items (a create, then a look every 5 s; one after another) | ${seconds(community)} | ${(community / twenty).toFixed(1)}× slower |`,
		);
		say();
		say(
			`Requests per item (the node, 3 runs of ${ITEMS} items): ${perItem.creates} create, ${perItem.looks.toFixed(2)} status looks, ${perItem.lists} list reads, ${perItem.downloads} download.`,
		);
		say();
		return { single, twenty, community, perItem };
	} finally {
		sim.stop();
	}
}

/** The targets of issue #24, for the bench's Targets list. */
export function replicateTargets(say: (line?: string) => void, bench?: ReplicateBench): void {
	if (!bench) return;
	const { creates, looks, lists, downloads } = bench.perItem;
	say(
		`- Replicate, 20 items of a 1 s prediction ≤ 1.15 × one item: ${seconds(bench.twenty)} vs ${seconds(bench.single)} → ${(bench.twenty / bench.single).toFixed(2)}× ${mark(bench.twenty <= 1.15 * bench.single)}`,
	);
	say(
		`- Replicate requests per item: 1 create + 1 download (no looks): ${creates}, ${downloads} (looks ${looks.toFixed(2)}, list reads ${lists}) ${mark(creates === 1 && downloads === 1 && looks === 0 && lists === 0)}`,
	);
	say(
		`- the community Replicate node's strategy on the same 20 items: ${seconds(bench.community)}, ${(bench.community / bench.twenty).toFixed(1)}× the node's wall`,
	);
}
