/**
 * Wait Mode "Provider Callback" (Evolink, ODKKK) with n8n-core's own execute and webhook
 * contexts: what is sent, what the parked execution shows and keeps, and what each call of
 * its resume URL leads to. The same against a real n8n: test/e2e/callback.e2e.test.ts.
 */
import { type IDataObject, sleep } from 'n8n-workflow';

import { ZImage } from '../nodes/ZImage/ZImage.node';
import { failureOf, runNode } from './harness';
import { EvolinkSimulator, type Flavor } from './simulators/evolink';
import { decodeImage } from './simulators/images';
import { SimulatorServer } from './simulators/server';

const PUBLIC = 'https://n8n.example.com/';
const HOSTS: Array<{ flavor: Flavor; provider: string; credential: string; name: string }> = [
	{ flavor: 'evolink', provider: 'evolink', credential: 'evolinkApi', name: 'Evolink' },
	{ flavor: 'odkkk', provider: 'odkkk', credential: 'odkkkApi', name: 'ODKKK' },
];

describe.each(HOSTS)(
	'$name: Wait Mode "Provider Callback"',
	({ flavor, provider, credential, name }) => {
		let sim: EvolinkSimulator;
		beforeEach(async () => {
			sim = await new EvolinkSimulator({ flavor, taskMs: 1500 }).start();
		});
		afterEach(async () => {
			await sim.stop();
		});

		const generate = (
			parameters: IDataObject,
			extra: Partial<Parameters<typeof runNode>[0]> = {},
		) =>
			runNode({
				parameters: {
					provider,
					operation: 'generate',
					prompt: 'a kite',
					waitMode: 'callback',
					...parameters,
				},
				credentials: { [credential]: { apiKey: sim.apiKey, baseUrl: sim.url } },
				webhookUrl: PUBLIC,
				...extra,
			});
		const prompts = (...texts: string[]) => texts.map((prompt) => ({ json: { prompt } }));
		const ends = async () => await sleep(sim.taskMs + 300);

		test('submits with the resume URL, looks once per task, parks until Max Wait with an explicit timeout', async () => {
			const before = Date.now();
			const result = await generate(
				{ prompt: '={{ $json.prompt }}', options: { maxWaitSeconds: 300 } },
				{ items: prompts('a red kite', 'a blue kite') },
			);
			const urls = sim.submits().map((submit) => (submit.json as IDataObject).callback_url);
			// n8n's resume URL with its signature, and the item.
			expect(urls.sort()).toEqual([
				expect.stringMatching(
					/^https:\/\/n8n\.example\.com\/webhook-waiting\/execution-test-\d+\?signature=[0-9a-f]{64}&zimage_item=0$/,
				),
				expect.stringMatching(/\?signature=[0-9a-f]{64}&zimage_item=1$/),
			]);
			// After the submissions a look, at most one per task, up to the first one unfinished (a
			// task that finished meanwhile called back while the execution still ran).
			expect(sim.polls()).toHaveLength(1);
			expect(result.waitTill?.getTime()).toBeGreaterThanOrEqual(before + 300_000);
			expect(result.waitTill?.getTime()).toBeLessThanOrEqual(Date.now() + 300_000);
			// While it waits, the execution shows each item's task.
			expect(
				result.items.map((item) => [item.json.taskId, item.json.status, item.pairedItem]),
			).toEqual(
				[...sim.tasks.keys()].map((taskId, index) => [
					taskId,
					'waiting for the provider to call back',
					{ item: index },
				]),
			);
			// A timer resume (no callback in time) fails the node, naming the tasks.
			const timeout = result.metadata?.resumeError as { message: string; description: string };
			expect(timeout.message).toMatch(
				new RegExp(
					`^No callback from ${name} with every task finished before Max Wait ran out \\(.+\\); task IDs: task-unified-\\S+, task-unified-\\S+$`,
				),
			);
			expect(timeout.description).toContain('collect them with Get Task');
		});

		test('a callback while a task is unfinished keeps the execution parked; the last one resumes it with every image', async () => {
			const result = await generate(
				{ prompt: '={{ $json.prompt }}' },
				{ items: prompts('a red kite', 'a blue kite') },
			);
			const early = await result.resume({ query: { zimage_item: '0' } });
			expect(early).toEqual({ webhookResponse: { received: true, unfinishedTasks: 1 } });
			expect(result.metadata?.resumeError).toBeDefined();
			await ends();
			const polls = sim.polls().length;
			const done = await result.resume({
				query: { zimage_item: '1' },
				body: { status: 'completed' },
			});
			// A status look per task, whatever the callback said, the named item's first.
			expect(sim.polls().length - polls).toBe(2);
			const items = done.workflowData?.[0] ?? [];
			expect(items.map((item) => [item.json.taskId, item.pairedItem])).toEqual(
				[...sim.tasks.keys()].map((taskId, index) => [taskId, { item: index }]),
			);
			for (const item of items) {
				expect(item.json).toMatchObject({
					provider,
					width: 1024,
					height: 1024,
					mimeType: 'image/png',
				});
				expect(item.binary?.data?.mimeType).toBe('image/png');
			}
			// Resumed by the callback: no timeout error is left for n8n to throw.
			expect(result.metadata?.resumeError).toBeUndefined();
			expect(result.metadata).not.toHaveProperty('zImageParked');
		});

		test('a forged callback body is not trusted: the provider is asked, nothing the body names is fetched', async () => {
			const elsewhere = new SimulatorServer(() => ({ status: 200, body: 'not an image' }));
			await elsewhere.start();
			try {
				const result = await generate({});
				const taskId = [...sim.tasks.keys()][0];
				const forged = await result.resume({
					body: {
						id: taskId,
						status: 'completed',
						progress: 100,
						results: [`${elsewhere.url}/x.png`],
					},
				});
				expect(forged.workflowData).toBeUndefined();
				expect(elsewhere.requests).toHaveLength(0);
				await ends();
				const done = await result.resume({
					body: { id: 'task-unified-1-forged', status: 'failed' },
				});
				const [item] = done.workflowData?.[0] ?? [];
				expect(item.json.taskId).toBe(taskId);
				expect(await decodeImage(Buffer.from(item.binary!.data.data, 'base64'))).toMatchObject({
					width: 1024,
					height: 1024,
				});
				expect(elsewhere.requests).toHaveLength(0);
			} finally {
				await elsewhere.stop();
			}
		});

		test("a failed task fails the node on resume, with the provider's reason; with Continue On Fail it is an error item", async () => {
			sim.failNextTask('content_policy_violation', 'The prompt was flagged');
			const result = await generate({});
			await ends();
			const done = await result.resume({});
			expect(done.workflowData).toEqual([[]]);
			const failure = result.metadata?.resumeError as { message: string };
			expect(failure.message).toContain(
				'the task failed: content_policy_violation: The prompt was flagged',
			);

			sim.failNextTask('content_policy_violation', 'The prompt was flagged');
			const lenient = await generate({}, { continueOnFail: true });
			await ends();
			const [item] = (await lenient.resume({})).workflowData?.[0] ?? [];
			expect(item.json.error).toContain('the task failed: content_policy_violation');
			expect(item.json.taskId).toMatch(/^task-unified-/);
			expect(lenient.metadata?.resumeError).toBeUndefined();
		});

		test('a status look that fails during a callback: 503 to the caller (it calls again), the run stays parked', async () => {
			const result = await generate({});
			await ends();
			sim.api.planFault(/\/v1\/tasks\//, 10, {
				kind: 'reply',
				reply: sim.error(500, 'Internal server error'),
			});
			const response: { status?: number; body?: unknown } = {};
			const answer = await result.resume({ response });
			expect(answer).toEqual({ noWebhookResponse: true });
			expect(response).toEqual({ status: 503, body: { received: true, retryLater: true } });
			expect(result.metadata?.resumeError).toBeDefined();
			expect(result.metadata).toHaveProperty('zImageParked');
			// The provider's next try, once it answers again, finishes the run.
			sim.api.clearFaults();
			const done = await result.resume({});
			expect(done.workflowData?.[0]).toHaveLength(1);
		}, 60_000);

		test('tasks that finished before the execution could park: the images at once, nothing parked', async () => {
			sim.taskMs = 1;
			const result = await generate({});
			expect(result.waitTill).toBeUndefined();
			expect(result.items).toHaveLength(1);
			expect(result.items[0].binary?.data?.mimeType).toBe('image/png');
			expect(result.metadata?.resumeError).toBeUndefined();
		});

		test.each([
			['http://localhost:5678/', 'only HTTPS is accepted'],
			['https://192.168.1.20:5678/', '192.168.1.20 is a private or loopback address'],
		])(
			'resume URL under %s: fails before anything is sent, naming the setting',
			async (url, reason) => {
				const failure = await failureOf(generate({}, { webhookUrl: url }));
				const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
				expect(failure.message).toMatch(
					new RegExp(
						`^${escape(`Wait Mode "Provider Callback" is not possible: this n8n's resume URL (${url}webhook-waiting/execution-test-`)}\\d+${escape(`) will not do: ${reason}; an https:// address on the public internet, at most 2048 characters`)}$`,
					),
				);
				expect(failure.description).toContain("Set n8n's WEBHOOK_URL");
				expect(sim.submits()).toHaveLength(0);
			},
		);

		test('"If Callback Is Not Possible: Poll Instead" polls and says so in the output', async () => {
			sim.taskMs = 300;
			const result = await generate(
				{ callbackFallback: 'poll' },
				{ webhookUrl: 'http://localhost:5678/' },
			);
			expect(result.waitTill).toBeUndefined();
			expect(result.items[0].binary?.data?.mimeType).toBe('image/png');
			expect(result.items[0].json.notice).toMatch(
				/^Waited by polling, not by a provider callback: this n8n's resume URL \(http:\/\/localhost:5678\/webhook-waiting\/execution-test-\d+\) will not do: only HTTPS is accepted/,
			);
			expect((sim.submits()[0].json as IDataObject).callback_url).toBeUndefined();
		});

		test('as an AI agent tool it cannot wait for a callback: it says so (or polls, by option)', async () => {
			sim.taskMs = 300;
			const failure = await failureOf(generate({}, { nodeType: 'n8n-nodes-zimage.zImageTool' }));
			expect(failure.message).toContain(
				'Wait Mode "Provider Callback" is not possible: the node runs as an AI agent\'s tool',
			);
			expect(failure.description).toBe(
				'A tool answers its agent within one run, or set "If Callback Is Not Possible" to "Poll Instead". Nothing was sent.',
			);
			expect(sim.submits()).toHaveLength(0);
			const polled = await generate(
				{ callbackFallback: 'poll' },
				{ nodeType: 'n8n-nodes-zimage.zImageTool' },
			);
			expect(polled.items[0].json.taskId).toMatch(/^task-unified-/);
		});
	},
);

test('Wait Mode is offered for Evolink, ODKKK, fal.ai and Replicate Generate only, Poll by default', () => {
	const properties = new ZImage().description.properties.filter((p) => p.name === 'waitMode');
	expect(properties).toHaveLength(4);
	for (const property of properties) {
		expect(property.default).toBe('poll');
		expect(property.displayOptions?.show?.operation).toEqual(['generate']);
	}
	expect(properties.map((p) => p.displayOptions?.show?.provider)).toEqual([
		['evolink'],
		['odkkk'],
		['fal'],
		['replicate'],
	]);
});
