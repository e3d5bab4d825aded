/**
 * Replicate (issue #24) against its simulator: what goes on the wire (the model endpoint or a
 * pinned version, Authorization: Bearer, Prefer: wait, each model's input), a create answered with
 * the images (one create, one download), a prediction not finished within the hold followed at
 * its urls.get, a create whose answer was lost found again in the account's predictions instead
 * of being sent again, failures in Replicate's words, Get Task (an expired prediction said so),
 * Delete Task as cancel, Health, the credential's Test, and Wait Mode "Provider Callback".
 */
import { type IDataObject, sleep } from 'n8n-workflow';

import { replicate } from '../nodes/ZImage/providers/replicate';
import { failureOf, imageItem, runCredentialTest, runNode } from './harness';
import { decodeImage, makePng } from './simulators/images';
import {
	IMG2IMG,
	ReplicateSimulator,
	type ReplicateSimOptions,
	TURBO,
	TURBO_LORA,
	VERSIONS,
} from './simulators/replicate';
import { json, SimulatorServer } from './simulators/server';

let sim: ReplicateSimulator;
const WRONG_TOKEN = ['r8', 'wrongwrongwrong'].join('_');
const start = async (options: ReplicateSimOptions = {}) => {
	sim = await new ReplicateSimulator({ taskMs: 300, ...options }).start();
};
afterEach(async () => await sim?.stop());

const credentials = (extra: IDataObject = {}) => ({
	zImageReplicateApi: { apiKey: sim.apiKey, baseUrl: sim.url, ...extra },
});
const run = (parameters: IDataObject, extra: Partial<Parameters<typeof runNode>[0]> = {}) =>
	runNode({
		parameters: { provider: 'replicate', ...parameters },
		credentials: credentials(),
		...extra,
	});
const generate = (
	parameters: IDataObject = {},
	extra: Partial<Parameters<typeof runNode>[0]> = {},
) => run({ operation: 'generate', prompt: 'a lighthouse', ...parameters }, extra);
const edit = (parameters: IDataObject = {}, extra: Partial<Parameters<typeof runNode>[0]> = {}) =>
	run(
		{ operation: 'edit', prompt: 'make it snow', inputImageFields: 'data', ...parameters },
		{ items: [imageItem({ data: makePng(640, 480, 3) })], ...extra },
	);
const paths = () => sim.api.requests.map((r) => `${r.method} ${r.path}`);

describe('Generate', () => {
	beforeEach(async () => await start());

	test('one held create at the model endpoint, Bearer, the input the model takes; one download; what Replicate reports', async () => {
		const result = await generate({
			replicateWidth: 1280,
			replicateHeight: 720,
			replicateSeed: 42,
		});
		expect(paths()).toEqual([`POST /v1/models/${TURBO}/predictions`]);
		const [create] = sim.creates();
		expect(create.headers.authorization).toBe(`Bearer ${sim.apiKey}`);
		expect(create.headers.prefer).toBe('wait=60');
		expect(create.json).toEqual({
			input: {
				prompt: 'a lighthouse',
				width: 1280,
				height: 720,
				num_inference_steps: 8,
				guidance_scale: 0,
				seed: 42,
				output_format: 'png',
			},
		});
		const [prediction] = sim.predictions.values();
		expect(result.items).toHaveLength(1);
		expect(result.items[0].json).toMatchObject({
			provider: 'replicate',
			model: TURBO,
			taskId: prediction.id,
			status: 'completed',
			prompt: 'a lighthouse',
			seed: 42,
			width: 1280,
			height: 720,
			mimeType: 'image/png',
			version: VERSIONS[TURBO],
			predictTime: 0.25,
		});
		expect(await decodeImage(await result.binary(0))).toEqual({
			format: 'png',
			width: 1280,
			height: 720,
		});
		// The file host gets exactly one request, and no token.
		expect(sim.cdn.requests).toHaveLength(1);
		expect(JSON.stringify(sim.cdn.requests[0].headers)).not.toContain(sim.apiKey);
	});

	test('a random seed is read from the logs; JPEG with its quality; LoRAs go to the LoRA model', async () => {
		const result = await generate({
			replicateOutputFormat: 'jpg',
			replicateOutputQuality: 95,
			replicateSteps: 12,
			replicateGuidanceScale: 1.5,
			replicateLoras: {
				lora: [
					{ url: 'https://huggingface.co/owner/repo/resolve/main/style.safetensors', scale: 0.8 },
					{ url: 'https://example.com/second.zip', scale: 1 },
				],
			},
		});
		const [create] = sim.creates();
		expect(create.path).toBe(`/v1/models/${TURBO_LORA}/predictions`);
		expect(create.json).toEqual({
			input: {
				prompt: 'a lighthouse',
				width: 1024,
				height: 1024,
				num_inference_steps: 12,
				guidance_scale: 1.5,
				output_format: 'jpg',
				output_quality: 95,
				lora_weights: [
					'https://huggingface.co/owner/repo/resolve/main/style.safetensors',
					'https://example.com/second.zip',
				],
				lora_scales: [0.8, 1],
			},
		});
		const [prediction] = sim.predictions.values();
		expect(result.items[0].json).toMatchObject({
			model: TURBO_LORA,
			seed: prediction.seed,
			mimeType: 'image/jpeg',
		});
	});

	test('a pinned version is created at /v1/predictions with that version', async () => {
		const result = await generate({ replicateVersion: `${TURBO}:${VERSIONS[TURBO]}` });
		const [create] = sim.creates();
		expect(create.path).toBe('/v1/predictions');
		expect(create.json).toMatchObject({
			version: VERSIONS[TURBO],
			input: { prompt: 'a lighthouse' },
		});
		expect(result.items[0].json).toMatchObject({ model: TURBO, version: VERSIONS[TURBO] });
	});

	test.each([
		[{ replicateWidth: 2049 }, /^Invalid Width 2049: a whole number from 64 to 2048/],
		[
			{ replicateWidth: 1600, replicateLoras: { lora: [{ url: 'https://e.com/a.safetensors' }] } },
			/^Invalid Width 1600: a whole number from 64 to 1440/,
		],
		[{ replicateSteps: 51 }, /^Invalid Inference Steps 51: a whole number from 1 to 50/],
		[{ replicateGuidanceScale: 21 }, /^Invalid Guidance Scale 21: a number from 0 to 20/],
		[
			{ replicateOutputFormat: 'webp', replicateOutputQuality: 101 },
			/^Invalid Output Quality 101: a whole number from 0 to 100/,
		],
		[
			{ replicateVersion: 'latest' },
			/^Invalid Model Version "latest": a version ID is 64 hexadecimal/,
		],
		[
			{ replicateLoras: { lora: [{ url: 'http://192.168.1.5/l.safetensors', scale: 1 }] } },
			/^Invalid LoRA URL .*192\.168\.1\.5 is a private or loopback address, which Replicate cannot reach/,
		],
		[
			{ replicateLoras: { lora: [{ url: '', scale: 1 }] } },
			/^Invalid LoRA URL "": the URL of the weights is required/,
		],
	])('refused before anything is sent: %j', async (parameters, message) => {
		const error = await failureOf(generate(parameters));
		expect(error.message).toMatch(message);
		expect(error.description).toMatch(/^Nothing was sent to the provider/);
		expect(sim.api.requests).toHaveLength(0);
	});

	test('twenty items: twenty creates, twenty downloads, no looks', async () => {
		const items = Array.from({ length: 20 }, (_, index) => ({ json: { prompt: `p${index}` } }));
		const result = await generate({ prompt: '={{ $json.prompt }}' }, { items });
		expect(result.items.map((item) => item.json.status)).toEqual(Array(20).fill('completed'));
		expect(sim.creates()).toHaveLength(20);
		expect(sim.looks()).toHaveLength(0);
		expect(sim.cdn.requests).toHaveLength(20);
	});
});

describe('the hold', () => {
	test('a prediction not finished when the hold ends is looked up at its urls.get, then downloaded', async () => {
		await start({ taskMs: 1500, holdCapMs: 200 });
		const result = await generate();
		const [prediction] = sim.predictions.values();
		expect(sim.creates()).toHaveLength(1);
		expect(sim.looks().length).toBeGreaterThanOrEqual(1);
		expect(sim.looks().every((r) => r.path === `/v1/predictions/${prediction.id}`)).toBe(true);
		expect(result.items[0].json).toMatchObject({ taskId: prediction.id, status: 'completed' });
	});

	test.each([
		[{ maxWaitSeconds: 20 }, 'wait=15'],
		[{ maxWaitSeconds: 3 }, 'wait=1'],
		[{ requestTimeoutSeconds: 10 }, 'wait=10'],
	])(
		'the hold stays within Max Wait and a Request Timeout set: %j → %s',
		async (options, prefer) => {
			await start();
			await generate({ options });
			expect(sim.creates()[0].headers.prefer).toBe(prefer);
		},
	);

	test('without waiting there is no hold: the create answers at once and the prediction is output as it stands', async () => {
		await start({ taskMs: 800 });
		const result = await generate({ options: { waitForCompletion: false } });
		expect(sim.creates()[0].headers.prefer).toBeUndefined();
		expect(result.items[0].json).toMatchObject({ status: 'queued' });
	});
});

describe('cancelling during the hold', () => {
	test('ends the node within a second, and nothing more is sent (no look for the prediction)', async () => {
		await start({ taskMs: 5000 });
		const controller = new AbortController();
		const running = generate({}, { abortSignal: controller.signal });
		for (let i = 0; i < 100 && sim.creates().length === 0; i++) await sleep(20);
		await sleep(200);
		const cancelledAt = Date.now();
		controller.abort();
		const error = await failureOf(running);
		expect(error.message).toBe('The execution was cancelled');
		expect(Date.now() - cancelledAt).toBeLessThan(1000);
		await sleep(500);
		expect(paths()).toEqual([`POST /v1/models/${TURBO}/predictions`]);
	});
});

describe('a create whose answer was lost', () => {
	test('the connection breaks during the hold after the prediction was made: it is found in the list, collected, and never created again', async () => {
		await start({ taskMs: 300 });
		sim.api.planFault(/^\/v1\/models\/.*\/predictions$/, 1, { kind: 'lose' });
		const result = await generate({ replicateSeed: 7 });
		const [prediction] = sim.predictions.values();
		expect(sim.predictions.size).toBe(1);
		expect(sim.creates()).toHaveLength(1);
		expect(sim.lists()).toHaveLength(1);
		expect(sim.lists()[0].headers.authorization).toBe(`Bearer ${sim.apiKey}`);
		expect(result.items[0].json).toMatchObject({
			taskId: prediction.id,
			status: 'completed',
			seed: 7,
		});
	});

	test('the connection breaks before anything was made: the list shows nothing, the item fails without a second create', async () => {
		await start();
		sim.api.planFault(/^\/v1\/models\/.*\/predictions$/, 1, { kind: 'reset' });
		const error = await failureOf(generate());
		expect(error.message).toMatch(
			/^Replicate \(generate\): Could not get an answer from Replicate at 127\.0\.0\.1:\d+: the connection was reset; the task may or may not have been created, so it was not sent again$/,
		);
		expect(sim.creates()).toHaveLength(1);
		expect(sim.lists()).toHaveLength(1);
		expect(sim.predictions.size).toBe(0);
	});

	test("the list cannot be read either: the create's own error stands, nothing is created again", async () => {
		await start();
		sim.api.planFault(/^\/v1\/models\/.*\/predictions$/, 1, { kind: 'lose' });
		sim.api.planFault(/^\/v1\/predictions$/, 1, {
			kind: 'reply',
			reply: json(403, { title: 'Forbidden', detail: 'no listing', status: 403 }),
		});
		const error = await failureOf(generate());
		expect(error.message).toMatch(
			/^Replicate \(generate\): Could not get an answer from Replicate at 127\.0\.0\.1:\d+: the connection was reset; the task may or may not have been created, so it was not sent again$/,
		);
		expect(sim.creates()).toHaveLength(1);
		expect(sim.lists()).toHaveLength(1);
	});

	test('two recent predictions from the same input cannot be told apart: the item fails naming both, nothing is created again', async () => {
		await start();
		const earlier = await generate({ options: { waitForCompletion: false } });
		sim.api.planFault(/^\/v1\/models\/.*\/predictions$/, 1, { kind: 'lose' });
		const error = await failureOf(generate());
		const ids = [...sim.predictions.keys()];
		expect(ids).toContain(earlier.items[0].json.taskId);
		expect(error.message).toContain(
			`Replicate lists 2 predictions made from this same input since (${[...ids].reverse().join(', ')})`,
		);
		expect(sim.creates()).toHaveLength(2);
	});
});

describe('failures in Replicate words', () => {
	beforeEach(async () => await start());

	test('a prediction that fails: the item fails with its error and its id, nothing is created again', async () => {
		sim.failNextPrediction('CUDA out of memory');
		const error = await failureOf(generate());
		const [prediction] = sim.predictions.values();
		expect(error.message).toBe(
			`Replicate (generate, task ${prediction.id}): the task failed: CUDA out of memory`,
		);
		expect(sim.creates()).toHaveLength(1);
	});

	test('a refused input (422) names the field', async () => {
		sim.api.planFault(/predictions$/, 1, {
			kind: 'reply',
			reply: json(422, {
				title: 'Input validation failed',
				detail: '- input.width: Must be less than or equal to 1440\n',
				status: 422,
				invalid_fields: [
					{
						type: 'number_lte',
						field: 'input.width',
						description: 'Must be less than or equal to 1440',
					},
				],
			}),
		});
		const error = await failureOf(generate({ replicateWidth: 2048 }));
		expect(error.message).toBe(
			'Replicate (generate): Replicate refused the input (HTTP 422): input.width: Must be less than or equal to 1440 (parameter: input.width)',
		);
	});

	test('a pinned version Replicate does not know is its own words', async () => {
		const error = await failureOf(generate({ replicateVersion: 'a'.repeat(64) }));
		expect(error.message).toBe(
			"Replicate (generate): Replicate refused the input (HTTP 422): The specified version does not exist (or perhaps you don't have permission to use it?)",
		);
	});

	test('no credit (402) says where to add it', async () => {
		sim.api.planFault(/predictions$/, 1, {
			kind: 'reply',
			reply: json(402, {
				title: 'Insufficient credit',
				detail: 'You have insufficient credit to run this model.',
				status: 402,
			}),
		});
		const error = await failureOf(generate());
		expect(error.message).toBe(
			'Replicate (generate): Replicate refused the prediction for credit (HTTP 402): You have insufficient credit to run this model.',
		);
		expect(error.description).toContain('https://replicate.com/account/billing');
	});

	test("a 429's detail reaches the classifier as a rate refusal: the create is sent again, and its words are shown when it persists", async () => {
		const throttled = json(
			429,
			{
				title: 'Request was throttled',
				detail: 'Request was throttled. Your rate limit resets in ~1s.',
				status: 429,
			},
			{ 'retry-after': '0' },
		);
		sim.api.planFault(/predictions$/, 1, { kind: 'reply', reply: throttled });
		const result = await generate();
		expect(result.items[0].json.status).toBe('completed');
		expect(sim.creates()).toHaveLength(2);
		expect(sim.predictions.size).toBe(1);
		// What the shared pacing reads: a refusal that was not accepted, with Replicate's words.
		const failure = replicate.readFailure({
			statusCode: 429,
			headers: {},
			body: throttled.body,
		});
		expect(failure).toMatchObject({
			notAccepted: true,
			message:
				'Replicate is rate limiting requests (HTTP 429): Request was throttled. Your rate limit resets in ~1s.',
		});
		expect(sim.predictions.size).toBe(1);
	});

	test('a wrong token is named, and the token never appears', async () => {
		const error = await failureOf(
			runNode({
				parameters: { provider: 'replicate', operation: 'generate', prompt: 'x' },
				credentials: credentials({ apiKey: WRONG_TOKEN }),
			}),
		);
		expect(error.message).toBe(
			'Replicate (generate): Replicate rejected the API token: You did not pass a valid authentication token',
		);
		expect(JSON.stringify(error)).not.toContain(WRONG_TOKEN);
	});
});

describe('Edit', () => {
	beforeEach(async () => await start());

	test('the input binary goes to z-image-turbo-img2img as a data URI, with strength; the output is the source size', async () => {
		const source = makePng(640, 480, 3);
		const result = await edit({ replicateStrength: 0.35 });
		const [create] = sim.creates();
		expect(create.path).toBe(`/v1/models/${IMG2IMG}/predictions`);
		const input = (create.json as IDataObject).input as IDataObject;
		expect(input).toMatchObject({ prompt: 'make it snow', strength: 0.35, output_format: 'png' });
		expect(input.image).toBe(`data:image/png;base64,${source.toString('base64')}`);
		expect(input.width).toBeUndefined();
		expect(result.items[0].json).toMatchObject({ width: 640, height: 480, mimeType: 'image/png' });
		// The inline source image is not echoed back in full in the output.
		expect(JSON.stringify(result.items[0].json).length).toBeLessThan(
			source.toString('base64').length,
		);
	});

	test('a public image URL goes as it is; a private one is refused before anything is sent', async () => {
		await run(
			{
				operation: 'edit',
				prompt: 'snow',
				replicateImageUrl: 'https://images.example.com/house.png',
			},
			{ items: [{ json: {} }] },
		);
		expect((sim.creates()[0].json as IDataObject).input).toMatchObject({
			image: 'https://images.example.com/house.png',
			strength: 0.6,
		});
		const error = await failureOf(
			run(
				{ operation: 'edit', prompt: 'snow', replicateImageUrl: 'http://127.0.0.1:8080/x.png' },
				{ items: [{ json: {} }] },
			),
		);
		expect(error.message).toMatch(
			/^Invalid Source Image URL "http:\/\/127\.0\.0\.1:8080\/x\.png": 127\.0\.0\.1 is a private or loopback address, which Replicate cannot reach$/,
		);
		expect(sim.creates()).toHaveLength(1);
	});
});

describe('Get Task and Delete Task', () => {
	test('a running prediction shows its progress from the logs; when done, Get Task downloads it', async () => {
		await start({ taskMs: 1500 });
		const submitted = await generate({ options: { waitForCompletion: false } });
		const taskId = submitted.items[0].json.taskId;
		await sleep(700);
		const running = await run({ operation: 'getTask', taskId });
		expect(running.items[0].json.status).toBe('processing');
		expect(running.items[0].json.progress).toBeGreaterThan(20);
		expect(running.items[0].json.progress).toBeLessThan(90);
		expect(sim.looks().at(-1)!.path).toBe(`/v1/predictions/${String(taskId)}`);
		const done = await run({ operation: 'getTask', taskId, options: { waitForCompletion: true } });
		expect(done.items[0].json).toMatchObject({ status: 'completed', mimeType: 'image/png' });
	});

	test('a prediction whose data Replicate removed (an hour after it ended) says so', async () => {
		await start({ taskMs: 50, retentionMs: 100 });
		const submitted = await generate({ options: { waitForCompletion: false } });
		await sleep(300);
		const looked = await run({ operation: 'getTask', taskId: submitted.items[0].json.taskId });
		expect(looked.items[0].json).toMatchObject({
			status: 'failed',
			error: {
				code: 'data_removed',
				message: expect.stringMatching(
					/^Replicate has removed this prediction's output: it deletes the files of predictions made through the API an hour after they end/,
				),
			},
		});
		expect(sim.cdn.requests).toHaveLength(0);
	});

	test('Delete Task cancels each prediction at its cancel address; a look then shows it canceled', async () => {
		await start({ taskMs: 3000 });
		const ids = [];
		for (let i = 0; i < 2; i++)
			ids.push((await generate({ options: { waitForCompletion: false } })).items[0].json.taskId);
		const result = await run({ operation: 'deleteTask', taskId: ids.join(', ') });
		expect(sim.cancels().map((r) => r.path)).toEqual(
			ids.map((id) => `/v1/predictions/${id}/cancel`),
		);
		expect(result.items[0].json).toMatchObject({ provider: 'replicate', deleted: ids });
		const looked = await run({ operation: 'getTask', taskId: ids[1] });
		expect(looked.items[0].json).toMatchObject({
			status: 'failed',
			error: { code: 'canceled', message: 'the prediction was canceled' },
		});
	});

	test('a prediction id of another shape is refused before anything is sent', async () => {
		await start();
		const error = await failureOf(run({ operation: 'getTask', taskId: 'Task-1_abc' }));
		expect(error.message).toMatch(
			/a Replicate prediction ID looks like gm3qorzdhgbfurvjtvhg6dckhu/,
		);
		expect(sim.api.requests).toHaveLength(0);
	});

	test('a urls.get on another host is never asked, and the error says why', async () => {
		await start({ taskMs: 1000, holdCapMs: 0 });
		const elsewhere = new SimulatorServer(() => json(200, { status: 'succeeded' }));
		await elsewhere.start();
		try {
			sim.api.planFault(/predictions$/, 1, {
				kind: 'reply',
				reply: json(201, {
					id: 'abcdefghij0123456789abcdef',
					status: 'starting',
					urls: { get: `${elsewhere.url}/v1/predictions/abcdefghij0123456789abcdef` },
				}),
			});
			const error = await failureOf(generate());
			expect(error.message).toContain('Replicate handed back an address on another host');
			expect(elsewhere.requests).toHaveLength(0);
		} finally {
			await elsewhere.stop();
		}
	});
});

describe('Health and the credential Test', () => {
	beforeEach(async () => await start());

	test('Health reads the account and the model, creates nothing', async () => {
		const healthy = await run({ operation: 'health' });
		expect(healthy.items[0].json).toMatchObject({
			reachable: true,
			keyAccepted: true,
			modelAvailable: true,
			account: 'zimage-tester',
			latestVersion: VERSIONS[TURBO],
		});
		expect(paths()).toEqual(['GET /v1/account', `GET /v1/models/${TURBO}`]);
	});

	test.each([
		['a right token', () => sim.apiKey, undefined],
		[
			'a wrong token',
			() => 'r8_wrong',
			'Replicate rejected the API token: check it against replicate.com/account/api-tokens',
		],
	])('the Test button with %s asks GET /v1/account only', async (_name, key, message) => {
		const answer = await runCredentialTest('zImageReplicateApi', {
			apiKey: key(),
			baseUrl: sim.url,
		});
		expect(answer.message).toBe(message);
		expect(answer.ok).toBe(message === undefined);
		expect(paths()).toEqual(['GET /v1/account']);
	});
});

describe('Wait Mode "Provider Callback" through webhook', () => {
	const PUBLIC = 'https://n8n.example.com/';

	test('the create names the resume URL for "completed" and is not held; a forged callback outputs nothing; the prediction is read back with the token', async () => {
		await start({ taskMs: 800 });
		const parked = await generate({ waitMode: 'callback' }, { webhookUrl: PUBLIC });
		const [create] = sim.creates();
		expect(create.headers.prefer).toBeUndefined();
		const body = create.json as IDataObject;
		expect(body.webhook).toMatch(
			/^https:\/\/n8n\.example\.com\/webhook-waiting\/execution-test-\d+\?signature=[0-9a-f]{64}&zimage_item=0$/,
		);
		expect(body.webhook_events_filter).toEqual(['completed']);
		expect(parked.waitTill).toBeDefined();
		const elsewhere = new SimulatorServer(() => ({ status: 200, body: makePng(8, 8) }));
		await elsewhere.start();
		try {
			const [prediction] = sim.predictions.values();
			const forged = await parked.resume({
				query: { zimage_item: '0' },
				body: { id: prediction.id, status: 'succeeded', output: `${elsewhere.url}/forged.png` },
			});
			expect(forged.workflowData).toBeUndefined();
			expect(elsewhere.requests).toHaveLength(0);
			await sleep(1000);
			const looks = sim.looks().length;
			const done = await parked.resume({
				query: { zimage_item: '0' },
				body: sim.view(prediction),
			});
			const items = done.workflowData?.[0] ?? [];
			expect(items.map((item) => [item.json.taskId, item.json.mimeType])).toEqual([
				[prediction.id, 'image/png'],
			]);
			const read = sim.looks().slice(looks);
			expect(read.map((r) => r.headers.authorization)).toEqual([`Bearer ${sim.apiKey}`]);
			expect(elsewhere.requests).toHaveLength(0);
		} finally {
			await elsewhere.stop();
		}
	});

	test('a resume URL that is not public https is refused before anything is sent', async () => {
		await start();
		const error = await failureOf(generate({ waitMode: 'callback' }));
		expect(error.message).toMatch(
			/^Wait Mode "Provider Callback" is not possible: this n8n's resume URL \(http:\/\/localhost:5678\/webhook-waiting\/execution-test-\d+\) will not do: only HTTPS is accepted/,
		);
		expect(sim.api.requests).toHaveLength(0);
	});
});
