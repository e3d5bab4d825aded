import { type IDataObject, sleep } from 'n8n-workflow';

import { failureOf, runCredentialTest, runNode } from './harness';
import { EvolinkSimulator, type Flavor } from './simulators/evolink';
import { decodeImage } from './simulators/images';

const HOSTS: Array<{ flavor: Flavor; provider: string; credential: string; name: string }> = [
	{ flavor: 'evolink', provider: 'evolink', credential: 'evolinkApi', name: 'Evolink' },
	{ flavor: 'odkkk', provider: 'odkkk', credential: 'odkkkApi', name: 'ODKKK' },
];

describe.each(HOSTS)('$name', ({ flavor, provider, credential, name }) => {
	let sim: EvolinkSimulator;
	beforeEach(async () => {
		sim = await new EvolinkSimulator({ flavor }).start();
	});
	afterEach(async () => {
		await sim.stop();
	});

	const credentials = (extra: IDataObject = {}) => ({
		[credential]: { apiKey: sim.apiKey, baseUrl: sim.url, ...extra },
	});
	const run = (parameters: IDataObject, extra: Partial<Parameters<typeof runNode>[0]> = {}) =>
		runNode({ parameters: { provider, ...parameters }, credentials: credentials(), ...extra });
	const generate = (parameters: IDataObject, extra: Partial<Parameters<typeof runNode>[0]> = {}) =>
		run({ operation: 'generate', prompt: 'a cute cat', ...parameters }, extra);

	describe('Generate', () => {
		test('JSON body on the wire, bearer key, one image from results[]', async () => {
			const result = await generate({ size: '16:9' });
			const [submit] = sim.submits();
			expect(submit.path).toBe(`${flavor === 'odkkk' ? '/apiv1' : ''}/v1/images/generations`);
			expect(submit.headers.authorization).toBe(`Bearer ${sim.apiKey}`);
			expect(submit.json).toEqual({ model: 'z-image-turbo', prompt: 'a cute cat', size: '16:9' });
			const taskId = [...sim.tasks.keys()][0];
			expect(result.items).toHaveLength(1);
			expect(result.items[0].json).toMatchObject({
				provider,
				model: 'z-image-turbo',
				taskId,
				status: 'completed',
				prompt: 'a cute cat',
				width: 1280,
				height: 720,
				mimeType: 'image/png',
				fileName: `${taskId}-0.png`,
			});
			expect(result.items[0].pairedItem).toEqual({ item: 0 });
			expect(await decodeImage(await result.binary(0))).toEqual({
				format: 'png',
				width: 1280,
				height: 720,
			});
			expect(sim.cdn.requests[0].headers.authorization).toBeUndefined();
		});

		test('custom size, seed, NSFW check and callback URL as the API wants them', async () => {
			await generate({
				size: 'custom',
				width: 768,
				height: 1536,
				seed: 12345,
				nsfwCheck: true,
				callbackUrl: 'https://hooks.example.com/n8n/image-done',
			});
			expect(sim.submits()[0].json).toEqual({
				model: 'z-image-turbo',
				prompt: 'a cute cat',
				size: '768x1536',
				seed: 12345,
				nsfw_check: true,
				callback_url: 'https://hooks.example.com/n8n/image-done',
			});
		});

		test.each([
			['webp', 'image/webp', 'webp'],
			['jpeg', 'image/jpeg', 'jpg'],
		] as const)(
			'a %s result keeps its true type and extension',
			async (format, mimeType, extension) => {
				sim.format = format;
				const result = await generate({ size: '1:1' });
				expect(result.items[0].json).toMatchObject({ mimeType, width: 1024, height: 1024 });
				expect(result.items[0].json.fileName).toMatch(new RegExp(`-0\\.${extension}$`));
				expect(result.items[0].binary?.data.mimeType).toBe(mimeType);
				expect(await decodeImage(await result.binary(0))).toEqual({
					format,
					width: 1024,
					height: 1024,
				});
			},
		);

		test('the first look waits for the task estimate, and few looks are needed', async () => {
			sim.taskMs = 2000;
			const result = await generate({});
			const [submit] = sim.submits();
			const polls = sim.polls();
			// estimated_time is 2 s: the first look is not sooner than that
			expect(polls[0].at - submit.at).toBeGreaterThanOrEqual(1900);
			expect(polls.length).toBeLessThanOrEqual(3);
			expect(result.items[0].json.status).toBe('completed');
		});

		test('without waiting, the task comes back with its progress; Get Task collects it later', async () => {
			sim.taskMs = 1500;
			const submitted = await generate({ options: { waitForCompletion: false } });
			expect(submitted.items[0].json).toMatchObject({ provider, status: 'queued', progress: 0 });
			expect((submitted.items[0].json.raw as IDataObject).task_info).toEqual({
				can_cancel: true,
				estimated_time: 2,
			});
			const taskId = submitted.items[0].json.taskId as string;
			expect(taskId).toMatch(/^task-unified-/);

			await sleep(600);
			const midway = await run({ operation: 'getTask', taskId });
			expect(midway.items[0].json.status).toBe('processing');
			expect(midway.items[0].json.progress).toBeGreaterThan(0);
			expect(midway.items[0].json.progress).toBeLessThan(100);

			const done = await run({
				operation: 'getTask',
				taskId,
				options: { waitForCompletion: true },
			});
			expect(done.items[0].json).toMatchObject({
				taskId,
				status: 'completed',
				mimeType: 'image/png',
			});
		});

		test('a failed task reports its code, message and task id', async () => {
			sim.failNextTask('content_policy_violation', 'The prompt violates the content policy');
			const error = await failureOf(generate({}));
			expect(error.message).toMatch(
				new RegExp(
					`^${name} \\(generate, task task-unified-\\d+-\\w+\\): the task failed: content_policy_violation: The prompt violates the content policy$`,
				),
			);
		});

		test.each([
			['content_policy_violation', false],
			['invalid_parameters', false],
			['generation_timeout', true],
			['service_error', true],
			['resource_exhausted', true],
		])(
			'a failed task with %s: final or temporary, said so, never resubmitted',
			async (code, temporary) => {
				sim.failNextTask(code, 'it went wrong');
				const error = await failureOf(generate({}));
				const hint = ' (temporary: running the item again usually works)';
				expect(
					error.message.endsWith(`the task failed: ${code}: it went wrong${temporary ? hint : ''}`),
				).toBe(true);
				expect(sim.submits()).toHaveLength(1);
			},
		);

		test('a temporary task failure says running again usually works', async () => {
			sim.failNextTask('resource_exhausted', 'GPU pool exhausted');
			const error = await failureOf(generate({}));
			expect(error.message).toMatch(
				/resource_exhausted: GPU pool exhausted \(temporary: running the item again usually works\)$/,
			);
			expect(sim.submits()).toHaveLength(1);
		});
	});

	describe('errors', () => {
		test.each([
			[401, `${name} rejected the API key: Invalid or expired token`],
			[
				402,
				`Your ${name} quota is used up: Insufficient quota. Please top up your account.. Top up your balance`,
			],
			[
				403,
				`Your ${name} key has no access to this model: Token does not have access to model: z-image-turbo`,
			],
			[400, `${name} rejected the request (HTTP 400): Invalid request parameters`],
			[500, `${name} had a server error (HTTP 500): Internal server error`],
			[502, `${name} had a server error (HTTP 502): Upstream service error`],
		])('HTTP %i on submit: a clear message, never sent again', async (status, message) => {
			sim.planError('submit', status, 5);
			const error = await failureOf(generate({}));
			expect(error.message).toContain(`${name} (generate): ${message}`);
			expect(sim.submits()).toHaveLength(1);
		});

		test('402 quotes the fallback suggestion (where to top up)', async () => {
			sim.planError('submit', 402, 1, undefined, {
				fallback_suggestion: 'https://example.com/dashboard/billing',
			});
			const error = await failureOf(generate({}));
			expect(error.message).toBe(
				`${name} (generate): Your ${name} quota is used up: Insufficient quota. Please top up your account.. Top up your balance at https://example.com/dashboard/billing and run again`,
			);
		});

		test.each([429, 503])(
			'HTTP %i on submit is retried after Retry-After; one task is created',
			async (status) => {
				sim.planError('submit', status, 2, { 'retry-after': '0' });
				const result = await generate({});
				expect(sim.submits()).toHaveLength(3);
				expect(sim.tasks.size).toBe(1);
				expect(result.items).toHaveLength(1);
			},
		);

		test('429 retries are bounded by Max Wait', async () => {
			// A refused submission is sent again until Max Wait runs out (issue #14), no longer.
			sim.planError('submit', 429, 10, { 'retry-after': '1' });
			const error = await failureOf(generate({ options: { maxWaitSeconds: 2 } }));
			expect(error.message).toMatch(
				new RegExp(`^${name} \\(generate\\): ${name} is rate limiting requests \\(HTTP 429\\)`),
			);
			expect(sim.submits()).toHaveLength(2);
			expect(sim.tasks.size).toBe(0);
		});

		test('without Retry-After, the seconds in fallback_suggestion are used', async () => {
			sim.planError('submit', 429, 1, {}, { fallback_suggestion: 'retry after 1 seconds' });
			const started = Date.now();
			await generate({});
			expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
			expect(sim.submits()).toHaveLength(2);
		});

		test.each([429, 500, 502, 503])('HTTP %i on a status poll is retried', async (status) => {
			sim.taskMs = 100;
			sim.planError('poll', status, 1, { 'retry-after': '0' });
			const result = await generate({});
			expect(result.items[0].json.status).toBe('completed');
			expect(sim.polls().length).toBeGreaterThanOrEqual(2);
		});

		test('a connection reset on a status poll is retried', async () => {
			sim.taskMs = 100;
			sim.api.planFault(/\/v1\/tasks\//, 1, { kind: 'reset' });
			const result = await generate({});
			expect(result.items[0].json.status).toBe('completed');
		});

		test('Get Task of an expired task: 404 says so', async () => {
			const error = await failureOf(
				run({ operation: 'getTask', taskId: 'task-unified-1757165031-gone0000' }),
			);
			expect(error.message).toBe(
				`${name} (getTask, task task-unified-1757165031-gone0000): Not found or expired: Task not found or expired; tasks are kept for 24 hours`,
			);
		});
	});

	describe('operations it cannot do, Health and the credential', () => {
		test.each([
			[
				'edit',
				`${name} cannot do the "edit" operation: z-image-turbo on ${name} takes no input image, so Edit is not available`,
			],
			[
				'deleteTask',
				`${name} cannot do the "deleteTask" operation: the ${name} API has no delete or cancel endpoint (tasks expire after 24 hours)`,
			],
		])('%s is refused with the reason, nothing sent', async (operation, message) => {
			const error = await failureOf(run({ operation, prompt: 'x', taskId: 'task-unified-1-x' }));
			expect(error.message).toBe(message);
			expect(sim.api.requests).toHaveLength(0);
		});

		test('Health: reachable and key accepted, no task created', async () => {
			const result = await run({ operation: 'health' });
			expect(result.items[0].json).toMatchObject({ provider, reachable: true, keyAccepted: true });
			expect(sim.submits()).toHaveLength(0);
		});

		test('Health with a wrong key', async () => {
			const error = await failureOf(
				runNode({
					parameters: { provider, operation: 'health' },
					credentials: credentials({ apiKey: 'bad-key-0000' }),
				}),
			);
			expect(error.message).toBe(
				`${name} (health): ${name} rejected the API key: Invalid or expired token`,
			);
		});

		test('the credential Test button tells a right key from a wrong one, for free', async () => {
			const good = await runCredentialTest(credential, { apiKey: sim.apiKey, baseUrl: sim.url });
			expect(good).toMatchObject({ ok: true, statusCode: 404 });
			const bad = await runCredentialTest(credential, { apiKey: 'wrong', baseUrl: sim.url });
			expect(bad).toMatchObject({
				ok: false,
				message: `${name} rejected the API key`,
				statusCode: 401,
			});
			expect(sim.submits()).toHaveLength(0);
		});
	});
});
