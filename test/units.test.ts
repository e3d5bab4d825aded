import { sleep } from 'n8n-workflow';

import { sniffImage } from '../nodes/ZImage/imageInfo';
import { WorkPool } from '../nodes/ZImage/pool';
import { nextPollDelayMs, POLL_SCHEDULE } from '../nodes/ZImage/poller';
import { retryAfterSeconds } from '../nodes/ZImage/failures';
import { redact, safeUrl } from '../nodes/ZImage/http/errors';
import { evolink } from '../nodes/ZImage/providers/evolink';
import { tensorsLab } from '../nodes/ZImage/providers/tensorsLab';
import type { TaskState } from '../nodes/ZImage/types';
import { isPrivateHost, parseSize, splitTaskIds } from '../nodes/ZImage/validation';
import { makePng } from './simulators/images';

describe('sniffImage reads type and size from the bytes', () => {
	test('PNG', () => {
		expect(sniffImage(makePng(40, 30))).toEqual({
			mimeType: 'image/png',
			extension: 'png',
			width: 40,
			height: 30,
		});
	});
	test('JPEG (size from the start-of-frame marker)', () => {
		const jpeg = Buffer.from([
			0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00,
			0x01, 0x00, 0x01, 0x00, 0x00, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x01, 0xe0, 0x02, 0x80, 0x03,
			0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01,
		]);
		expect(sniffImage(jpeg)).toEqual({
			mimeType: 'image/jpeg',
			extension: 'jpg',
			width: 640,
			height: 480,
		});
	});
	test('WebP VP8X and VP8L', () => {
		const vp8x = Buffer.alloc(30);
		vp8x.write('RIFF', 0, 'latin1');
		vp8x.write('WEBP', 8, 'latin1');
		vp8x.write('VP8X', 12, 'latin1');
		vp8x.writeUIntLE(1023, 24, 3);
		vp8x.writeUIntLE(767, 27, 3);
		expect(sniffImage(vp8x)).toMatchObject({ mimeType: 'image/webp', width: 1024, height: 768 });
		const vp8l = Buffer.alloc(30);
		vp8l.write('RIFF', 0, 'latin1');
		vp8l.write('WEBP', 8, 'latin1');
		vp8l.write('VP8L', 12, 'latin1');
		vp8l[20] = 0x2f;
		vp8l.writeUInt32LE((99 & 0x3fff) | ((49 & 0x3fff) << 14), 21);
		expect(sniffImage(vp8l)).toMatchObject({ mimeType: 'image/webp', width: 100, height: 50 });
	});
	test('GIF', () => {
		const gif = Buffer.from('GIF89a\x10\x00\x08\x00', 'latin1');
		expect(sniffImage(gif)).toEqual({
			mimeType: 'image/gif',
			extension: 'gif',
			width: 16,
			height: 8,
		});
	});
	test('an HTML page is not an image', () => {
		expect(sniffImage(Buffer.from('<!doctype html><html>Not found</html>'))).toBeUndefined();
	});
});

describe('poll schedule', () => {
	const state = (etaSeconds?: number): TaskState => ({
		taskId: 't',
		status: 'processing',
		images: [],
		raw: {},
		etaSeconds,
	});
	test('backs off with the time spent, between the floor and the cap', () => {
		expect(nextPollDelayMs(0)).toBe(POLL_SCHEDULE.minIntervalMs);
		expect(nextPollDelayMs(20_000)).toBe(20_000 * POLL_SCHEDULE.growth);
		expect(nextPollDelayMs(10 * 60_000)).toBe(POLL_SCHEDULE.maxIntervalMs);
	});
	test("follows the provider's estimate when it gives one", () => {
		expect(nextPollDelayMs(1000, state(4))).toBe(4000);
		expect(nextPollDelayMs(1000, state(600))).toBe(POLL_SCHEDULE.maxIntervalMs);
	});
});

describe('WorkPool', () => {
	test('never runs more than the limit at once, and a failure stays with its job', async () => {
		const pool = new WorkPool(2);
		let running = 0;
		let peak = 0;
		const jobs = [30, 10, 20, 5, 15].map((ms, index) =>
			pool.run(async () => {
				running++;
				peak = Math.max(peak, running);
				await sleep(ms);
				running--;
				if (index === 3) throw new Error('job 3 failed');
				return index;
			}),
		);
		const results = await Promise.allSettled(jobs);
		expect(peak).toBe(2);
		expect(
			results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)),
		).toEqual([0, 1, 2, 'job 3 failed', 4]);
	});

	test('work under way (downloads) goes before items not yet started', async () => {
		const pool = new WorkPool(1);
		const order: string[] = [];
		const item = (name: string, downloads: number) =>
			pool
				.run(async () => {
					order.push(`${name} generate`);
					await sleep(5);
					return Array.from({ length: downloads }, (_, i) =>
						pool.run(async () => {
							order.push(`${name} download ${i}`);
							await sleep(5);
						}, 'continue'),
					);
				})
				.then(async (queued) => await Promise.all(queued));
		await Promise.all([item('a', 2), item('b', 1)]);
		expect(order).toEqual([
			'a generate',
			'a download 0',
			'a download 1',
			'b generate',
			'b download 0',
		]);
	});
});

describe('small helpers', () => {
	test('parseSize accepts x, * and ×', () => {
		expect(parseSize('1024x768')).toEqual({ width: 1024, height: 768 });
		expect(parseSize('1024*768')).toEqual({ width: 1024, height: 768 });
		expect(parseSize(' 512 × 512 ')).toEqual({ width: 512, height: 512 });
		expect(parseSize('16:9')).toBeUndefined();
	});
	test('splitTaskIds splits on commas, spaces and new lines', () => {
		expect(splitTaskIds('a, b\nc  d,,')).toEqual(['a', 'b', 'c', 'd']);
	});
	test('redact removes every occurrence of a secret', () => {
		expect(redact('key sk-123456 and again sk-123456', ['sk-123456'])).toBe(
			'key *** and again ***',
		);
	});
	test('Retry-After in seconds or as a date', () => {
		expect(retryAfterSeconds({ 'retry-after': '7' })).toBe(7);
		expect(retryAfterSeconds({})).toBeUndefined();
		const inTen = new Date(Date.now() + 10_000).toUTCString();
		expect(retryAfterSeconds({ 'retry-after': inTen })).toBeGreaterThan(8);
	});
	test('safeUrl drops signed query strings', () => {
		expect(safeUrl('https://cdn.example.com/a.png?X-Amz-Signature=secret')).toBe(
			'https://cdn.example.com/a.png',
		);
	});
});

describe('TensorsLab answers in the shared vocabulary', () => {
	const info = (data: object) => ({ code: 1000, msg: 'OK', data });
	test.each([
		[1, 'queued'],
		[2, 'processing'],
		[3, 'completed'],
		[4, 'failed'],
	])('image_status %i is %s', (code, status) => {
		expect(
			tensorsLab.readTask(info({ taskid: 't', image_status: code, url: [] }), 't')?.status,
		).toBe(status);
	});
	test('url may be a list or a single string', () => {
		expect(
			tensorsLab.readTask(
				info({ image_status: 3, url: ['https://a/1.png', 'https://a/2.png'] }),
				't',
			)?.images,
		).toEqual([{ url: 'https://a/1.png' }, { url: 'https://a/2.png' }]);
		expect(
			tensorsLab.readTask(info({ image_status: 3, url: 'https://a/1.png' }), 't')?.images,
		).toEqual([{ url: 'https://a/1.png' }]);
	});
	test('a failed task carries error_message', () => {
		expect(
			tensorsLab.readTask(info({ image_status: 4, error_message: 'NSFW' }), 't')?.error,
		).toEqual({ message: 'NSFW' });
	});
	test('an answer without a known status cannot be read', () => {
		expect(tensorsLab.readTask(info({ image_status: 9 }), 't')).toBeUndefined();
		expect(tensorsLab.readTask('<html>', 't')).toBeUndefined();
	});
	test('code 9000 is a final credits error; 429 may be sent again', () => {
		expect(
			tensorsLab.readFailure({ statusCode: 200, headers: {}, body: { code: 9000, msg: 'x' } }),
		).toMatchObject({
			message: expect.stringContaining('credits are used up'),
		});
		expect(
			tensorsLab.readFailure({ statusCode: 200, headers: {}, body: { code: 9000 } })?.notAccepted,
		).toBeUndefined();
		expect(
			tensorsLab.readFailure({ statusCode: 429, headers: { 'retry-after': '3' }, body: {} }),
		).toMatchObject({
			notAccepted: true,
			transient: true,
			retryAfterSeconds: 3,
		});
		expect(
			tensorsLab.readFailure({ statusCode: 200, headers: {}, body: { code: 1000, data: {} } }),
		).toBeUndefined();
	});
});

describe('callback hosts', () => {
	test.each([
		['localhost', true],
		['127.0.0.1', true],
		['10.1.2.3', true],
		['172.16.0.1', true],
		['172.31.255.255', true],
		['172.32.0.1', false],
		['192.168.0.10', true],
		['169.254.169.254', true],
		['100.64.0.1', true],
		['[::1]', true],
		['fd12::1', true],
		['fe80::1', true],
		['hooks.example.com', false],
		['8.8.8.8', false],
		['2001:db8::1', false],
	])('%s private: %s', (host, expected) => {
		expect(isPrivateHost(host)).toBe(expected);
	});
});

describe('Evolink answers in the shared vocabulary', () => {
	test.each([
		['pending', 'queued'],
		['processing', 'processing'],
		['completed', 'completed'],
		['failed', 'failed'],
	])('status %s is %s', (status, expected) => {
		expect(evolink.readTask({ id: 'task-unified-1-a', status }, 'x')?.status).toBe(expected);
	});
	test('results become images, progress and the estimate are kept', () => {
		const done = evolink.readTask(
			{
				id: 'task-unified-1-a',
				status: 'completed',
				progress: 100,
				results: ['https://cdn/x.webp'],
			},
			'x',
		);
		expect(done).toMatchObject({
			taskId: 'task-unified-1-a',
			progress: 100,
			images: [{ url: 'https://cdn/x.webp' }],
		});
		const waiting = evolink.readTask(
			{ id: 't', status: 'pending', progress: 0, task_info: { estimated_time: 12 } },
			'x',
		);
		expect(waiting?.etaSeconds).toBe(12);
	});
	test('an unknown status cannot be read', () => {
		expect(evolink.readTask({ id: 't', status: 'exploded' }, 'x')).toBeUndefined();
	});
	test('string (Evolink) and integer (ODKKK) error codes read the same', () => {
		const evolinkBody = { error: { code: 'insufficient_quota', message: 'Insufficient quota' } };
		const odkkkBody = { error: { code: 402, message: 'Insufficient quota' } };
		expect(
			evolink.readFailure({ statusCode: 402, headers: {}, body: evolinkBody })?.message,
		).toMatch(/quota is used up/);
		expect(evolink.readFailure({ statusCode: 402, headers: {}, body: odkkkBody })?.message).toMatch(
			/quota is used up/,
		);
	});
});
