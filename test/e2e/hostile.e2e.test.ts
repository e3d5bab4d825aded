/**
 * The key and size defences inside a real n8n, whose own request helper would follow
 * redirects with the credential's headers: checked from the hostile servers' side.
 */
import { sleep } from 'n8n-workflow';

import { ensureRuntime, loadExample, N8nInstance } from '../../e2e/lib/n8n';
import {
	simulatorCredentials,
	startSimulators,
	type RunningSimulators,
} from '../../scripts/simulators';
import { SimulatorServer } from '../simulators/server';

let sims: RunningSimulators;
let n8n: N8nInstance;
/** Another origin, recording everything it is sent. */
let elsewhere: SimulatorServer;

/** The TensorsLab example as a workflow of its own, with these options on the Z-Image node. */
function tensorsLabWorkflow(id: string, options: Record<string, unknown>) {
	const workflow = loadExample('text-to-image-tensorslab.json');
	workflow.id = id;
	workflow.name = id;
	const node = workflow.nodes.find((n) => n.type === 'n8n-nodes-zimage.zImage')!;
	(node.parameters as Record<string, unknown>).options = options;
	return workflow;
}

beforeAll(async () => {
	const node = ensureRuntime();
	sims = await startSimulators(200);
	elsewhere = new SimulatorServer(() => ({
		status: 200,
		body: { code: 1000, data: { taskid: 'stolen' } },
	}));
	await elsewhere.start();
	n8n = new N8nInstance(node);
	n8n.installPackage();
	await n8n.importCredentials(simulatorCredentials(sims));
	await n8n.importWorkflows([
		tensorsLabWorkflow('zimageHostileRedirect', {}),
		tensorsLabWorkflow('zimageHostileEndless', { maxDownloadMb: 1 }),
	]);
}, 20 * 60_000);

afterAll(async () => {
	await sims?.stop();
	await elsewhere?.stop();
	n8n?.remove();
});

test('a submission redirected to another host: the other host receives nothing, not the key, not the prompt', async () => {
	sims.tensorsLab.api.planFault(/\/v1\/images\/zimage$/, 1, {
		kind: 'reply',
		reply: { status: 307, body: '', headers: { location: `${elsewhere.url}/v1/images/zimage` } },
	});
	const execution = await n8n.execute('zimageHostileRedirect');
	expect(execution.status).toBe('error');
	expect(execution.error).toMatch(
		/redirected to another host \(http:\/\/127\.0\.0\.1:\d+\); the key is only ever sent to/,
	);
	expect(elsewhere.requests).toHaveLength(0);
	expect(JSON.stringify(execution.raw)).not.toContain(sims.tensorsLab.apiKey);
});

test('a result that never ends is cut at Max Download Size and not downloaded again', async () => {
	const pngStart = Buffer.from('89504e470d0a1a0a0000000d49484452000004000000030008060000', 'hex');
	sims.tensorsLab.cdn.planFault(/^\/files\//, 5, {
		kind: 'stream',
		head: pngStart,
		chunk: 64 * 1024,
		everyMs: 0,
	});
	const before = sims.tensorsLab.cdn.requests.length;
	const execution = await n8n.execute('zimageHostileEndless');
	expect(execution.status).toBe('error');
	expect(execution.error).toMatch(
		/is more than 1048576 bytes, over the download limit of 1048576 bytes$/,
	);
	const downloads = sims.tensorsLab.cdn.requests.slice(before);
	expect(downloads).toHaveLength(1);
	// The server's side: the node hung up near the limit, not after hundreds of megabytes.
	for (let i = 0; i < 60 && downloads[0].hungUpAt === undefined; i++) await sleep(50);
	expect(downloads[0].hungUpAt).toBeDefined();
	expect(downloads[0].sent).toBeLessThan(16 * 1024 * 1024);
});
