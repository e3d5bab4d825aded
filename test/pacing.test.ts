/**
 * Pacing against a provider's limits (issue #14): the control rules of the window of tasks
 * in flight, the polling budget and the learned schedule, pinned against simulators that
 * enforce per-key caps. No timing figures here: those live in `npm run bench`.
 */
import type { IDataObject } from 'n8n-workflow';
import { sleep } from 'n8n-workflow';

import { classifyAnswer, waitInWords } from '../nodes/ZImage/failures';
import { activeBudgets } from '../nodes/ZImage/pacing/budget';
import { learnedDelayMs, TaskDurations } from '../nodes/ZImage/pacing/durations';
import { pacedWindowMs, RATE_RULES, SubmitRate } from '../nodes/ZImage/pacing/submitRate';
import { evolink as evolinkProvider } from '../nodes/ZImage/providers/evolink';
import { TaskWindow, WINDOW_RULES } from '../nodes/ZImage/pacing/taskWindow';
import { RunControl } from '../nodes/ZImage/run';
import { runNode } from './harness';
import { EvolinkSimulator } from './simulators/evolink';
import type { KeyLimitOptions } from './simulators/limits';
import { TensorsLabSimulator } from './simulators/tensorsLab';

const run = new RunControl(
	{ getExecutionCancelSignal: () => undefined, getNode: () => ({ name: 'Z-Image' }) } as never,
	true,
);
const prompts = (count: number) =>
	Array.from({ length: count }, (_, i) => ({ json: { prompt: `prompt ${i}` } }));

describe('the window of tasks in flight', () => {
	const firstProbe = WINDOW_RULES.firstProbeMs;
	afterEach(() => {
		WINDOW_RULES.firstProbeMs = firstProbe;
	});

	test('a refusal narrows the window to the tasks still in flight, and gives the slot back', async () => {
		const window = new TaskWindow(10);
		for (let i = 0; i < 6; i++) await window.acquire(run, i);
		window.notAccepted(undefined, 1);
		expect(window.inFlight).toBe(5);
		expect(window.limit).toBe(5);
		window.notAccepted(undefined, 1);
		expect(window.limit).toBe(4);
	});

	test('with nothing else in flight, a refusal holds every submission: for its Retry-After, else a pause', async () => {
		const window = new TaskWindow(4);
		await window.acquire(run, 0);
		const before = Date.now();
		window.notAccepted(0.3, 1);
		expect(window.heldUntil).toBeGreaterThanOrEqual(before + 300);
		let granted = 0;
		await window.acquire(run, 1).then(() => (granted = Date.now()));
		expect(granted - before).toBeGreaterThanOrEqual(290);
		const alone = new TaskWindow(4);
		await alone.acquire(run, 0);
		const at = Date.now();
		alone.notAccepted(undefined, 0.2);
		expect(alone.heldUntil).toBeGreaterThanOrEqual(at + 200);
		// with tasks in flight, their ends free the turns: no hold
		const busy = new TaskWindow(4);
		await busy.acquire(run, 0);
		await busy.acquire(run, 1);
		busy.notAccepted(5, 1);
		expect(busy.heldUntil).toBe(0);
	});

	test('accepted submissions widen it again, after a quiet while, up to the ceiling', async () => {
		WINDOW_RULES.firstProbeMs = 50;
		const window = new TaskWindow(6);
		for (let i = 0; i < 3; i++) await window.acquire(run, i);
		window.notAccepted(undefined, 1);
		expect(window.limit).toBe(2);
		window.accepted();
		expect(window.limit).toBe(2);
		await sleep(60);
		// one slot more per window's worth of accepted submissions
		window.accepted();
		expect(window.limit).toBe(2);
		window.accepted();
		expect(window.limit).toBe(3);
		for (let i = 0; i < 30; i++) window.accepted();
		expect(window.limit).toBe(6);
	});

	test('waiting slots go first come, first served', async () => {
		const window = new TaskWindow(1);
		await window.acquire(run, 0);
		const order: number[] = [];
		const waits = [1, 2, 3].map((i) => window.acquire(run, i).then(() => order.push(i)));
		for (let i = 0; i < 3; i++) window.release();
		await Promise.all(waits);
		expect(order).toEqual([1, 2, 3]);
	});
});

describe('the submit rate', () => {
	const firstProbe = RATE_RULES.firstProbeMs;
	afterEach(() => {
		RATE_RULES.firstProbeMs = firstProbe;
	});

	test("a refusal's wait in words is read as Retry-After is", () => {
		expect(waitInWords('Request was throttled. Your rate limit resets in ~30s')).toBe(30);
		expect(waitInWords('Rate limit reached, retry after 60 seconds')).toBe(60);
		expect(waitInWords('Please try again in 2 minutes.')).toBe(120);
		expect(waitInWords('Retry after 500ms')).toBe(0.5);
		expect(waitInWords('Too many requests, please try again later')).toBeUndefined();
		expect(waitInWords('at most 5 requests per second')).toBeUndefined();
		// In the shared classifier: words in the message before what the provider's table assumes (60 s).
		const failure = classifyAnswer(evolinkProvider.errors, {
			statusCode: 429,
			headers: {},
			body: { error: { code: 'rate_limit_exceeded', message: 'Your rate limit resets in ~3s' } },
		});
		expect(failure?.retryAfterSeconds).toBe(3);
		expect(failure?.notAccepted).toBe(true);
	});

	test('the first refusal after a burst tells the window and how many it took', () => {
		const rate = new SubmitRate();
		for (let i = 0; i < 5; i++) rate.accept();
		expect(rate.pacing).toBeUndefined();
		// Rule changed (issue #26): the first reading paces at once, on trial, instead of only
		// once the key took two more tasks than it was refused at (a proof a rate cap may never give).
		expect(rate.refuse(1, undefined, 5)).toBe('rate');
		expect(rate.learned?.count).toBe(5);
		expect(rate.learned?.windowMs).toBeGreaterThanOrEqual(1000);
		expect(rate.learned?.windowMs).toBeLessThan(1500);
		expect(rate.pacing?.count).toBe(5);
		expect(rate.trial).toBe(5);
	});

	test('a long window said in words is learned in one step, not a second short', () => {
		const rate = new SubmitRate();
		for (let i = 0; i < 12; i++) rate.accept();
		rate.refuse(6, undefined, 12);
		expect(rate.pacing?.count).toBe(12);
		expect(rate.pacing?.windowMs).toBeGreaterThanOrEqual(6000);
		expect(rate.pacing?.windowMs).toBeLessThan(6500);
	});

	test('a refusal with room under the rate is not the rate: it stops pacing, the window narrows', async () => {
		const minWindow = RATE_RULES.minWindowMs;
		RATE_RULES.minWindowMs = 100;
		try {
			const rate = new SubmitRate();
			for (let i = 0; i < 4; i++) rate.accept();
			expect(rate.refuse(undefined, undefined, 4)).toBe('rate');
			expect(rate.pacing?.count).toBe(4);
			await sleep(150);
			// nothing taken in the window, yet refused: the tasks in flight
			expect(rate.refuse(undefined, undefined, 4)).toBe('tasks');
			expect(rate.pacing).toBeUndefined();
			expect(rate.refuse(undefined, undefined, 4)).toBe('unknown');
		} finally {
			RATE_RULES.minWindowMs = minWindow;
		}
	});

	test('a rate on trial: a submission it holds goes when fewer tasks are in flight; taken, the rate stops pacing', async () => {
		const rate = new SubmitRate();
		for (let i = 0; i < 3; i++) rate.answered(await rate.turn(run, i));
		for (let i = 0; i < 3; i++) rate.accept(undefined, 3);
		rate.refuse(1, undefined, 3);
		expect(rate.pacing?.count).toBe(3);
		// three tasks still in flight: it waits on the rate
		let inFlight = 3;
		const started = Date.now();
		const held = rate.turn(run, 3, () => inFlight);
		await sleep(150);
		inFlight = 1;
		const sent = await held;
		expect(sent.trial).toBe(true);
		expect(sent.at - started).toBeLessThan(800);
		expect(rate.accept(sent, 2)).toBe(false);
		expect(rate.pacing).toBeUndefined();
		expect(rate.trial).toBeUndefined();
	});

	test('a rate on trial: a refused trial submission, or clearly more tasks at once, confirm the rate', async () => {
		const refusedTrial = new SubmitRate();
		for (let i = 0; i < 3; i++) refusedTrial.answered(await refusedTrial.turn(run, i));
		for (let i = 0; i < 3; i++) refusedTrial.accept(undefined, 3);
		refusedTrial.refuse(1, undefined, 3);
		const sent = await refusedTrial.turn(run, 3, () => 0);
		expect(sent.trial).toBe(true);
		expect(refusedTrial.refuse(1, sent, 0)).toBe('rate');
		expect(refusedTrial.trial).toBeUndefined();
		expect(refusedTrial.pacing?.count).toBe(3);
		const more = new SubmitRate();
		for (let i = 0; i < 5; i++) more.accept(undefined, 5);
		more.refuse(1, undefined, 5);
		expect(more.accept(undefined, 6)).toBe(true);
		expect(more.trial).toBe(5);
		more.accept(undefined, 7);
		expect(more.trial).toBeUndefined();
		expect(more.pacing?.count).toBe(5);
	});

	test('a documented rate paces from the start, bursts within it allowed, and is not a ceiling', async () => {
		RATE_RULES.firstProbeMs = 50;
		const rate = new SubmitRate({ requests: 2, perSeconds: 0.2 });
		const slots: number[] = [];
		for (let i = 0; i < 3; i++) {
			const sent = await rate.turn(run, i);
			rate.answered(sent);
			rate.accept();
			slots.push(sent.at);
		}
		// two at once, the third one window (just longer) after the first one's answer
		expect(slots[1] - slots[0]).toBeLessThan(100);
		expect(slots[2] - slots[0]).toBeGreaterThanOrEqual(pacedWindowMs(200) - 1);
		await sleep(250);
		rate.answered(await rate.turn(run, 3));
		rate.accept();
		expect(rate.pacing?.count).toBe(3);
	});
});

describe('the learned schedule', () => {
	test('the first look comes at the typical time, then in small steps, then the usual schedule', () => {
		expect(learnedDelayMs(0, 30_000)).toBe(30_000);
		expect(learnedDelayMs(30_000, 30_000)).toBe(1_500);
		expect(learnedDelayMs(46_000, 30_000)).toBeUndefined();
		expect(learnedDelayMs(0, 1_000)).toBe(1_000);
		expect(learnedDelayMs(1_000, 1_000)).toBe(500);
	});
	test('the first look goes most of the way from a late "still running" to an early "done"', () => {
		const durations = new TaskDurations();
		expect(durations.expectedMs()).toBeUndefined();
		durations.observe(28_000, 32_000);
		durations.observe(29_000, 31_000);
		durations.observe(1_000, 99_000);
		expect(durations.expectedMs()).toBe(29_000 + 0.8 * (32_000 - 29_000));
		const alwaysDone = new TaskDurations();
		alwaysDone.observe(undefined, 10_000);
		expect(alwaysDone.expectedMs()).toBe(8_000 + 0.8 * 2_000);
	});
});

describe('against providers that cap a key', () => {
	const evolink = async (limits: KeyLimitOptions, taskMs = 300) =>
		await new EvolinkSimulator({ taskMs, limits }).start();
	/** TensorsLab's Generate, one item per prompt, with these options. */
	const generateOnTensorsLab = (sim: TensorsLabSimulator, count: number, options: IDataObject) =>
		runNode({
			parameters: {
				provider: 'tensorsLab',
				operation: 'generate',
				prompt: '={{ $json.prompt }}',
				model: 'zimage',
				resolution: '1:1',
				options,
			},
			credentials: {
				tensorsLabApi: { apiKey: sim.apiKey, baseUrl: sim.url, authHeaderFormat: 'bearer' },
			},
			items: prompts(count),
		});

	const generate = (sim: EvolinkSimulator, count: number, options: IDataObject = {}) =>
		runNode({
			parameters: {
				provider: 'evolink',
				operation: 'generate',
				prompt: '={{ $json.prompt }}',
				size: '1:1',
				options,
			},
			credentials: { evolinkApi: { apiKey: sim.apiKey, baseUrl: sim.url } },
			items: prompts(count),
		});

	test('every item succeeds against a cap of 3 running tasks; each is submitted until taken, once', async () => {
		const sim = await evolink({ maxRunning: 3, retryAfter: true });
		try {
			const result = await generate(sim, 12, { maxConcurrent: 10 });
			expect(result.items).toHaveLength(12);
			expect(result.items.every((item) => item.json.status === 'completed')).toBe(true);
			expect(sim.tasks.size).toBe(12);
			expect(new Set(result.items.map((item) => item.json.taskId)).size).toBe(12);
			expect(sim.submits()).toHaveLength(12 + sim.limits!.refused);
			// narrowed after the first refusals: far fewer 429s than submissions
			expect(sim.limits!.refused).toBeLessThan(12);
		} finally {
			await sim.stop();
		}
	});

	test("a submission refused with Retry-After is not sent again before the provider's time", async () => {
		const sim = await evolink({ maxRunning: 2, retryAfter: true }, 1500);
		try {
			await generate(sim, 5, { maxConcurrent: 5 });
			expect(sim.limits!.refusals.length).toBeGreaterThan(0);
			for (const refusal of sim.limits!.refusals) {
				const again = sim
					.submits()
					.find(
						(r) => r.at > refusal.at && (r.json as { prompt?: string }).prompt === refusal.prompt,
					);
				expect(again!.at - refusal.at).toBeGreaterThanOrEqual(refusal.retryAfter! * 1000 - 20);
			}
		} finally {
			await sim.stop();
		}
	});

	test('a submit-rate cap without Retry-After (TensorsLab): every item succeeds, none counted twice', async () => {
		const sim = await new TensorsLabSimulator({
			queueMs: 0,
			processMs: 300,
			limits: { submitsPerWindow: 2, windowMs: 500 },
		}).start();
		try {
			const result = await generateOnTensorsLab(sim, 6, { maxConcurrent: 8 });
			expect(result.items).toHaveLength(6);
			expect(sim.tasks.size).toBe(6);
			expect(sim.submits()).toHaveLength(6 + sim.limits!.refused);
		} finally {
			await sim.stop();
		}
	});

	test('executions using the same key share one window; the budget is dropped when they end', async () => {
		const sim = await evolink({ maxRunning: 3, retryAfter: true });
		try {
			const runs = await Promise.all([
				generate(sim, 6, { maxConcurrent: 6 }),
				generate(sim, 6, { maxConcurrent: 6 }),
			]);
			expect(runs.map((run) => run.items.length)).toEqual([6, 6]);
			expect(sim.tasks.size).toBe(12);
			expect(sim.limits!.refused).toBeLessThan(12);
			expect(activeBudgets()).toBe(0);
		} finally {
			await sim.stop();
		}
	});

	/** Prompts' accepted submissions per second from the first refusal to the last acceptance (the wire). */
	const acceptedRate = (sim: EvolinkSimulator) => {
		const firstRefusal = sim.limits!.refusals[0]?.at ?? 0;
		const after = sim.limits!.accepted.filter((at) => at >= firstRefusal);
		return (after.length - 1) / ((after[after.length - 1] - after[0]) / 1000);
	};

	test('a rate cap of 5 submissions a second, 2 s tasks: paced near the cap once learned, few refusals, none failed', async () => {
		const sim = await evolink({ submitsPerWindow: 5, windowMs: 1000, retryAfter: true }, 2000);
		try {
			const result = await generate(sim, 40, { maxConcurrent: 20 });
			expect(result.items.every((item) => item.json.status === 'completed')).toBe(true);
			expect(sim.tasks.size).toBe(40);
			expect(sim.submits()).toHaveLength(40 + sim.limits!.refused);
			// a slow start, and submissions already on their way when the rate is learned
			expect(sim.limits!.refused).toBeLessThanOrEqual(12);
			// The window of tasks in flight alone took 2.5 a second here (5 in flight × 2 s).
			expect(acceptedRate(sim)).toBeGreaterThan(3.5);
		} finally {
			await sim.stop();
		}
	}, 30_000);

	test('a cap on tasks running, tasks longer than the rate read: paced by the window again, few refusals', async () => {
		const sim = await evolink({ maxRunning: 4, retryAfter: true }, 1500);
		try {
			const result = await generate(sim, 16, { maxConcurrent: 12 });
			expect(result.items.every((item) => item.json.status === 'completed')).toBe(true);
			expect(sim.submits()).toHaveLength(16 + sim.limits!.refused);
			expect(sim.limits!.refused).toBeLessThanOrEqual(16);
		} finally {
			await sim.stop();
		}
	}, 30_000);

	test('a rate cap saying its wait in words: a refused submission is not sent again before that time', async () => {
		const sim = await evolink({ submitsPerWindow: 3, windowMs: 1000, words: true }, 500);
		try {
			const result = await generate(sim, 12, { maxConcurrent: 12 });
			expect(result.items).toHaveLength(12);
			expect(sim.tasks.size).toBe(12);
			expect(sim.limits!.refusals.length).toBeGreaterThan(0);
			for (const refusal of sim.limits!.refusals) {
				const again = sim
					.submits()
					.find(
						(r) => r.at > refusal.at && (r.json as { prompt?: string }).prompt === refusal.prompt,
					);
				expect(again!.at - refusal.at).toBeGreaterThanOrEqual(refusal.retryAfter! * 1000 - 20);
			}
		} finally {
			await sim.stop();
		}
	}, 30_000);

	test('executions sharing a key share its submit rate', async () => {
		const sim = await evolink({ submitsPerWindow: 4, windowMs: 1000, retryAfter: true }, 1500);
		try {
			const runs = await Promise.all([
				generate(sim, 12, { maxConcurrent: 10 }),
				generate(sim, 12, { maxConcurrent: 10 }),
			]);
			expect(runs.map((run) => run.items.length)).toEqual([12, 12]);
			expect(sim.tasks.size).toBe(24);
			expect(sim.limits!.refused).toBeLessThanOrEqual(10);
			expect(activeBudgets()).toBe(0);
		} finally {
			await sim.stop();
		}
	}, 30_000);

	test('status requests to one key stay within Max Status Requests per Second', async () => {
		const sim = await new TensorsLabSimulator({ queueMs: 0, processMs: 1500 }).start();
		try {
			await generateOnTensorsLab(sim, 8, { maxStatusPerSecond: 4 });
			const looks = sim.api.requestsTo(/infobytaskid/).map((r) => r.at);
			// Looks are let go at most 4 in any second; their arrival here jitters on a busy machine.
			for (const at of looks) {
				expect(
					looks.filter((other) => other >= at && other < at + 1000).length,
				).toBeLessThanOrEqual(8);
			}
			// Over a span of S seconds the pacer lets go at most 4 × S + 4 looks (4 at its start);
			// the span is measured at arrival, so it may read up to a tenth of a second short.
			const spanSeconds = (looks[looks.length - 1] - looks[0]) / 1000;
			expect(looks.length).toBeLessThanOrEqual(4 * (spanSeconds + 0.1) + 4);
		} finally {
			await sim.stop();
		}
	});

	test('tasks submitted after the first ones finished are looked at on the learned schedule', async () => {
		const sim = await new TensorsLabSimulator({ queueMs: 0, processMs: 3000 }).start();
		try {
			await generateOnTensorsLab(sim, 2, { maxConcurrent: 1 });
			const [first, second] = [...sim.tasks.keys()];
			const looksAt = (taskId: string) =>
				sim.api
					.requestsTo(/infobytaskid/)
					.filter((r) => (r.json as { taskid: string }).taskid === taskId).length;
			expect(looksAt(second)).toBeLessThan(looksAt(first));
			expect(looksAt(second)).toBeLessThanOrEqual(3);
		} finally {
			await sim.stop();
		}
	});
});
