import { type IDataObject, sleep } from 'n8n-workflow';

import { failureOf, imageItem, runCredentialTest, runNode } from './harness';
import { decodePng, makePng } from './simulators/images';
import { ZImageServerSimulator, type ZImageServerOptions } from './simulators/zImageServer';

let sim: ZImageServerSimulator;

async function startServer(options: ZImageServerOptions = {}) {
	sim = await new ZImageServerSimulator(options).start();
	return sim;
}
afterEach(async () => {
	await sim?.stop();
});

const credentials = (extra: IDataObject = {}) => ({
	zImageServerApi: { baseUrl: sim.url, apiKey: '', ...extra },
});
const run = (parameters: IDataObject, extra: Partial<Parameters<typeof runNode>[0]> = {}) =>
	runNode({
		parameters: { provider: 'selfHosted', ...parameters },
		credentials: credentials(),
		...extra,
	});

describe('Z-Image Server Generate', () => {
	test('JSON body on the wire, base64 answer by default, one decoded PNG, no token header', async () => {
		await startServer();
		const result = await run({
			operation: 'generate',
			prompt: 'a sunset over a lake',
			size: '1024x768',
		});

		const [request] = sim.imageRequests();
		expect(request.path).toBe('/v1/images/generations');
		expect(request.json).toEqual({
			prompt: 'a sunset over a lake',
			negative_prompt: '',
			size: '1024x768',
			n: 1,
			response_format: 'b64_json',
			num_inference_steps: 50,
			guidance_scale: 4,
			cfg_normalization: false,
		});
		expect(request.headers.authorization).toBeUndefined();
		expect(sim.server.requestsTo(/^\/outputs\//)).toHaveLength(0);

		expect(result.items).toHaveLength(1);
		expect(result.items[0].json).toMatchObject({
			provider: 'selfHosted',
			status: 'completed',
			prompt: 'a sunset over a lake',
			width: 1024,
			height: 768,
			mimeType: 'image/png',
			index: 0,
		});
		expect(result.items[0].json.taskId).toMatch(/^local-\d+-[0-9a-f]{8}$/);
		expect(result.items[0].json.fileName).toBe(`${result.items[0].json.taskId}-0.png`);
		expect(result.items[0].pairedItem).toEqual({ item: 0 });
		const png = decodePng(await result.binary(0));
		expect([png.width, png.height]).toEqual([1024, 768]);
		expect(sim.modelLoaded).toBe(true);
	});

	test('all generation settings, several images as URLs downloaded with the same token', async () => {
		await startServer({ token: 'proxy-token-123' });
		const result = await runNode({
			parameters: {
				provider: 'selfHosted',
				operation: 'generate',
				prompt: 'neon city',
				negativePrompt: 'blurry',
				size: '768x512',
				numberOfImages: 2,
				numInferenceSteps: 9,
				guidanceScale: 0,
				cfgNormalization: true,
				responseFormat: 'url',
			},
			credentials: credentials({ apiKey: 'proxy-token-123' }),
		});
		expect(sim.imageRequests()[0].json).toEqual({
			prompt: 'neon city',
			negative_prompt: 'blurry',
			size: '768x512',
			n: 2,
			response_format: 'url',
			num_inference_steps: 9,
			guidance_scale: 0,
			cfg_normalization: true,
		});
		const downloads = sim.server.requestsTo(/^\/outputs\//);
		expect(downloads).toHaveLength(2);
		for (const download of downloads)
			expect(download.headers.authorization).toBe('Bearer proxy-token-123');
		expect(result.items.map((i) => i.json.index)).toEqual([0, 1]);
		expect(result.items[0].json.url).toBe(`${sim.url}${downloads[0].path}`);
		for (const index of [0, 1]) expect(decodePng(await result.binary(index)).width).toBe(768);
	});

	test('a size that is not a multiple of 32 can be rounded down, and the output says so', async () => {
		await startServer();
		const result = await run({
			operation: 'generate',
			prompt: 'x',
			size: '1000x1000',
			sizeRounding: 'roundDown',
		});
		expect((sim.imageRequests()[0].json as IDataObject).size).toBe('992x992');
		expect(result.items[0].json.notice).toBe(
			'Size 1000x1000 was rounded down to 992x992 (multiples of 32)',
		);
		expect(result.items[0].json.width).toBe(992);
	});

	test('a model that failed to load is retried after about 10 s, and the image still comes', async () => {
		await startServer();
		sim.failLoads = 1;
		const started = Date.now();
		const result = await run({ operation: 'generate', prompt: 'x', size: '512x512' });
		expect(sim.imageRequests()).toHaveLength(2);
		expect(Date.now() - started).toBeGreaterThanOrEqual(9_500);
		expect(result.items).toHaveLength(1);
	}, 30_000);

	test('model-loading retries are bounded', async () => {
		await startServer();
		sim.failLoads = 10;
		// Retry-After, when a proxy sends one, overrides the 10 s pause: keeps this test short.
		sim.server.planFault(/\/v1\/images\/generations/, 10, {
			kind: 'reply',
			reply: {
				status: 500,
				body: { detail: 'Model loading failed: out of memory' },
				headers: { 'retry-after': '0' },
			},
		});
		const error = await failureOf(run({ operation: 'generate', prompt: 'x', size: '512x512' }));
		expect(error.message).toBe(
			'Z-Image Server (generate): the model failed to load (HTTP 500): Model loading failed: out of memory',
		);
		expect(sim.imageRequests()).toHaveLength(4);
	});

	test('any other 500 quotes the detail and is not sent again', async () => {
		await startServer();
		sim.server.planFault(/\/v1\/images\/generations/, 1, {
			kind: 'reply',
			reply: { status: 500, body: { detail: 'CUDA error: device-side assert' } },
		});
		const error = await failureOf(run({ operation: 'generate', prompt: 'x', size: '512x512' }));
		expect(error.message).toBe(
			'Z-Image Server (generate): the server answered HTTP 500: CUDA error: device-side assert',
		);
		expect(sim.imageRequests()).toHaveLength(1);
	});

	test('a 422 quotes the validation details', async () => {
		await startServer();
		sim.server.planFault(/\/v1\/images\/generations/, 1, {
			kind: 'reply',
			reply: {
				status: 422,
				body: { detail: [{ loc: ['body', 'size'], msg: 'invalid size', type: 'value_error' }] },
			},
		});
		const error = await failureOf(run({ operation: 'generate', prompt: 'x', size: '512x512' }));
		expect(error.message).toBe(
			'Z-Image Server (generate): the server rejected the request (HTTP 422): body.size: invalid size',
		);
	});

	test('a wrong token says so and never shows the token', async () => {
		await startServer({ token: 'right-token-xyz' });
		const error = await failureOf(
			runNode({
				parameters: { provider: 'selfHosted', operation: 'generate', prompt: 'x', size: '512x512' },
				credentials: credentials({ apiKey: 'wrong-token-abc' }),
			}),
		);
		expect(error.message).toBe(
			'Z-Image Server (generate): the server refused the token (HTTP 401): Not authenticated',
		);
		expect(JSON.stringify({ m: error.message, d: error.description })).not.toContain(
			'wrong-token-abc',
		);
	});

	test('cancelling the execution aborts the long synchronous request at once', async () => {
		await startServer({ generateMs: 20_000 });
		const controller = new AbortController();
		const started = Date.now();
		const pending = run(
			{ operation: 'generate', prompt: 'slow', size: '512x512' },
			{ abortSignal: controller.signal },
		);
		void sleep(700).then(() => controller.abort());
		const error = await failureOf(pending);
		expect(error.message).toBe('The execution was cancelled');
		expect(Date.now() - started).toBeLessThan(700 + 1000);
	});
});

describe('Z-Image Server Edit', () => {
	test('multipart with the input image; size defaults to the input, guidance to 1.5', async () => {
		await startServer();
		const input = makePng(96, 64, 3);
		const result = await run(
			{ operation: 'edit', prompt: 'make it snowy', inputImageFields: 'photo' },
			{ items: [imageItem({ photo: input })] },
		);
		const [request] = sim.imageRequests();
		expect(request.path).toBe('/v1/images/edits');
		expect(request.fields).toEqual({
			prompt: ['make it snowy'],
			response_format: ['b64_json'],
			num_inference_steps: ['50'],
			guidance_scale: ['1.5'],
		});
		expect(request.files).toHaveLength(1);
		expect(request.files![0]).toMatchObject({
			field: 'image',
			mimeType: 'image/png',
			fileName: 'photo.png',
		});
		expect(request.files![0].data.equals(input)).toBe(true);
		const png = decodePng(await result.binary(0));
		expect([png.width, png.height]).toEqual([96, 64]);
		expect(result.items[0].pairedItem).toEqual({ item: 0 });
	});

	test('an explicit size and URL answers', async () => {
		await startServer();
		const result = await run(
			{
				operation: 'edit',
				prompt: 'x',
				inputImageFields: 'data',
				size: '512x512',
				responseFormat: 'url',
				numInferenceSteps: 20,
				guidanceScale: 2,
			},
			{ items: [imageItem({ data: makePng(64, 64) })] },
		);
		expect(sim.imageRequests()[0].fields).toMatchObject({
			size: ['512x512'],
			response_format: ['url'],
			num_inference_steps: ['20'],
			guidance_scale: ['2'],
		});
		expect(decodePng(await result.binary(0)).width).toBe(512);
	});
});

describe('Z-Image Server async endpoints, Get Task, housekeeping', () => {
	test('Use Async Endpoints submits a task and polls it through the shared poller', async () => {
		await startServer();
		const result = await run({
			operation: 'generate',
			prompt: 'x',
			size: '512x512',
			useAsync: true,
		});
		expect(sim.server.requestsTo(/^\/v1\/images\/async_generate$/)).toHaveLength(1);
		expect(sim.server.requestsTo(/^\/v1\/images\/generations$/)).toHaveLength(0);
		const polls = sim.server.requestsTo(/^\/v1\/images\/tasks\//);
		expect(polls.length).toBeGreaterThanOrEqual(1);
		const taskId = polls[0].path.split('/').pop();
		expect(result.items[0].json).toMatchObject({ taskId, status: 'completed', width: 512 });
	});

	test('async edit, not waiting, then Get Task collects the image', async () => {
		await startServer({ generateMs: 300 });
		const submitted = await run(
			{
				operation: 'edit',
				prompt: 'x',
				inputImageFields: 'data',
				useAsync: true,
				options: { waitForCompletion: false },
			},
			{ items: [imageItem({ data: makePng(64, 64) })] },
		);
		expect(submitted.items[0].json).toMatchObject({ status: 'processing' });
		expect(sim.server.requestsTo(/^\/v1\/images\/async_edit$/)[0].files?.[0].field).toBe('image');
		const taskId = submitted.items[0].json.taskId;
		const fetched = await run({
			operation: 'getTask',
			taskId,
			options: { waitForCompletion: true },
		});
		expect(fetched.items[0].json).toMatchObject({
			taskId,
			status: 'completed',
			mimeType: 'image/png',
		});
	});

	test('Get Task of an unknown id reports the failure the server gives', async () => {
		await startServer();
		const result = await run({ operation: 'getTask', taskId: 'task_nope' });
		expect(result.items[0].json).toMatchObject({
			status: 'failed',
			error: { message: 'task task_nope not found' },
		});
	});

	test('an older server without async endpoints gets a clear hint', async () => {
		await startServer({ version: 'seed' });
		const error = await failureOf(
			run({ operation: 'generate', prompt: 'x', size: '512x512', useAsync: true }),
		);
		expect(error.message).toBe('Z-Image Server (generate): not found (HTTP 404): Not Found');
		expect(error.description).toMatch(/turn off "Use Async Endpoints"/);
	});

	test('Delete Task is not offered, and says why', async () => {
		await startServer();
		const error = await failureOf(run({ operation: 'deleteTask', taskId: 'x' }));
		expect(error.message).toBe(
			'Z-Image Server cannot do the "deleteTask" operation: the Z-Image server keeps no deletable tasks (it has no delete endpoint)',
		);
		expect(sim.server.requests).toHaveLength(0);
	});

	test('Health (newer server): reachable, models loaded, busy while generating', async () => {
		await startServer({ generateMs: 1500 });
		const idle = await run({ operation: 'health' });
		expect(idle.items[0].json).toMatchObject({
			provider: 'selfHosted',
			reachable: true,
			status: 'ok',
			modelLoaded: false,
			textToImageLoaded: false,
			editLoaded: false,
			busy: false,
			serverStatus: 'idle',
		});
		const generating = run({ operation: 'generate', prompt: 'x', size: '512x512' });
		await sleep(400);
		const busy = await run({ operation: 'health' });
		expect(busy.items[0].json).toMatchObject({ busy: true, serverStatus: 'generating' });
		await generating;
		const after = await run({ operation: 'health' });
		expect(after.items[0].json).toMatchObject({
			modelLoaded: true,
			textToImageLoaded: true,
			busy: false,
		});
	});

	test("Health (seed document's server shape)", async () => {
		await startServer({ version: 'seed' });
		const result = await run({ operation: 'health' });
		expect(result.items[0].json).toMatchObject({
			status: 'ok',
			modelLoaded: false,
			textToImageModel: 'Tongyi-MAI/Z-Image',
			busy: false,
		});
	});

	test('List Models gives one item per model; Unload Model frees the GPU', async () => {
		await startServer();
		const models = await run({ operation: 'listModels' });
		expect(models.items.map((i) => i.json.id)).toEqual(['z-image', 'z-image-edit']);
		expect(models.items[0].json).toMatchObject({
			provider: 'selfHosted',
			capabilities: ['text-to-image'],
		});
		await run({ operation: 'generate', prompt: 'x', size: '512x512' });
		expect(sim.modelLoaded).toBe(true);
		const unloaded = await run({ operation: 'unloadModel' });
		expect(unloaded.items[0].json).toMatchObject({ unloaded: true, message: 'models unloaded' });
		expect(sim.server.requestsTo(/\/v1\/internal\/unload/, 'POST')).toHaveLength(1);
		expect(sim.modelLoaded).toBe(false);
	});
});

describe('Z-Image Server credential Test button', () => {
	test('GET /health, with the token only when one is set', async () => {
		await startServer();
		expect(
			(await runCredentialTest('zImageServerApi', { baseUrl: sim.url, apiKey: '' })).statusCode,
		).toBe(200);
		expect(sim.server.requests.at(-1)).toMatchObject({ method: 'GET', path: '/health' });
		expect(sim.server.requests.at(-1)?.headers.authorization).toBeUndefined();
	});

	test('a server behind a token proxy tells a wrong token from a right one', async () => {
		await startServer({ token: 'tok-1' });
		expect(
			(await runCredentialTest('zImageServerApi', { baseUrl: sim.url, apiKey: 'tok-1' }))
				.statusCode,
		).toBe(200);
		expect(
			(await runCredentialTest('zImageServerApi', { baseUrl: sim.url, apiKey: 'tok-2' }))
				.statusCode,
		).toBe(401);
	});
});
