/**
 * The package on n8n's distributed engine: scripts/queue-cluster.sh starts Redis,
 * PostgreSQL 17, an n8n main and two workers (queue mode, binary data in the database),
 * each with the built package installed; webhook workflows run Z-Image Generate on the
 * workers against the provider simulators. What a user of such a setup would notice is
 * asserted: answers, the stored bytes, which worker ran what, the provider's request log,
 * a Stop from the editor, and a worker that dies mid-run.
 */
/* eslint-disable @n8n/community-nodes/no-restricted-globals, no-console -- a test driving a real n8n cluster, never shipped; it prints the time its parts take, for the CI log */

import { QueueCluster, waitFor, type ClusterProcess } from '../../e2e/lib/cluster';
import { node, webhookNode, workflowOf, ZIMAGE } from '../../e2e/lib/workflow';
import { EvolinkSimulator } from '../simulators/evolink';
import { makeImage, makePng } from '../simulators/images';
import type { RecordedRequest } from '../simulators/server';
import { TensorsLabSimulator } from '../simulators/tensorsLab';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Short Bull locks so that a dead worker's job is noticed in seconds, not minutes. */
const LOCKS = {
	QUEUE_WORKER_LOCK_DURATION: '8000',
	QUEUE_WORKER_LOCK_RENEW_TIME: '2000',
	QUEUE_WORKER_STALLED_INTERVAL: '3000',
};

const started = Date.now();
let evolink: EvolinkSimulator;
let tensorsLab: TensorsLabSimulator;
/** A TensorsLab whose tasks take ten minutes: the execution is surely still polling when stopped or killed. */
let slow: TensorsLabSimulator;
let cluster: QueueCluster;

/** The credentials' ids, as n8n gave them. */
const ids: Record<'evolink' | 'tensorsLab' | 'slow', string> = {
	evolink: '',
	tensorsLab: '',
	slow: '',
};
const credential = (type: string, key: keyof typeof ids) => ({
	[type]: { id: ids[key], name: `queue ${key}` },
});

function respondNode(position: number, body: string) {
	return node('Respond', 'n8n-nodes-base.respondToWebhook', 1.1, position, {
		respondWith: 'json',
		responseBody: body,
		options: {},
	});
}

/** What the caller gets back: where the image is stored, and who made it. */
const RESULT =
	'={{ { executionId: $execution.id, taskId: $json.taskId, binaryId: $binary.data.id, mimeType: $binary.data.mimeType, width: $json.width, height: $json.height } }}';

/** Webhook → Z-Image Generate → Respond to Webhook. */
function generateWorkflow(
	id: string,
	path: string,
	parameters: Record<string, unknown>,
	credentials: Record<string, unknown>,
) {
	return workflowOf(id, [
		webhookNode(path, 'responseNode'),
		node(
			'Z-Image',
			ZIMAGE,
			1,
			1,
			{ operation: 'generate', prompt: '={{ $json.body.prompt }}', options: {}, ...parameters },
			{ credentials },
		),
		respondNode(2, RESULT),
	]);
}

function workflows() {
	const slowCredential = credential('tensorsLabApi', 'slow');
	return [
		generateWorkflow(
			'queueEvolink',
			'zimage-evolink',
			{ provider: 'evolink', model: 'z-image-turbo', size: '1:1' },
			credential('evolinkApi', 'evolink'),
		),
		generateWorkflow(
			'queueTensorsLab',
			'zimage-tensorslab',
			{ provider: 'tensorsLab', model: 'zimage', resolution: '1:1' },
			credential('tensorsLabApi', 'tensorsLab'),
		),
		// Answers the caller at once with the execution id, then generates (for Stop and the killed worker).
		workflowOf('queueSlow', [
			webhookNode('zimage-slow', 'responseNode'),
			respondNode(1, '={{ { executionId: $execution.id } }}'),
			node(
				'Z-Image',
				ZIMAGE,
				1,
				2,
				{
					provider: 'tensorsLab',
					operation: 'generate',
					model: 'zimage',
					resolution: '1:1',
					prompt: "={{ $('Webhook').item.json.body.prompt }}",
					options: {},
				},
				{ credentials: slowCredential },
			),
		]),
		workflowOf('queueGetTask', [
			webhookNode('zimage-get-task', 'responseNode'),
			node(
				'Z-Image',
				ZIMAGE,
				1,
				1,
				{
					provider: 'tensorsLab',
					operation: 'getTask',
					taskId: '={{ $json.body.taskId }}',
					options: { waitForCompletion: true },
				},
				{ credentials: slowCredential },
			),
			respondNode(2, RESULT),
		]),
	];
}

const prompts = (requests: RecordedRequest[]) =>
	requests.map((r) => r.fields?.prompt?.[0] ?? (r.json as { prompt?: string } | undefined)?.prompt);

/** The slow simulator's status requests for one task. */
const pollsOf = (taskId: string) =>
	slow.api
		.requestsTo(/\/v1\/images\/infobytaskid$/)
		.filter((r) => (r.json as { taskid?: string }).taskid === taskId);

async function slowTaskOf(prompt: string) {
	return await waitFor(
		`a submit of "${prompt}"`,
		() => [...slow.tasks.values()].find((task) => task.prompt === prompt),
		60_000,
	);
}

beforeAll(async () => {
	evolink = await new EvolinkSimulator({ taskMs: 1500 }).start();
	tensorsLab = await new TensorsLabSimulator({ queueMs: 200, processMs: 1300 }).start();
	slow = await new TensorsLabSimulator({
		apiKey: 'tl-slow-key-42',
		queueMs: 200,
		processMs: 10 * 60_000,
	}).start();
	const t0 = Date.now();
	cluster = await QueueCluster.start({ workers: 2, concurrency: 5, env: LOCKS });
	ids.evolink = await cluster.createCredential('queue evolink', 'evolinkApi', {
		apiKey: evolink.apiKey,
		baseUrl: evolink.url,
	});
	ids.tensorsLab = await cluster.createCredential('queue tensorsLab', 'tensorsLabApi', {
		apiKey: tensorsLab.apiKey,
		baseUrl: tensorsLab.url,
		authHeaderFormat: 'bearer',
	});
	ids.slow = await cluster.createCredential('queue slow', 'tensorsLabApi', {
		apiKey: slow.apiKey,
		baseUrl: slow.url,
		authHeaderFormat: 'bearer',
	});
	for (const definition of workflows()) await cluster.createActiveWorkflow(definition);
	for (const path of ['zimage-evolink', 'zimage-tensorslab', 'zimage-slow', 'zimage-get-task'])
		await cluster.waitForWebhook(path);
	console.log(
		`queue e2e: cluster (Redis, PostgreSQL, main + 2 workers) ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
	);
}, 8 * 60_000);

afterAll(async () => {
	await cluster?.stop();
	await Promise.all([evolink?.stop(), tensorsLab?.stop(), slow?.stop()]);
	console.log(
		`queue e2e: ${((Date.now() - started) / 1000).toFixed(1)} s in all, cluster start and stop included`,
	);
}, 60_000);

test('every process is up, each worker under its own hostname', () => {
	for (const pid of [
		cluster.state.main.pid,
		...cluster.state.workers.map((w) => w.pid),
		cluster.state.redis.pid,
		cluster.state.postgres.pid,
	]) {
		expect(QueueCluster.alive(pid)).toBe(true);
	}
	expect(cluster.state.workers.map((w) => w.hostname)).toEqual([
		'zimage-worker-1',
		'zimage-worker-2',
	]);
});

test('8 concurrent webhook calls, two providers: right images, stored in the database, spread over both workers, each submitted once', async () => {
	const calls = [
		...Array.from({ length: 4 }, (_, i) => ({
			provider: 'evolink' as const,
			prompt: `queue evolink ${i}: a red fox in snow`,
		})),
		...Array.from({ length: 4 }, (_, i) => ({
			provider: 'tensorslab' as const,
			prompt: `queue tensorslab ${i}: a blue boat at dawn`,
		})),
	];
	const answers = await Promise.all(
		calls.map((call) => cluster.webhook(`zimage-${call.provider}`, { prompt: call.prompt })),
	);

	const workers = new Set<string>();
	for (const [i, call] of calls.entries()) {
		const answer = answers[i];
		expect({ call, status: answer.status }).toEqual({ call, status: 200 });
		const { executionId, taskId, binaryId, mimeType, width, height } = answer.json as Record<
			string,
			string
		>;
		expect([mimeType, width, height]).toEqual(['image/png', 1024, 1024]);
		// The right image: the task the provider made for this very prompt...
		let expected: Buffer;
		if (call.provider === 'evolink') {
			const task = evolink.tasks.get(taskId)!;
			expect(task?.prompt).toBe(call.prompt);
			expected = await makeImage('png', task.width, task.height, task.created % 97);
		} else {
			const task = tensorsLab.tasks.get(taskId)!;
			expect(task?.prompt).toBe(call.prompt);
			expected = makePng(task.width, task.height, task.seed);
		}
		// ...stored in PostgreSQL and read back through the editor's download route, byte for byte.
		expect(binaryId).toMatch(/^database:/);
		const stored = await cluster.binary(binaryId);
		expect(stored.status).toBe(200);
		expect(stored.bytes.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
		expect(stored.bytes.length).toBe(expected.length);
		expect(stored.bytes.equals(expected)).toBe(true);

		expect((await cluster.execution(executionId)).status).toBe('success');
		const worker = cluster.workerOf(executionId);
		expect(worker).toBeDefined();
		workers.add(worker!.name);
	}
	expect([...workers].sort()).toEqual(['worker1', 'worker2']);

	// Each generation reached its provider exactly once.
	const evolinkPrompts = prompts(evolink.submits());
	const tensorsLabPrompts = prompts(tensorsLab.submits());
	for (const call of calls) {
		const sent = call.provider === 'evolink' ? evolinkPrompts : tensorsLabPrompts;
		expect({ prompt: call.prompt, submits: sent.filter((p) => p === call.prompt).length }).toEqual({
			prompt: call.prompt,
			submits: 1,
		});
	}
	expect(evolinkPrompts).toHaveLength(4);
	expect(tensorsLabPrompts).toHaveLength(4);
});

test('Stop from the main process (REST, as the editor) ends the polling on the worker within seconds', async () => {
	const prompt = 'queue stop: a lighthouse in fog';
	const answer = await cluster.webhook('zimage-slow', { prompt });
	expect(answer.status).toBe(200);
	const executionId = String(answer.json.executionId);
	const task = await slowTaskOf(prompt);
	// Polling is under way (about every second by now) on one of the workers.
	await waitFor('three status polls', () => pollsOf(task.taskid).length >= 3, 30_000);
	expect(cluster.workerOf(executionId)).toBeDefined();
	expect((await cluster.execution(executionId)).status).toBe('running');

	const stopAt = Date.now();
	const stop = await cluster.rest('POST', `/executions/${executionId}/stop`);
	expect(stop.status).toBe(200);
	await waitFor(
		'the execution to be canceled',
		async () => (await cluster.execution(executionId)).status === 'canceled',
		15_000,
	);
	// Long enough for several more polls had the node gone on polling.
	await new Promise((resolve) => setTimeout(resolve, 6000));
	const late = pollsOf(task.taskid).filter((r) => r.at > stopAt + 3000);
	expect(late).toEqual([]);
	expect(prompts(slow.submits()).filter((p) => p === prompt)).toHaveLength(1);
	console.log(
		`queue e2e: last poll ${Math.max(0, pollsOf(task.taskid).at(-1)!.at - stopAt)} ms after the Stop`,
	);
});

test('a worker killed mid-run: the execution fails once its lock expires, nothing is submitted twice, the task is collected with Get Task', async () => {
	const prompt = 'queue crash: a windmill at night';
	const answer = await cluster.webhook('zimage-slow', { prompt });
	expect(answer.status).toBe(200);
	const executionId = String(answer.json.executionId);
	const task = await slowTaskOf(prompt);
	await waitFor('two status polls', () => pollsOf(task.taskid).length >= 2, 30_000);
	const victim = cluster.workerOf(executionId)!;
	expect(victim).toBeDefined();
	const survivor = cluster.state.workers.find((w) => w !== victim) as ClusterProcess;

	const killedAt = Date.now();
	cluster.killWorker(victim);
	await waitFor('the worker to be gone', () => !QueueCluster.alive(victim.pid), 10_000);

	// n8n notices the dead worker when its job lock expires, and fails the execution (no retry).
	const failed = await waitFor(
		'the execution to be marked failed',
		async () => {
			const execution = await cluster.execution(executionId);
			return ['crashed', 'error'].includes(execution.status) ? execution : undefined;
		},
		90_000,
		1000,
	);
	console.log(
		`queue e2e: execution of the killed worker marked ${failed.status} ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill`,
	);
	expect(failed.data).toContain('failed to be processed too many times');
	console.log(
		`queue e2e: the failed execution's data names the task id ${task.taskid}: ${failed.data.includes(task.taskid)}`,
	);

	// Nobody took the job over: no other worker started it, nothing polled or submitted again.
	await new Promise((resolve) => setTimeout(resolve, 3000));
	expect(cluster.workerOf(executionId)).toBe(victim);
	expect(pollsOf(task.taskid).filter((r) => r.at > killedAt + 500)).toEqual([]);
	expect(prompts(slow.submits()).filter((p) => p === prompt)).toHaveLength(1);

	// The provider's task went on; Get Task (here on the surviving worker) collects its image.
	expect(slow.tasks.has(task.taskid)).toBe(true);
	slow.processMs = 0;
	const collected = await cluster.webhook('zimage-get-task', { taskId: task.taskid });
	expect(collected.status).toBe(200);
	expect(collected.json.taskId).toBe(task.taskid);
	expect(cluster.workerOf(String(collected.json.executionId))).toBe(survivor);
	const stored = await cluster.binary(String(collected.json.binaryId));
	expect(stored.bytes.equals(makePng(task.width, task.height, task.seed))).toBe(true);
	expect(prompts(slow.submits()).filter((p) => p === prompt)).toHaveLength(1);
});

test('stopping the cluster leaves no process behind', async () => {
	const pids = [
		cluster.state.main.pid,
		...cluster.state.workers.map((w) => w.pid),
		cluster.state.redis.pid,
		cluster.state.postgres.pid,
	];
	await cluster.stop();
	expect(pids.filter((pid) => QueueCluster.alive(pid))).toEqual([]);
}, 60_000);
