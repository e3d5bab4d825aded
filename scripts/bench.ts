/**
 * `npm run bench`: how fast and how lean the node is, against the bundled simulators with
 * fixed task times, side by side with the polling loop n8n users build by hand today.
 * Prints a table and writes it to bench-results/bench.md. Not part of the tests.
 */
/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-dangerous-functions, no-console -- a development script run by Node, never shipped; the n8n Cloud sandbox rules are for the nodes */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';

import { ensureRuntime, N8nInstance, ROOT } from '../e2e/lib/n8n';
import { runNode } from '../test/harness';
import { EvolinkSimulator } from '../test/simulators/evolink';
import { TensorsLabSimulator } from '../test/simulators/tensorsLab';
import { falQueue } from './bench-fal';
import {
	learnedSchedule,
	providerCaps,
	rateCaps,
	sharedKey,
	thousandInRealN8n,
} from './bench-limits';
import { modelStudioBatch, modelStudioRate, modelStudioTargets } from './bench-modelstudio';
import { replicateHeld, replicateTargets } from './bench-replicate';

const lines: string[] = [];
const say = (line = '') => {
	lines.push(line);
	console.log(line);
};
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const mark = (ok: boolean) => (ok ? '✓' : '✗');

async function batchTimes(): Promise<{ single: number; twenty: number; twentySerial: number }> {
	const sim = await new EvolinkSimulator({ taskMs: 3000 }).start();
	const times: Record<string, number> = {};
	say('## Batches: wall time of one execution (3 s tasks, Evolink simulator)');
	say();
	say(
		'| items | default pool (20 at a time) | max concurrent = 1 (one after another) | speed-up |',
	);
	say('| ---: | ---: | ---: | ---: |');
	try {
		for (const count of [1, 5, 20, 50]) {
			const row: number[] = [];
			for (const maxConcurrent of [undefined, 1]) {
				const started = Date.now();
				const result = await runNode({
					parameters: {
						provider: 'evolink',
						operation: 'generate',
						prompt: '={{ $json.prompt }}',
						size: '1:1',
						options: maxConcurrent ? { maxConcurrent } : {},
					},
					credentials: { evolinkApi: { apiKey: sim.apiKey, baseUrl: sim.url } },
					items: Array.from({ length: count }, (_, i) => ({ json: { prompt: `prompt ${i}` } })),
				});
				if (result.items.length !== count)
					throw new Error(`expected ${count} images, got ${result.items.length}`);
				row.push(Date.now() - started);
			}
			times[`${count}`] = row[0];
			times[`${count}serial`] = row[1];
			say(
				`| ${count} | ${seconds(row[0])} | ${seconds(row[1])} | ${(row[1] / row[0]).toFixed(1)}× |`,
			);
		}
	} finally {
		await sim.stop();
	}
	say();
	return { single: times['1'], twenty: times['20'], twentySerial: times['20serial'] };
}

async function pollingCosts(): Promise<
	Array<{ provider: string; taskSeconds: number; polls: number; lagMs: number }>
> {
	const rows: Array<{ provider: string; taskSeconds: number; polls: number; lagMs: number }> = [];
	say('## Polling: status requests per task and detection lag');
	say();
	say(
		'Detection lag: from the moment the simulator marks the task complete to the node returning the finished item (download included).',
	);
	say();
	say('| provider (hint it gives) | task time | status requests | detection lag | lag target |');
	say('| --- | ---: | ---: | ---: | ---: |');
	for (const taskSeconds of [3, 30]) {
		const evolink = await new EvolinkSimulator({ taskMs: taskSeconds * 1000 }).start();
		try {
			await runNode({
				parameters: { provider: 'evolink', operation: 'generate', prompt: 'lag', size: '1:1' },
				credentials: { evolinkApi: { apiKey: evolink.apiKey, baseUrl: evolink.url } },
			});
			const returned = Date.now();
			const task = [...evolink.tasks.values()][0];
			rows.push({
				provider: 'Evolink (estimated_time, progress)',
				taskSeconds,
				polls: evolink.polls().length,
				lagMs: returned - (task.createdMs + taskSeconds * 1000),
			});
		} finally {
			await evolink.stop();
		}
		const tensorsLab = await new TensorsLabSimulator({
			queueMs: 0,
			processMs: taskSeconds * 1000,
		}).start();
		try {
			await runNode({
				parameters: {
					provider: 'tensorsLab',
					operation: 'generate',
					prompt: 'lag',
					model: 'zimage',
					resolution: '1:1',
				},
				credentials: {
					tensorsLabApi: {
						apiKey: tensorsLab.apiKey,
						baseUrl: tensorsLab.url,
						authHeaderFormat: 'bearer',
					},
				},
			});
			const returned = Date.now();
			const task = [...tensorsLab.tasks.values()][0];
			rows.push({
				provider: 'TensorsLab (none)',
				taskSeconds,
				polls: tensorsLab.api.requestsTo(/infobytaskid/).length,
				lagMs: returned - (task.createdAt + taskSeconds * 1000),
			});
		} finally {
			await tensorsLab.stop();
		}
	}
	for (const row of rows) {
		const target = Math.max(500, row.taskSeconds * 150);
		say(
			`| ${row.provider} | ${row.taskSeconds} s | ${row.polls} | ${seconds(row.lagMs)} | ≤ ${seconds(target)} ${mark(row.lagMs <= target)} |`,
		);
	}
	say();
	return rows;
}

async function memoryGrowth(): Promise<{ bytes: number; growth: number }> {
	const sim = await new TensorsLabSimulator({
		queueMs: 0,
		processMs: 200,
		noisyImages: true,
	}).start();
	const storage = mkdtempSync(join(tmpdir(), 'zimage-bench-binary-'));
	try {
		const output = await new Promise<string>((resolve, reject) =>
			execFile(
				process.execPath,
				['--expose-gc', join(__dirname, 'bench-memory.js'), sim.url, sim.apiKey, storage],
				{ maxBuffer: 16 * 1024 * 1024 },
				(error, stdout, stderr) =>
					error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
			),
		);
		const result = JSON.parse(output.trim().split('\n').pop() ?? '{}') as {
			width: number;
			height: number;
			bytes: number;
			stored: string;
			baseline: number;
			peak: number;
		};
		const growth = result.peak - result.baseline;
		const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
		say('## Memory: one 16-megapixel result');
		say();
		say(
			`A ${result.width}×${result.height} PNG of random pixels (incompressible, like a photo) downloaded into n8n's filesystem binary mode (its production default), in a process of its own.`,
		);
		say();
		say(
			'| image bytes | resident memory before | peak during | growth | growth ÷ image | target |',
		);
		say('| ---: | ---: | ---: | ---: | ---: | ---: |');
		say(
			`| ${mb(result.bytes)} | ${mb(result.baseline)} | ${mb(result.peak)} | ${mb(growth)} | ${(growth / result.bytes).toFixed(2)} | ≤ 2 ${mark(growth <= 2 * result.bytes)} |`,
		);
		say();
		return { bytes: result.bytes, growth };
	} finally {
		await sim.stop();
		rmSync(storage, { recursive: true, force: true });
	}
}

/** The same 20 prompts through the Z-Image node, and through the loop users build by hand. */
async function realN8nComparison(): Promise<{ node: number; loop: number }> {
	const sim = await new EvolinkSimulator({ taskMs: 3000 }).start();
	const n8n = new N8nInstance(ensureRuntime());
	try {
		n8n.installPackage();
		await n8n.importCredentials([
			{
				id: 'bench-evolink',
				name: 'Evolink (simulator)',
				type: 'evolinkApi',
				data: { apiKey: sim.apiKey, baseUrl: sim.url },
			},
		]);
		const prompts = {
			parameters: {
				jsCode:
					'return Array.from({ length: 20 }, (_, i) => ({ json: { prompt: `prompt ${i}` } }));',
			},
			name: 'Twenty prompts',
			type: 'n8n-nodes-base.code',
			typeVersion: 2,
			position: [220, 0],
			id: 'b0000000-0000-4000-8000-000000000002',
		};
		const trigger = {
			parameters: {},
			name: 'Start',
			type: 'n8n-nodes-base.manualTrigger',
			typeVersion: 1,
			position: [0, 0],
			id: 'b0000000-0000-4000-8000-000000000001',
		};
		const nodeWorkflow = {
			id: 'benchZImageNode',
			name: 'Bench: Z-Image node',
			nodes: [
				trigger,
				prompts,
				{
					parameters: {
						provider: 'evolink',
						operation: 'generate',
						model: 'z-image-turbo',
						prompt: '={{ $json.prompt }}',
						size: '1:1',
						options: {},
					},
					name: 'Z-Image',
					type: 'n8n-nodes-zimage.zImage',
					typeVersion: 1,
					position: [440, 0],
					id: 'b0000000-0000-4000-8000-000000000003',
					credentials: { evolinkApi: { id: 'bench-evolink', name: 'Evolink (simulator)' } },
				},
			],
			connections: {
				Start: { main: [[{ node: 'Twenty prompts', type: 'main', index: 0 }]] },
				'Twenty prompts': { main: [[{ node: 'Z-Image', type: 'main', index: 0 }]] },
			},
			settings: { executionOrder: 'v1' },
			active: false,
		};
		const loop = JSON.parse(
			readFileSync(join(ROOT, 'bench', 'hand-built-polling-loop.json'), 'utf8')
				.replace(/__BASE_URL__/g, sim.url)
				.replace(/__API_KEY__/g, sim.apiKey),
		);
		await n8n.importWorkflows([nodeWorkflow, loop]);
		const duration = (raw: unknown) => {
			const execution = raw as { startedAt: string; stoppedAt: string };
			return Date.parse(execution.stoppedAt) - Date.parse(execution.startedAt);
		};
		const before = sim.polls().length;
		const nodeRun = await n8n.execute('benchZImageNode');
		if (nodeRun.status !== 'success') throw new Error(`node workflow: ${nodeRun.error}`);
		const nodePolls = sim.polls().length - before;
		const loopRun = await n8n.execute('benchHandBuiltLoop');
		if (loopRun.status !== 'success') throw new Error(`hand-built loop: ${loopRun.error}`);
		const loopPolls = sim.polls().length - before - nodePolls;
		const node = duration(nodeRun.raw);
		const handBuilt = duration(loopRun.raw);
		say('## In a real n8n: 20 prompts, 3 s tasks (Evolink simulator)');
		say();
		say('Execution time as n8n records it (start-up of the n8n process excluded).');
		say();
		say('| workflow | execution time | status requests | images out |');
		say('| --- | ---: | ---: | ---: |');
		say(
			`| Code → **Z-Image** | ${seconds(node)} | ${nodePolls} | ${nodeRun.outputs['Z-Image']?.length ?? 0} |`,
		);
		say(
			`| Code → HTTP Request (submit) → Wait 5 s → HTTP Request (status) → IF → loop back / HTTP Request (download) | ${seconds(handBuilt)} | ${loopPolls} | ${loopRun.outputs['Download image']?.length ?? 0} |`,
		);
		say();
		return { node, loop: handBuilt };
	} finally {
		await sim.stop();
		n8n.remove();
	}
}

/** Sections by name: `npm run bench -- caps shared` runs only those (and writes bench-results/bench-partial.md). */
const SECTIONS = [
	'batches',
	'polling',
	'memory',
	'real',
	'caps',
	'rate',
	'shared',
	'learned',
	'thousand',
	'fal',
	'modelstudio',
	'modelstudio-rate',
	'replicate',
] as const;

async function main(): Promise<void> {
	const asked = process.argv.slice(2);
	const unknown = asked.filter((name) => !(SECTIONS as readonly string[]).includes(name));
	if (unknown.length)
		throw new Error(`unknown section(s) ${unknown.join(', ')}; sections: ${SECTIONS.join(', ')}`);
	const runs = (name: (typeof SECTIONS)[number]) => asked.length === 0 || asked.includes(name);
	say('# Z-Image node benchmark');
	say();
	say(
		`Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${(totalmem() / 1024 ** 3).toFixed(0)} GB RAM, Node ${process.version} (the node), n8n 2.41.1 on Node 24 (real-n8n rows). ${new Date().toISOString().slice(0, 10)}.`,
	);
	say();
	const batches = runs('batches') ? await batchTimes() : undefined;
	const polling = runs('polling') ? await pollingCosts() : undefined;
	const memory = runs('memory') ? await memoryGrowth() : undefined;
	const real = runs('real') ? await realN8nComparison() : undefined;
	const caps = runs('caps') ? await providerCaps(say) : undefined;
	const rate = runs('rate') ? await rateCaps(say) : undefined;
	const shared = runs('shared') ? await sharedKey(say) : undefined;
	const learned = runs('learned') ? await learnedSchedule(say) : undefined;
	const thousand = runs('thousand') ? await thousandInRealN8n(say) : undefined;
	const fal = runs('fal') ? await falQueue(say) : undefined;
	const modelStudio = runs('modelstudio') ? await modelStudioBatch(say) : undefined;
	const modelStudioLimit = runs('modelstudio-rate') ? await modelStudioRate(say) : undefined;
	const replicate = runs('replicate') ? await replicateHeld(say) : undefined;
	say('## Targets');
	say();
	if (batches) {
		say(
			`- 20 items ≤ 1.3 × one item: ${seconds(batches.twenty)} vs ${seconds(batches.single)} → ${(batches.twenty / batches.single).toFixed(2)}× ${mark(batches.twenty <= 1.3 * batches.single)}`,
		);
		say(
			`- ≥ 10× faster than one after another (20 items): ${(batches.twentySerial / batches.twenty).toFixed(1)}× ${mark(batches.twentySerial >= 10 * batches.twenty)}`,
		);
	}
	if (real)
		say(
			`- faster than the hand-built loop in the same n8n: ${seconds(real.node)} vs ${seconds(real.loop)} ${mark(real.node < real.loop)}`,
		);
	if (polling) {
		const thirty = polling.filter(
			(row) => row.taskSeconds === 30 && row.provider.startsWith('Evolink'),
		);
		say(
			`- detection lag ≤ max(0.5 s, 15 % of the task time): ${polling.map((row) => `${row.provider.split(' ')[0]} ${row.taskSeconds} s: ${seconds(row.lagMs)}`).join(', ')} ${mark(polling.every((row) => row.lagMs <= Math.max(500, row.taskSeconds * 150)))}`,
		);
		say(
			`- ≤ 10 status requests for a 30 s task (with the provider's estimate): ${thirty.map((row) => row.polls).join(', ')} ${mark(thirty.every((row) => row.polls <= 10))}`,
		);
	}
	if (memory)
		say(
			`- memory growth ≤ 2 × the image's bytes: ${(memory.growth / memory.bytes).toFixed(2)}× ${mark(memory.growth <= 2 * memory.bytes)}`,
		);
	if (caps) {
		const worst = Math.max(...caps.map((row) => row.ratio));
		const failed = caps.reduce((sum, row) => sum + row.failed, 0);
		say(
			`- under a key's limits, every item succeeds and wall ≤ 1.25 × ideal: worst ${worst.toFixed(2)}×, ${failed} failed ${mark(worst <= 1.25 && failed === 0)}`,
		);
	}
	for (const row of rate ?? [])
		say(
			`- rate cap ${row.label}: accepted ≥ 90 % of the cap once learned, wall ≤ 1.3 × ideal + 3 s, refused ≤ 15 %, none failed: ${((100 * row.learnedRate) / row.capPerSecond).toFixed(0)} % (${((100 * row.acceptedRate) / row.capPerSecond).toFixed(0)} % from the first refusal), ${seconds(row.wall)} vs ${seconds(1.3 * row.ideal + 3000)}, ${((100 * row.refused) / row.submits).toFixed(0)} %, ${row.failed} failed ${mark(row.learnedRate >= 0.9 * row.capPerSecond && row.wall <= 1.3 * row.ideal + 3000 && row.refused <= 0.15 * row.submits && row.failed === 0)}`,
		);
	if (shared)
		say(
			`- 4 executions sharing a key capped at 8: wall ≤ 1.3 × ideal: ${shared.ratio.toFixed(2)}×, ${shared.failed} failed ${mark(shared.ratio <= 1.3 && shared.failed === 0)}`,
		);
	if (learned)
		say(
			`- TensorsLab 30 s task on the learned schedule ≤ 8 status requests, lag ≤ 3 s: ${learned.looks.toFixed(1)}, ${seconds(learned.lagMs)} ${mark(learned.looks <= 8 && learned.lagMs <= 3000)}`,
		);
	if (thousand) {
		say(
			`- 1,000 items in a real n8n: peak memory growth ≤ 150 MB: ${(thousand.rssGrowth / 1024 / 1024).toFixed(1)} MB ${mark(thousand.rssGrowth <= 150 * 1024 * 1024)}`,
		);
		say(
			`- 1,000 items: the node's own code ≤ 5 ms CPU per item: ${thousand.nodeCpuMsPerItem.toFixed(2)} ms ${mark(thousand.nodeCpuMsPerItem <= 5)}; with n8n-core's helpers and the image bytes' I/O: ${thousand.harnessCpuMsPerItem.toFixed(2)} ms ${mark(thousand.harnessCpuMsPerItem <= 5)}; the whole n8n process: ${thousand.cpuMsPerItem.toFixed(2)} ms ${mark(thousand.cpuMsPerItem <= 5)}`,
		);
	}
	if (fal) {
		const { submits, statusLooks, results, downloads } = fal.perItem;
		say(
			`- fal.ai, 20 items of a 1 s request ≤ 1.15 × one item: ${seconds(fal.twenty)} vs ${seconds(fal.single)} → ${(fal.twenty / fal.single).toFixed(2)}× ${mark(fal.twenty <= 1.15 * fal.single)}`,
		);
		say(
			`- fal.ai requests per item: 1 submit, ≤ 3 status looks, 1 result, 1 download: ${submits}, ${statusLooks.toFixed(2)}, ${results}, ${downloads} ${mark(submits === 1 && statusLooks <= 3 && results === 1 && downloads === 1)}`,
		);
		say(
			`- fal.ai's community node's strategy on the same 20 items: ${seconds(fal.community)}, ${(fal.community / fal.twenty).toFixed(1)}× the node's wall`,
		);
	}
	modelStudioTargets(say, modelStudio, modelStudioLimit);
	replicateTargets(say, replicate);
	const dir = join(ROOT, 'bench-results');
	mkdirSync(dir, { recursive: true });
	const file = join(dir, asked.length === 0 ? 'bench.md' : 'bench-partial.md');
	writeFileSync(file, `${lines.join('\n')}\n`);
	console.log(`\nWritten to ${file}`);
}

void main().catch((error: Error) => {
	console.error(error);
	process.exit(1);
});
