/**
 * Attack and stress tests of Wait Mode "Provider Callback" (Evolink): forged and odd
 * callbacks, a provider misbehaving while webhook() runs, Continue On Fail mixes, many items,
 * and the secrets (API key, resume URL signature). Written by attacking the first version of
 * the mode: the cases it got wrong (a failed look during a callback lost the run, concurrent
 * callbacks downloaded twice, the signature leaked, another task's answer was taken) are here
 * with the behaviour it has now.
 */
import { type IDataObject, sleep } from 'n8n-workflow';

import { failureOf, runNode } from './harness';
import { EvolinkSimulator } from './simulators/evolink';
import { type Reply, SimulatorServer } from './simulators/server';

const PUBLIC = 'https://n8n.example.com/';

let sim: EvolinkSimulator;
beforeEach(async () => {
	sim = await new EvolinkSimulator({ flavor: 'evolink', taskMs: 1500 }).start();
});
afterEach(async () => {
	await sim.stop();
});

const generate = (
	parameters: IDataObject,
	extra: Partial<Parameters<typeof runNode>[0]> = {},
	baseUrl?: string,
) =>
	runNode({
		parameters: {
			provider: 'evolink',
			operation: 'generate',
			prompt: 'a kite',
			waitMode: 'callback',
			...parameters,
		},
		credentials: { evolinkApi: { apiKey: sim.apiKey, baseUrl: baseUrl ?? sim.url } },
		webhookUrl: PUBLIC,
		...extra,
	});
const prompts = (count: number) =>
	Array.from({ length: count }, (_, i) => ({ json: { prompt: `kite ${i}` } }));
const ends = async () => await sleep(sim.taskMs + 300);
const taskIds = () => [...sim.tasks.keys()];
/** The signature n8n put in the resume URL (the capability to resume this execution). */
const signatureOf = (submitIndex = 0) =>
	new URL(String((sim.submits()[submitIndex].json as IDataObject).callback_url)).searchParams.get(
		'signature',
	)!;
/** Everything a user (or the next node) may see of a value, as text. */
const seen = (value: unknown) =>
	JSON.stringify(value, (_key, v: unknown) =>
		v instanceof Error
			? { ...v, message: v.message, description: (v as { description?: string }).description }
			: v,
	);

/** What a call of webhook() came to: its answer, or the error it threw. */
async function outcome(
	call: Promise<unknown>,
): Promise<{ threw?: string; workflowData?: unknown; webhookResponse?: unknown }> {
	try {
		const answer = (await call) as { workflowData?: unknown; webhookResponse?: unknown };
		return { workflowData: answer.workflowData, webhookResponse: answer.webhookResponse };
	} catch (error) {
		return { threw: (error as Error).message };
	}
}

describe('a provider misbehaving while a callback is handled (webhook())', () => {
	// When webhook() throws, n8n (webhook-helpers.js executeWebhook, catch around runWebhook)
	// answers the caller 500 and STILL resumes the execution: it replaces resultData with
	// { runData: {}, error } and runs the workflow; the parked node's stack entry still carries
	// metadata.resumeError (the Max Wait error), so WorkflowExecute.runNode rethrows it. The run
	// fails for good with "No callback ... before Max Wait ran out (<a future date>)", every
	// task is lost although it may finish seconds later, and later callbacks get 409.
	const faults: Array<[string, () => void]> = [
		[
			'an HTML page (a proxy error page) with status 200',
			() =>
				sim.api.planFault(/\/v1\/tasks\//, 5, {
					kind: 'reply',
					reply: {
						status: 200,
						body: '<html><body>Bad gateway</body></html>',
						headers: { 'content-type': 'text/html', 'retry-after': '0' },
					},
				}),
		],
		[
			'503 five times (each retry exhausted)',
			() => sim.planError('poll', 503, 5, { 'retry-after': '0' }),
		],
		['429 five times (rate limited)', () => sim.planError('poll', 429, 5, { 'retry-after': '0' })],
		[
			'a redirect to another host',
			() =>
				sim.api.planFault(/\/v1\/tasks\//, 1, {
					kind: 'reply',
					reply: { status: 307, headers: { location: 'http://127.0.0.1:9/steal' }, body: '' },
				}),
		],
	];

	test.each(faults)(
		'status lookup answered with %s while the task is unfinished: the execution stays parked',
		async (_name, plan) => {
			const result = await generate({});
			const timeoutError = result.metadata?.resumeError as Error;
			plan();
			const got = await outcome(result.resume({ query: { zimage_item: '0' } }));
			// What n8n would end the run with if webhook() throws: the Max Wait error, still set.
			if (got.threw) {
				expect(result.metadata?.resumeError).toBe(timeoutError);
				expect(timeoutError.message).toMatch(/before Max Wait ran out/);
			}
			// Wanted: no exception (answer the provider non-2xx or 200 and stay parked).
			expect(got).toEqual(expect.objectContaining({ workflowData: undefined }));
			expect(got.threw).toBeUndefined();
			// The task finishes; the next callback must still be able to finish the run.
			await ends();
			const done = await result.resume({ query: { zimage_item: '0' } });
			expect(done.workflowData?.[0]).toHaveLength(1);
		},
		30_000,
	);

	test("with Continue On Fail, one item's failed lookup does not throw away the run", async () => {
		const result = await generate(
			{ prompt: '={{ $json.prompt }}' },
			{ items: prompts(3), continueOnFail: true },
		);
		await ends();
		// One task's status answers stay 503 past the retries; the other tasks are fine and finished.
		sim.api.planFault(new RegExp(`/v1/tasks/${taskIds()[1]}$`), 5, {
			kind: 'reply',
			reply: { ...sim.error(503), headers: { 'retry-after': '0' } },
		});
		const got = await outcome(result.resume({}));
		expect(got.threw).toBeUndefined();
	});

	test('a redirect of the status request to another host is not followed: the key goes nowhere else', async () => {
		const elsewhere = new SimulatorServer(() => ({ status: 200, body: {} }));
		await elsewhere.start();
		try {
			const result = await generate({});
			await ends();
			sim.api.planFault(/\/v1\/tasks\//, 1, {
				kind: 'reply',
				reply: { status: 307, headers: { location: `${elsewhere.url}/steal` }, body: '' },
			});
			const got = await outcome(result.resume({}));
			expect(elsewhere.requests).toHaveLength(0);
			expect(got.threw ?? '').not.toContain(sim.apiKey);
		} finally {
			await elsewhere.stop();
		}
	});

	test('Max Download Size holds in webhook(): an endless result is cut, the run fails with the reason', async () => {
		const result = await generate({ options: { maxDownloadMb: 1 } });
		await ends();
		const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
		sim.cdn.planFault(/^\/results\//, 5, {
			kind: 'stream',
			head: png,
			chunk: 64 * 1024,
			everyMs: 0,
			headers: { 'content-type': 'image/png' },
		});
		const done = await result.resume({});
		expect(done.workflowData).toEqual([[]]);
		const failure = result.metadata?.resumeError as Error;
		expect(failure.message).toMatch(/1048576|1 MB|Max Download Size|larger/i);
		const served = sim.cdn.requests.reduce((sum, r) => sum + (r.sent ?? 0), 0);
		expect(served).toBeLessThan(8 * 1024 * 1024);
	}, 30_000);

	test('a result that is not an image fails the run on resume (not an item with HTML as its image)', async () => {
		const result = await generate({});
		await ends();
		sim.cdn.planFault(/^\/results\//, 1, {
			kind: 'reply',
			reply: { status: 200, body: '<html>login</html>', headers: { 'content-type': 'text/html' } },
		});
		const done = await result.resume({});
		expect(done.workflowData).toEqual([[]]);
		expect((result.metadata?.resumeError as Error).message).toMatch(/is not an image/);
	});

	test('a completed task listing more results than asked: nothing downloaded, the run fails', async () => {
		const result = await generate({});
		await ends();
		const [id] = taskIds();
		const results = [0, 1, 2, 3].map((i) => `${sim.cdn.url}/results/${id}-${i}.png`);
		sim.api.planFault(/\/v1\/tasks\//, 1, {
			kind: 'reply',
			reply: { status: 200, body: { id, status: 'completed', progress: 100, results } },
		});
		const done = await result.resume({});
		expect(done.workflowData).toEqual([[]]);
		expect((result.metadata?.resumeError as Error).message).toMatch(/lists 4 results/);
		expect(sim.cdn.requests).toHaveLength(0);
	});

	test('a status answer naming another task is not taken as this task', async () => {
		// Two runs with the same key; the provider (or a caching proxy) answers run A's status
		// request with run B's task. The node should not output B's image as A's result.
		const runA = await generate({ prompt: 'a private prompt of A' });
		const runB = await generate({ prompt: 'a private prompt of B' });
		expect(runB.waitTill).toBeDefined();
		await ends();
		const [idA, idB] = taskIds();
		const bView = {
			id: idB,
			status: 'completed',
			progress: 100,
			results: [`${sim.cdn.url}/results/${idB}-0.png`],
		};
		sim.api.planFault(new RegExp(`/v1/tasks/${idA}$`), 1, {
			kind: 'reply',
			reply: { status: 200, body: bView },
		});
		const got = await outcome(runA.resume({}));
		const items = (got.workflowData as Array<Array<{ json: IDataObject }>> | undefined)?.[0] ?? [];
		expect(items.map((item) => item.json.taskId)).not.toContain(idB);
	});
});

describe('forged, odd and repeated callbacks', () => {
	test("a huge body naming another execution's task: ignored, only this run's task is looked up", async () => {
		const other = await generate({ prompt: 'someone else' });
		const mine = await generate({});
		expect(other.waitTill).toBeDefined();
		const [otherId, myId] = taskIds();
		const polls = sim.polls().length;
		const got = await mine.resume({
			body: { id: otherId, status: 'completed', results: ['x'], pad: 'A'.repeat(5_000_000) },
			query: { zimage_item: '7', signature: 'forged' },
		});
		expect(got.workflowData).toBeUndefined();
		const looked = sim
			.polls()
			.slice(polls)
			.map((r) => decodeURIComponent(r.path.split('/').pop()!));
		expect(looked).toEqual([myId]);
	});

	test('a malformed body (a string, an array, null) changes nothing', async () => {
		const result = await generate({});
		for (const body of ['{"id":', [1, 2, 3], null, 42]) {
			const got = await result.resume({ body });
			expect(got).toEqual({ webhookResponse: { received: true, unfinishedTasks: 1 } });
		}
		await ends();
		const done = await result.resume({ body: '<<<' });
		expect(done.workflowData?.[0]).toHaveLength(1);
	});

	test('a callback after the run was resumed sends nothing and returns nothing (n8n also answers 409 first)', async () => {
		const result = await generate({});
		await ends();
		const done = await result.resume({});
		expect(done.workflowData?.[0]).toHaveLength(1);
		const requests = sim.api.requests.length + sim.cdn.requests.length;
		const again = await outcome(result.resume({}));
		expect(again.workflowData).toBeUndefined();
		expect(sim.api.requests.length + sim.cdn.requests.length).toBe(requests);
	});

	test('two callbacks at once (provider retry, or tasks ending together) download each image once', async () => {
		// Evolink gives a callback 10 s, then retries after 1 s: a webhook() that is still
		// downloading gets a second, concurrent webhook(). n8n lets only one resume the
		// execution (requireStatus 'waiting'), but both have downloaded everything.
		const result = await generate({ prompt: '={{ $json.prompt }}' }, { items: prompts(4) });
		await ends();
		const [a, b] = await Promise.all([
			result.resume({ query: { zimage_item: '0' } }),
			result.resume({ query: { zimage_item: '0' } }),
		]);
		const resumed = [a, b].filter((answer) => answer.workflowData);
		expect(resumed.length).toBeGreaterThanOrEqual(1);
		expect(sim.cdn.requests).toHaveLength(4);
	});

	test('50 items: a callback looks at its own item first and stops at the first unfinished task; finished ones are not looked at again', async () => {
		// Tasks of 5 s: fifty submissions end before the first task does, however busy the machine.
		sim.taskMs = 5000;
		const result = await generate({ prompt: '={{ $json.prompt }}' }, { items: prompts(50) });
		// Before parking: the first task looked at is unfinished, so no other is.
		expect(sim.polls()).toHaveLength(1);
		let before = sim.polls().length;
		await result.resume({ query: { zimage_item: '3' } });
		expect(
			sim
				.polls()
				.slice(before)
				.map((poll) => poll.path),
		).toEqual([expect.stringContaining(taskIds()[3])]);
		await ends();
		before = sim.polls().length;
		const done = await result.resume({ query: { zimage_item: '7' } });
		expect(done.workflowData?.[0]).toHaveLength(50);
		// Every task looked at once, the named one first.
		expect(sim.polls().length - before).toBe(50);
		expect(sim.polls()[before].path).toContain(taskIds()[7]);
	}, 60_000);
});

describe('items: Continue On Fail, per-item options, none, many', () => {
	test('Continue On Fail: an item refused at submission is an error item before and after parking', async () => {
		sim.api.planFault(/\/v1\/images\/generations$/, 1, {
			kind: 'reply',
			reply: sim.error(400, 'prompt rejected'),
		});
		const result = await generate(
			{ prompt: '={{ $json.prompt }}', options: { maxConcurrent: 1 } },
			{ items: prompts(3), continueOnFail: true },
		);
		expect(result.waitTill).toBeDefined();
		const parked = result.items.map((item) => [
			item.pairedItem,
			item.json.error ? 'error' : item.json.status,
		]);
		expect(parked).toEqual([
			[{ item: 0 }, 'error'],
			[{ item: 1 }, 'waiting for the provider to call back'],
			[{ item: 2 }, 'waiting for the provider to call back'],
		]);
		await ends();
		const items = (await result.resume({})).workflowData?.[0] ?? [];
		expect(
			items.map((item) => [item.pairedItem, item.json.error ? 'error' : item.json.mimeType]),
		).toEqual([
			[{ item: 0 }, 'error'],
			[{ item: 1 }, 'image/png'],
			[{ item: 2 }, 'image/png'],
		]);
		expect(result.metadata?.resumeError).toBeUndefined();
	});

	test('per-item Max Wait: the execution waits until the longest; the shorter one is not enforced on its own', async () => {
		const before = Date.now();
		const result = await generate(
			{ prompt: '={{ $json.prompt }}', options: { maxWaitSeconds: '={{ $json.wait }}' } },
			{
				items: [{ json: { prompt: 'a', wait: 60 } }, { json: { prompt: 'b', wait: 600 } }],
			},
		);
		expect(result.waitTill!.getTime()).toBeGreaterThanOrEqual(before + 600_000);
		expect(result.items.map((item) => item.json.maxWaitUntil)).toEqual([
			expect.any(String),
			expect.any(String),
		]);
	});

	test('no items: nothing sent, nothing parked', async () => {
		const result = await generate({}, { items: [] });
		expect(result.items).toEqual([]);
		expect(result.waitTill).toBeUndefined();
		expect(sim.submits()).toHaveLength(0);
	});

	test('50 items: 50 resume URLs by item, one resume gives 50 images in input order', async () => {
		sim.taskMs = 2500;
		const result = await generate({ prompt: '={{ $json.prompt }}' }, { items: prompts(50) });
		const items = sim
			.submits()
			.map((s) =>
				new URL(String((s.json as IDataObject).callback_url)).searchParams.get('zimage_item'),
			)
			.map(Number)
			.sort((x, y) => x - y);
		expect(items).toEqual(Array.from({ length: 50 }, (_, i) => i));
		expect(result.waitTill).toBeDefined();
		await sleep(2800);
		const done = await result.resume({});
		const out = done.workflowData?.[0] ?? [];
		expect(out.map((item) => item.pairedItem)).toEqual(
			Array.from({ length: 50 }, (_, item) => ({ item })),
		);
		expect(out.every((item) => item.binary?.data?.mimeType === 'image/png')).toBe(true);
	}, 60_000);
});

describe('secrets: the API key and the resume URL signature', () => {
	test('normal run: neither the key nor the signature is in the parked items, the metadata or the final items', async () => {
		const result = await generate({ prompt: '={{ $json.prompt }}' }, { items: prompts(2) });
		const signature = signatureOf();
		const parked = seen({ items: result.items, metadata: result.metadata });
		await ends();
		const done = await result.resume({});
		const final = seen({ done, metadata: result.metadata });
		for (const text of [parked, final]) {
			expect(text).not.toContain(sim.apiKey);
			expect(text).not.toContain(signature);
		}
	});

	test('a provider error that quotes the key, on resume: the key is not in the failure', async () => {
		const result = await generate({});
		await ends();
		sim.api.planFault(/\/v1\/tasks\//, 5, {
			kind: 'reply',
			reply: sim.error(401, `Invalid token ${sim.apiKey}`),
		});
		const got = await outcome(result.resume({}));
		expect(seen(got)).not.toContain(sim.apiKey);
		expect(seen(result.metadata)).not.toContain(sim.apiKey);
	});

	test("a task failure reason that quotes callback_url does not put the signature in the run's error", async () => {
		const result = await generate({});
		const signature = signatureOf();
		const task = sim.tasks.get(taskIds()[0])!;
		task.failWith = {
			code: 'callback_failed',
			message: `could not deliver to ${task.callbackUrl}`,
		};
		await ends();
		// n8n checks the signature before the node sees the call: a callback always carries it.
		await result.resume({ query: { signature } });
		const failure = result.metadata?.resumeError as Error;
		expect(failure.message).toContain('could not deliver to');
		expect(seen(result.metadata)).not.toContain(signature);
	});

	test('a submission refused with a message quoting callback_url does not show the live signature (error, or error item beside parked tasks)', async () => {
		// An Evolink-like API: takes prompt "a" (the task stays pending), refuses prompt "b"
		// quoting the callback address back, as many APIs quote a parameter they reject.
		let lastSignature = '';
		const echo = new SimulatorServer((request): Reply => {
			if (request.method === 'GET')
				return { status: 200, body: { id: 'task-unified-1-a', status: 'pending', progress: 0 } };
			const body = request.json as IDataObject;
			const callback = String(body.callback_url ?? '');
			lastSignature = new URL(callback).searchParams.get('signature') ?? '';
			if (body.prompt === 'a')
				return { status: 200, body: { id: 'task-unified-1-a', status: 'pending', progress: 0 } };
			return sim.error(400, `callback_url ${callback} is not reachable`, { param: 'callback_url' });
		});
		await echo.start();
		try {
			const failure = await failureOf(generate({ prompt: 'b' }, {}, echo.url));
			expect(lastSignature).toMatch(/^[0-9a-f]{16,}$/);
			const inError = seen(failure).includes(lastSignature);
			// Continue On Fail: item 0 parked, item 1 an error item shown while the execution waits,
			// with the signature that can still resume it.
			const lenient = await generate(
				{ prompt: '={{ $json.prompt }}' },
				{ items: [{ json: { prompt: 'a' } }, { json: { prompt: 'b' } }], continueOnFail: true },
				echo.url,
			);
			expect(lenient.waitTill).toBeDefined();
			const inParkedItems = seen(lenient.items).includes(lastSignature);
			expect({ inError, inParkedItems }).toEqual({ inError: false, inParkedItems: false });
		} finally {
			await echo.stop();
		}
	});
});
