/**
 * The fault matrix: what each provider (or the network) can do wrong, and what the node
 * does about it, for every provider where it applies. Rules pinned down here:
 * - a submission is sent again only when the provider said it was not taken (429/503),
 *   so the simulator's task count equals the tasks the workflow asked for;
 * - status looks and downloads retry transient failures, with backoff and a bound;
 * - every error names the provider, the operation, and the task id once there is one;
 * - the API key appears nowhere in what the node produces.
 * The README's "What happens when…" table is this file, row by row.
 */
import { type IDataObject, type INodeExecutionData, sleep } from 'n8n-workflow';

import { failureOf, runNode } from '../harness';
import { FakeSimulator } from '../fake/simulator';
import { EvolinkSimulator } from '../simulators/evolink';
import { FalSimulator } from '../simulators/fal';
import { ModelStudioSimulator } from '../simulators/modelStudio';
import { ReplicateSimulator } from '../simulators/replicate';
import type { Fault, Reply, SimulatorServer } from '../simulators/server';
import { TensorsLabSimulator } from '../simulators/tensorsLab';
import { ZImageServerSimulator } from '../simulators/zImageServer';

/** The first bytes of a PNG: a hostile body that starts like an image. */
const PNG_START = Buffer.from('89504e470d0a1a0a0000000d49484452000000400000004008060000', 'hex');

const SECRET = 'sk-dummy-SECRET-7f3a9c1e5b2d';

interface Target {
	provider: string;
	displayName: string;
	/** Base URL and the servers whose requests are counted. */
	start(): Promise<{
		url: string;
		api: SimulatorServer;
		files: SimulatorServer;
		tasks(): number;
		stop(): Promise<void>;
	}>;
	credentials(url: string): Record<string, IDataObject>;
	generate: IDataObject;
	submitPath: RegExp;
	/** Absent for a synchronous provider, which answers the submission with the images. */
	pollPath?: RegExp;
	filePath: RegExp;
	/** An answer the provider gives for a failure of its own, in its shape. */
	errorBody(message: string): unknown;
	/** A status answer of a task still running, in its shape. */
	stillRunning?: unknown;
	/** The submission is held until the images are made: no status looks; the wait is the request in flight. */
	synchronous?: boolean;
	/** Rows (by `when`) where the provider does better than the rule, and what it does instead. */
	outcomes?: Record<string, Row['outcome']>;
}

export const TARGETS: Target[] = [
	{
		provider: 'tensorsLab',
		displayName: 'TensorsLab',
		async start() {
			const sim = await new TensorsLabSimulator({
				apiKey: SECRET,
				queueMs: 20,
				processMs: 100,
			}).start();
			return {
				url: sim.url,
				api: sim.api,
				files: sim.cdn,
				tasks: () => sim.tasks.size,
				stop: () => sim.stop(),
			};
		},
		credentials: (url) => ({
			tensorsLabApi: { apiKey: SECRET, baseUrl: url, authHeaderFormat: 'bearer' },
		}),
		generate: { model: 'zimage', resolution: '1:1' },
		submitPath: /\/v1\/images\/zimage$/,
		pollPath: /\/v1\/images\/infobytaskid$/,
		filePath: /^\/files\//,
		errorBody: (msg) => ({ code: 9999, msg }),
		stillRunning: { code: 1000, data: { image_status: 2 } },
	},
	{
		provider: 'selfHosted',
		displayName: 'Z-Image Server',
		async start() {
			const sim = await new ZImageServerSimulator({
				token: SECRET,
				loadMs: 20,
				generateMs: 100,
			}).start();
			return {
				url: sim.url,
				api: sim.server,
				files: sim.server,
				tasks: () => sim.tasks.size,
				stop: () => sim.stop(),
			};
		},
		credentials: (url) => ({ zImageServerApi: { apiKey: SECRET, baseUrl: url } }),
		generate: { size: '512x512', useAsync: true, responseFormat: 'url' },
		submitPath: /\/v1\/images\/async_generate$/,
		pollPath: /\/v1\/images\/tasks\//,
		filePath: /^\/outputs\//,
		errorBody: (detail) => ({ detail }),
		stillRunning: { status: 'processing' },
	},
	{
		// The test suite's own provider, registered like a real one (test/faults/fake.test.ts).
		provider: 'fake',
		displayName: 'Fake',
		async start() {
			const sim = await new FakeSimulator(SECRET).start();
			return {
				url: sim.url,
				api: sim.api,
				files: sim.cdn,
				tasks: () => sim.jobs.size,
				stop: () => sim.stop(),
			};
		},
		credentials: (url) => ({ fakeApi: { apiKey: SECRET, baseUrl: url } }),
		generate: {},
		submitPath: /^\/jobs$/,
		pollPath: /^\/jobs\//,
		filePath: /^\/img\//,
		errorBody: (message) => ({ error: message }),
		// No id: read as the task asked about (a fixed id would be another task's answer, refused).
		stillRunning: { status: 'running' },
	},
	{
		provider: 'fal',
		displayName: 'fal.ai',
		async start() {
			const sim = await new FalSimulator({ apiKey: SECRET, taskMs: 100 }).start();
			return {
				url: sim.url,
				api: sim.api,
				files: sim.cdn,
				tasks: () => sim.requests.size,
				stop: () => sim.stop(),
			};
		},
		credentials: (url) => ({ zImageFalApi: { apiKey: SECRET, baseUrl: url } }),
		generate: { falImageSize: 'square' },
		submitPath: /^\/fal-ai\/z-image\/turbo$/,
		pollPath: /\/requests\/[^/]+\/status$/,
		filePath: /^\/files\//,
		errorBody: (detail) => ({ detail }),
		stillRunning: { status: 'IN_PROGRESS', logs: [] },
	},
	...(['evolink', 'odkkk'] as const).map(
		(flavor): Target => ({
			provider: flavor,
			displayName: flavor === 'evolink' ? 'Evolink' : 'ODKKK',
			async start() {
				const sim = await new EvolinkSimulator({ flavor, apiKey: SECRET, taskMs: 100 }).start();
				return {
					url: sim.url,
					api: sim.api,
					files: sim.cdn,
					tasks: () => sim.tasks.size,
					stop: () => sim.stop(),
				};
			},
			credentials: (url) => ({ [`${flavor}Api`]: { apiKey: SECRET, baseUrl: url } }),
			generate: { model: 'z-image-turbo', size: '1:1' },
			submitPath: /\/v1\/images\/generations$/,
			pollPath: /\/v1\/tasks\//,
			filePath: /^\/results\//,
			errorBody: (message) => ({
				error: { code: flavor === 'odkkk' ? 500 : 'internal_error', message, type: 'api_error' },
			}),
			// No id: read as the task asked about (a fixed id would be another task's answer, refused).
			stillRunning: { status: 'processing', progress: 10 },
		}),
	),
	{
		provider: 'modelStudio',
		displayName: 'Alibaba Cloud Model Studio',
		synchronous: true,
		async start() {
			const sim = await new ModelStudioSimulator({ apiKey: SECRET, taskMs: 100 }).start();
			return {
				url: sim.url,
				api: sim.api,
				files: sim.cdn,
				tasks: () => sim.generated.length,
				stop: () => sim.stop(),
			};
		},
		credentials: (url) => ({
			zImageModelStudioApi: { apiKey: SECRET, region: 'custom', baseUrl: url },
		}),
		generate: { modelStudioSize: '1024*1024' },
		submitPath: /\/multimodal-generation\/generation$/,
		filePath: /^\/results\//,
		errorBody: (message) => ({
			request_id: '0f4b7c9e-1a2b-4c3d-8e9f-0a1b2c3d4e5f',
			code: 'InternalError',
			message,
		}),
	},
	{
		provider: 'replicate',
		displayName: 'Replicate',
		async start() {
			// No hold (a model still booting): the prediction is followed at its urls.get.
			const sim = await new ReplicateSimulator({
				apiKey: SECRET,
				taskMs: 100,
				holdCapMs: 0,
			}).start();
			return {
				url: sim.url,
				api: sim.api,
				files: sim.cdn,
				tasks: () => sim.predictions.size,
				stop: () => sim.stop(),
			};
		},
		credentials: (url) => ({ zImageReplicateApi: { apiKey: SECRET, baseUrl: url } }),
		generate: { replicateWidth: 512, replicateHeight: 512 },
		submitPath: /^\/v1\/models\/prunaai\/z-image-turbo\/predictions$/,
		pollPath: /^\/v1\/predictions\/[^/]+$/,
		filePath: /^\/files\//,
		errorBody: (detail) => ({ title: 'Error', detail, status: 500 }),
		// No id: read as the task asked about (a fixed id would be another task's answer, refused).
		stillRunning: { status: 'processing', logs: '' },
		// The prediction was made before the answer broke off: it is found in the list, not made again.
		outcomes: { 'the answer to a submission is cut off halfway': 'images' },
	},
];

type Where = 'submit' | 'poll' | 'file';

interface Row {
	/** The README's "What happens when…" wording. */
	when: string;
	where: Where;
	fault: (target: Target) => Fault;
	count?: number;
	/** Short request timeout and max wait, for the scenarios about time. */
	options?: IDataObject;
	outcome: 'images' | RegExp | ((target: Target) => RegExp);
	/** Requests expected at `where` (submits equal tasks created when the outcome is images). */
	requests?: number | ((n: number) => boolean);
	only?: string[];
}

const reply = (status: number, body: unknown, headers?: Record<string, string>): Fault => ({
	kind: 'reply',
	reply: { status, body, headers } as Reply,
});

const ROWS: Row[] = [
	// submissions
	{
		when: 'the provider answers 429 with Retry-After',
		where: 'submit',
		fault: (t) => reply(429, t.errorBody('slow down'), { 'retry-after': '0' }),
		outcome: 'images',
		requests: 2,
	},
	{
		when: 'the provider answers 503 to a submission',
		where: 'submit',
		fault: (t) => reply(503, t.errorBody('busy'), { 'retry-after': '0' }),
		outcome: 'images',
		requests: 2,
	},
	{
		when: 'the provider answers 429 without Retry-After',
		where: 'submit',
		fault: (t) =>
			reply(
				429,
				t.provider.startsWith('e') || t.provider === 'odkkk'
					? { error: { code: 429, message: 'slow', fallback_suggestion: 'retry after 1 seconds' } }
					: t.errorBody('slow down'),
			),
		outcome: 'images',
		requests: 2,
	},
	{
		when: 'the provider answers 500 to a submission',
		where: 'submit',
		fault: (t) => reply(500, t.errorBody('kaput')),
		outcome: (t) => new RegExp(`^${t.displayName} \\(generate\\): .*500`),
		requests: 1,
	},
	{
		when: 'the provider answers 502 to a submission',
		where: 'submit',
		fault: (t) => reply(502, t.errorBody('bad gateway')),
		outcome: (t) => new RegExp(`^${t.displayName} \\(generate\\): .*502`),
		requests: 1,
	},
	{
		when: 'the connection is reset during a submission',
		where: 'submit',
		fault: () => ({ kind: 'reset' }),
		outcome: (t) =>
			new RegExp(
				`^${t.displayName} \\(generate\\): Could not get an answer from ${t.displayName} at 127\\.0\\.0\\.1:\\d+: the connection was reset; the task may or may not have been created, so it was not sent again$`,
			),
		requests: 1,
	},
	{
		when: 'the answer to a submission is cut off halfway',
		where: 'submit',
		fault: () => ({ kind: 'truncate' }),
		outcome: /was not sent again|not JSON|without a task ID/,
		requests: 1,
	},
	{
		when: 'a submission gets no answer within the request timeout',
		where: 'submit',
		fault: () => ({ kind: 'hang' }),
		options: { requestTimeoutSeconds: 1 },
		outcome: (t) =>
			new RegExp(
				`^${t.displayName} \\(generate\\): Could not get an answer .*: no answer came within the request timeout; the task may or may not have been created, so it was not sent again$`,
			),
		requests: 1,
	},
	{
		when: 'a submission is answered with malformed JSON',
		where: 'submit',
		fault: () => reply(200, '{"code": 1000, "data": {"taskid": '),
		outcome: /not JSON|without a task ID/,
		requests: 1,
	},
	{
		when: 'a submission is answered 200 without the expected fields',
		where: 'submit',
		fault: () => reply(200, { ok: true }),
		outcome:
			/answered the submission without a task ID; it was not sent again, so nothing is billed twice$/,
		requests: 1,
	},
	// status looks
	...[429, 500, 502, 503].map(
		(status): Row => ({
			when: `a status look gets ${status}`,
			where: 'poll',
			fault: (t) => reply(status, t.errorBody('hiccup'), { 'retry-after': '0' }),
			outcome: 'images',
			requests: (n) => n >= 2,
		}),
	),
	{
		when: 'the connection is reset during a status look',
		where: 'poll',
		fault: () => ({ kind: 'reset' }),
		outcome: 'images',
		requests: (n) => n >= 2,
	},
	{
		when: 'a status look gets no answer within the request timeout',
		where: 'poll',
		fault: () => ({ kind: 'hang' }),
		options: { requestTimeoutSeconds: 1 },
		outcome: 'images',
		requests: (n) => n >= 2,
	},
	{
		when: 'a status look is answered with malformed JSON',
		where: 'poll',
		fault: () => reply(200, '{"status": '),
		outcome: 'images',
		requests: (n) => n >= 2,
	},
	{
		when: 'status looks keep failing',
		where: 'poll',
		count: 20,
		fault: (t) => reply(502, t.errorBody('down'), { 'retry-after': '0' }),
		outcome: (t) => new RegExp(`^${t.displayName} \\(generate, task \\S+\\): .*502`),
		requests: 5,
	},
	{
		when: 'a status look answers a status the node does not know',
		where: 'poll',
		fault: (t) =>
			reply(
				200,
				t.provider === 'tensorsLab'
					? { code: 1000, data: { taskid: 'x', image_status: 7 } }
					: { status: 'exploded', id: 'task-unified-1-x' },
			),
		outcome: (t) =>
			new RegExp(
				`^${t.displayName} \\(generate, task \\S+\\): ${t.displayName} answered the status request in a form the node cannot read$`,
			),
	},
	// result downloads
	{
		when: 'a result URL answers 404 (expired)',
		where: 'file',
		fault: () => reply(404, 'Not Found'),
		outcome: (t) =>
			new RegExp(
				`^${t.displayName} \\(generate, task \\S+\\): The result image at http://127\\.0\\.0\\.1:\\d+/\\S+ is gone \\(HTTP 404\\); result links expire, run the generation again$`,
			),
		requests: 1,
	},
	{
		when: 'a result URL answers an HTML page with status 200',
		where: 'file',
		fault: () => ({
			kind: 'reply',
			reply: {
				status: 200,
				body: '<!doctype html><html><body>Sign in</body></html>',
				headers: { 'content-type': 'text/html' },
			},
		}),
		// Named by type and size, never quoted: the page may be an internal one.
		outcome: (t) =>
			new RegExp(
				`^${t.displayName} \\(generate, task \\S+\\): Result 1 at \\S+ is not an image \\(content type text/html, 48 bytes\\)$`,
			),
		requests: 1,
	},
	{
		when: 'a result is larger than the download limit',
		where: 'file',
		fault: () => ({
			kind: 'reply',
			reply: {
				status: 200,
				body: Buffer.alloc(1024 * 1024 + 10, 1),
				headers: { 'content-type': 'image/png' },
			},
		}),
		options: { maxDownloadMb: 1 },
		outcome: /is 1048586 bytes, over the download limit of 1048576 bytes$/,
		requests: 1,
	},
	{
		when: 'a download stalls',
		where: 'file',
		fault: () => ({ kind: 'hang' }),
		options: { requestTimeoutSeconds: 1 },
		outcome: 'images',
		requests: 2,
	},
	{
		when: 'a download is cut off halfway',
		where: 'file',
		fault: () => ({ kind: 'truncate' }),
		outcome: 'images',
		requests: 2,
	},
	{
		when: 'a download gets 503',
		where: 'file',
		fault: () => reply(503, 'busy', { 'retry-after': '0' }),
		outcome: 'images',
		requests: 2,
	},
	// hostile answers (more in test/hostile.test.ts, checked from the server's side)
	{
		when: 'a submission is redirected to another host',
		where: 'submit',
		fault: () => reply(307, '', { location: 'http://127.0.0.1:9/elsewhere' }),
		outcome: (t) =>
			new RegExp(
				`^${t.displayName} \\(generate\\): ${t.displayName} was not asked: it redirected to another host \\(http://127\\.0\\.0\\.1:9\\); the key is only ever sent to http://127\\.0\\.0\\.1:\\d+, so the redirect was not followed$`,
			),
		requests: 1,
	},
	{
		when: 'a result download never ends (no Content-Length)',
		where: 'file',
		fault: () => ({ kind: 'stream', head: PNG_START, chunk: 64 * 1024, everyMs: 0 }),
		options: { maxDownloadMb: 1 },
		outcome: /is more than 1048576 bytes, over the download limit of 1048576 bytes$/,
		requests: 1,
	},
];

/** Everything the node produced, as text, to search for the key. */
function everything(
	items: INodeExecutionData[] | undefined,
	error?: Error & { description?: string },
): string {
	const parts = [JSON.stringify(items ?? [])];
	if (error)
		parts.push(
			error.message,
			String(error.description),
			JSON.stringify(error),
			String(error.stack),
		);
	return parts.join('\n');
}

/** The whole matrix for one provider (one test file each, so that they run side by side). */
export function describeFaults(provider: string): void {
	const target = TARGETS.find((t) => t.provider === provider)!;
	describe(target.displayName, () => defineFaultTests(target));
}

function defineFaultTests(target: Target): void {
	const rows = ROWS.filter(
		(row) =>
			(!row.only || row.only.includes(target.provider)) &&
			!(target.synchronous && row.where === 'poll'),
	);
	test.each(rows)(
		'when $when',
		async (row) => {
			const sim = await target.start();
			try {
				const server = row.where === 'file' ? sim.files : sim.api;
				const path = { submit: target.submitPath, poll: target.pollPath!, file: target.filePath }[
					row.where
				];
				server.planFault(path, row.count ?? 1, row.fault(target));
				const run = runNode({
					parameters: {
						provider: target.provider,
						operation: 'generate',
						prompt: 'a fox',
						...target.generate,
						options: row.options ?? {},
					},
					credentials: target.credentials(sim.url),
				});
				let produced: string;
				const outcome = target.outcomes?.[row.when] ?? row.outcome;
				if (outcome === 'images') {
					const result = await run;
					expect(result.items).toHaveLength(1);
					expect(result.items[0].json.status).toBe('completed');
					expect(result.items[0].binary?.data.mimeType).toBe('image/png');
					// One task per item, however many times the submission was sent.
					expect(sim.tasks()).toBe(1);
					produced = everything(result.items);
				} else {
					const error = await failureOf(run);
					expect(error.message).toMatch(typeof outcome === 'function' ? outcome(target) : outcome);
					expect(sim.tasks()).toBeLessThanOrEqual(1);
					produced = everything(undefined, error);
				}
				const seen = server.requestsTo(path).length;
				if (typeof row.requests === 'number') expect(seen).toBe(row.requests);
				else if (row.requests) expect(row.requests(seen)).toBe(true);
				expect(produced).not.toContain(SECRET);
			} finally {
				await sim.stop();
			}
		},
		60_000,
	);

	test('a provider message that echoes the key is shown without it', async () => {
		const sim = await target.start();
		try {
			sim.api.planFault(
				target.submitPath,
				1,
				reply(400, target.errorBody(`bad request from key ${SECRET}`)),
			);
			const error = await failureOf(
				runNode({
					parameters: {
						provider: target.provider,
						operation: 'generate',
						prompt: 'x',
						...target.generate,
					},
					credentials: target.credentials(sim.url),
				}),
			);
			expect(error.message).toContain('bad request from key ***');
			expect(everything(undefined, error)).not.toContain(SECRET);
		} finally {
			await sim.stop();
		}
	});

	// A synchronous provider has no status looks: what is in flight is the held submission.
	const moments = target.synchronous
		? ['a held submission in flight', 'a download in flight']
		: ['waiting between status looks', 'a status look in flight', 'a download in flight'];
	test.each(moments)(
		'cancelling while %s ends the node within a second and sends nothing more',
		async (moment) => {
			const sim = await target.start();
			try {
				if (moment === 'waiting between status looks')
					sim.api.planFault(target.pollPath!, 50, reply(200, target.stillRunning));
				if (moment === 'a status look in flight')
					sim.api.planFault(target.pollPath!, 50, { kind: 'hang' });
				if (moment === 'a held submission in flight')
					sim.api.planFault(target.submitPath, 50, { kind: 'hang' });
				if (moment === 'a download in flight')
					sim.files.planFault(target.filePath, 50, { kind: 'hang' });
				const controller = new AbortController();
				const run = runNode({
					parameters: {
						provider: target.provider,
						operation: 'generate',
						prompt: 'x',
						...target.generate,
					},
					credentials: target.credentials(sim.url),
					abortSignal: controller.signal,
				});
				const moments = {
					'waiting between status looks': target.pollPath!,
					'a status look in flight': target.pollPath!,
					'a held submission in flight': target.submitPath,
					'a download in flight': target.filePath,
				};
				const server = moment === 'a download in flight' ? sim.files : sim.api;
				const watched = moments[moment as keyof typeof moments];
				// Cancel once the moment has come: the request reached the server (or a look was answered).
				for (let i = 0; i < 200 && server.requestsTo(watched).length === 0; i++) await sleep(25);
				await sleep(150);
				const cancelledAt = Date.now();
				controller.abort();
				const error = await failureOf(run);
				expect(error.message).toBe('The execution was cancelled');
				expect(Date.now() - cancelledAt).toBeLessThan(1000);
				const seen =
					sim.api.requests.length + (sim.files === sim.api ? 0 : sim.files.requests.length);
				await sleep(1500);
				expect(
					sim.api.requests.length + (sim.files === sim.api ? 0 : sim.files.requests.length),
				).toBe(seen);
			} finally {
				await sim.stop();
			}
		},
		20_000,
	);

	test('max wait is honoured within one poll interval', async () => {
		const sim = await target.start();
		try {
			if (target.synchronous) sim.api.planFault(target.submitPath, 100, { kind: 'hang' });
			else sim.api.planFault(target.pollPath!, 100, reply(200, target.stillRunning));
			const started = Date.now();
			const error = await failureOf(
				runNode({
					parameters: {
						provider: target.provider,
						operation: 'generate',
						prompt: 'x',
						...target.generate,
						options: { maxWaitSeconds: 3 },
					},
					credentials: target.credentials(sim.url),
				}),
			);
			const elapsed = Date.now() - started;
			const { displayName } = target;
			expect(error.message).toMatch(
				target.synchronous
					? new RegExp(
							`^${displayName} \\(generate\\): Max Wait ran out while waiting for ${displayName} to answer; the task may or may not have been created, so it was not sent again$`,
						)
					: new RegExp(
							`^${target.displayName} \\(generate, task \\S+\\): still processing after the max wait of 3 s$`,
						),
			);
			expect(elapsed).toBeGreaterThanOrEqual(3000);
			expect(elapsed).toBeLessThan(3000 + 1000 + 500);
		} finally {
			await sim.stop();
		}
	});
}
