/**
 * Benchmark rows of issue #14: throughput under a provider's per-key limits, several
 * executions sharing a key, the learned polling schedule, and a batch of 1,000 items in a
 * real n8n (filesystem binary mode) with its process's memory and CPU.
 */
/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-dangerous-functions -- a development script run by Node, never shipped; the n8n Cloud sandbox rules are for the nodes */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ensureRuntime, N8nInstance } from '../e2e/lib/n8n';
import { runNode } from '../test/harness';
import { EvolinkSimulator } from '../test/simulators/evolink';
import type { KeyLimitOptions } from '../test/simulators/limits';
import { TensorsLabSimulator } from '../test/simulators/tensorsLab';

export type Say = (line?: string) => void;

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const mark = (ok: boolean) => (ok ? '✓' : '✗');
const prompts = (count: number) =>
	Array.from({ length: count }, (_, i) => ({ json: { prompt: `prompt ${i}` } }));

type Provider = 'evolink' | 'tensorsLab';
type Sim = EvolinkSimulator | TensorsLabSimulator;

async function startSim(
	provider: Provider,
	taskMs: number,
	limits?: KeyLimitOptions,
): Promise<Sim> {
	return provider === 'evolink'
		? await new EvolinkSimulator({ taskMs, limits }).start()
		: await new TensorsLabSimulator({ queueMs: 0, processMs: taskMs, limits }).start();
}

/** Runs `count` items through the node in this process (harness); failed items come back as error items. */
async function generate(
	provider: Provider,
	sim: Sim,
	count: number,
	options: Record<string, unknown> = {},
) {
	const parameters =
		provider === 'evolink'
			? { provider, operation: 'generate', prompt: '={{ $json.prompt }}', size: '1:1', options }
			: {
					provider,
					operation: 'generate',
					prompt: '={{ $json.prompt }}',
					model: 'zimage',
					resolution: '1:1',
					options,
				};
	const credentials: Record<string, Record<string, string>> = provider === 'evolink'
		? { evolinkApi: { apiKey: sim.apiKey, baseUrl: sim.url } }
		: { tensorsLabApi: { apiKey: sim.apiKey, baseUrl: sim.url, authHeaderFormat: 'bearer' } };
	const result = await runNode({
		parameters,
		credentials,
		items: prompts(count),
		continueOnFail: true,
	});
	return {
		done: result.items.filter((item) => item.json.error === undefined).length,
		failed: result.items.filter((item) => item.json.error !== undefined).length,
	};
}

const looksOf = (sim: Sim) =>
	sim instanceof EvolinkSimulator ? sim.polls().length : sim.api.requestsTo(/infobytaskid/).length;

export async function providerCaps(say: Say): Promise<Array<{ ratio: number; failed: number }>> {
	const items = 200;
	const taskMs = 1000;
	const rows: Array<{ ratio: number; failed: number }> = [];
	say(`## Under a provider's limits: ${items} items, 1 s tasks, Max Concurrent Items 20`);
	say();
	say(
		"The simulator refuses (HTTP 429) what goes past the key's limit. Ideal: ceil(200 / cap) × 1 s, the time the cap itself allows.",
	);
	say();
	say(
		'| limit of the key | 429 says | cap | ideal | wall | wall ÷ ideal | 429s received | items failed | most running at once | status requests per task | target ≤ 1.25 × ideal |',
	);
	say('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: |');
	const configs: Array<{
		label: string;
		provider: Provider;
		retryAfter: boolean;
		limits: (cap: number) => KeyLimitOptions;
	}> = [
		{
			label: 'tasks running at once (Evolink)',
			provider: 'evolink',
			retryAfter: true,
			limits: (cap) => ({ maxRunning: cap, retryAfter: true }),
		},
		{
			label: 'tasks running at once (TensorsLab)',
			provider: 'tensorsLab',
			retryAfter: false,
			limits: (cap) => ({ maxRunning: cap }),
		},
		{
			label: 'submissions per second (Evolink)',
			provider: 'evolink',
			retryAfter: true,
			limits: (cap) => ({ submitsPerWindow: cap, windowMs: 1000, retryAfter: true }),
		},
		{
			label: 'submissions per second (TensorsLab)',
			provider: 'tensorsLab',
			retryAfter: false,
			limits: (cap) => ({ submitsPerWindow: cap, windowMs: 1000 }),
		},
	];
	// BENCH_CAPS=8,2 and BENCH_LIMITS=TensorsLab run a part of the table.
	const only = process.env.BENCH_CAPS?.split(',').map(Number);
	for (const config of configs) {
		if (process.env.BENCH_LIMITS && !config.label.includes(process.env.BENCH_LIMITS)) continue;
		for (const cap of [8, 5, 2]) {
			if (only && !only.includes(cap)) continue;
			const sim = await startSim(config.provider, taskMs, config.limits(cap));
			try {
				const started = Date.now();
				const { failed } = await generate(config.provider, sim, items, { maxConcurrent: 20 });
				const wall = Date.now() - started;
				const ideal = Math.ceil(items / cap) * taskMs;
				const ratio = wall / ideal;
				rows.push({ ratio, failed });
				const limits = sim.limits!;
				say(
					`| ${config.label} | ${config.retryAfter ? 'Retry-After' : 'no Retry-After'} | ${cap} | ${seconds(ideal)} | ${seconds(wall)} | ${ratio.toFixed(2)} | ${limits.refused} | ${failed} | ${limits.peakRunning} | ${(looksOf(sim) / items).toFixed(2)} | ${mark(ratio <= 1.25 && failed === 0)} |`,
				);
			} finally {
				await sim.stop();
			}
		}
	}
	say();
	return rows;
}

export async function sharedKey(say: Say): Promise<{ ratio: number; failed: number }> {
	const sim = (await startSim('evolink', 1000, {
		maxRunning: 8,
		retryAfter: true,
	})) as EvolinkSimulator;
	try {
		const started = Date.now();
		const runs = await Promise.all(
			Array.from({ length: 4 }, async () => await generate('evolink', sim, 50)),
		);
		const wall = Date.now() - started;
		const ideal = Math.ceil(200 / 8) * 1000;
		const failed = runs.reduce((sum, run) => sum + run.failed, 0);
		const done = runs.reduce((sum, run) => sum + run.done, 0);
		say(
			'## One key, several executions: 4 executions × 50 items started together, cap of 8 running tasks (one process)',
		);
		say();
		say(
			'| executions | items done | items failed | 429s received | most running at once | ideal | wall | wall ÷ ideal | target ≤ 1.3 × ideal |',
		);
		say('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: |');
		say(
			`| 4 | ${done} | ${failed} | ${sim.limits!.refused} | ${sim.limits!.peakRunning} | ${seconds(ideal)} | ${seconds(wall)} | ${(wall / ideal).toFixed(2)} | ${mark(wall <= 1.3 * ideal && failed === 0)} |`,
		);
		say();
		return { ratio: wall / ideal, failed };
	} finally {
		await sim.stop();
	}
}

export async function learnedSchedule(say: Say): Promise<{ looks: number; lagMs: number }> {
	const taskMs = 30_000;
	const sim = (await startSim('tensorsLab', taskMs)) as TensorsLabSimulator;
	try {
		await generate('tensorsLab', sim, 10, { maxConcurrent: 5 });
		const tasks = [...sim.tasks.values()].sort((a, b) => a.createdAt - b.createdAt);
		const looks = sim.api.requestsTo(/infobytaskid/);
		const measure = (wave: typeof tasks) => {
			const perTask = wave.map((task) => {
				const own = looks.filter(
					(look) => (look.json as { taskid?: string }).taskid === task.taskid,
				);
				return { looks: own.length, lagMs: own[own.length - 1].at - (task.createdAt + taskMs) };
			});
			return {
				looks: perTask.reduce((sum, t) => sum + t.looks, 0) / perTask.length,
				lagMs: Math.max(...perTask.map((t) => t.lagMs)),
			};
		};
		const first = measure(tasks.slice(0, 5));
		const later = measure(tasks.slice(5));
		say(
			'## Learned schedule: TensorsLab (no estimate), 30 s tasks, 10 items, Max Concurrent Items 5',
		);
		say();
		say(
			'The first five tasks are looked at on the usual schedule; the next five on what the first ones took. Lag: from the task completing to the look that found it done.',
		);
		say();
		say(
			'| tasks | status requests per task | largest lag | target (≤ 8 requests, lag ≤ 10 % = 3 s) |',
		);
		say('| --- | ---: | ---: | :---: |');
		say(
			`| first five (nothing learned yet) | ${first.looks.toFixed(1)} | ${seconds(first.lagMs)} | |`,
		);
		say(
			`| next five (learned schedule) | ${later.looks.toFixed(1)} | ${seconds(later.lagMs)} | ${mark(later.looks <= 8 && later.lagMs <= 3000)} |`,
		);
		say();
		return later;
	} finally {
		await sim.stop();
	}
}

interface Sample {
	at: number;
	rss: number;
	cpuMs: number;
}

function sampleProcess(pid: number): Sample | undefined {
	try {
		const status = readFileSync(`/proc/${pid}/status`, 'utf8');
		const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
		// utime and stime, in clock ticks of 10 ms
		const cpuMs = (Number(fields[11]) + Number(fields[12])) * 10;
		return { at: Date.now(), rss, cpuMs };
	} catch {
		return undefined;
	}
}

export interface ThousandResult {
	wallMs: number;
	looksPerTask: number;
	rssGrowth: number;
	/** The whole n8n process (the node, n8n's credential reads, expressions, HTTP client, binary store). */
	cpuMsPerItem: number;
	/** The node in n8n-core's execution context (n8n's helpers and the image bytes' I/O included), without n8n's database and credential decryption. */
	harnessCpuMsPerItem: number;
	/** The node's own code (nodes/ZImage), from V8's sampling profiler. */
	nodeCpuMsPerItem: number;
	done: number;
}

/** CPU time per item in a process of its own (bench-cpu.ts): all of it, and the node's own code. */
async function nodeCpuPerItem(count: number): Promise<{ all: number; own: number }> {
	const sim = await new EvolinkSimulator({ taskMs: 2000, noisyImageBytes: 1024 * 1024 }).start();
	const storage = mkdtempSync(join(tmpdir(), 'zimage-bench-cpu-'));
	try {
		const output = await new Promise<string>((resolve, reject) =>
			execFile(
				process.execPath,
				[join(__dirname, 'bench-cpu.js'), sim.url, sim.apiKey, storage, String(count)],
				{ maxBuffer: 16 * 1024 * 1024 },
				(error, stdout, stderr) =>
					error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
			),
		);
		const result = JSON.parse(output.trim().split('\n').pop() ?? '{}') as {
			items: number;
			cpuMs: number;
			ownMs: number;
		};
		if (result.items !== count) throw new Error(`node CPU run: ${result.items} of ${count} items`);
		return { all: result.cpuMs / count, own: result.ownMs / count };
	} finally {
		await sim.stop();
		rmSync(storage, { recursive: true, force: true });
	}
}

/** 1,000 items of 1 MB images through the node in a real n8n, filesystem binary mode. */
export async function thousandInRealN8n(say: Say): Promise<ThousandResult> {
	const count = Number(process.env.BENCH_THOUSAND_COUNT ?? 1000);
	const sim = await new EvolinkSimulator({ taskMs: 2000, noisyImageBytes: 1024 * 1024 }).start();
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
		await n8n.importWorkflows([
			{
				id: 'benchThousand',
				name: 'Bench: 1,000 items',
				nodes: [
					{
						parameters: {},
						name: 'Start',
						type: 'n8n-nodes-base.manualTrigger',
						typeVersion: 1,
						position: [0, 0],
						id: 'c0000000-0000-4000-8000-000000000001',
					},
					{
						parameters: {
							jsCode: `return Array.from({ length: ${count} }, (_, i) => ({ json: { prompt: \`prompt \${i}\` } }));`,
						},
						name: 'Prompts',
						type: 'n8n-nodes-base.code',
						typeVersion: 2,
						position: [220, 0],
						id: 'c0000000-0000-4000-8000-000000000002',
					},
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
						id: 'c0000000-0000-4000-8000-000000000003',
						credentials: { evolinkApi: { id: 'bench-evolink', name: 'Evolink (simulator)' } },
					},
				],
				connections: {
					Start: { main: [[{ node: 'Prompts', type: 'main', index: 0 }]] },
					Prompts: { main: [[{ node: 'Z-Image', type: 'main', index: 0 }]] },
				},
				settings: { executionOrder: 'v1' },
				active: false,
			},
		]);
		const samples: Sample[] = [];
		let timer: NodeJS.Timeout | undefined;
		const profile = process.env.BENCH_PROFILE_DIR
			? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}` }
			: {};
		const run = await n8n.executeWatched(
			'benchThousand',
			{ N8N_DEFAULT_BINARY_DATA_MODE: 'filesystem', ...profile },
			(pid) => {
				timer = setInterval(() => {
					const sample = sampleProcess(pid);
					if (sample) samples.push(sample);
				}, 50);
			},
		);
		clearInterval(timer);
		if (run.status !== 'success') throw new Error(`1,000 items: ${run.error}`);
		const submits = sim.submits();
		const firstSubmit = submits[0].at;
		const lastDownload = Math.max(...sim.cdn.requests.map((r) => r.at));
		const before = samples.filter((s) => s.at <= firstSubmit);
		const during = samples.filter((s) => s.at > firstSubmit && s.at <= lastDownload + 100);
		const idle = before[before.length - 1] ?? samples[0];
		const peak = Math.max(...during.map((s) => s.rss));
		const end = during[during.length - 1];
		const out = run.outputs['Z-Image'] ?? [];
		const done = out.filter((item) => item.binary?.data).length;
		const result: ThousandResult = {
			wallMs: lastDownload - firstSubmit,
			looksPerTask: sim.polls().length / count,
			rssGrowth: peak - idle.rss,
			cpuMsPerItem: (end.cpuMs - idle.cpuMs) / count,
			harnessCpuMsPerItem: 0,
			nodeCpuMsPerItem: 0,
			done,
		};
		await sim.stop();
		const cpu = await nodeCpuPerItem(count);
		result.harnessCpuMsPerItem = cpu.all;
		result.nodeCpuMsPerItem = cpu.own;
		const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
		say(
			'## 1,000 items in a real n8n: 2 s tasks, 1 MB images, filesystem binary mode, default options',
		);
		say();
		say(
			"Measured on the n8n process itself (`/proc`): wall from the first submission to the last download; its resident memory just before the node's first request, and its peak while the node ran; its CPU time over that span per item — all of n8n's work for the item (its database read and decryption of the credential on every request, the expression sandbox, its HTTP client, the binary store, moving 1 MB in and out) as well as the node's. Measured apart: the same batch through the node in n8n-core's execution context (filesystem binary mode, credentials handed over in memory) in a process of its own, the simulator in another — that process's CPU per item, and the part of it spent in the node's own code (nodes/ZImage), from V8's sampling profiler. Ideal with the default Max Concurrent Items (20): 1,000 / 20 × 2 s = 100 s.",
		);
		say();
		say(
			"| items | images stored | submissions | wall | status requests per task | resident memory before | peak | growth | CPU per item: n8n process | node in n8n-core, own process | node's own code | targets (growth ≤ 150 MB, node ≤ 5 ms) |",
		);
		say('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: |');
		say(
			`| ${count} | ${done} | ${submits.length} | ${seconds(result.wallMs)} | ${result.looksPerTask.toFixed(2)} | ${mb(idle.rss)} | ${mb(peak)} | ${mb(result.rssGrowth)} | ${result.cpuMsPerItem.toFixed(2)} ms | ${result.harnessCpuMsPerItem.toFixed(2)} ms | ${result.nodeCpuMsPerItem.toFixed(2)} ms | ${mark(result.rssGrowth <= 150 * 1024 * 1024 && result.nodeCpuMsPerItem <= 5 && done === count)} |`,
		);
		say();
		return result;
	} finally {
		await sim.stop();
		n8n.remove();
	}
}

/** One row of the submit-rate table. */
export interface RateRow {
	label: string;
	/** The cap in submissions per second. */
	capPerSecond: number;
	ideal: number;
	wall: number;
	/** Accepted submissions per second from the first refusal to the last one accepted (learning included). */
	acceptedRate: number;
	/** The same over the second half of the accepted submissions (once learned). */
	learnedRate: number;
	submits: number;
	refused: number;
	failed: number;
}

/** Accepted submissions per second once the key refused one (learning included), and over the second half of them. */
function acceptedRateOf(limits: { accepted: number[]; refusals: Array<{ at: number }> }): {
	fromRefusal: number;
	secondHalf: number;
} {
	const rate = (times: number[]) =>
		times.length < 2 ? 0 : (times.length - 1) / ((times[times.length - 1] - times[0]) / 1000);
	const from = limits.refusals[0]?.at ?? limits.accepted[0];
	return {
		fromRefusal: rate(limits.accepted.filter((at) => at >= from)),
		secondHalf: rate(limits.accepted.slice(Math.floor(limits.accepted.length / 2))),
	};
}

/** The Evolink Generate workflow of `count` prompts in a real n8n; its node's execution time as n8n records it. */
async function rateInRealN8n(sim: EvolinkSimulator, count: number, maxConcurrent: number) {
	const n8n = new N8nInstance(ensureRuntime());
	try {
		n8n.installPackage();
		await n8n.importCredentials([
			{
				id: 'bench-rate',
				name: 'Evolink (simulator)',
				type: 'evolinkApi',
				data: { apiKey: sim.apiKey, baseUrl: sim.url },
			},
		]);
		await n8n.importWorkflows([
			{
				id: 'benchRate',
				name: 'Bench: a rate cap',
				nodes: [
					{
						parameters: {},
						name: 'Start',
						type: 'n8n-nodes-base.manualTrigger',
						typeVersion: 1,
						position: [0, 0],
						id: 'c1000000-0000-4000-8000-000000000001',
					},
					{
						parameters: {
							jsCode: `return Array.from({ length: ${count} }, (_, i) => ({ json: { prompt: \`prompt \${i}\` } }));`,
						},
						name: 'Prompts',
						type: 'n8n-nodes-base.code',
						typeVersion: 2,
						position: [220, 0],
						id: 'c1000000-0000-4000-8000-000000000002',
					},
					{
						parameters: {
							provider: 'evolink',
							operation: 'generate',
							model: 'z-image-turbo',
							prompt: '={{ $json.prompt }}',
							size: '1:1',
							options: { maxConcurrent },
						},
						name: 'Z-Image',
						type: 'n8n-nodes-zimage.zImage',
						typeVersion: 1,
						position: [440, 0],
						id: 'c1000000-0000-4000-8000-000000000003',
						credentials: { evolinkApi: { id: 'bench-rate', name: 'Evolink (simulator)' } },
						continueOnFail: true,
					},
				],
				connections: {
					Start: { main: [[{ node: 'Prompts', type: 'main', index: 0 }]] },
					Prompts: { main: [[{ node: 'Z-Image', type: 'main', index: 0 }]] },
				},
				settings: { executionOrder: 'v1' },
				active: false,
			},
		]);
		const run = await n8n.execute('benchRate');
		if (run.status !== 'success') throw new Error(`rate cap in a real n8n: ${run.error}`);
		const raw = run.raw as {
			data: { resultData: { runData: Record<string, Array<{ executionTime?: number }>> } };
		};
		const out = run.outputs['Z-Image'] ?? [];
		return {
			wall: raw.data.resultData.runData['Z-Image']?.[0]?.executionTime ?? 0,
			done: out.filter((item) => item.binary?.data).length,
			failed: out.filter((item) => item.json.error !== undefined).length,
		};
	} finally {
		n8n.remove();
	}
}

/**
 * Issue #26: a provider's rate cap (submissions per rolling window, no cap on tasks running),
 * 100 items of 2 s tasks, Max Concurrent Items 20. `BENCH_RATE=real,2,120` runs a part.
 */
export async function rateCaps(say: Say): Promise<RateRow[]> {
	const items = 100;
	const taskMs = 2000;
	const maxConcurrent = 20;
	const configs: Array<{
		key: string;
		label: string;
		says: string;
		limits: KeyLimitOptions;
		real: boolean;
	}> = [
		{
			key: 'real',
			label: '5 a second, real n8n 2.41.1 (the issue)',
			says: 'Retry-After: 1',
			limits: { submitsPerWindow: 5, windowMs: 1000, retryAfter: true },
			real: true,
		},
		{
			key: '5',
			label: '5 a second',
			says: 'Retry-After: 1',
			limits: { submitsPerWindow: 5, windowMs: 1000, retryAfter: true },
			real: false,
		},
		{
			key: '2',
			label: '2 a second',
			says: 'Retry-After: 1',
			limits: { submitsPerWindow: 2, windowMs: 1000, retryAfter: true },
			real: false,
		},
		{
			key: '120',
			label: '120 a minute, scaled: 12 per rolling 6 s',
			says: 'words: "resets in ~Ns"',
			limits: { submitsPerWindow: 12, windowMs: 6000, words: true },
			real: false,
		},
	];
	const only = process.env.BENCH_RATE?.split(',');
	const rows: RateRow[] = [];
	say(
		`## Under a provider's rate cap: ${items} items, 2 s tasks, Max Concurrent Items ${maxConcurrent}, no cap on tasks running`,
	);
	say();
	say(
		"The simulator refuses (HTTP 429) a submission past the key's cap in any rolling window. Ideal: items ÷ rate + one task (the issue's measure). Accepted rate: accepted submissions per second from the first refusal to the last acceptance (learning included), and over the second half of the accepted submissions (once learned), against the cap. Real-n8n row: the node's execution time as n8n records it; the others in this process (n8n-core's execution context).",
	);
	say();
	say(
		'| cap | 429 says | ideal | wall | wall ÷ ideal | accepted rate from the first refusal (÷ cap) | once learned: second half (÷ cap) | submissions | refused | refused ÷ submissions | items failed | targets (≥ 90 %, ≤ 1.3 × ideal + 3 s, ≤ 15 %, none failed) |',
	);
	say('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: |');
	for (const config of configs) {
		if (only && !only.includes(config.key)) continue;
		const sim = (await startSim('evolink', taskMs, config.limits)) as EvolinkSimulator;
		try {
			let wall: number;
			let failed: number;
			if (config.real) {
				const real = await rateInRealN8n(sim, items, maxConcurrent);
				wall = real.wall;
				failed = items - real.done;
			} else {
				const started = Date.now();
				const result = await generate('evolink', sim, items, { maxConcurrent });
				wall = Date.now() - started;
				failed = result.failed;
			}
			const limits = sim.limits!;
			if (process.env.BENCH_RATE_TIMELINE) {
				const t0 = sim.submits()[0].at;
				say(`accepted: ${limits.accepted.map((at) => at - t0).join(' ')}`);
				say(`refused: ${limits.refusals.map((r) => r.at - t0).join(' ')}`);
			}
			const capPerSecond = (config.limits.submitsPerWindow! * 1000) / config.limits.windowMs!;
			const ideal = (items / capPerSecond) * 1000 + taskMs;
			const rates = acceptedRateOf(limits);
			const acceptedRate = rates.fromRefusal;
			const learnedRate = rates.secondHalf;
			const submits = sim.submits().length;
			const row: RateRow = {
				label: config.label,
				capPerSecond,
				ideal,
				wall,
				acceptedRate,
				learnedRate,
				submits,
				refused: limits.refused,
				failed,
			};
			rows.push(row);
			const ok =
				learnedRate >= 0.9 * capPerSecond &&
				wall <= 1.3 * ideal + 3000 &&
				limits.refused <= 0.15 * submits &&
				failed === 0;
			say(
				`| ${config.label} | ${config.says} | ${seconds(ideal)} | ${seconds(wall)} | ${(wall / ideal).toFixed(2)} | ${acceptedRate.toFixed(2)}/s (${((100 * acceptedRate) / capPerSecond).toFixed(0)} %) | ${learnedRate.toFixed(2)}/s (${((100 * learnedRate) / capPerSecond).toFixed(0)} %) | ${submits} | ${limits.refused} | ${((100 * limits.refused) / submits).toFixed(0)} % | ${failed} | ${mark(ok)} |`,
			);
		} finally {
			await sim.stop();
		}
	}
	say();
	return rows;
}
