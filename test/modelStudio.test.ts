/**
 * Alibaba Cloud Model Studio (z-image-turbo from its maker) against its simulator: the request
 * on the wire, the held answer read into images and facts, the error codes in the user's words,
 * what is sent again (only what was not taken), and the free checks (Health, the credential Test).
 */
import { type IDataObject, sleep } from 'n8n-workflow';

import { baseUrlOf, CUSTOM_REGION } from '../credentials/contract';
import { failureOf, runCredentialTest, runNode } from './harness';
import { decodeImage } from './simulators/images';
import { GENERATION_PATH, ModelStudioSimulator } from './simulators/modelStudio';

const CREDENTIAL = 'zImageModelStudioApi';
const NAME = 'Alibaba Cloud Model Studio';
const GENERATION = new RegExp(`^${GENERATION_PATH}$`);

let sim: ModelStudioSimulator;
beforeEach(async () => {
	sim = await new ModelStudioSimulator({ taskMs: 200 }).start();
});
afterEach(async () => await sim.stop());

const credentials = (extra: IDataObject = {}) => ({
	[CREDENTIAL]: { apiKey: sim.apiKey, region: CUSTOM_REGION, baseUrl: sim.url, ...extra },
});
type Extra = Partial<Parameters<typeof runNode>[0]>;
const run = (parameters: IDataObject, extra: Extra = {}) =>
	runNode({
		parameters: { provider: 'modelStudio', ...parameters },
		credentials: credentials(),
		typeVersion: 2,
		...extra,
	});
const generate = (parameters: IDataObject = {}, extra: Extra = {}) =>
	run({ operation: 'generate', prompt: 'a red fox in the snow', ...parameters }, extra);

describe('Generate', () => {
	test('one held request per image, as documented; the image as binary, with usage and request id', async () => {
		const result = await generate();
		const [submit] = sim.submits();
		expect(submit.headers.authorization).toBe(`Bearer ${sim.apiKey}`);
		expect(submit.headers['x-dashscope-async']).toBeUndefined();
		expect(submit.json).toEqual({
			model: 'z-image-turbo',
			input: { messages: [{ role: 'user', content: [{ text: 'a red fox in the snow' }] }] },
			parameters: { size: '1024*1024', prompt_extend: false },
		});
		const [made] = sim.generated;
		expect(result.items).toHaveLength(1);
		expect(result.items[0].json).toEqual({
			provider: 'modelStudio',
			model: 'z-image-turbo',
			taskId: made.requestId,
			status: 'completed',
			prompt: 'a red fox in the snow',
			width: 1024,
			height: 1024,
			requestId: made.requestId,
			usage: { width: 1024, height: 1024, image_count: 1 },
			url: expect.stringMatching(
				new RegExp(`^${sim.cdn.url}/results/${made.requestId}\\.png\\?Expires=\\d+&`),
			),
			index: 0,
			mimeType: 'image/png',
			fileName: `${made.requestId}-0.png`,
			fileSize: expect.any(Number),
		});
		expect(result.items[0].pairedItem).toEqual({ item: 0 });
		expect(await decodeImage(await result.binary(0))).toEqual({
			format: 'png',
			width: 1024,
			height: 1024,
		});
		// The signed link is fetched at once, without the key.
		const [file] = sim.cdn.requests;
		expect(file.headers.authorization).toBeUndefined();
		expect(JSON.stringify(file.headers)).not.toContain(sim.apiKey);
		expect(file.at - made.doneAt).toBeLessThan(2000);
	});

	test.each(['parts', 'combined'] as const)(
		'custom size, seed and prompt extension on the wire; the rewritten prompt in the output (%s answer)',
		async (shape) => {
			sim.answerShape = shape;
			const result = await generate({
				modelStudioSize: 'custom',
				modelStudioWidth: 1344,
				modelStudioHeight: 768,
				modelStudioSeed: 42,
				modelStudioPromptExtend: true,
			});
			expect((sim.submits()[0].json as IDataObject).parameters).toEqual({
				size: '1344*768',
				prompt_extend: true,
				seed: 42,
			});
			expect(result.items[0].json).toMatchObject({
				prompt: 'a red fox in the snow',
				seed: 42,
				width: 1344,
				height: 768,
				extendedPrompt: expect.stringMatching(/^a red fox in the snow, rendered in rich detail/),
			});
			expect(await decodeImage(await result.binary(0))).toMatchObject({ width: 1344, height: 768 });
		},
	);

	test('a preset size goes out as width*height', async () => {
		const result = await generate({ modelStudioSize: '720*1280' });
		expect((sim.submits()[0].json as IDataObject).parameters).toMatchObject({ size: '720*1280' });
		expect(result.items[0].json).toMatchObject({ width: 720, height: 1280 });
	});

	test('items hold their requests at the same time, up to Max Concurrent Items; outputs keep input order', async () => {
		sim.taskMs = 1500;
		const items = Array.from({ length: 20 }, (_, i) => ({ json: { prompt: `prompt ${i}` } }));
		const result = await generate({ prompt: '={{ $json.prompt }}' }, { items });
		expect(sim.peakRunning).toBe(20);
		expect(result.items.map((item) => item.json.prompt)).toEqual(items.map((i) => i.json.prompt));
		expect(result.items.map((item) => item.pairedItem)).toEqual(items.map((_, item) => ({ item })));

		sim.peakRunning = 0;
		sim.taskMs = 300;
		await generate({ prompt: '={{ $json.prompt }}', options: { maxConcurrent: 3 } }, { items });
		expect(sim.peakRunning).toBe(3);
	});

	test('with Download Images off: the signed link and the facts, no file fetched', async () => {
		const result = await generate({ options: { downloadImages: false } });
		expect(result.items[0].binary).toBeUndefined();
		expect(result.items[0].json).toMatchObject({
			requestId: sim.generated[0].requestId,
			url: expect.stringContaining('Signature='),
		});
		expect(sim.cdn.requests).toHaveLength(0);
	});

	test('an answer without an image fails the item, naming why; nothing is downloaded or sent again', async () => {
		sim.api.planFault(GENERATION, 1, {
			kind: 'reply',
			reply: {
				status: 200,
				body: {
					request_id: '7b1f0c2a-0d7e-4f7a-9a52-3f1e2d4c5b6a',
					output: {
						choices: [{ finish_reason: 'stop', message: { role: 'assistant', content: [] } }],
					},
				},
			},
		});
		const error = await failureOf(generate());
		expect(error.message).toBe(
			`${NAME} (generate, task 7b1f0c2a-0d7e-4f7a-9a52-3f1e2d4c5b6a): the task failed: Model Studio answered without an image (finish_reason: stop)`,
		);
		expect(sim.submits()).toHaveLength(1);
		expect(sim.cdn.requests).toHaveLength(0);
	});

	test('an expired link fails the download without showing its signature', async () => {
		sim.linkTtlMs = -60_000;
		const error = await failureOf(generate());
		expect(error.message).toMatch(
			new RegExp(
				`^${NAME} \\(generate, task [0-9a-f-]+\\): Downloading the result image at ${sim.cdn.url}/results/[0-9a-f-]+\\.png failed \\(HTTP 403\\)$`,
			),
		);
		expect(`${error.message} ${error.description}`).not.toMatch(/Signature|Expires/);
		expect(sim.submits()).toHaveLength(1);
	});
});

describe('checked before anything is sent', () => {
	test.each([
		[
			'a custom size below 512×512 pixels',
			{ modelStudioSize: 'custom', modelStudioWidth: 256, modelStudioHeight: 512 },
			'Invalid Size "256x512": 256×512 is 131,072 pixels; z-image-turbo makes 512×512 to 2048×2048 pixels in total (262,144 to 4,194,304)',
		],
		[
			'a custom size above 2048×2048 pixels',
			{ modelStudioSize: 'custom', modelStudioWidth: 4096, modelStudioHeight: 2048 },
			'Invalid Size "4096x2048": 4096×2048 is 8,388,608 pixels; z-image-turbo makes 512×512 to 2048×2048 pixels in total (262,144 to 4,194,304)',
		],
		[
			'a size that is not a preset',
			{ modelStudioSize: '1024x1024' },
			'Invalid Size "1024x1024": allowed: 1024*1024, 1536*1536, 1280*720, 2048*1152, 1024*1536, 1536*1024, 1104*1472, 1472*1104, 720*1280, 1152*2048, or custom (Width and Height)',
		],
		[
			'a width in hex',
			{ modelStudioSize: 'custom', modelStudioWidth: '0x400', modelStudioHeight: 1024 },
			'Invalid Width "0x400": a whole number from 1 to 16384 is allowed',
		],
		[
			'a seed past 2147483647',
			{ modelStudioSeed: 2147483648 },
			'Invalid Seed 2147483648: a whole number from -1 to 2147483647 is allowed',
		],
		[
			'a prompt of 801 characters',
			{ prompt: 'a'.repeat(801) },
			`Invalid Prompt "${'a'.repeat(80)}…": at most 800 characters are allowed, this one has 801`,
		],
		[
			'an empty prompt',
			{ prompt: ' ' },
			'Invalid Prompt " ": a prompt is required (describe the image)',
		],
	])('%s', async (_name, parameters, message) => {
		const error = await failureOf(generate(parameters));
		expect(error.message).toBe(message);
		expect(error.description).toMatch(/^Nothing was sent to the provider/);
		expect(sim.api.requests).toHaveLength(0);
	});

	test.each([
		['edit', 'z-image-turbo on Model Studio takes no input image, so Edit is not available'],
		[
			'getTask',
			'Model Studio answers each Z-Image request with its image: there is no task to look up (and no callback)',
		],
		[
			'deleteTask',
			'Model Studio keeps no Z-Image tasks to delete: each request is answered with its image, whose link expires after 24 hours',
		],
	])('%s is not offered, and refused with the reason', async (operation, reason) => {
		const error = await failureOf(run({ operation, prompt: 'x', taskId: 'abc' }));
		expect(error.message).toBe(`${NAME} cannot do the "${operation}" operation: ${reason}`);
		expect(sim.api.requests).toHaveLength(0);
	});
});

describe("the API's errors, in the user's words", () => {
	test.each([
		[
			400,
			'InvalidParameter',
			'The size is not supported.',
			'the request was refused for its parameters (InvalidParameter: The size is not supported.)',
		],
		[
			401,
			'InvalidApiKey',
			'Invalid API-key provided.',
			'the API key was rejected (InvalidApiKey: Invalid API-key provided.)',
		],
		[
			403,
			'AccessDenied',
			'Access denied.',
			'the key has no access to z-image-turbo (AccessDenied: Access denied.)',
		],
		[
			404,
			'ModelNotFound',
			'Model not found (z-image-turbo)!',
			'not found (HTTP 404, ModelNotFound: Model not found (z-image-turbo)!)',
		],
		[
			400,
			'Arrearage',
			'Access denied, please make sure your account is in good standing.',
			'the Alibaba Cloud account is in arrears (Arrearage: Access denied, please make sure your account is in good standing.); top it up and run again',
		],
		[
			403,
			'AllocationQuota.FreeTierOnly',
			'The free tier of the model has been exhausted.',
			'the free quota of z-image-turbo is used up (AllocationQuota.FreeTierOnly: The free tier of the model has been exhausted.); to go on, turn off "use free tier only" in the Model Studio console',
		],
		[
			400,
			'DataInspectionFailed',
			'Input data may contain inappropriate content.',
			'content moderation refused the prompt or the image (DataInspectionFailed: Input data may contain inappropriate content.); change the prompt',
		],
		[
			500,
			'InternalError',
			'An internal error has occured, please try again later.',
			'Model Studio had a server error (HTTP 500, InternalError: An internal error has occured, please try again later.)',
		],
		[
			500,
			'InternalError.Algo',
			'An internal error has occured during execution.',
			'Model Studio had a server error (HTTP 500, InternalError.Algo: An internal error has occured during execution.)',
		],
	])('HTTP %i %s: said so, never sent again', async (status, code, text, words) => {
		sim.planError(status, code, text, 5);
		const error = await failureOf(generate());
		expect(error.message).toBe(`${NAME} (generate): ${words}`);
		expect(error.description).toMatch(/Request ID [0-9a-f-]{36}\.$/);
		expect(sim.submits()).toHaveLength(1);
		expect(sim.generated).toHaveLength(0);
	});

	test('a wrong key: the advice names the region', async () => {
		const error = await failureOf(
			runNode({
				parameters: { provider: 'modelStudio', operation: 'generate', prompt: 'x' },
				credentials: credentials({ apiKey: 'sk-beijing-key-used-in-singapore' }),
				typeVersion: 2,
			}),
		);
		expect(error.message).toBe(
			`${NAME} (generate): the API key was rejected (InvalidApiKey: Invalid API-key provided.)`,
		);
		expect(error.description).toMatch(/^Check the API Key and the Region of the credential/);
	});

	test('429 Throttling.RateQuota was not taken: sent again after Retry-After, one image made', async () => {
		sim.planError(429, 'Throttling.RateQuota', 'Requests rate limit exceeded.', 2, {
			'retry-after': '0',
		});
		const result = await generate();
		expect(sim.submits()).toHaveLength(3);
		expect(sim.generated).toHaveLength(1);
		expect(result.items).toHaveLength(1);
	});

	test('429 Throttling.AllocationQuota: the quota comes back in a minute, past a Max Wait of 2 s', async () => {
		sim.planError(429, 'Throttling.AllocationQuota', 'Allocated quota exceeded.', 5);
		const error = await failureOf(generate({ options: { maxWaitSeconds: 2 } }));
		expect(error.message).toBe(
			`${NAME} (generate): the quota of the key for this period is used up (HTTP 429, Throttling.AllocationQuota: Allocated quota exceeded.)`,
		);
		expect(error.description).toMatch(/^Wait for the quota to come back, or raise it/);
		expect(sim.submits()).toHaveLength(1);
	});

	test('a rate limit that lasts is retried until Max Wait, no longer', async () => {
		sim.planError(429, 'Throttling.RateQuota', 'Requests rate limit exceeded.', 20, {
			'retry-after': '1',
		});
		const error = await failureOf(generate({ options: { maxWaitSeconds: 3 } }));
		expect(error.message).toMatch(
			new RegExp(
				`^${NAME} \\(generate\\): Model Studio is rate limiting requests \\(HTTP 429, Throttling\\.RateQuota: Requests rate limit exceeded\\.\\); it takes 120 requests a minute per model$`,
			),
		);
		expect(sim.submits().length).toBeLessThanOrEqual(3);
		expect(sim.generated).toHaveLength(0);
	});
});

describe('the held request: bounded in time, never sent twice', () => {
	test('a connection reset during the hold is not sent again: the image was made (and billed) once', async () => {
		sim.api.planFault(GENERATION, 1, { kind: 'lose' });
		const error = await failureOf(generate());
		expect(error.message).toMatch(
			new RegExp(
				`^${NAME} \\(generate\\): Could not get an answer from ${NAME} at 127\\.0\\.0\\.1:\\d+: the connection was reset; the task may or may not have been created, so it was not sent again$`,
			),
		);
		await sleep(1000);
		// The server's side: one request, one image made, nothing after it.
		expect(sim.submits()).toHaveLength(1);
		expect(sim.generated).toHaveLength(1);
		expect(sim.cdn.requests).toHaveLength(0);
	});

	test('the request timeout ends a hold that lasts too long, and it is not sent again', async () => {
		sim.taskMs = 4000;
		const started = Date.now();
		const error = await failureOf(generate({ options: { requestTimeoutSeconds: 1 } }));
		expect(error.message).toMatch(
			/no answer came within the request timeout; the task may or may not have been created, so it was not sent again$/,
		);
		expect(Date.now() - started).toBeLessThan(3000);
		expect(sim.submits()).toHaveLength(1);
	});

	test('Max Wait ends a hold before the request timeout does', async () => {
		sim.taskMs = 5000;
		const started = Date.now();
		const error = await failureOf(generate({ options: { maxWaitSeconds: 1 } }));
		expect(error.message).toBe(
			`${NAME} (generate): Max Wait ran out while waiting for ${NAME} to answer; the task may or may not have been created, so it was not sent again`,
		);
		expect(Date.now() - started).toBeLessThan(3000);
		expect(sim.submits()).toHaveLength(1);
	});
});

describe('Health and the credential: free, nothing generated', () => {
	test('Health: the key, its region and the model, checked without making an image', async () => {
		const result = await run({ operation: 'health' });
		expect(result.items[0].json).toEqual({
			provider: 'modelStudio',
			reachable: true,
			keyAccepted: true,
			modelAvailable: true,
			baseUrl: sim.url,
			httpStatus: 400,
			providerCode: 'BadRequest.EmptyInput',
			models: 3,
		});
		expect(sim.api.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
			'GET /compatible-mode/v1/models',
			`POST ${GENERATION_PATH}`,
		]);
		expect(sim.generated).toHaveLength(0);
		expect(sim.cdn.requests).toHaveLength(0);
	});

	test('Health with a wrong key stops at the model list', async () => {
		const error = await failureOf(
			runNode({
				parameters: { provider: 'modelStudio', operation: 'health' },
				credentials: credentials({ apiKey: 'sk-wrong-0000' }),
				typeVersion: 2,
			}),
		);
		expect(error.message).toBe(
			`${NAME} (health): the API key was rejected (invalid_api_key: Incorrect API key provided. )`,
		);
		expect(sim.submits()).toHaveLength(0);
	});

	test.each([
		[403, 'AccessDenied', 'Access denied.', 'the key has no access to z-image-turbo'],
		[400, 'Arrearage', 'Access denied.', 'the Alibaba Cloud account is in arrears'],
		[404, 'ModelNotFound', 'Model not found!', 'not found (HTTP 404, ModelNotFound'],
	])('Health when the model answers %i %s: fails, saying so', async (status, code, text, words) => {
		sim.planError(status, code, text);
		const error = await failureOf(run({ operation: 'health' }));
		expect(error.message).toContain(`${NAME} (health): ${words}`);
		expect(sim.generated).toHaveLength(0);
	});

	test('the Test button: a right key passes, a wrong one is refused naming the region; no request is a generation', async () => {
		const good = await runCredentialTest(CREDENTIAL, credentials()[CREDENTIAL]);
		expect(good).toMatchObject({ ok: true, statusCode: 200 });
		const bad = await runCredentialTest(CREDENTIAL, { ...credentials()[CREDENTIAL], apiKey: 'x' });
		expect(bad).toEqual({
			ok: false,
			statusCode: 401,
			body: expect.anything(),
			message:
				'Model Studio rejected the API key: check it, and that the Region is the one the key was created in (Singapore and Beijing keys are separate)',
		});
		expect(sim.api.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
			'GET /compatible-mode/v1/models',
			'GET /compatible-mode/v1/models',
		]);
		expect(sim.generated).toHaveLength(0);
	});

	test('a picked region is where requests go, whatever the Base URL field holds', async () => {
		// A region's value is its base URL: the simulator's stands in for Singapore's here.
		const picked = { apiKey: sim.apiKey, region: sim.url, baseUrl: 'http://127.0.0.1:9' };
		expect(await runCredentialTest(CREDENTIAL, picked)).toMatchObject({ ok: true });
		const result = await run({ operation: 'health' }, { credentials: { [CREDENTIAL]: picked } });
		expect(result.items[0].json.baseUrl).toBe(sim.url);
	});
});

test('the regions and the custom Base URL, as a run reads them', () => {
	expect(baseUrlOf({ region: 'https://dashscope-intl.aliyuncs.com', baseUrl: 'x' })).toBe(
		'https://dashscope-intl.aliyuncs.com',
	);
	expect(baseUrlOf({ region: CUSTOM_REGION, baseUrl: ' https://proxy.example.com/ds// ' })).toBe(
		'https://proxy.example.com/ds',
	);
	expect(baseUrlOf({ baseUrl: 'http://localhost:8003/' })).toBe('http://localhost:8003');
});
