/**
 * A provider, a CDN or a proxy that misbehaves on purpose. Every defence is checked from the
 * server's side: what the other origin received, how many bytes went out before the client
 * hung up, which requests were started after the run was lost, and the wall time.
 */
import { type IDataObject, sleep } from 'n8n-workflow';

import { failureOf, runNode, type RunOptions } from './harness';
import { EvolinkSimulator } from './simulators/evolink';
import { FalSimulator } from './simulators/fal';
import { makePng } from './simulators/images';
import { ModelStudioSimulator } from './simulators/modelStudio';
import { ReplicateSimulator } from './simulators/replicate';
import { SimulatorServer } from './simulators/server';
import { TensorsLabSimulator } from './simulators/tensorsLab';
import { ZImageServerSimulator } from './simulators/zImageServer';

const KEY = 'sk-dummy-HOSTILE-5e1f0a9b7c3d';
const MB = 1024 * 1024;

/** A second origin that records everything it is sent and answers 200. */
let elsewhere: SimulatorServer;
beforeEach(async () => {
	elsewhere = new SimulatorServer(() => ({
		status: 200,
		body: { code: 1000, data: { taskid: 'stolen', image_status: 3, url: [] } },
	}));
	await elsewhere.start();
});
afterEach(async () => await elsewhere.stop());

/** Waits (at most 3 s) for the server to notice that the client hung up. */
async function hungUp(request: { hungUpAt?: number }): Promise<number> {
	for (let i = 0; i < 60 && request.hungUpAt === undefined; i++) await sleep(50);
	return request.hungUpAt ?? Number.POSITIVE_INFINITY;
}

/** Evolink's Generate against `sim` with this file's key (prompt "x", size 1:1 unless told). */
function evolinkGenerate(
	sim: EvolinkSimulator,
	run: { prompt?: string; options?: IDataObject } & Omit<RunOptions, 'parameters'> = {},
) {
	const { prompt = 'x', options, ...rest } = run;
	return runNode({
		parameters: {
			provider: 'evolink',
			operation: 'generate',
			model: 'z-image-turbo',
			prompt,
			size: '1:1',
			...(options ? { options } : {}),
		},
		credentials: { evolinkApi: { apiKey: KEY, baseUrl: sim.url } },
		...rest,
	});
}

const redirect = (status: number, location: string) => ({
	kind: 'reply' as const,
	reply: { status, body: '', headers: { location } },
});

describe('the key never leaves its origin', () => {
	let sim: TensorsLabSimulator;
	beforeEach(async () => {
		sim = await new TensorsLabSimulator({ apiKey: KEY, queueMs: 10, processMs: 50 }).start();
	});
	afterEach(async () => await sim.stop());
	const generate = () =>
		runNode({
			parameters: {
				provider: 'tensorsLab',
				operation: 'generate',
				model: 'zimage',
				prompt: 'a fox',
				resolution: '1:1',
			},
			credentials: { tensorsLabApi: { apiKey: KEY, baseUrl: sim.url, authHeaderFormat: 'bearer' } },
		});

	test.each([301, 302, 303, 307, 308])(
		'a submission redirected (%i) to another host is not followed',
		async (status) => {
			sim.api.planFault(/\/v1\/images\/zimage$/, 1, redirect(status, `${elsewhere.url}/steal`));
			const error = await failureOf(generate());
			expect(error.message).toMatch(
				/redirected to another host \(http:\/\/127\.0\.0\.1:\d+\); the key is only ever sent to/,
			);
			expect(elsewhere.requests).toHaveLength(0);
			expect(sim.submits()).toHaveLength(1);
		},
	);

	test('a status look redirected to another host is not followed', async () => {
		sim.api.planFault(/infobytaskid$/, 1, redirect(307, `${elsewhere.url}/steal`));
		const error = await failureOf(generate());
		expect(error.message).toMatch(/redirected to another host/);
		expect(elsewhere.requests).toHaveLength(0);
	});

	test("a redirect within the provider's own origin is followed with the key", async () => {
		sim.api.planFault(/infobytaskid$/, 1, redirect(307, `${sim.url}/v1/images/infobytaskid`));
		const result = await generate();
		expect(result.items[0].json.mimeType).toBe('image/png');
		const looks = sim.api.requestsTo(/infobytaskid$/);
		expect(looks.length).toBeGreaterThanOrEqual(2);
		expect(looks.every((request) => request.headers.authorization === `Bearer ${KEY}`)).toBe(true);
	});

	test('a result download redirected to another host is followed, without the key', async () => {
		const png = makePng(64, 48);
		const cdn2 = new SimulatorServer(() => ({
			status: 200,
			body: png,
			headers: { 'content-type': 'image/png' },
		}));
		await cdn2.start();
		try {
			sim.cdn.planFault(/^\/files\//, 1, redirect(302, `${cdn2.url}/moved.png`));
			const result = await generate();
			expect(result.items[0].json).toMatchObject({ width: 64, height: 48, mimeType: 'image/png' });
			expect(cdn2.requests).toHaveLength(1);
			expect(JSON.stringify(cdn2.requests[0].headers)).not.toContain(KEY);
			expect(JSON.stringify(sim.cdn.requests.map((r) => r.headers))).not.toContain(KEY);
		} finally {
			await cdn2.stop();
		}
	});
});

describe("fal.ai: the addresses its answers hand back stay on the key's origin", () => {
	let sim: FalSimulator;
	beforeEach(async () => {
		sim = await new FalSimulator({ apiKey: KEY, taskMs: 50 }).start();
	});
	afterEach(async () => await sim.stop());
	const generate = () =>
		runNode({
			parameters: { provider: 'fal', operation: 'generate', prompt: 'a fox' },
			credentials: { zImageFalApi: { apiKey: KEY, baseUrl: sim.url } },
		});

	test('a status answer that moves the response_url to another host: the result is not asked there', async () => {
		sim.api.planFault(/\/requests\/[^/]+\/status$/, 5, {
			kind: 'reply',
			reply: {
				status: 200,
				body: { status: 'COMPLETED', response_url: `${elsewhere.url}/fal-ai/z-image/requests/x` },
			},
		});
		const error = await failureOf(generate());
		expect(error.message).toMatch(
			/fal\.ai handed back an address on another host \(http:\/\/127\.0\.0\.1:\d+\)/,
		);
		expect(elsewhere.requests).toHaveLength(0);
		expect(sim.results()).toHaveLength(0);
	});

	test('a result answer that never ends is cut at the JSON limit', async () => {
		sim.api.planFault(/\/requests\/[^/]+$/, 10, {
			kind: 'stream',
			head: Buffer.from('{"images":[{"url":"'),
			chunk: 64 * 1024,
			everyMs: 0,
		});
		const error = await failureOf(generate());
		expect(error.message).toMatch(
			/sent an answer of more than 1048576 bytes; it was not read further/,
		);
		for (const look of sim.results()) expect(look.sent).toBeLessThan(8 * MB);
	});
});

describe("Replicate: a lost create's search and a held answer stay within their bounds", () => {
	let sim: ReplicateSimulator;
	beforeEach(async () => {
		sim = await new ReplicateSimulator({ apiKey: KEY, taskMs: 50 }).start();
	});
	afterEach(async () => await sim.stop());
	const generate = () =>
		runNode({
			parameters: { provider: 'replicate', operation: 'generate', prompt: 'a fox' },
			credentials: { zImageReplicateApi: { apiKey: KEY, baseUrl: sim.url } },
		});
	const CREATE = /^\/v1\/models\/prunaai\/z-image-turbo\/predictions$/;

	test('a list that claims the lost create with a urls.get on another host: nothing is asked there', async () => {
		sim.api.planFault(CREATE, 1, { kind: 'reset' });
		const id = 'stolenstolenstolen0000000a';
		sim.api.planFault(/^\/v1\/predictions$/, 1, {
			kind: 'reply',
			reply: {
				status: 200,
				body: {
					next: null,
					results: [
						{
							id,
							model: 'prunaai/z-image-turbo',
							status: 'processing',
							created_at: new Date().toISOString(),
							input: {
								prompt: 'a fox',
								width: 1024,
								height: 1024,
								num_inference_steps: 8,
								guidance_scale: 0,
								output_format: 'png',
							},
							urls: { get: `${elsewhere.url}/v1/predictions/${id}` },
						},
					],
				},
			},
		});
		const error = await failureOf(generate());
		expect(error.message).toMatch(
			/Replicate handed back an address on another host \(http:\/\/127\.0\.0\.1:\d+\)/,
		);
		expect(elsewhere.requests).toHaveLength(0);
		expect(sim.creates()).toHaveLength(1);
	});

	test('a held create whose answer never ends is cut at the JSON limit and not sent again', async () => {
		sim.api.planFault(CREATE, 10, {
			kind: 'stream',
			head: Buffer.from('{"id":"'),
			chunk: 64 * 1024,
			everyMs: 0,
		});
		const error = await failureOf(generate());
		expect(error.message).toMatch(
			/sent an answer of more than 1048576 bytes; it was not read further; the task may or may not have been created, so it was not sent again$/,
		);
		expect(sim.creates()).toHaveLength(1);
		expect(sim.creates()[0].sent).toBeLessThan(8 * MB);
	});
});

describe('bytes are bounded by what the user allowed', () => {
	let sim: TensorsLabSimulator;
	beforeEach(async () => {
		sim = await new TensorsLabSimulator({ apiKey: KEY, queueMs: 10, processMs: 50 }).start();
	});
	afterEach(async () => await sim.stop());
	const generate = (options: IDataObject = {}) =>
		runNode({
			parameters: {
				provider: 'tensorsLab',
				operation: 'generate',
				model: 'zimage',
				prompt: 'a fox',
				resolution: '1:1',
				options,
			},
			credentials: { tensorsLabApi: { apiKey: KEY, baseUrl: sim.url, authHeaderFormat: 'bearer' } },
		});

	test('an endless chunked download stops at Max Download Size, is not retried, and names the limit', async () => {
		const head = makePng(32, 32).subarray(0, 33);
		sim.cdn.planFault(/^\/files\//, 5, { kind: 'stream', head, chunk: 64 * 1024, everyMs: 0 });
		const error = await failureOf(generate({ maxDownloadMb: 1 }));
		expect(error.message).toMatch(
			/is more than 1048576 bytes, over the download limit of 1048576 bytes$/,
		);
		expect(error.description).toMatch(/Raise "Max Download Size"/);
		const downloads = sim.cdn.requestsTo(/^\/files\//);
		expect(downloads).toHaveLength(1);
		// The server's view: it could not push much past the limit before the client hung up.
		expect(await hungUp(downloads[0])).toBeLessThan(Number.POSITIVE_INFINITY);
		expect(downloads[0].sent).toBeLessThan(8 * MB);
	});

	test('a status answer that never ends is cut at the JSON limit', async () => {
		sim.api.planFault(/infobytaskid$/, 10, {
			kind: 'stream',
			head: Buffer.from('{"code":1000,"data":{"x":"'),
			chunk: 64 * 1024,
			everyMs: 0,
		});
		const error = await failureOf(generate());
		expect(error.message).toMatch(
			/sent an answer of more than 1048576 bytes; it was not read further/,
		);
		for (const look of sim.api.requestsTo(/infobytaskid$/)) expect(look.sent).toBeLessThan(8 * MB);
	});
});

describe('self-hosted answers with inline images count at 4/3 of the image limit', () => {
	let server: ZImageServerSimulator;
	beforeEach(async () => {
		server = await new ZImageServerSimulator({ loadMs: 5, generateMs: 20 }).start();
	});
	afterEach(async () => await server.stop());

	test('a huge b64_json answer stops at 4/3 × Max Download Size (plus the JSON allowance)', async () => {
		server.server.planFault(/\/v1\/images\/generations$/, 1, {
			kind: 'stream',
			head: Buffer.from('{"created":1,"data":[{"b64_json":"'),
			chunk: 256 * 1024,
			everyMs: 0,
		});
		const error = await failureOf(
			runNode({
				parameters: {
					provider: 'selfHosted',
					operation: 'generate',
					prompt: 'x',
					size: '512x512',
					options: { maxDownloadMb: 1 },
				},
				credentials: { zImageServerApi: { baseUrl: server.url } },
			}),
		);
		const limit = MB + Math.ceil((MB * 4) / 3);
		expect(error.message).toContain(`sent an answer of more than ${limit} bytes`);
		const [submit] = server.server.requestsTo(/\/v1\/images\/generations$/);
		expect(submit.sent).toBeLessThan(limit + 8 * MB);
	});
});

describe('time is bounded by what the user allowed', () => {
	let sim: EvolinkSimulator;
	beforeEach(async () => {
		sim = await new EvolinkSimulator({ apiKey: KEY, taskMs: 50 }).start();
	});
	afterEach(async () => await sim.stop());
	const generate = (options: IDataObject) => evolinkGenerate(sim, { options });

	test('a status look that drips one byte every 500 ms is cut at the request timeout, not when it ends', async () => {
		sim.api.planFault(/\/v1\/tasks\//, 1, {
			kind: 'stream',
			head: Buffer.from('{"id":"'),
			chunk: 1,
			everyMs: 500,
			totalBytes: 200,
		});
		const started = Date.now();
		const result = await generate({ requestTimeoutSeconds: 2 });
		// The dripping look was abandoned after ~2 s and looked at again; it would have taken 100 s.
		expect(result.items[0].json.mimeType).toBeDefined();
		const [dripped] = sim.api.requestsTo(/\/v1\/tasks\//);
		expect((await hungUp(dripped)) - dripped.at).toBeLessThan(5000);
		expect(Date.now() - started).toBeLessThan(20_000);
	});

	test("a status look answered with another task's view (a caching proxy) fails the item; that task's image is not fetched", async () => {
		const other = await evolinkGenerate(sim, {
			prompt: 'b',
			options: { waitForCompletion: false },
		});
		const otherId = String(other.items[0].json.taskId);
		await sleep(200);
		const otherImage = `${sim.cdn.url}/results/${otherId}-0.png`;
		sim.api.planFault(/\/v1\/tasks\//, 20, {
			kind: 'reply',
			reply: {
				status: 200,
				body: { id: otherId, status: 'completed', progress: 100, results: [otherImage] },
			},
		});
		const error = await failureOf(generate({}));
		expect(error.message).toMatch(
			new RegExp(`the status answer is about task ${otherId}, not this one$`),
		);
		expect(sim.cdn.requestsTo(/^\/results\//)).toHaveLength(0);
	});

	test('Max Wait bounds a download in flight: a dripping result is abandoned when it runs out', async () => {
		sim.cdn.planFault(/^\/results\//, 5, {
			kind: 'stream',
			head: makePng(8, 8).subarray(0, 33),
			chunk: 1,
			everyMs: 500,
		});
		const started = Date.now();
		const error = await failureOf(generate({ maxWaitSeconds: 3 }));
		expect(error.message).toMatch(/Max Wait ran out while downloading the result image/);
		expect(Date.now() - started).toBeLessThan(6000);
		const [download] = sim.cdn.requestsTo(/^\/results\//);
		expect((await hungUp(download)) - started).toBeLessThan(6000);
	});
});

describe('result URLs are fetched only over http and https', () => {
	let sim: EvolinkSimulator;
	beforeEach(async () => {
		sim = await new EvolinkSimulator({ apiKey: KEY, taskMs: 20 }).start();
	});
	afterEach(async () => await sim.stop());

	test.each([
		'file:///etc/passwd',
		'ftp://example.com/x.png',
		'data:image/png;base64,iVBORw0KGgo=',
		'javascript:alert(1)',
	])('%s fails at once, naming the scheme', async (url) => {
		sim.api.planFault(/\/v1\/tasks\//, 100, {
			kind: 'reply',
			reply: {
				status: 200,
				// No id: read as the task asked about (a fixed id would be another task's answer).
				body: { status: 'completed', progress: 100, results: [url] },
			},
		});
		const error = await failureOf(evolinkGenerate(sim));
		const scheme = new URL(url).protocol;
		expect(error.message).toContain(
			`its scheme "${scheme}" is not http: or https:, so it is never fetched`,
		);
		expect(error.message).not.toContain('null/');
		expect(sim.api.requestsTo(/\/v1\/tasks\//)).toHaveLength(1);
	});

	test('an internal page behind a result URL is named by type and size, never quoted', async () => {
		const page = '<html><body>Intranet: payroll 2026, admin password hint</body></html>';
		sim.cdn.planFault(/^\/results\//, 5, {
			kind: 'reply',
			reply: { status: 200, body: page, headers: { 'content-type': 'text/html; charset=utf-8' } },
		});
		const error = await failureOf(evolinkGenerate(sim));
		expect(error.message).toMatch(
			new RegExp(`is not an image \\(content type text/html, ${page.length} bytes\\)$`),
		);
		expect(`${error.message} ${error.description}`).not.toMatch(/payroll|Intranet/);
	});
});

describe('a lost run stops spending', () => {
	let sim: EvolinkSimulator;
	beforeEach(async () => {
		sim = await new EvolinkSimulator({ apiKey: KEY, taskMs: 10_000 }).start();
	});
	afterEach(async () => await sim.stop());

	test('after the first fatal failure nothing new is submitted and the execution ends in seconds', async () => {
		sim.api.planFault(/\/v1\/images\/generations$/, 1, {
			kind: 'reply',
			reply: { status: 400, body: { error: { code: 'invalid_request', message: 'no' } } },
		});
		const started = Date.now();
		const items = Array.from({ length: 8 }, (_, index) => ({ json: { prompt: `p${index}` } }));
		const error = await failureOf(
			evolinkGenerate(sim, { prompt: '={{ $json.prompt }}', options: { maxConcurrent: 2 }, items }),
		);
		expect(error.message).toMatch(/rejected the request \(HTTP 400\)/);
		// The other running item's task takes 10 s; the run ended long before, without waiting for it.
		expect(Date.now() - started).toBeLessThan(5000);
		// What reached the server, once everything in flight has landed: the two items that were
		// running when the first failed; the six waiting their turn never started, nothing was polled.
		await sleep(1500);
		expect(sim.api.requestsTo(/\/v1\/images\/generations$/).length).toBeLessThanOrEqual(2);
		expect(sim.api.requestsTo(/\/v1\/tasks\//)).toHaveLength(0);
	});

	test('with Continue On Fail the other items still finish', async () => {
		sim.taskMs = 100;
		sim.api.planFault(/\/v1\/images\/generations$/, 1, {
			kind: 'reply',
			reply: { status: 400, body: { error: { code: 'invalid_request', message: 'no' } } },
		});
		const items = Array.from({ length: 4 }, (_, index) => ({ json: { prompt: `p${index}` } }));
		const result = await evolinkGenerate(sim, {
			prompt: '={{ $json.prompt }}',
			options: { maxConcurrent: 2 },
			items,
			continueOnFail: true,
		});
		expect(result.items.filter((item) => item.json.error)).toHaveLength(1);
		expect(result.items.filter((item) => item.json.mimeType)).toHaveLength(3);
	});
});

describe('Model Studio: the held request and its signed link, attacked', () => {
	let sim: ModelStudioSimulator;
	beforeEach(async () => {
		sim = await new ModelStudioSimulator({ apiKey: KEY, taskMs: 50 }).start();
	});
	afterEach(async () => await sim.stop());
	const GENERATION = /\/multimodal-generation\/generation$/;
	const generate = (run: { options?: IDataObject } & Omit<RunOptions, 'parameters'> = {}) => {
		const { options, ...rest } = run;
		return runNode({
			parameters: {
				provider: 'modelStudio',
				operation: 'generate',
				prompt: '={{ $json.prompt ?? "a fox" }}',
				...(options ? { options } : {}),
			},
			credentials: { zImageModelStudioApi: { apiKey: KEY, region: 'custom', baseUrl: sim.url } },
			typeVersion: 2,
			...rest,
		});
	};

	test('a generation redirected to another host is not followed: the prompt and the key stay home', async () => {
		sim.api.planFault(GENERATION, 1, redirect(307, `${elsewhere.url}/steal`));
		const error = await failureOf(generate());
		expect(error.message).toMatch(/redirected to another host .*so the redirect was not followed$/);
		expect(elsewhere.requests).toHaveLength(0);
		expect(sim.submits()).toHaveLength(1);
	});

	test('the signed link is fetched without the key, also where its host redirects it', async () => {
		const png = makePng(64, 48);
		const cdn2 = new SimulatorServer(() => ({
			status: 200,
			body: png,
			headers: { 'content-type': 'image/png' },
		}));
		await cdn2.start();
		try {
			sim.cdn.planFault(/^\/results\//, 1, redirect(302, `${cdn2.url}/moved.png`));
			const result = await generate();
			expect(result.items[0].json).toMatchObject({ width: 64, height: 48, mimeType: 'image/png' });
			for (const request of [...sim.cdn.requests, ...cdn2.requests])
				expect(JSON.stringify(request.headers)).not.toContain(KEY);
		} finally {
			await cdn2.stop();
		}
	});

	test('an answer that drips during the hold is cut at the request timeout, and not sent again', async () => {
		sim.api.planFault(GENERATION, 1, {
			kind: 'stream',
			head: Buffer.from('{"output":{"choices":['),
			chunk: 1,
			everyMs: 500,
			totalBytes: 400,
		});
		const started = Date.now();
		const error = await failureOf(generate({ options: { requestTimeoutSeconds: 2 } }));
		expect(error.message).toMatch(/no answer came within the request timeout; .*not sent again$/);
		const [dripped] = sim.submits();
		expect((await hungUp(dripped)) - started).toBeLessThan(5000);
		expect(sim.submits()).toHaveLength(1);
	});

	test('a held answer that never ends is cut at the JSON limit', async () => {
		sim.api.planFault(GENERATION, 1, {
			kind: 'stream',
			head: Buffer.from('{"output":{"choices":[{"message":{"content":[{"text":"'),
			chunk: 64 * 1024,
			everyMs: 0,
		});
		const error = await failureOf(generate());
		expect(error.message).toMatch(
			/sent an answer of more than 1048576 bytes; it was not read further/,
		);
		expect(sim.submits()[0].sent).toBeLessThan(8 * MB);
		expect(sim.submits()).toHaveLength(1);
	});

	test('an answer naming a file: link is never fetched', async () => {
		sim.api.planFault(GENERATION, 1, {
			kind: 'reply',
			reply: {
				status: 200,
				body: {
					request_id: '1c2d3e4f-5a6b-4c7d-8e9f-a0b1c2d3e4f5',
					output: { choices: [{ message: { content: [{ image: 'file:///etc/passwd' }] } }] },
				},
			},
		});
		const error = await failureOf(generate());
		expect(error.message).toContain(
			'its scheme "file:" is not http: or https:, so it is never fetched',
		);
		expect(sim.cdn.requests).toHaveLength(0);
	});

	test('after the first fatal failure no new generation starts, and held ones are let go', async () => {
		sim.taskMs = 10_000;
		sim.planError(400, 'InvalidParameter', 'no');
		const started = Date.now();
		const items = Array.from({ length: 8 }, (_, index) => ({ json: { prompt: `p${index}` } }));
		const error = await failureOf(generate({ options: { maxConcurrent: 2 }, items }));
		expect(error.message).toMatch(/refused for its parameters \(InvalidParameter: no\)/);
		// The other held request takes 10 s; the run ended long before, without waiting for it.
		expect(Date.now() - started).toBeLessThan(5000);
		await sleep(1500);
		expect(sim.submits().length).toBeLessThanOrEqual(2);
	});
});
