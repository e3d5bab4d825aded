/**
 * The Evolink simulator's callbacks: submit-time checks of callback_url like the real API,
 * delivery of the final task view over HTTPS (through the e2e TLS front, as to an n8n
 * behind its reverse proxy), the API's retries, and no delivery at all outside test mode.
 */
/* eslint-disable @n8n/community-nodes/no-restricted-imports -- a test HTTP receiver (node:http), never shipped */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

import { startTlsFront, type TlsFront } from '../e2e/lib/tlsFront';
import { EvolinkSimulator } from './simulators/evolink';
import { delay } from './simulators/server';

interface Received {
	method: string;
	path: string;
	query: URLSearchParams;
	headers: IncomingMessage['headers'];
	body: string;
	at: number;
}

/** A plain HTTP server that records each request and answers what `answer` says for its path. */
async function startReceiver(answer: (path: string, nth: number) => number) {
	const received: Received[] = [];
	const sockets = new Set<Socket>();
	const server: Server = createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (chunk: Buffer) => chunks.push(chunk));
		req.on('end', () => {
			const url = new URL(req.url ?? '/', 'http://receiver');
			received.push({
				method: req.method ?? 'GET',
				path: url.pathname,
				query: url.searchParams,
				headers: req.headers,
				body: Buffer.concat(chunks).toString('utf8'),
				at: Date.now(),
			});
			const nth = received.filter((r) => r.path === url.pathname).length;
			const status = answer(url.pathname, nth);
			res.writeHead(status, { 'content-type': 'application/json' });
			res.end(JSON.stringify({ received: status < 300 }));
		});
	});
	server.on('connection', (socket: Socket) => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return {
		port: (server.address() as AddressInfo).port,
		received,
		to: (path: string) => received.filter((r) => r.path === path),
		stop: async () => {
			for (const socket of sockets) socket.destroy();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		},
	};
}

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
	const end = Date.now() + timeoutMs;
	while (!check()) {
		if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
		await delay(25);
	}
}

const TASK_MS = 300;

async function submit(sim: EvolinkSimulator, extra: Record<string, unknown>) {
	const res = await fetch(`${sim.url}/v1/images/generations`, {
		method: 'POST',
		headers: { authorization: `Bearer ${sim.apiKey}`, 'content-type': 'application/json' },
		body: JSON.stringify({ model: 'z-image-turbo', prompt: 'a cute cat', ...extra }),
	});
	const body = (await res.json()) as { id: string; error?: Record<string, unknown> };
	return { status: res.status, body };
}

async function taskView(sim: EvolinkSimulator, id: string): Promise<unknown> {
	const res = await fetch(`${sim.url}/v1/tasks/${id}`, {
		headers: { authorization: `Bearer ${sim.apiKey}` },
	});
	return await res.json();
}

describe('Evolink simulator callbacks, in test mode', () => {
	let sim: EvolinkSimulator;
	let receiver: Awaited<ReturnType<typeof startReceiver>>;
	let front: TlsFront;
	const hookUrl = (path: string, query = 'signature=abc&zimage_item=0') =>
		`https://n8n.zimage.test:${front.port}${path}?${query}`;

	beforeAll(async () => {
		receiver = await startReceiver((path, nth) => {
			if (path === '/webhook-waiting/2') return nth <= 2 ? 409 : 200;
			if (path === '/webhook-waiting/3') return 409;
			return 200;
		});
		front = await startTlsFront(receiver.port);
	});
	beforeEach(async () => {
		sim = await new EvolinkSimulator({
			taskMs: TASK_MS,
			callbacks: { resolveTo: '127.0.0.1', trustSelfSigned: true },
		}).start();
	});
	afterEach(async () => {
		await sim.stop();
	});
	afterAll(async () => {
		await front.stop();
		await receiver.stop();
	});

	test('one POST of the final task view, query kept, through the TLS front', async () => {
		expect(front.url).toBe(`https://n8n.zimage.test:${front.port}/`);
		const submitted = await submit(sim, { callback_url: hookUrl('/webhook-waiting/1') });
		expect(submitted.status).toBe(200);
		const id = submitted.body.id;
		expect(sim.tasks.get(id)?.callbackUrl).toBe(hookUrl('/webhook-waiting/1'));
		await until(() => receiver.to('/webhook-waiting/1').length > 0, 5000, 'the callback');
		// Nothing more comes: one answer of 200 ends the delivery.
		await delay(500);
		const calls = receiver.to('/webhook-waiting/1');
		expect(calls).toHaveLength(1);
		const [call] = calls;
		expect(call.method).toBe('POST');
		expect(call.headers['content-type']).toBe('application/json');
		expect(call.headers['x-forwarded-proto']).toBe('https');
		expect(Object.fromEntries(call.query)).toEqual({ signature: 'abc', zimage_item: '0' });
		const body = JSON.parse(call.body) as Record<string, unknown>;
		expect(body).toEqual(await taskView(sim, id));
		expect(body).toMatchObject({ id, status: 'completed', progress: 100 });
		expect(call.at - sim.tasks.get(id)!.createdMs).toBeGreaterThanOrEqual(TASK_MS);
		expect(sim.callbackAttempts).toEqual([
			expect.objectContaining({
				taskId: id,
				url: hookUrl('/webhook-waiting/1'),
				attempt: 1,
				status: 200,
			}),
		]);
		expect(sim.callbacksDelivered()).toHaveLength(1);
		expect(front.requests).toContainEqual({
			method: 'POST',
			path: '/webhook-waiting/1?signature=abc&zimage_item=0',
			status: 200,
		});
	});

	test('a failed task calls back with status failed and its error', async () => {
		sim.failNextTask('content_policy_violation', 'The prompt was refused');
		const { body } = await submit(sim, { callback_url: hookUrl('/webhook-waiting/4') });
		await until(() => receiver.to('/webhook-waiting/4').length > 0, 5000, 'the callback');
		expect(JSON.parse(receiver.to('/webhook-waiting/4')[0].body)).toMatchObject({
			id: body.id,
			status: 'failed',
			error: { code: 'content_policy_violation', message: 'The prompt was refused' },
		});
	});

	test('retries after 1 s and 2 s until a 2xx; never more than 3 retries', async () => {
		const [retried, refused] = await Promise.all([
			submit(sim, { callback_url: hookUrl('/webhook-waiting/2') }),
			submit(sim, { callback_url: hookUrl('/webhook-waiting/3') }),
		]);
		await until(() => receiver.to('/webhook-waiting/3').length >= 4, 12_000, 'four attempts');
		// Long enough for a fifth attempt, were there one (the next wait would be 8 s, not 0.6).
		await delay(600);

		const twice = receiver.to('/webhook-waiting/2');
		expect(twice).toHaveLength(3);
		expect(twice[1].at - twice[0].at).toBeGreaterThanOrEqual(900);
		expect(twice[2].at - twice[1].at).toBeGreaterThanOrEqual(1800);
		expect(twice[2].at - twice[1].at).toBeLessThan(4000);
		const attempts = sim.callbackAttempts.filter((a) => a.taskId === retried.body.id);
		expect(attempts.map((a) => [a.attempt, a.status])).toEqual([
			[1, 409],
			[2, 409],
			[3, 200],
		]);

		const always = receiver.to('/webhook-waiting/3');
		expect(always).toHaveLength(4);
		expect(always[3].at - always[2].at).toBeGreaterThanOrEqual(3600);
		const refusals = sim.callbackAttempts.filter((a) => a.taskId === refused.body.id);
		expect(refusals.map((a) => [a.attempt, a.status])).toEqual([
			[1, 409],
			[2, 409],
			[3, 409],
			[4, 409],
		]);
		expect(sim.callbacksDelivered().map((a) => a.taskId)).toEqual([retried.body.id]);
	}, 20_000);

	test.each([
		['loopback', 'https://127.0.0.1/webhook-waiting/1'],
		['loopback, as a number', 'https://2130706433/webhook-waiting/1'],
		['IPv6 loopback', 'https://[::1]/webhook-waiting/1'],
		['localhost', 'https://localhost:5678/webhook-waiting/1'],
		['a private network', 'https://10.1.2.3/webhook-waiting/1'],
		['a private network', 'https://172.20.0.5/webhook-waiting/1'],
		['a private network', 'https://192.168.1.20/webhook-waiting/1'],
		['link-local', 'https://169.254.169.254/latest/meta-data'],
		['plain HTTP', 'http://n8n.zimage.test/webhook-waiting/1'],
		['over 2048 characters', `https://n8n.zimage.test/${'a'.repeat(2049 - 24)}`],
		['not a URL', 'not a url'],
		['not a string', { url: 'https://n8n.zimage.test/' }],
	])('callback_url on %s is refused with 400 and no task', async (_what, callbackUrl) => {
		if (typeof callbackUrl === 'string' && callbackUrl.startsWith('https://n8n.zimage.test/a'))
			expect(callbackUrl).toHaveLength(2049);
		const { status, body } = await submit(sim, { callback_url: callbackUrl });
		expect(status).toBe(400);
		expect(body.error).toMatchObject({ code: 'invalid_request', param: 'callback_url' });
		expect(sim.tasks.size).toBe(0);
	});

	test('2048 characters are accepted', async () => {
		const url = hookUrl('/webhook-waiting/5', 'signature=abc');
		const long = `${url}&pad=${'a'.repeat(2048 - url.length - 5)}`;
		expect(long).toHaveLength(2048);
		expect((await submit(sim, { callback_url: long })).status).toBe(200);
		await until(() => sim.callbacksDelivered().length === 1, 5000, 'the callback');
		expect(receiver.to('/webhook-waiting/5')[0].query.get('pad')).toHaveLength(
			2048 - url.length - 5,
		);
	});

	test('lost callbacks are not sent; callbackDelayMs holds the first attempt back', async () => {
		sim.dropCallbacksFor(1);
		sim.callbacks.delayMs = 400;
		const lost = await submit(sim, { callback_url: hookUrl('/webhook-waiting/6') });
		const late = await submit(sim, { callback_url: hookUrl('/webhook-waiting/7') });
		await until(() => receiver.to('/webhook-waiting/7').length > 0, 5000, 'the late callback');
		const [call] = receiver.to('/webhook-waiting/7');
		expect(call.at - sim.tasks.get(late.body.id)!.createdMs).toBeGreaterThanOrEqual(TASK_MS + 400);
		expect(receiver.to('/webhook-waiting/6')).toHaveLength(0);
		expect(sim.callbackAttempts.find((a) => a.taskId === lost.body.id)).toMatchObject({
			attempt: 0,
			notSent: 'dropped',
		});
	});

	test('a forged callback goes over the same transport', async () => {
		const answer = await sim.sendForgedCallback(hookUrl('/webhook-waiting/8'), {
			id: 'task-unified-0-forged',
			status: 'completed',
		});
		expect(answer).toEqual({ status: 200, body: JSON.stringify({ received: true }) });
		const [call] = receiver.to('/webhook-waiting/8');
		expect(JSON.parse(call.body)).toEqual({ id: 'task-unified-0-forged', status: 'completed' });
		expect(sim.callbackAttempts).toHaveLength(0);
	});
});

describe('Evolink simulator callbacks, without test mode', () => {
	test('no callback is attempted, only recorded as not delivered', async () => {
		const receiver = await startReceiver(() => 200);
		const front = await startTlsFront(receiver.port);
		const sim = await new EvolinkSimulator({ taskMs: TASK_MS }).start();
		try {
			const url = `https://n8n.zimage.test:${front.port}/webhook-waiting/9?signature=abc`;
			const { status, body } = await submit(sim, { callback_url: url });
			expect(status).toBe(200);
			await until(() => sim.callbackAttempts.length > 0, 5000, 'the task end');
			await delay(300);
			expect(sim.callbackAttempts).toEqual([
				expect.objectContaining({
					taskId: body.id,
					url,
					attempt: 0,
					notSent: 'no test mode',
					error: 'not delivered: no test mode',
				}),
			]);
			expect(sim.callbacksDelivered()).toHaveLength(0);
			expect(receiver.received).toHaveLength(0);
			expect(front.requests).toHaveLength(0);
			await expect(sim.sendForgedCallback(url, {})).rejects.toThrow(/test mode/);
		} finally {
			await sim.stop();
			await front.stop();
			await receiver.stop();
		}
	});

	test('test mode resolves only to loopback', () => {
		expect(
			() =>
				new EvolinkSimulator({ callbacks: { resolveTo: '93.184.216.34', trustSelfSigned: true } }),
		).toThrow(/loopback/);
	});
});
