import { type IDataObject, sleep } from 'n8n-workflow';

import { failureOf, imageItem, runNode } from './harness';
import { decodePng, makePng } from './simulators/images';
import { TensorsLabSimulator } from './simulators/tensorsLab';

let sim: TensorsLabSimulator;

beforeEach(async () => {
	sim = await new TensorsLabSimulator().start();
});
afterEach(async () => {
	await sim.stop();
});

const credentials = (extra: IDataObject = {}) => ({
	tensorsLabApi: { apiKey: sim.apiKey, baseUrl: sim.url, authHeaderFormat: 'bearer', ...extra },
});

const generate = (parameters: IDataObject, extra: Partial<Parameters<typeof runNode>[0]> = {}) =>
	runNode({
		parameters: { provider: 'tensorsLab', operation: 'generate', model: 'zimage', ...parameters },
		credentials: credentials(),
		...extra,
	});

describe('TensorsLab Generate', () => {
	test('z-image: multipart on the wire, W*H size, one PNG item with the task facts', async () => {
		const result = await generate({
			prompt: 'a red fox',
			resolution: 'custom',
			width: 512,
			height: 768,
		});

		const [submit] = sim.submits();
		expect(submit.path).toBe('/v1/images/zimage');
		expect(submit.headers.authorization).toBe(`Bearer ${sim.apiKey}`);
		expect(String(submit.headers['content-type'])).toMatch(/^multipart\/form-data; boundary=/);
		expect(submit.fields).toEqual({
			prompt: ['a red fox'],
			resolution: ['512*768'],
			prompt_extend: ['0'],
		});

		expect(result.items).toHaveLength(1);
		const [item] = result.items;
		const taskId = [...sim.tasks.keys()][0];
		expect(item.json).toMatchObject({
			provider: 'tensorsLab',
			model: 'zimage',
			taskId,
			status: 'completed',
			prompt: 'a red fox',
			width: 512,
			height: 768,
			index: 0,
			mimeType: 'image/png',
			fileName: `${taskId}-0.png`,
		});
		expect(item.json.url).toBe(`${sim.cdn.url}/files/${taskId}-0.png`);
		expect(item.pairedItem).toEqual({ item: 0 });
		expect(item.binary?.data.mimeType).toBe('image/png');
		expect(item.binary?.data.fileName).toBe(`${taskId}-0.png`);
		const png = decodePng(await result.binary(0));
		expect([png.width, png.height]).toEqual([512, 768]);
		expect(item.json.seed).toBe(sim.tasks.get(taskId)!.seed);
	});

	test('the result CDN never receives the API key', async () => {
		await generate({ prompt: 'a lighthouse', resolution: '1:1' });
		expect(sim.cdn.requests).toHaveLength(1);
		expect(sim.cdn.requests[0].headers.authorization).toBeUndefined();
		expect(JSON.stringify(sim.cdn.requests[0].headers)).not.toContain(sim.apiKey);
	});

	test('z-image: seed, prompt extend and a ratio preset are sent as TensorsLab wants them', async () => {
		const result = await generate({
			prompt: 'x',
			resolution: '16:9',
			seed: 42,
			promptExtend: true,
		});
		expect(sim.submits()[0].fields).toEqual({
			prompt: ['x'],
			resolution: ['16:9'],
			seed: ['42'],
			prompt_extend: ['1'],
		});
		expect(result.items[0].json.seed).toBe(42);
	});

	test('the default resolution is 1024*1024 with the asterisk', async () => {
		await generate({ prompt: 'x' });
		expect(sim.submits()[0].fields?.resolution).toEqual(['1024*1024']);
	});

	test('raw key header form for accounts that use it', async () => {
		sim.authForm = 'raw';
		const result = await runNode({
			parameters: {
				provider: 'tensorsLab',
				operation: 'generate',
				model: 'zimage',
				prompt: 'x',
				resolution: '1:1',
			},
			credentials: credentials({ authHeaderFormat: 'raw' }),
		});
		expect(sim.submits()[0].headers.authorization).toBe(sim.apiKey);
		expect(result.items).toHaveLength(1);
	});

	test('SeeDream 4.5: WxH size, batch of 3 → three items from one task', async () => {
		const result = await generate({
			model: 'seedreamv45',
			prompt: 'three cats',
			resolution: 'custom',
			width: 2560,
			height: 1440,
			batchSize: 3,
		});
		const [submit] = sim.submits();
		expect(submit.path).toBe('/v1/images/seedreamv45');
		expect(submit.fields).toEqual({
			prompt: ['three cats'],
			resolution: ['2560x1440'],
			batchsize: ['3'],
		});
		expect(result.items.map((i) => i.json.index)).toEqual([0, 1, 2]);
		expect(result.items.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 0 }, { item: 0 }]);
		const taskId = result.items[0].json.taskId;
		expect(result.items.map((i) => i.json.fileName)).toEqual(
			[0, 1, 2].map((n) => `${taskId}-${n}.png`),
		);
		for (const index of [0, 1, 2]) {
			const png = decodePng(await result.binary(index));
			expect([png.width, png.height]).toEqual([2560, 1440]);
		}
	});

	test('SeeDream 4: only ratio presets, sent to its own endpoint', async () => {
		await generate({ model: 'seedreamv4', prompt: 'x', resolution: '3:4', batchSize: 1 });
		expect(sim.submits()[0].path).toBe('/v1/images/seedreamv4');
		expect(sim.submits()[0].fields?.resolution).toEqual(['3:4']);
	});

	test('several input items run concurrently and come out in input order', async () => {
		sim.processMs = 600;
		const prompts = ['one', 'two', 'three', 'four'];
		const result = await runNode({
			parameters: {
				provider: 'tensorsLab',
				operation: 'generate',
				model: 'zimage',
				prompt: '={{ $json.prompt }}',
				resolution: '1:1',
			},
			credentials: credentials(),
			items: prompts.map((prompt) => ({ json: { prompt } })),
		});
		expect(result.items.map((i) => i.json.prompt)).toEqual(prompts);
		expect(result.items.map((i) => i.pairedItem)).toEqual(prompts.map((_, item) => ({ item })));
		// All four were submitted before the first could finish: they did not wait for each other.
		const times = sim.submits().map((r) => r.at);
		expect(Math.max(...times) - Math.min(...times)).toBeLessThan(sim.queueMs + sim.processMs);
	});

	test('max concurrent 1 runs the items one after another', async () => {
		sim.processMs = 50;
		await runNode({
			parameters: {
				provider: 'tensorsLab',
				operation: 'generate',
				model: 'zimage',
				prompt: '={{ $json.prompt }}',
				options: { maxConcurrent: 1 },
			},
			credentials: credentials(),
			items: [{ json: { prompt: 'a' } }, { json: { prompt: 'b' } }],
		});
		const [first, second] = sim.submits();
		const firstDownload = sim.cdn.requests[0];
		expect(second.at).toBeGreaterThanOrEqual(firstDownload.at);
		expect(first.at).toBeLessThan(second.at);
	});

	test('Download Images off returns the URLs only', async () => {
		const result = await generate({ prompt: 'x', options: { downloadImages: false } });
		expect(result.items[0].binary).toBeUndefined();
		expect(result.items[0].json.url).toMatch(/\/files\/.+-0\.png$/);
		expect(sim.cdn.requests).toHaveLength(0);
	});

	test('a custom binary property name', async () => {
		const result = await generate({ prompt: 'x', options: { binaryPropertyName: 'picture' } });
		expect(Object.keys(result.items[0].binary ?? {})).toEqual(['picture']);
	});
});

describe('TensorsLab Edit', () => {
	test('source images from binary fields go out as sourceImage files, with the URL', async () => {
		const photo = makePng(64, 48, 7);
		const sketch = makePng(32, 32, 9);
		const result = await runNode({
			parameters: {
				provider: 'tensorsLab',
				operation: 'edit',
				model: 'seedreamv45',
				prompt: 'make it watercolor',
				resolution: '2K',
				inputImageFields: 'data, sketch',
				imageUrl: 'https://example.com/ref.jpg',
			},
			credentials: credentials(),
			items: [imageItem({ data: photo, sketch })],
		});
		const [submit] = sim.submits();
		expect(submit.path).toBe('/v1/images/seedreamv45');
		expect(submit.fields).toEqual({
			prompt: ['make it watercolor'],
			resolution: ['2K'],
			batchsize: ['1'],
			imageUrl: ['https://example.com/ref.jpg'],
		});
		expect(submit.files?.map((f) => [f.field, f.mimeType])).toEqual([
			['sourceImage', 'image/png'],
			['sourceImage', 'image/png'],
		]);
		expect(submit.files?.[0].data.equals(photo)).toBe(true);
		expect(submit.files?.[1].data.equals(sketch)).toBe(true);
		expect(result.items).toHaveLength(1);
		expect(decodePng(await result.binary(0)).width).toBe(2048);
	});

	test('an image URL alone is enough', async () => {
		await runNode({
			parameters: {
				provider: 'tensorsLab',
				operation: 'edit',
				model: 'seedreamv4',
				prompt: 'x',
				resolution: '1:1',
				inputImageFields: '',
				imageUrl: 'https://example.com/a.png',
			},
			credentials: credentials(),
		});
		expect(sim.submits()[0].files ?? []).toHaveLength(0);
		expect(sim.submits()[0].fields?.imageUrl).toEqual(['https://example.com/a.png']);
	});
});

describe('TensorsLab Get Task, Delete Task, Health', () => {
	test('without waiting, Generate returns the task; Get Task later downloads the images', async () => {
		sim.processMs = 400;
		const submitted = await generate({ prompt: 'later', options: { waitForCompletion: false } });
		expect(submitted.items).toHaveLength(1);
		const task = submitted.items[0].json;
		expect(task).toMatchObject({
			provider: 'tensorsLab',
			status: 'queued',
			model: 'zimage',
			prompt: 'later',
		});
		expect(submitted.items[0].binary).toBeUndefined();
		expect(sim.api.requests.filter((r) => r.path === '/v1/images/infobytaskid')).toHaveLength(0);

		const looked = await runNode({
			parameters: { provider: 'tensorsLab', operation: 'getTask', taskId: task.taskId },
			credentials: credentials(),
		});
		expect(looked.items[0].json).toMatchObject({
			taskId: task.taskId,
			status: expect.stringMatching(/queued|processing/),
		});
		expect(looked.items[0].json.raw).toMatchObject({ taskid: task.taskId });

		const fetched = await runNode({
			parameters: {
				provider: 'tensorsLab',
				operation: 'getTask',
				taskId: task.taskId,
				options: { waitForCompletion: true },
			},
			credentials: credentials(),
		});
		expect(fetched.items[0].json).toMatchObject({
			taskId: task.taskId,
			status: 'completed',
			mimeType: 'image/png',
		});
		expect(decodePng(await fetched.binary(0)).width).toBe(1024);
	});

	test('Get Task of a failed task reports it without throwing', async () => {
		sim.failNextTask('Generation failed: content policy');
		const submitted = await generate({ prompt: 'x', options: { waitForCompletion: false } });
		const taskId = submitted.items[0].json.taskId as string;
		await sleep(sim.queueMs + sim.processMs + 50);
		const result = await runNode({
			parameters: { provider: 'tensorsLab', operation: 'getTask', taskId },
			credentials: credentials(),
		});
		expect(result.items[0].json).toMatchObject({
			taskId,
			status: 'failed',
			error: { message: 'Generation failed: content policy' },
		});
	});

	test('Get Task of an unknown id names the provider, operation and task', async () => {
		await expect(
			runNode({
				parameters: { provider: 'tensorsLab', operation: 'getTask', taskId: 'abcd_404' },
				credentials: credentials(),
			}),
		).rejects.toThrow(
			'TensorsLab (getTask, task abcd_404): TensorsLab refused the request (code 9999): task not found',
		);
	});

	test('Delete Task sends all ids in one request', async () => {
		const a = await generate({ prompt: 'a', options: { waitForCompletion: false } });
		const b = await generate({ prompt: 'b', options: { waitForCompletion: false } });
		const ids = [a.items[0].json.taskId, b.items[0].json.taskId] as string[];
		const result = await runNode({
			parameters: { provider: 'tensorsLab', operation: 'deleteTask', taskId: ids.join(', ') },
			credentials: credentials(),
		});
		const [request] = sim.api.requestsTo(/deleteimagestask/);
		expect(request.json).toEqual({ taskids: ids });
		expect(result.items[0].json).toMatchObject({ provider: 'tensorsLab', deleted: ids });
		expect(sim.tasks.size).toBe(0);
	});

	test('Health proves the key without creating a task', async () => {
		const result = await runNode({
			parameters: { provider: 'tensorsLab', operation: 'health' },
			credentials: credentials(),
		});
		expect(result.items[0].json).toMatchObject({
			provider: 'tensorsLab',
			reachable: true,
			keyAccepted: true,
		});
		expect(sim.submits()).toHaveLength(0);
		expect(sim.tasks.size).toBe(0);
	});

	test('Health with a wrong key fails and never shows the key', async () => {
		const wrongKey = 'tl-dummy-wrong-key-987654321';
		const failure = runNode({
			parameters: { provider: 'tensorsLab', operation: 'health' },
			credentials: credentials({ apiKey: wrongKey }),
		});
		await expect(failure).rejects.toThrow(/TensorsLab \(health\): TensorsLab rejected the API key/);
		const error = await failureOf(failure);
		expect(`${error.message} ${error.description} ${JSON.stringify(error)}`).not.toContain(
			wrongKey,
		);
	});
});

describe('TensorsLab errors', () => {
	test('code 9000: credits used up, where to top up, and no second submit', async () => {
		sim.credits = 0;
		await expect(generate({ prompt: 'x' })).rejects.toThrow(
			'TensorsLab (generate): Your TensorsLab credits are used up (code 9000). Top up at https://tensorai.tensorslab.com/ and run again',
		);
		expect(sim.submits()).toHaveLength(1);
	});

	test('code 9999 on submit quotes the message and is not sent again', async () => {
		sim.api.planFault(/\/v1\/images\/zimage/, 1, {
			kind: 'reply',
			reply: { status: 200, body: { code: 9999, msg: 'prompt contains forbidden words' } },
		});
		await expect(generate({ prompt: 'x' })).rejects.toThrow(
			'TensorsLab (generate): TensorsLab refused the request (code 9999): prompt contains forbidden words',
		);
		expect(sim.submits()).toHaveLength(1);
	});

	test('a failed task carries the provider message and the task id', async () => {
		sim.failNextTask('Generation failed: GPU out of memory');
		const failure = generate({ prompt: 'x' });
		await expect(failure).rejects.toThrow(
			/^TensorsLab \(generate, task tl0001_[0-9a-f]+\): the task failed: Generation failed: GPU out of memory$/,
		);
	});

	test('with Continue On Fail the failed item says why and the others still succeed', async () => {
		const result = await runNode({
			parameters: {
				provider: 'tensorsLab',
				operation: 'generate',
				model: 'zimage',
				prompt: '={{ $json.prompt }}',
			},
			credentials: credentials(),
			items: [
				{ json: { prompt: 'fine' } },
				{ json: { prompt: '' } },
				{ json: { prompt: 'also fine' } },
			],
			continueOnFail: true,
		});
		expect(result.items).toHaveLength(3);
		expect(result.items[0].json.prompt).toBe('fine');
		expect(result.items[1].json.error).toMatch(/^Invalid Prompt "": a prompt is required/);
		expect(result.items[1].pairedItem).toEqual({ item: 1 });
		expect(result.items[2].json.prompt).toBe('also fine');
		expect(sim.submits()).toHaveLength(2);
	});

	test('with Continue On Fail a failed task gives its task id', async () => {
		sim.failNextTask('bad prompt');
		const result = await generate({ prompt: 'x' }, { continueOnFail: true });
		expect(result.items[0].json).toMatchObject({
			error: expect.stringContaining('the task failed: bad prompt'),
			taskId: expect.stringMatching(/^tl0001_/),
		});
	});

	test('a 429 on submit is retried after Retry-After; the task is created once', async () => {
		sim.api.planFault(/\/v1\/images\/zimage/, 1, {
			kind: 'reply',
			reply: {
				status: 429,
				body: { code: 9999, msg: 'Too many requests' },
				headers: { 'retry-after': '0' },
			},
		});
		const result = await generate({ prompt: 'x' });
		expect(sim.submits()).toHaveLength(2);
		expect(sim.tasks.size).toBe(1);
		expect(result.items).toHaveLength(1);
	});

	test('a 500 on submit is not retried (the task may exist)', async () => {
		sim.api.planFault(/\/v1\/images\/zimage/, 1, {
			kind: 'reply',
			reply: { status: 500, body: { code: 9999, msg: 'boom' } },
		});
		await expect(generate({ prompt: 'x' })).rejects.toThrow(
			'TensorsLab (generate): TensorsLab answered HTTP 500: boom',
		);
		expect(sim.submits()).toHaveLength(1);
	});

	test('a connection reset on submit is not retried', async () => {
		sim.api.planFault(/\/v1\/images\/zimage/, 1, { kind: 'reset' });
		await expect(generate({ prompt: 'x' })).rejects.toThrow(/was not sent again/);
		expect(sim.submits()).toHaveLength(1);
	});

	test('a 502 on a status poll is retried and the task still completes', async () => {
		sim.api.planFault(/infobytaskid/, 1, {
			kind: 'reply',
			reply: { status: 502, body: 'Bad Gateway' },
		});
		const result = await generate({ prompt: 'x' });
		expect(result.items[0].json.status).toBe('completed');
		expect(sim.api.requestsTo(/infobytaskid/).length).toBeGreaterThanOrEqual(2);
	});
});

describe('TensorsLab waiting', () => {
	test('max wait ends the item with the task id and how to collect it later', async () => {
		sim.processMs = 60_000;
		const started = Date.now();
		const failure = generate({ prompt: 'slow', options: { maxWaitSeconds: 2 } });
		await expect(failure).rejects.toThrow(
			/^TensorsLab \(generate, task tl0001_\w+\): still (queued|processing) after the max wait of 2 s$/,
		);
		const error = await failureOf(failure);
		expect(error.description).toMatch(/Use the Get Task operation with task ID tl0001_\w+/);
		expect(Date.now() - started).toBeLessThan(2000 + 1500);
	});

	test('cancelling the execution stops the wait at once and sends nothing more', async () => {
		sim.processMs = 60_000;
		const controller = new AbortController();
		const started = Date.now();
		const run = generate({ prompt: 'slow' }, { abortSignal: controller.signal });
		void sleep(1500).then(() => controller.abort());
		await expect(run).rejects.toThrow('The execution was cancelled');
		expect(Date.now() - started).toBeLessThan(1500 + 1000);
		const seen = sim.api.requests.length;
		await sleep(1500);
		expect(sim.api.requests.length).toBe(seen);
	});
});
