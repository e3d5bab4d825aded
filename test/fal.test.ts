/**
 * fal.ai (issue #23) against its simulator: what goes on the wire (paths, Authorization: Key,
 * the input JSON of each endpoint), the addresses the submission gave followed as given, the
 * queue that never refuses, a failed request read from its status or its result, cancel,
 * Health and the credential's Test, and the outputs a user sees.
 */
import { type IDataObject, type IWebhookResponseData, sleep } from 'n8n-workflow';

import { startTlsFront } from '../e2e/lib/tlsFront';
import { failureOf, imageItem, runCredentialTest, runNode, type RunResult } from './harness';
import { APP, FalSimulator, type FalSimOptions } from './simulators/fal';
import { decodeImage, makeNoisyPng, makePng } from './simulators/images';
import { json, SimulatorServer } from './simulators/server';

let sim: FalSimulator;
const start = async (options: FalSimOptions = {}) => {
	sim = await new FalSimulator({ taskMs: 200, ...options }).start();
};
afterEach(async () => await sim?.stop());

const credentials = (extra: IDataObject = {}) => ({
	zImageFalApi: { apiKey: sim.apiKey, baseUrl: sim.url, ...extra },
});
const run = (parameters: IDataObject, extra: Partial<Parameters<typeof runNode>[0]> = {}) =>
	runNode({ parameters: { provider: 'fal', ...parameters }, credentials: credentials(), ...extra });
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

	test('Turbo: the JSON fal takes, Authorization: Key, the addresses it gave, one image with what fal reports', async () => {
		const result = await generate({ falImageSize: 'landscape_16_9' });
		const [submit] = sim.submits();
		expect(submit.path).toBe(`${APP}/turbo`);
		expect(submit.headers.authorization).toBe(`Key ${sim.apiKey}`);
		// fal's own queue retries its 503/504/429: the node does not opt out (docs/providers/fal.md).
		expect(submit.headers['x-fal-no-retry']).toBeUndefined();
		expect(submit.json).toEqual({
			prompt: 'a lighthouse',
			image_size: 'landscape_16_9',
			num_images: 1,
			output_format: 'png',
			acceleration: 'regular',
			enable_safety_checker: true,
		});
		const [request] = sim.requests.values();
		// Status at the status_url (with logs), the result once at the response_url.
		expect(sim.statusLooks().every((r) => r.path === `${APP}/requests/${request.id}/status`)).toBe(
			true,
		);
		expect(sim.statusLooks().every((r) => r.query.get('logs') === '1')).toBe(true);
		expect(sim.results().map((r) => r.path)).toEqual([`${APP}/requests/${request.id}`]);
		expect(result.items).toHaveLength(1);
		expect(result.items[0].json).toMatchObject({
			provider: 'fal',
			model: 'fal-ai/z-image/turbo',
			taskId: request.id,
			status: 'completed',
			prompt: 'a lighthouse',
			seed: request.seed,
			width: 1024,
			height: 576,
			mimeType: 'image/png',
			fileName: `${request.id}-0.png`,
			hasNsfwConcept: false,
			timings: { inference: 0.2 },
			billableUnits: 0.5898,
		});
		expect(await decodeImage(await result.binary(0))).toEqual({
			format: 'png',
			width: 1024,
			height: 576,
		});
		// The CDN gets no key.
		expect(sim.cdn.requests).toHaveLength(1);
		expect(JSON.stringify(sim.cdn.requests[0].headers)).not.toContain(sim.apiKey);
	});

	test('Base: custom size, steps, seed, negative prompt, guidance, JPEG, two images', async () => {
		const result = await generate({
			falModel: 'fal-ai/z-image/base',
			falImageSize: 'custom',
			falWidth: 1280,
			falHeight: 720,
			falSteps: 30,
			falSeed: 42,
			falNegativePrompt: 'blurry',
			falGuidanceScale: 5.5,
			falOutputFormat: 'jpeg',
			falAcceleration: 'high',
			falSafetyChecker: false,
			falNumImages: 2,
		});
		const [submit] = sim.submits();
		expect(submit.path).toBe(`${APP}/base`);
		expect(submit.json).toEqual({
			prompt: 'a lighthouse',
			image_size: { width: 1280, height: 720 },
			num_inference_steps: 30,
			seed: 42,
			num_images: 2,
			output_format: 'jpeg',
			acceleration: 'high',
			enable_safety_checker: false,
			negative_prompt: 'blurry',
			guidance_scale: 5.5,
		});
		expect(
			result.items.map((item) => [item.json.index, item.json.seed, item.json.mimeType]),
		).toEqual([
			[0, 42, 'image/jpeg'],
			[1, 42, 'image/jpeg'],
		]);
		expect(await decodeImage(await result.binary(1))).toEqual({
			format: 'jpeg',
			width: 1280,
			height: 720,
		});
	});

	test.each([
		['fal-ai/z-image/turbo', `${APP}/turbo/lora`],
		['fal-ai/z-image/base', `${APP}/base/lora`],
	])('%s with LoRAs goes to its LoRA endpoint', async (model, path) => {
		const loras = {
			lora: [
				{ path: 'https://huggingface.co/owner/repo/resolve/main/style.safetensors', scale: 0.8 },
				{ path: 'owner/other-lora', scale: 1 },
			],
		};
		const result = await generate({ falModel: model, falLoras: loras, falPromptExpansion: true });
		const [submit] = sim.submits();
		expect(submit.path).toBe(path);
		expect((submit.json as IDataObject).loras).toEqual(loras.lora);
		// Prompt expansion is Turbo's.
		expect((submit.json as IDataObject).enable_prompt_expansion).toBe(
			model.endsWith('turbo') ? true : undefined,
		);
		expect(result.items[0].json.model).toBe(path.slice(1));
	});

	test.each([
		[{ falSteps: 9 }, /^Invalid Inference Steps 9: a whole number from 0 to 8/],
		[{ falModel: 'fal-ai/z-image/base', falSteps: 51 }, /^Invalid Inference Steps 51: .*0 to 50/],
		[{ falNumImages: 5 }, /^Invalid Number of Images 5: a whole number from 1 to 4/],
		[
			{ falImageSize: 'custom', falWidth: 4096, falHeight: 4096 },
			/^Invalid Width "4096x4096": 4096×4096 is 16,777,216 pixels; fal.ai makes at most 4 megapixels/,
		],
		[{ falImageSize: 'auto' }, /^Invalid Image Size "auto": allowed: /],
		[
			{ falLoras: { lora: [1, 2, 3, 4].map(() => ({ path: 'a/b', scale: 1 })) } },
			/^Invalid LoRAs "4 LoRAs": at most 3 LoRAs, this has 4$/,
		],
		[
			{ falLoras: { lora: [{ path: 'not a path', scale: 1 }] } },
			/^Invalid LoRA Path "not a path": a URL, or a Hugging Face path/,
		],
		[
			{ falLoras: { lora: [{ path: 'http://10.0.0.5/lora.safetensors', scale: 1 }] } },
			/^Invalid LoRA Path .*10\.0\.0\.5 is a private or loopback address/,
		],
		[
			{ falLoras: { lora: [{ path: 'a/b', scale: 5 }] } },
			/^Invalid LoRA Scale 5: a number from 0 to 4/,
		],
		[{ falModel: 'fal-ai/flux/dev' }, /^Invalid Model "fal-ai\/flux\/dev": allowed: /],
	])('refused before anything is sent: %j', async (parameters, message) => {
		const error = await failureOf(generate(parameters));
		expect(error.message).toMatch(message);
		expect(error.description).toMatch(/^Nothing was sent to the provider/);
		expect(sim.api.requests).toHaveLength(0);
	});

	test('fal queues instead of refusing: six items on an account that runs two all go in at once and all finish', async () => {
		await sim.stop();
		// Requests of a second: all six submissions go in before the first ends, even on a busy machine.
		await start({ taskMs: 1000, maxRunning: 2 });
		const items = Array.from({ length: 6 }, (_, index) => ({ json: { prompt: `p${index}` } }));
		const result = await generate({ prompt: '={{ $json.prompt }}' }, { items });
		expect(result.items.map((item) => item.json.status)).toEqual(Array(6).fill('completed'));
		// Six submissions, none repeated, all before the first request ended: a long queue is not a refusal.
		const submits = sim.submits();
		expect(submits).toHaveLength(6);
		const firstDone = Math.min(...[...sim.requests.values()].map((r) => r.doneAt));
		expect(Math.max(...submits.map((s) => s.at))).toBeLessThan(firstDone);
		expect(sim.peakRunning).toBe(2);
		// The last ones waited in the queue for others to end: at least one whole task (two when all
		// six go in at the same instant, less when a busy machine spreads the submissions).
		const last = [...sim.requests.values()].at(-1)!;
		expect(last.startAt - last.submittedAt).toBeGreaterThanOrEqual(1000);
	});
});

describe('Edit', () => {
	beforeEach(async () => await start());

	test('the input binary goes out as a data URI, with strength; Auto keeps the source size', async () => {
		const source = makePng(640, 480, 3);
		const result = await edit({ falStrength: 0.35 });
		const [submit] = sim.submits();
		expect(submit.path).toBe(`${APP}/turbo/image-to-image`);
		const body = submit.json as IDataObject;
		expect(body).toMatchObject({ prompt: 'make it snow', image_size: 'auto', strength: 0.35 });
		expect(body.image_url).toBe(`data:image/png;base64,${source.toString('base64')}`);
		expect(result.items[0].json).toMatchObject({ width: 640, height: 480, mimeType: 'image/png' });
	});

	test('a public image URL goes to fal as it is (fal fetches it); with LoRAs, the LoRA endpoint', async () => {
		const result = await run(
			{
				operation: 'edit',
				prompt: 'make it snow',
				falImageUrl: 'https://images.example.com/house.png',
				falImageSize: 'square_hd',
				falLoras: { lora: [{ path: 'owner/winter', scale: 1.2 }] },
			},
			{ items: [{ json: {} }] },
		);
		const [submit] = sim.submits();
		expect(submit.path).toBe(`${APP}/turbo/image-to-image/lora`);
		expect(submit.json).toMatchObject({
			image_url: 'https://images.example.com/house.png',
			image_size: 'square_hd',
			strength: 0.6,
			loras: [{ path: 'owner/winter', scale: 1.2 }],
		});
		expect(result.items[0].json).toMatchObject({ width: 1024, height: 1024 });
	});

	test.each([
		[
			'an image URL on this machine',
			{ falImageUrl: 'http://127.0.0.1:8080/x.png' },
			/^Invalid Source Image URL "http:\/\/127\.0\.0\.1:8080\/x\.png": 127\.0\.0\.1 is a private or loopback address, which fal\.ai cannot reach$/,
		],
		[
			'a file: URL',
			{ falImageUrl: 'file:///etc/passwd' },
			/^Invalid Source Image URL .*an http:\/\/ or https:\/\/ URL is required$/,
		],
		[
			'two binary fields',
			{ inputImageFields: 'data, data' },
			/^Invalid Input Image Fields "data, data": fal\.ai takes one source image/,
		],
		[
			'a binary over Max Download Size',
			{ options: { maxDownloadMb: 1 }, __big: true },
			/^Invalid Input Image Fields "data": the image is \d+ bytes, over Max Download Size \(1048576 bytes\)/,
		],
	])('refused before anything is sent: %s', async (_name, parameters, message) => {
		const { __big, ...rest } = parameters as IDataObject;
		const items = __big ? [imageItem({ data: makeBigPng() })] : undefined;
		const error = await failureOf(edit(rest, items ? { items } : {}));
		expect(error.message).toMatch(message);
		expect(sim.api.requests).toHaveLength(0);
	});

	test('without a source image: the field is named, nothing is sent', async () => {
		const error = await failureOf(edit({}, { items: [{ json: {} }] }));
		expect(error.message).toMatch(
			/^Invalid Input Image Fields "data": the input item has no binary data/,
		);
		expect(sim.api.requests).toHaveLength(0);
	});
});

/** A real PNG of a little over 1 MB (uncompressed random pixels). */
const makeBigPng = () => makeNoisyPng(600, 600);

describe('a request that fails on fal', () => {
	const contentPolicy = {
		status: 422,
		body: {
			detail: [
				{
					loc: ['body', 'prompt'],
					msg: 'The content could not be processed because it contained material flagged by a content checker.',
					type: 'content_policy_violation',
				},
			],
		},
	};

	test.each([
		['only its result says so (422 at response_url)', false, 1],
		['its status says so (COMPLETED with error)', true, 0],
	])(
		"%s: the item fails with fal's reason, nothing is retried",
		async (_name, statusCarriesError, results) => {
			await start({ statusCarriesError });
			sim.failNextRequest(contentPolicy);
			const error = await failureOf(generate());
			const [request] = sim.requests.values();
			expect(error.message).toMatch(
				new RegExp(
					`^fal\\.ai \\(generate, task ${request.id}\\): the task failed: ${statusCarriesError ? '' : 'content_policy_violation: prompt: The content could not be processed'}`,
				),
			);
			expect(sim.submits()).toHaveLength(1);
			expect(sim.results()).toHaveLength(results);
		},
	);

	test('a request error fal keeps (504, request_timeout) is the task failing, temporarily, not a look to retry', async () => {
		await start();
		sim.failNextRequest({
			status: 504,
			body: { detail: 'Request timed out', error_type: 'request_timeout' },
			headers: { 'x-fal-error-type': 'request_timeout' },
		});
		const error = await failureOf(generate());
		expect(error.message).toMatch(
			/the task failed: request_timeout: Request timed out \(temporary: running the item again usually works\)$/,
		);
		expect(sim.results()).toHaveLength(1);
	});

	test('Get Task reports a failed request instead of failing', async () => {
		await start();
		sim.failNextRequest(contentPolicy);
		const submitted = await generate({ options: { waitForCompletion: false } });
		await sleep(400);
		const looked = await run({ operation: 'getTask', taskId: submitted.items[0].json.taskId });
		expect(looked.items[0].json).toMatchObject({
			status: 'failed',
			error: { code: 'content_policy_violation' },
		});
	});
});

describe('Get Task and Delete Task by request id', () => {
	beforeEach(async () => await start({ taskMs: 1200, maxRunning: 1 }));

	test("a typed request id is looked up under the queue app fal-ai/z-image; queue position and the logs' progress show", async () => {
		// Requests of 3 s: the looks below land in the first one's run however busy the machine.
		await sim.stop();
		await start({ taskMs: 3000, maxRunning: 1 });
		const first = await generate({ options: { waitForCompletion: false } });
		const second = await generate({ options: { waitForCompletion: false } });
		expect(first.items[0].json).toMatchObject({ status: 'queued', progress: 0 });
		await sleep(1200);
		const running = await run({ operation: 'getTask', taskId: first.items[0].json.taskId });
		const queued = await run({ operation: 'getTask', taskId: second.items[0].json.taskId });
		expect(running.items[0].json.status).toBe('processing');
		expect(running.items[0].json.progress).toBeGreaterThan(20);
		expect(running.items[0].json.progress).toBeLessThan(90);
		expect(queued.items[0].json).toMatchObject({ status: 'queued', raw: { queue_position: 0 } });
		const look = sim.statusLooks().at(-1)!;
		expect(look.path).toBe(`${APP}/requests/${String(second.items[0].json.taskId)}/status`);
		const done = await run({
			operation: 'getTask',
			taskId: first.items[0].json.taskId,
			options: { waitForCompletion: true },
		});
		expect(done.items[0].json).toMatchObject({ status: 'completed', mimeType: 'image/png' });
	});

	test('Delete Task cancels each request at fal-ai/z-image/requests/<id>/cancel', async () => {
		const ids = [];
		for (let i = 0; i < 2; i++)
			ids.push((await generate({ options: { waitForCompletion: false } })).items[0].json.taskId);
		const result = await run({ operation: 'deleteTask', taskId: ids.join(', ') });
		expect(sim.cancels().map((r) => r.path)).toEqual(
			ids.map((id) => `${APP}/requests/${id}/cancel`),
		);
		expect(result.items[0].json).toMatchObject({
			provider: 'fal',
			deleted: ids,
			raw: [{ status: 'CANCELLATION_REQUESTED' }, { status: 'CANCELLATION_REQUESTED' }],
		});
		const looked = await run({ operation: 'getTask', taskId: ids[1] });
		expect(looked.items[0].json).toMatchObject({
			status: 'failed',
			error: { message: 'Request was cancelled' },
		});
	});

	test('cancelling a request that already completed says so', async () => {
		await sim.stop();
		await start({ taskMs: 50 });
		const { items } = await generate();
		const error = await failureOf(run({ operation: 'deleteTask', taskId: items[0].json.taskId }));
		expect(error.message).toMatch(/fal\.ai did not cancel the request: it has already completed$/);
	});

	test('a request id of another shape is refused before anything is sent', async () => {
		const error = await failureOf(run({ operation: 'getTask', taskId: 'task-unified-1-abc_def' }));
		expect(error.message).toMatch(/a fal\.ai request ID looks like 80e732af-/);
		expect(sim.api.requests).toHaveLength(0);
	});
});

describe('the addresses the submission gave', () => {
	beforeEach(async () => await start());

	test('a status_url on another host is never asked, and the error says why', async () => {
		const elsewhere = new SimulatorServer(() => json(200, { status: 'COMPLETED' }));
		await elsewhere.start();
		try {
			sim.api.planFault(new RegExp(`^${APP}/turbo$`), 1, {
				kind: 'reply',
				reply: {
					status: 200,
					body: {
						status: 'IN_QUEUE',
						request_id: '0a1b2c3d-0000-4000-8000-00000000abcd',
						status_url: `${elsewhere.url}${APP}/requests/0a1b2c3d-0000-4000-8000-00000000abcd/status`,
						response_url: `${sim.url}${APP}/requests/0a1b2c3d-0000-4000-8000-00000000abcd`,
					},
				},
			});
			const error = await failureOf(generate());
			expect(error.message).toContain('fal.ai handed back an address on another host');
			expect(elsewhere.requests).toHaveLength(0);
		} finally {
			await elsewhere.stop();
		}
	});
});

describe('Health and the credential Test', () => {
	beforeEach(async () => await start());

	test('Health asks for a request that cannot exist: a right key is "not found", a wrong one named', async () => {
		const healthy = await run({ operation: 'health' });
		expect(healthy.items[0].json).toMatchObject({
			reachable: true,
			keyAccepted: true,
			httpStatus: 404,
		});
		expect(paths()).toEqual([`GET ${APP}/requests/00000000-0000-4000-8000-00006e386e70/status`]);
		const error = await failureOf(
			runNode({
				parameters: { provider: 'fal', operation: 'health' },
				credentials: credentials({ apiKey: 'fa1c0de0-0000-4000-8000-000000000002:0000' }),
			}),
		);
		expect(error.message).toBe(
			'fal.ai (health): fal.ai rejected the API key: No user found for Key ID and Secret',
		);
	});

	test.each([
		['a right key', () => sim.apiKey, undefined],
		[
			'a wrong key',
			() => 'fa1c0de0-0000-4000-8000-000000000002:ffff',
			'fal.ai rejected the API key: No user found for Key ID and Secret',
		],
		[
			'a key without its secret',
			() => 'fa1c0de0-0000-4000-8000-000000000002',
			"fal.ai rejected the API key: Invalid Key Authorization header format. Expected '<key_id>:<key_secret>'.",
		],
	])('the Test button with %s; nothing is submitted', async (_name, key, message) => {
		const answer = await runCredentialTest('zImageFalApi', { apiKey: key(), baseUrl: sim.url });
		expect(answer.message).toBe(message);
		expect(answer.ok).toBe(message === undefined);
		expect(sim.submits()).toHaveLength(0);
	});
});

describe('Wait Mode "Provider Callback" through fal_webhook', () => {
	const PUBLIC = 'https://n8n.example.com/';

	test('the submission names the resume URL; a forged callback outputs nothing; the result comes from response_url with the key', async () => {
		await start({ taskMs: 1000 });
		const parked = await generate({ waitMode: 'callback' }, { webhookUrl: PUBLIC });
		const [submit] = sim.submits();
		const hook = submit.query.get('fal_webhook') ?? '';
		expect(hook).toMatch(
			/^https:\/\/n8n\.example\.com\/webhook-waiting\/execution-test-\d+\?signature=[0-9a-f]{64}&zimage_item=0$/,
		);
		expect(parked.waitTill).toBeDefined();
		expect(parked.items[0].json.status).toBe('waiting for the provider to call back');
		// A forged "OK" naming another image, while the request still runs: nothing is output or fetched.
		const elsewhere = new SimulatorServer(() => ({ status: 200, body: makePng(8, 8) }));
		await elsewhere.start();
		try {
			const [request] = sim.requests.values();
			const forged = await parked.resume({
				query: { zimage_item: '0' },
				body: {
					request_id: request.id,
					status: 'OK',
					payload: { images: [{ url: `${elsewhere.url}/forged.png` }] },
				},
			});
			expect(forged.workflowData).toBeUndefined();
			expect(elsewhere.requests).toHaveLength(0);
			await sleep(1200);
			const results = sim.results().length;
			const done = await parked.resume({ query: { zimage_item: '0' }, body: { status: 'OK' } });
			const items = done.workflowData?.[0] ?? [];
			expect(items.map((item) => [item.json.taskId, item.json.mimeType])).toEqual([
				[request.id, 'image/png'],
			]);
			const fetched = sim.results().slice(results);
			expect(fetched.map((r) => r.headers.authorization)).toEqual([`Key ${sim.apiKey}`]);
			expect(elsewhere.requests).toHaveLength(0);
		} finally {
			await elsewhere.stop();
		}
	});

	test("fal's own webhook, through a TLS front as to an n8n behind its proxy, resumes the run with the images", async () => {
		let parked: RunResult | undefined;
		const outcomes: IWebhookResponseData[] = [];
		// The resume URL as n8n serves it: 409 while the execution still runs, then the node's webhook().
		const n8nWebhook = new SimulatorServer(async (request) => {
			if (!parked) return json(409, { message: 'the execution is still running' });
			const answer = await parked.resume({
				query: Object.fromEntries(request.query),
				body: request.json,
			});
			outcomes.push(answer);
			return json(200, answer.webhookResponse ?? {});
		});
		await n8nWebhook.start();
		const front = await startTlsFront(Number(new URL(n8nWebhook.url).port));
		try {
			await start({
				taskMs: 600,
				callbacks: { resolveTo: '127.0.0.1', trustSelfSigned: true },
				callbackRetryDelaysMs: [200, 400, 800],
			});
			parked = await generate({ waitMode: 'callback' }, { webhookUrl: front.url });
			for (let i = 0; i < 200 && !outcomes.some((o) => o.workflowData); i++) await sleep(50);
			const [request] = sim.requests.values();
			const items = outcomes.find((o) => o.workflowData)?.workflowData?.[0] ?? [];
			expect(items.map((item) => [item.json.taskId, item.json.status, item.json.mimeType])).toEqual(
				[[request.id, 'completed', 'image/png']],
			);
			const [hook] = n8nWebhook.requests;
			expect(hook.path).toMatch(/^\/webhook-waiting\/execution-test-\d+$/);
			expect(hook.query.get('zimage_item')).toBe('0');
			expect(hook.json).toMatchObject({ request_id: request.id, status: 'OK' });
		} finally {
			await front.stop();
			await n8nWebhook.stop();
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
