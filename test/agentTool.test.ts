/**
 * The node as an AI Agent tool (node type n8n-nodes-zimage.zImageTool): JSON a model can use
 * (links, their expiry, size, task id), no downloads, and errors whose message says what to do.
 */
import { ZImage } from '../nodes/ZImage/ZImage.node';
import { failureOf, runNode } from './harness';
import { EvolinkSimulator } from './simulators/evolink';
import { ZImageServerSimulator } from './simulators/zImageServer';

const TOOL = 'n8n-nodes-zimage.zImageTool';

describe('Evolink as a tool', () => {
	let sim: EvolinkSimulator;
	beforeEach(async () => {
		sim = await new EvolinkSimulator({ flavor: 'evolink' }).start();
	});
	afterEach(async () => {
		await sim.stop();
	});
	const credentials = () => ({ evolinkApi: { apiKey: sim.apiKey, baseUrl: sim.url } });
	const generate = async (parameters: Record<string, unknown> = {}) =>
		await runNode({
			nodeType: TOOL,
			parameters: {
				provider: 'evolink',
				operation: 'generate',
				prompt: 'a red fox',
				size: 'custom',
				width: 1024,
				height: 768,
				...parameters,
			},
			credentials: credentials(),
		});

	test('one JSON item with the link, its expiry, the size and the task id; nothing downloaded', async () => {
		const result = await generate();
		const taskId = [...sim.tasks.keys()][0];
		expect(result.items).toEqual([
			{
				json: {
					status: 'completed',
					urls: [`${sim.cdn.url}/results/${taskId}-0.png`],
					urlsExpire: 'after 24 hours: Evolink keeps tasks and their image links for 24 hours',
					width: 1024,
					height: 768,
					taskId,
					provider: 'evolink',
					model: 'z-image-turbo',
					prompt: 'a red fox',
				},
				pairedItem: { item: 0 },
			},
		]);
		expect(sim.submits()).toHaveLength(1);
		expect(sim.cdn.requests).toHaveLength(0);
	});

	test('the same node outside an agent still downloads', async () => {
		await runNode({
			parameters: { provider: 'evolink', operation: 'generate', prompt: 'a red fox' },
			credentials: credentials(),
		});
		expect(sim.cdn.requests).toHaveLength(1);
	});

	test("an error's hint is in its message, which is all n8n hands the model", async () => {
		sim.planError('poll', 404, 5);
		const error = await failureOf(generate());
		expect(error.message).toMatch(
			/^Evolink \(generate, task task-unified-[^)]+\): Not found or expired: .*\. Tasks and their image links are kept for 24 hours\.$/s,
		);
		expect(error.message).toContain(String(error.description));
	});

	test('a parameter error says what to fix in its message', async () => {
		const error = await failureOf(generate({ width: 5 }));
		expect(error.message).toMatch(/Width.*Nothing was sent to the provider/s);
	});
});

test('a self-hosted inline image: no link, and a note saying how to get one', async () => {
	const sim = await new ZImageServerSimulator({ loadMs: 0, generateMs: 10 }).start();
	try {
		const result = await runNode({
			nodeType: TOOL,
			parameters: {
				provider: 'selfHosted',
				operation: 'generate',
				prompt: 'a boat',
				size: '512x512',
			},
			credentials: {
				zImageServerApi: {
					baseUrl: sim.url,
					apiKey: '',
					requestTimeoutSeconds: 60,
					ignoreSslIssues: false,
				},
			},
		});
		expect(result.items).toHaveLength(1);
		expect(result.items[0].binary).toBeUndefined();
		expect(result.items[0].json).toMatchObject({
			status: 'completed',
			width: 512,
			height: 512,
			note: expect.stringContaining('URL to Download'),
		});
		expect(result.items[0].json.urls).toBeUndefined();
	} finally {
		await sim.stop();
	}
});

test('the tool variant gets a description written for a model', () => {
	const { usableAsTool, description } = new ZImage().description;
	const replaced =
		typeof usableAsTool === 'object' ? usableAsTool.replacements?.description : undefined;
	expect(replaced).toMatch(/Returns JSON/);
	expect(replaced).toMatch(/urlsExpire/);
	expect(replaced).not.toBe(description);
});
