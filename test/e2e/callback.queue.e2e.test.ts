/**
 * Wait Mode "Provider Callback" on n8n's queue mode (scripts/queue-cluster.sh: Redis,
 * PostgreSQL, a main and two workers of concurrency 1, binary data in the database), behind
 * a TLS front that is the cluster's public WEBHOOK_URL. A parked execution holds no worker:
 * a worker killed after parking loses nothing (the callback lands on the main process, which
 * queues the rest to the other worker), and one worker slot carries two executions at once.
 */
/* eslint-disable no-console -- a test driving a real n8n cluster, never shipped; it prints the time its parts take, for the CI log */
import { QueueCluster, waitFor } from '../../e2e/lib/cluster';
import { startTlsFront, type TlsFront } from '../../e2e/lib/tlsFront';
import { node, reportNode, webhookNode, workflowOf, ZIMAGE } from '../../e2e/lib/workflow';
import { EvolinkSimulator } from '../simulators/evolink';
import { makeImage } from '../simulators/images';
import { SimulatorServer } from '../simulators/server';

const started = Date.now();
const TASK_MS = 10_000;
let evolink: EvolinkSimulator;
let front: TlsFront;
let cluster: QueueCluster;
/** Where the workflow reports each output item after Z-Image. */
let sink: SimulatorServer;
let mainPort = 0;

/** Webhook (answers at once) → Z-Image Generate in callback mode → report to the sink. */
function callbackWorkflow(credentialId: string) {
	const report =
		'={{ JSON.stringify({ executionId: $execution.id, taskId: $json.taskId, binaryId: $binary.data.id, mimeType: $binary.data.mimeType }) }}';
	return workflowOf('queue callback', [
		webhookNode('zimage-callback', 'onReceived'),
		node(
			'Z-Image',
			ZIMAGE,
			1,
			1,
			{
				provider: 'evolink',
				operation: 'generate',
				prompt: '={{ $json.body.prompt }}',
				waitMode: 'callback',
				options: { maxWaitSeconds: 300 },
			},
			{ credentials: { evolinkApi: { id: credentialId, name: 'queue callback evolink' } } },
		),
		reportNode(2, sink.url, report),
	]);
}

/** Calls the workflow's webhook; resolves with the execution id once its task is submitted. */
async function trigger(prompt: string): Promise<string> {
	const before = evolink.submits().length;
	const answer = await cluster.webhook('zimage-callback', { prompt });
	expect(answer.status).toBe(200);
	const submit = await waitFor(
		`the submission of "${prompt}"`,
		async () =>
			evolink
				.submits()
				.slice(before)
				.find((request) => (request.json as Record<string, unknown>).prompt === prompt),
		60_000,
	);
	const url = String((submit.json as Record<string, unknown>).callback_url);
	expect(url.startsWith(`${front.url}webhook-waiting/`)).toBe(true);
	return /\/webhook-waiting\/([^/?]+)/.exec(url)![1];
}

const statusOf = async (id: string) => (await cluster.execution(id)).status;
const reportOf = (id: string) =>
	sink.requests
		.filter((request) => request.path === '/report')
		.map((request) => request.json as Record<string, string>)
		.find((report) => report.executionId === id);

/** The report of a finished execution: the stored image is the provider's, byte for byte. */
async function checkImage(id: string, prompt: string): Promise<void> {
	const report = reportOf(id)!;
	expect(report).toBeDefined();
	const task = evolink.tasks.get(report.taskId)!;
	expect(task.prompt).toBe(prompt);
	expect(report.binaryId).toMatch(/^database:/);
	const stored = await cluster.binary(report.binaryId);
	expect(stored.status).toBe(200);
	expect(
		stored.bytes.equals(await makeImage('png', task.width, task.height, task.created % 97)),
	).toBe(true);
}

beforeAll(async () => {
	evolink = await new EvolinkSimulator({
		taskMs: TASK_MS,
		callbacks: { resolveTo: '127.0.0.1', trustSelfSigned: true },
	}).start();
	sink = new SimulatorServer(() => ({ status: 200, body: { ok: true } }));
	await sink.start();
	// The front is the public address; the main process it forwards to starts after it.
	front = await startTlsFront(() => mainPort);
	const t0 = Date.now();
	cluster = await QueueCluster.start({
		workers: 2,
		concurrency: 1,
		env: { WEBHOOK_URL: front.url },
	});
	mainPort = Number(new URL(cluster.state.mainUrl).port);
	const credentialId = await cluster.createCredential('queue callback evolink', 'evolinkApi', {
		apiKey: evolink.apiKey,
		baseUrl: evolink.url,
	});
	await cluster.createActiveWorkflow(callbackWorkflow(credentialId));
	await cluster.waitForWebhook('zimage-callback');
	console.log(
		`callback queue e2e: cluster (main + 2 workers of concurrency 1) ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
	);
}, 8 * 60_000);

afterAll(async () => {
	await cluster?.stop();
	await front?.stop();
	await evolink?.stop();
	await sink?.stop();
	console.log(
		`callback queue e2e: ${((Date.now() - started) / 1000).toFixed(1)} s in all, cluster start and stop included`,
	);
}, 60_000);

test('a worker killed after the execution parked loses nothing: the callback finishes it on the other worker', async () => {
	const id = await trigger('a kite over a killed worker');
	await waitFor(`execution ${id} to wait`, async () => (await statusOf(id)) === 'waiting', 30_000);
	const parkedOn = cluster.workerOf(id)!;
	expect(parkedOn).toBeDefined();
	cluster.killWorker(parkedOn);
	await waitFor(
		`execution ${id} to finish`,
		async () => (await statusOf(id)) === 'success',
		60_000,
	);
	await checkImage(id, 'a kite over a killed worker');
	// Submitted once; resumed on the worker still alive.
	expect(
		evolink
			.submits()
			.filter((r) => (r.json as Record<string, unknown>).prompt === 'a kite over a killed worker'),
	).toHaveLength(1);
	const resumedOn = cluster.state.workers.find(
		(worker) => worker !== parkedOn && QueueCluster.alive(worker.pid),
	);
	expect(resumedOn).toBeDefined();
}, 180_000);

test('one worker of concurrency 1 carries two 10 s generations at once: both wait together, neither holds the slot', async () => {
	// The other worker was killed in the test above.
	expect(cluster.state.workers.filter((worker) => QueueCluster.alive(worker.pid))).toHaveLength(1);
	const t0 = Date.now();
	const [first, second] = await Promise.all([
		trigger('the first of two kites'),
		trigger('the second of two kites'),
	]);
	// Both parked at the same time, with one worker slot left in the whole cluster.
	await waitFor(
		'both executions to wait at once',
		async () => (await statusOf(first)) === 'waiting' && (await statusOf(second)) === 'waiting',
		TASK_MS - 1000,
	);
	await waitFor(
		'both executions to finish',
		async () => (await statusOf(first)) === 'success' && (await statusOf(second)) === 'success',
		90_000,
	);
	await checkImage(first, 'the first of two kites');
	await checkImage(second, 'the second of two kites');
	console.log(
		`callback queue e2e: two ${TASK_MS / 1000} s generations on one worker slot done in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
	);
}, 180_000);
