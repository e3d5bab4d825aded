/**
 * Benchmark rows of issue #25, Alibaba Cloud Model Studio: 20 prompts of 3 s held requests by
 * this node and by n8n's built-in Alibaba Cloud ("Qwen Cloud") node, which sends one request
 * after another, on the same simulator; and 300 prompts of 1 s requests under the documented
 * limit of 120 requests a minute.
 */
import { ensureRuntime, N8nInstance } from '../e2e/lib/n8n';
import { runNode } from '../test/harness';
import { DOCUMENTED_LIMITS, ModelStudioSimulator } from '../test/simulators/modelStudio';

type Say = (line?: string) => void;

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const mark = (ok: boolean) => (ok ? '✓' : '✗');
const prompts = (count: number) =>
	Array.from({ length: count }, (_, i) => ({ json: { prompt: `prompt ${i}` } }));

/** This node on the simulator, in this process (n8n-core's own execution context). */
async function generate(sim: ModelStudioSimulator, count: number) {
	const started = Date.now();
	const result = await runNode({
		parameters: {
			provider: 'modelStudio',
			operation: 'generate',
			prompt: '={{ $json.prompt }}',
			modelStudioSize: '1024*1024',
			options: {},
		},
		credentials: {
			zImageModelStudioApi: { apiKey: sim.apiKey, region: 'custom', baseUrl: sim.url },
		},
		items: prompts(count),
		typeVersion: 2,
		continueOnFail: true,
	});
	return {
		wall: Date.now() - started,
		done: result.items.filter((item) => item.json.error === undefined && item.binary).length,
		failed: result.items.filter((item) => item.json.error !== undefined).length,
	};
}

const trigger = {
	parameters: {},
	name: 'Start',
	type: 'n8n-nodes-base.manualTrigger',
	typeVersion: 1,
	position: [0, 0],
	id: 'b0000000-0000-4000-8000-0000000000a1',
};
const twenty = {
	parameters: {
		jsCode: 'return Array.from({ length: 20 }, (_, i) => ({ json: { prompt: `prompt ${i}` } }));',
	},
	name: 'Twenty prompts',
	type: 'n8n-nodes-base.code',
	typeVersion: 2,
	position: [220, 0],
	id: 'b0000000-0000-4000-8000-0000000000a2',
};

/** Start → Twenty prompts → `node`. */
function workflow(id: string, node: Record<string, unknown>) {
	return {
		id,
		name: `Bench: ${String(node.name)}`,
		nodes: [trigger, twenty, { position: [440, 0], id: `${trigger.id.slice(0, -2)}a3`, ...node }],
		connections: {
			Start: { main: [[{ node: 'Twenty prompts', type: 'main', index: 0 }]] },
			'Twenty prompts': { main: [[{ node: String(node.name), type: 'main', index: 0 }]] },
		},
		settings: { executionOrder: 'v1' },
		active: false,
	};
}

/** Both nodes in one real n8n 2.41.1, on the same simulator: execution times as n8n records them. */
async function inRealN8n(sim: ModelStudioSimulator): Promise<{ node: number; builtIn: number }> {
	const n8n = new N8nInstance(ensureRuntime());
	try {
		n8n.installPackage();
		await n8n.importCredentials([
			{
				id: 'bench-modelstudio',
				name: 'Model Studio (simulator)',
				type: 'zImageModelStudioApi',
				data: { apiKey: sim.apiKey, region: 'custom', baseUrl: sim.url },
			},
			{
				id: 'bench-qwen-cloud',
				name: 'Qwen Cloud (simulator)',
				type: 'alibabaCloudApi',
				data: { apiKey: sim.apiKey, region: 'ap-southeast-1', url: sim.url },
			},
		]);
		await n8n.importWorkflows([
			workflow('benchModelStudioNode', {
				name: 'Z-Image',
				type: 'n8n-nodes-zimage.zImage',
				typeVersion: 2,
				parameters: {
					provider: 'modelStudio',
					operation: 'generate',
					prompt: '={{ $json.prompt }}',
					modelStudioSize: '1024*1024',
					options: {},
				},
				credentials: {
					zImageModelStudioApi: { id: 'bench-modelstudio', name: 'Model Studio (simulator)' },
				},
			}),
			workflow('benchQwenCloudNode', {
				name: 'Qwen Cloud',
				type: '@n8n/n8n-nodes-langchain.alibabaCloud',
				typeVersion: 1,
				parameters: {
					resource: 'image',
					operation: 'generate',
					modelId: 'z-image-turbo',
					prompt: '={{ $json.prompt }}',
					downloadImage: true,
					imageOptions: { size: '1024*1024' },
				},
				credentials: {
					alibabaCloudApi: { id: 'bench-qwen-cloud', name: 'Qwen Cloud (simulator)' },
				},
			}),
		]);
		const duration = (raw: unknown) => {
			const execution = raw as { startedAt: string; stoppedAt: string };
			return Date.parse(execution.stoppedAt) - Date.parse(execution.startedAt);
		};
		const times: number[] = [];
		for (const [id, node] of [
			['benchModelStudioNode', 'Z-Image'],
			['benchQwenCloudNode', 'Qwen Cloud'],
		]) {
			const run = await n8n.execute(id);
			const images = run.outputs[node]?.filter((item) => item.binary).length ?? 0;
			if (run.status !== 'success' || images !== 20)
				throw new Error(`${node}: ${run.status}, ${images} images: ${run.error}`);
			times.push(duration(run.raw));
		}
		return { node: times[0], builtIn: times[1] };
	} finally {
		n8n.remove();
	}
}

export async function modelStudioBatch(say: Say) {
	const sim = await new ModelStudioSimulator({ taskMs: 3000 }).start();
	try {
		const one = await generate(sim, 1);
		const batch = await generate(sim, 20);
		if (batch.done !== 20)
			throw new Error(`20 prompts: ${batch.done} images, ${batch.failed} failed`);
		const real = await inRealN8n(sim);
		say('## Alibaba Cloud Model Studio: 20 prompts, 3 s held requests (Model Studio simulator)');
		say();
		say(
			'In this process (n8n-core\'s execution context), and in a real n8n 2.41.1 on the same simulator, where n8n\'s built-in Alibaba Cloud ("Qwen Cloud") node sends one request after another. Real-n8n rows: execution time as n8n records it (its start-up excluded).',
		);
		say();
		say('| run | items | wall |');
		say('| --- | ---: | ---: |');
		say(`| Z-Image node, this process | 1 | ${seconds(one.wall)} |`);
		say(`| Z-Image node, this process | 20 | ${seconds(batch.wall)} |`);
		say(`| Code → **Z-Image** (Model Studio), real n8n | 20 | ${seconds(real.node)} |`);
		say(
			`| Code → n8n's Qwen Cloud node (z-image-turbo), real n8n | 20 | ${seconds(real.builtIn)} |`,
		);
		say();
		say(`Most requests the simulator held at once: ${sim.peakRunning}.`);
		say();
		return { one: one.wall, twenty: batch.wall, node: real.node, builtIn: real.builtIn };
	} finally {
		await sim.stop();
	}
}

export async function modelStudioRate(say: Say) {
	const items = 300;
	const sim = await new ModelStudioSimulator({ taskMs: 1000, limits: DOCUMENTED_LIMITS }).start();
	try {
		const { wall, done, failed } = await generate(sim, items);
		const refusals = sim.limits?.refusals ?? [];
		const ideal = (items / DOCUMENTED_LIMITS.submitsPerWindow!) * 60_000;
		say('## Alibaba Cloud Model Studio: 300 prompts, 1 s requests, 120 requests a minute');
		say();
		say(
			'The simulator refuses (429 Throttling.RateQuota, no Retry-After) a request past 120 in any 60 s, as Model Studio documents its limit. Max Concurrent Items 20 (the default). The limit allows 300 in 150 s at its steady rate.',
		);
		say();
		say(
			'| items | wall | wall ÷ 150 s | images | items failed | requests refused (429) | first refusal → last |',
		);
		say('| ---: | ---: | ---: | ---: | ---: | ---: | --- |');
		const span = refusals.length
			? `${seconds(refusals[0].at - sim.submits()[0].at)} → ${seconds(refusals.at(-1)!.at - sim.submits()[0].at)}`
			: '—';
		say(
			`| ${items} | ${seconds(wall)} | ${(wall / ideal).toFixed(2)} | ${done} | ${failed} | ${refusals.length} | ${span} |`,
		);
		say();
		return { wall, ideal, failed, refused: refusals.length };
	} finally {
		await sim.stop();
	}
}

/** The targets of the rows above, as bench.ts prints them. */
export function modelStudioTargets(
	say: Say,
	batch?: Awaited<ReturnType<typeof modelStudioBatch>>,
	rate?: Awaited<ReturnType<typeof modelStudioRate>>,
): void {
	if (batch) {
		say(
			`- Model Studio, 20 prompts ≤ 1.15 × one: ${seconds(batch.twenty)} vs ${seconds(batch.one)} → ${(batch.twenty / batch.one).toFixed(2)}× ${mark(batch.twenty <= 1.15 * batch.one)}`,
		);
		say(
			`- Model Studio, ≥ 15× faster than n8n's built-in node (one request after another, real n8n): ${seconds(batch.builtIn)} vs ${seconds(batch.node)} → ${(batch.builtIn / batch.node).toFixed(1)}× ${mark(batch.builtIn >= 15 * batch.node)}`,
		);
	}
	if (rate)
		say(
			`- Model Studio, 300 prompts under 120/min: wall ≤ 1.15 × 150 s, no item failed: ${seconds(rate.wall)} (${(rate.wall / rate.ideal).toFixed(2)}×), ${rate.failed} failed, ${rate.refused} refused ${mark(rate.wall <= 1.15 * rate.ideal && rate.failed === 0)}`,
		);
}
