/**
 * Secrets and input hygiene (issue #13), one table per rule: nothing the node produces carries
 * the key (outputs, `raw`, errors, file names), and input that is not what the user meant is
 * refused before any request, so nothing odd is billed. Every case asserts on the simulator's
 * request log and scans everything produced for the key and its recognisable prefixes.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { imageItem, runCredentialTest, runNode } from './harness';
import { EvolinkSimulator } from './simulators/evolink';
import { FalSimulator } from './simulators/fal';
import { ReplicateSimulator } from './simulators/replicate';
import { makePng } from './simulators/images';
import { ModelStudioSimulator } from './simulators/modelStudio';
import type { Fault, SimulatorServer } from './simulators/server';
import { TensorsLabSimulator } from './simulators/tensorsLab';
import { ZImageServerSimulator } from './simulators/zImageServer';

const SECRET = 'sk-dummy-HYGIENE-4c1d8e2f9a7b6053';
/** The forms of the key a leak would show: whole, as a header, its first and last 8 characters. */
const KEY_FORMS = [
	SECRET,
	`Bearer ${SECRET}`,
	SECRET.slice(0, 8),
	SECRET.slice(-8),
	SECRET.slice(0, 12),
];

type Failure = Error & { description?: string; context?: IDataObject };

/** Everything a run produced, as text: output JSON, binary metadata, the error's texts. */
function produced(items: INodeExecutionData[] = [], error?: Failure): string {
	const binaries = items.map((item) =>
		Object.values(item.binary ?? {}).map((b) => ({ fileName: b.fileName, mimeType: b.mimeType })),
	);
	return JSON.stringify({
		json: items.map((item) => item.json),
		binaries,
		error: error && { m: error.message, d: error.description, c: error.context },
	});
}

function expectNoKey(text: string): void {
	for (const form of KEY_FORMS) expect(text).not.toContain(form);
}

const reply = (status: number, body: unknown, headers?: Record<string, string>): Fault => ({
	kind: 'reply',
	reply: { status, body, headers },
});

interface Sims {
	tensorsLab: TensorsLabSimulator;
	selfHosted: ZImageServerSimulator;
	evolink: EvolinkSimulator;
	fal: FalSimulator;
	modelStudio: ModelStudioSimulator;
	replicate: ReplicateSimulator;
}

let sims: Sims;

beforeAll(async () => {
	sims = {
		tensorsLab: await new TensorsLabSimulator({
			apiKey: SECRET,
			queueMs: 20,
			processMs: 50,
		}).start(),
		selfHosted: await new ZImageServerSimulator({
			token: SECRET,
			loadMs: 10,
			generateMs: 20,
		}).start(),
		evolink: await new EvolinkSimulator({ apiKey: SECRET, taskMs: 50 }).start(),
		fal: await new FalSimulator({ apiKey: SECRET, taskMs: 50 }).start(),
		modelStudio: await new ModelStudioSimulator({ apiKey: SECRET, taskMs: 20 }).start(),
		replicate: await new ReplicateSimulator({ apiKey: SECRET, taskMs: 50 }).start(),
	};
});

afterAll(async () => {
	await Promise.all(Object.values(sims).map(async (sim) => await sim.stop()));
});

type Provider = keyof Sims;

const CREDENTIALS: Record<Provider, (url: string) => Record<string, IDataObject>> = {
	tensorsLab: (url) => ({
		tensorsLabApi: { apiKey: SECRET, baseUrl: url, authHeaderFormat: 'bearer' },
	}),
	selfHosted: (url) => ({ zImageServerApi: { apiKey: SECRET, baseUrl: url } }),
	evolink: (url) => ({ evolinkApi: { apiKey: SECRET, baseUrl: url } }),
	fal: (url) => ({ zImageFalApi: { apiKey: SECRET, baseUrl: url } }),
	modelStudio: (url) => ({
		zImageModelStudioApi: { apiKey: SECRET, region: 'custom', baseUrl: url },
	}),
	replicate: (url) => ({ zImageReplicateApi: { apiKey: SECRET, baseUrl: url } }),
};

const api = (provider: Provider): SimulatorServer =>
	provider === 'selfHosted' ? sims.selfHosted.server : sims[provider].api;
const urlOf = (provider: Provider): string => sims[provider].url;

const GENERATE: Record<Provider, IDataObject> = {
	tensorsLab: {
		provider: 'tensorsLab',
		operation: 'generate',
		model: 'zimage',
		resolution: '1:1',
		prompt: 'a cat',
	},
	selfHosted: { provider: 'selfHosted', operation: 'generate', size: '512x512', prompt: 'a cat' },
	evolink: {
		provider: 'evolink',
		operation: 'generate',
		model: 'z-image-turbo',
		size: '1:1',
		prompt: 'a cat',
	},
	fal: { provider: 'fal', operation: 'generate', falImageSize: 'square', prompt: 'a cat' },
	modelStudio: { provider: 'modelStudio', operation: 'generate', prompt: 'a cat' },
	replicate: { provider: 'replicate', operation: 'generate', prompt: 'a cat' },
};

async function run(
	provider: Provider,
	parameters: IDataObject,
	items?: INodeExecutionData[],
	url = urlOf(provider),
) {
	try {
		const result = await runNode({ parameters, credentials: CREDENTIALS[provider](url), items });
		return { items: result.items, error: undefined as Failure | undefined };
	} catch (error) {
		return { items: [] as INodeExecutionData[], error: error as Failure };
	}
}

/** A provider answering one request with a fault, and the node's parameters for the run. */
interface FaultCase {
	name: string;
	provider: Provider;
	path: RegExp;
	fault: Fault;
	parameters: IDataObject;
	fails?: boolean;
}

describe('1. secrets in outputs: a provider that echoes the key never puts it into the data', () => {
	const echo = {
		authorization: `Bearer ${SECRET}`,
		note: `your key is ${SECRET}`,
		[SECRET]: 'as a field name',
	};
	const cases: FaultCase[] = [
		{
			name: 'Get Task (Evolink): the task answer under raw',
			provider: 'evolink',
			path: /\/v1\/tasks\//,
			fault: reply(200, {
				id: 'task-unified-1757165031-echo1',
				status: 'processing',
				progress: 10,
				...echo,
			}),
			parameters: {
				provider: 'evolink',
				operation: 'getTask',
				taskId: 'task-unified-1757165031-echo1',
			},
		},
		{
			name: 'Generate without waiting (Evolink): the submission answer under raw',
			provider: 'evolink',
			path: /\/v1\/images\/generations$/,
			fault: reply(200, {
				id: 'task-unified-1757165031-echo2',
				status: 'pending',
				progress: 0,
				...echo,
			}),
			parameters: { ...GENERATE.evolink, options: { waitForCompletion: false } },
		},
		{
			name: 'Get Task (TensorsLab): the task answer under raw',
			provider: 'tensorsLab',
			path: /\/v1\/images\/infobytaskid$/,
			fault: reply(200, {
				code: 1000,
				msg: 'ok',
				data: { taskid: 'abcd_1234', image_status: 2, ...echo },
			}),
			parameters: { provider: 'tensorsLab', operation: 'getTask', taskId: 'abcd_1234' },
		},
		{
			name: 'Health (TensorsLab): the provider message',
			provider: 'tensorsLab',
			path: /\/v1\/images\/infobytaskid$/,
			fault: reply(200, { code: 9999, msg: `task not found for key ${SECRET}` }),
			parameters: { provider: 'tensorsLab', operation: 'health' },
		},
		{
			name: 'Health (self-hosted): the health answer under raw',
			provider: 'selfHosted',
			path: /^\/health$/,
			fault: reply(200, { status: 'ok', model_loaded: true, ...echo }),
			parameters: { provider: 'selfHosted', operation: 'health' },
		},
		{
			name: 'Delete Task (TensorsLab): the answer under raw',
			provider: 'tensorsLab',
			path: /deleteimagestask$/,
			fault: reply(200, {
				code: 1000,
				msg: `deleted with ${SECRET}`,
				data: { status: 1, ...echo },
			}),
			parameters: { provider: 'tensorsLab', operation: 'deleteTask', taskId: 'abcd_1, abcd_2' },
		},
		{
			name: 'List Models (self-hosted): the models',
			provider: 'selfHosted',
			path: /^\/v1\/models$/,
			fault: reply(200, {
				object: 'list',
				data: [{ id: SECRET, owned_by: `Bearer ${SECRET}`, created: 1 }],
			}),
			parameters: { provider: 'selfHosted', operation: 'listModels' },
		},
		{
			name: 'Get Task (fal.ai): the status answer under raw',
			provider: 'fal',
			path: /\/requests\/[^/]+\/status$/,
			fault: reply(200, { status: 'IN_QUEUE', queue_position: 3, ...echo }),
			parameters: {
				provider: 'fal',
				operation: 'getTask',
				taskId: '0a1b2c3d-0000-4000-8000-0000000e0c01',
			},
		},
		{
			name: 'a failed request (fal.ai Get Task): the reason in the output',
			provider: 'fal',
			path: /\/requests\/[^/]+\/status$/,
			fault: reply(200, { status: 'COMPLETED', error: `runner refused ${SECRET}` }),
			parameters: {
				provider: 'fal',
				operation: 'getTask',
				taskId: '0a1b2c3d-0000-4000-8000-0000000e0c02',
			},
		},
		{
			name: 'a failed task (Evolink Get Task): the reason in the output',
			provider: 'evolink',
			path: /\/v1\/tasks\//,
			fault: reply(200, {
				id: 'task-unified-1757165031-echo3',
				status: 'failed',
				error: { code: 'service_error', message: `upstream refused ${SECRET}` },
			}),
			parameters: {
				provider: 'evolink',
				operation: 'getTask',
				taskId: 'task-unified-1757165031-echo3',
				options: { waitForCompletion: true },
			},
		},
		{
			name: 'Generate (Model Studio): the rewritten prompt and usage of an answer that echoes the key',
			provider: 'modelStudio',
			path: /\/multimodal-generation\/generation$/,
			fault: reply(200, {
				request_id: '3f0e9d8c-7b6a-4594-8372-6150f4e3d2c1',
				output: {
					choices: [
						{
							message: {
								content: [
									{ image: 'https://oss.example.com/r.png?Signature=x' },
									{ text: `a cat, drawn for ${SECRET}` },
								],
							},
						},
					],
				},
				usage: { width: 1024, height: 1024, image_count: 1, ...echo },
			}),
			parameters: { ...GENERATE.modelStudio, options: { downloadImages: false } },
		},
	];

	test.each(cases)('$name', async ({ provider, path, fault, parameters, fails }) => {
		api(provider).planFault(path, 1, fault);
		const { items, error } = await run(provider, parameters);
		if (fails) expect(error?.message).toMatch(/\*\*\*/);
		else expect(error).toBeUndefined();
		const text = produced(items, error);
		expect(text).toContain('***');
		expectNoKey(text);
	});
});

describe('2. redaction before truncation: a key cut off by the 300-character limit leaves nothing behind', () => {
	const cut = (before: number) => `${'x'.repeat(before)}${SECRET} and more text after it`;
	const cases: FaultCase[] = [
		...[280, 290, 295, 298].map((at) => ({
			name: `a status answer the node cannot read, the key at character ${at}`,
			provider: 'evolink' as Provider,
			path: /\/v1\/tasks\//,
			fault: reply(200, {
				id: 'task-unified-1757165031-cut',
				status: 'thinking',
				pad: cut(at - 60),
			}),
			parameters: {
				provider: 'evolink',
				operation: 'getTask',
				taskId: 'task-unified-1757165031-cut',
			},
		})),
		...[190, 198, 296].map((at) => ({
			name: `a submission answered with text that is not JSON, the key at character ${at}`,
			provider: 'tensorsLab' as Provider,
			path: /\/v1\/images\/zimage$/,
			fault: reply(200, cut(at), { 'content-type': 'text/plain' }),
			parameters: GENERATE.tensorsLab,
		})),
		{
			name: 'a provider message quoting only the start of the key',
			provider: 'evolink',
			path: /\/v1\/images\/generations$/,
			fault: reply(401, {
				error: {
					code: 'unauthorized',
					message: `Invalid token ${SECRET.slice(0, 14)}…`,
					type: 'authentication_error',
				},
			}),
			parameters: GENERATE.evolink,
		},
		{
			name: 'a fal.ai 401 quoting the Authorization header it got',
			provider: 'fal',
			path: /^\/fal-ai\/z-image\/turbo$/,
			fault: reply(401, { detail: `No user found for Authorization: Key ${SECRET}` }),
			parameters: GENERATE.fal,
		},
		{
			name: 'a provider message quoting the Authorization header',
			provider: 'selfHosted',
			path: /\/v1\/images\/generations$/,
			fault: reply(400, { detail: `bad header Authorization: Bearer ${SECRET}` }),
			parameters: GENERATE.selfHosted,
		},
		{
			name: 'a provider message quoting the key URL-encoded and its end',
			provider: 'evolink',
			path: /\/v1\/images\/generations$/,
			fault: reply(400, {
				error: {
					code: 'invalid_request',
					message: `key=${encodeURIComponent(SECRET)} (…${SECRET.slice(-10)})`,
					type: 'x',
				},
			}),
			parameters: GENERATE.evolink,
		},
		...[240, 290].map((at) => ({
			name: `a Model Studio error message with the key at character ${at}`,
			provider: 'modelStudio' as Provider,
			path: /\/multimodal-generation\/generation$/,
			fault: reply(400, {
				request_id: '3f0e9d8c-7b6a-4594-8372-6150f4e3d2c1',
				code: 'InvalidParameter',
				message: cut(at),
			}),
			parameters: GENERATE.modelStudio,
		})),
	];

	test.each(cases)('$name', async ({ provider, path, fault, parameters }) => {
		api(provider).planFault(path, 1, fault);
		const { items, error } = await run(provider, parameters);
		expect(error).toBeDefined();
		expect(error!.message.length + (error!.description?.length ?? 0)).toBeLessThan(1400);
		const text = produced(items, error);
		expectNoKey(text);
		// Not even five characters of the key in a row survive.
		for (let i = 0; i + 5 <= SECRET.length; i++) expect(text).not.toContain(SECRET.slice(i, i + 5));
	});
});

describe('3. base URLs with a user name, a query or a fragment are refused, before anything is sent', () => {
	const BAD: Array<[string, (url: string) => string, RegExp]> = [
		[
			'user and password',
			(url) => url.replace('://', '://admin:hunter2-pass@'),
			/must not contain a user name or password \(user:pass@\)/,
		],
		[
			'a user name only',
			(url) => url.replace('://', '://admin@'),
			/must not contain a user name or password/,
		],
		['a query string', (url) => `${url}/?token=abc`, /must not contain a query string/],
		['an empty query', (url) => `${url}?`, /must not contain a query string/],
		['a fragment', (url) => `${url}#top`, /must not contain a fragment/],
		['no scheme', (url) => url.replace('http://', ''), /must start with http:\/\/ or https:\/\//],
	];
	const TYPES: Array<[Provider, string]> = [
		['tensorsLab', 'tensorsLabApi'],
		['selfHosted', 'zImageServerApi'],
		['evolink', 'evolinkApi'],
		['fal', 'zImageFalApi'],
		['modelStudio', 'zImageModelStudioApi'],
		['replicate', 'zImageReplicateApi'],
	];

	describe.each(TYPES)('%s', (provider, type) => {
		test.each(BAD)('at run time: %s', async (_name, make, reason) => {
			const server = api(provider);
			const before = server.requests.length;
			const { error } = await run(provider, GENERATE[provider], undefined, make(urlOf(provider)));
			expect(error?.message).toMatch(reason);
			expect(error?.message).toMatch(/^The .* credential's Base URL /);
			expect(error?.description).toMatch(/The key goes in the API Key field/);
			expect(produced([], error)).not.toContain('hunter2');
			expect(server.requests.length).toBe(before);
		});

		test.each(BAD)('in the credential Test: %s', async (_name, make, reason) => {
			const server = api(provider);
			const before = server.requests.length;
			const answer = await runCredentialTest(type, {
				...CREDENTIALS[provider]('')[type],
				baseUrl: make(urlOf(provider)),
			});
			expect(answer.ok).toBe(false);
			expect(answer.message).toMatch(reason);
			expect(answer.message).not.toContain('hunter2');
			expect(server.requests.length).toBe(before);
		});

		test('spaces and trailing slashes are trimmed, and that base URL works', async () => {
			const { error } = await run(
				provider,
				{ provider, operation: 'health' },
				undefined,
				`  ${urlOf(provider)}//  `,
			);
			expect(error).toBeUndefined();
			const answer = await runCredentialTest(type, {
				...CREDENTIALS[provider]('')[type],
				baseUrl: `${urlOf(provider)}/`,
			});
			expect(answer.message).toBeUndefined();
		});
	});
});

describe('4. one rule for what expressions give: text fields take text, numbers take numbers or decimal text', () => {
	const refused: Array<{
		name: string;
		provider: Provider;
		parameters: IDataObject;
		message: RegExp;
	}> = [
		{
			name: 'a prompt that is an object',
			provider: 'tensorsLab',
			parameters: { ...GENERATE.tensorsLab, prompt: { text: 'a cat' } },
			message: /^Invalid Prompt \{"text":"a cat"\}: text is expected, this is an object$/,
		},
		{
			name: 'a prompt that is a list',
			provider: 'evolink',
			parameters: { ...GENERATE.evolink, prompt: ['a', 'cat'] },
			message: /^Invalid Prompt \["a","cat"\]: text is expected, this is a list$/,
		},
		{
			name: 'a prompt that is a number',
			provider: 'selfHosted',
			parameters: { ...GENERATE.selfHosted, prompt: 42 },
			message: /^Invalid Prompt 42: text is expected, this is a number$/,
		},
		{
			name: 'a negative prompt that is an object',
			provider: 'selfHosted',
			parameters: { ...GENERATE.selfHosted, negativePrompt: { no: 1 } },
			message: /^Invalid Negative Prompt .*this is an object$/,
		},
		{
			name: 'a binary property that is an object',
			provider: 'evolink',
			parameters: { ...GENERATE.evolink, options: { binaryPropertyName: { a: 1 } } },
			message: /^Invalid Binary Property \{"a":1\}: text is expected, this is an object$/,
		},
		{
			name: 'a task id that is a list',
			provider: 'evolink',
			parameters: { provider: 'evolink', operation: 'getTask', taskId: ['task-unified-1-a'] },
			message: /^Invalid Task ID .*this is a list$/,
		},
		{
			name: 'a size that is an object',
			provider: 'selfHosted',
			parameters: { ...GENERATE.selfHosted, size: { w: 512 } },
			message: /^Invalid Size .*this is an object$/,
		},
		{
			name: 'a resolution that is true',
			provider: 'tensorsLab',
			parameters: { ...GENERATE.tensorsLab, resolution: true },
			message: /^Invalid Resolution true: text is expected, this is true\/false$/,
		},
		{
			name: 'a callback URL that is an object',
			provider: 'evolink',
			parameters: { ...GENERATE.evolink, callbackUrl: { url: 'https://x.example' } },
			message: /^Invalid Callback URL .*this is an object$/,
		},
		{
			name: 'hex width "0x400"',
			provider: 'evolink',
			parameters: { ...GENERATE.evolink, size: 'custom', width: '0x400', height: 1024 },
			message: /^Invalid Width "0x400": a whole number from 376 to 1536/,
		},
		{
			name: 'exponent width "1e3"',
			provider: 'tensorsLab',
			parameters: { ...GENERATE.tensorsLab, resolution: 'custom', width: '1e3', height: 1024 },
			message: /^Invalid Width "1e3": a whole number/,
		},
		{
			name: 'garbage steps "30 steps"',
			provider: 'selfHosted',
			parameters: { ...GENERATE.selfHosted, numInferenceSteps: '30 steps' },
			message: /^Invalid Inference Steps "30 steps": a whole number from 1 to 200/,
		},
		{
			name: 'hex guidance "0x4"',
			provider: 'selfHosted',
			parameters: { ...GENERATE.selfHosted, guidanceScale: '0x4' },
			message: /^Invalid Guidance Scale "0x4": a number from 0 to 30/,
		},
		{
			name: 'a seed that is true',
			provider: 'evolink',
			parameters: { ...GENERATE.evolink, seed: true },
			message: /^Invalid Seed true: a whole number/,
		},
		{
			name: 'a batch size that is a list',
			provider: 'tensorsLab',
			parameters: {
				...GENERATE.tensorsLab,
				model: 'seedreamv45',
				resolution: '2K',
				batchSize: [2],
			},
			message: /^Invalid Batch Size \[2\]: a whole number/,
		},
		{
			name: 'a fal.ai LoRA path that is a list',
			provider: 'fal',
			parameters: { ...GENERATE.fal, falLoras: { lora: [{ path: ['a/b'], scale: 1 }] } },
			message: /^Invalid LoRA Path \["a\/b"\]: text is expected, this is a list$/,
		},
		{
			name: 'a fal.ai source image URL that is an object',
			provider: 'fal',
			parameters: { ...GENERATE.fal, operation: 'edit', falImageUrl: { url: 'https://x' } },
			message: /^Invalid Source Image URL .*this is an object$/,
		},
		{
			name: 'infinite max wait "Infinity"',
			provider: 'evolink',
			parameters: { ...GENERATE.evolink, options: { maxWaitSeconds: 'Infinity' } },
			message: /^Invalid Max Wait \(Seconds\) "Infinity"/,
		},
		{
			name: 'a Model Studio seed that is a list',
			provider: 'modelStudio',
			parameters: { ...GENERATE.modelStudio, modelStudioSeed: [7] },
			message: /^Invalid Seed \[7\]: a whole number from -1 to 2147483647/,
		},
		{
			name: 'a Model Studio size that is an object',
			provider: 'modelStudio',
			parameters: { ...GENERATE.modelStudio, modelStudioSize: { w: 1024 } },
			message: /^Invalid Size \{"w":1024\}: text is expected, this is an object$/,
		},
		{
			name: 'a Model Studio width "1e3"',
			provider: 'modelStudio',
			parameters: {
				...GENERATE.modelStudio,
				modelStudioSize: 'custom',
				modelStudioWidth: '1e3',
				modelStudioHeight: 1024,
			},
			message: /^Invalid Width "1e3": a whole number/,
		},
	];

	test.each(refused)('refused: $name', async ({ provider, parameters, message }) => {
		const before = api(provider).requests.length;
		const { error } = await run(provider, parameters);
		expect(error?.message).toMatch(message);
		expect(error?.description).toMatch(/^Nothing was sent to the provider/);
		expect(api(provider).requests.length).toBe(before);
	});

	const accepted: Array<{
		name: string;
		provider: Provider;
		parameters: IDataObject;
		sent: (sim: Sims) => unknown;
		expected: unknown;
	}> = [
		{
			name: 'guidance "4" and steps " 30 " (self-hosted)',
			provider: 'selfHosted',
			parameters: { ...GENERATE.selfHosted, guidanceScale: '4', numInferenceSteps: ' 30 ' },
			sent: (s) => {
				const body = s.selfHosted.imageRequests().at(-1)?.json as IDataObject;
				return [body.guidance_scale, body.num_inference_steps];
			},
			expected: [4, 30],
		},
		{
			name: 'guidance "2.5" (self-hosted)',
			provider: 'selfHosted',
			parameters: { ...GENERATE.selfHosted, guidanceScale: '2.5' },
			sent: (s) => (s.selfHosted.imageRequests().at(-1)?.json as IDataObject).guidance_scale,
			expected: 2.5,
		},
		{
			name: 'width "1024" and height "768" (Evolink)',
			provider: 'evolink',
			parameters: { ...GENERATE.evolink, size: 'custom', width: '1024', height: '768' },
			sent: (s) => (s.evolink.submits().at(-1)?.json as IDataObject).size,
			expected: '1024x768',
		},
		{
			name: 'seed "-1" means random (Evolink: no seed sent)',
			provider: 'evolink',
			parameters: { ...GENERATE.evolink, seed: '-1' },
			sent: (s) => (s.evolink.submits().at(-1)?.json as IDataObject).seed,
			expected: undefined,
		},
		{
			name: 'steps " 4 ", seed "7" and four images as "4" (fal.ai)',
			provider: 'fal',
			parameters: { ...GENERATE.fal, falSteps: ' 4 ', falSeed: '7', falNumImages: '4' },
			sent: (s) => {
				const body = s.fal.submits().at(-1)?.json as IDataObject;
				return [body.num_inference_steps, body.seed, body.num_images];
			},
			expected: [4, 7, 4],
		},
		{
			name: 'seed "77" (TensorsLab)',
			provider: 'tensorsLab',
			parameters: { ...GENERATE.tensorsLab, seed: '77' },
			sent: (s) => s.tensorsLab.submits().at(-1)?.fields?.seed,
			expected: ['77'],
		},
		{
			name: 'width "1344", height "768" and seed "77" (Model Studio)',
			provider: 'modelStudio',
			parameters: {
				...GENERATE.modelStudio,
				modelStudioSize: 'custom',
				modelStudioWidth: '1344',
				modelStudioHeight: '768',
				modelStudioSeed: '77',
			},
			sent: (s) => (s.modelStudio.submits().at(-1)?.json as IDataObject).parameters,
			expected: { size: '1344*768', prompt_extend: false, seed: 77 },
		},
	];

	test.each(accepted)('accepted: $name', async ({ provider, parameters, sent, expected }) => {
		const { error } = await run(provider, parameters);
		expect(error).toBeUndefined();
		expect(sent(sims)).toEqual(expected);
	});
});

describe('5. prompt length: each provider has its limit, checked before anything is sent', () => {
	const cases: Array<[Provider, string, number]> = [
		['tensorsLab', 'prompt', 2000],
		['selfHosted', 'prompt', 4000],
		['selfHosted', 'negativePrompt', 4000],
		['evolink', 'prompt', 2000],
		['fal', 'prompt', 4000],
		['modelStudio', 'prompt', 800],
		['replicate', 'prompt', 4000],
	];

	test.each(cases)(
		'%s %s: %d characters pass, one more and 1 MB are refused',
		async (provider, field, limit) => {
			const label = field === 'prompt' ? 'Prompt' : 'Negative Prompt';
			for (const length of [limit + 1, 1024 * 1024]) {
				const before = api(provider).requests.length;
				const { error } = await run(provider, {
					...GENERATE[provider],
					[field]: 'a'.repeat(length),
				});
				expect(error?.message).toMatch(
					new RegExp(
						`^Invalid ${label} "a{80}…": at most ${limit} characters are allowed, this one has ${length}$`,
					),
				);
				expect(api(provider).requests.length).toBe(before);
			}
			const { error } = await run(provider, { ...GENERATE[provider], [field]: 'a'.repeat(limit) });
			expect(error).toBeUndefined();
		},
	);
});

describe('6. results per task: at most what was asked for (+2); beyond it nothing is downloaded', () => {
	const urls = (n: number, base: string) =>
		Array.from({ length: n }, (_, i) => `${base}/results/r${i}.png`);
	const cases: Array<{
		name: string;
		provider: Provider;
		path: RegExp;
		body: (cdn: string) => unknown;
		parameters: IDataObject;
		message: RegExp;
	}> = [
		{
			name: 'Evolink: a finished task listing 10,000 URLs (1 asked for)',
			provider: 'evolink',
			path: /\/v1\/tasks\//,
			body: (cdn) => ({
				id: 'task-unified-1757165031-many',
				status: 'completed',
				progress: 100,
				results: urls(10_000, cdn),
			}),
			parameters: {
				provider: 'evolink',
				operation: 'getTask',
				taskId: 'task-unified-1757165031-many',
				options: { waitForCompletion: true },
			},
			message:
				/^Evolink \(getTask, task task-unified-1757165031-many\): the task lists 10000 results, more than Evolink gives for one task \(1\) \(at most 3 are accepted\); nothing was downloaded$/,
		},
		{
			name: 'fal.ai: a result listing 10,000 images (1 asked for)',
			provider: 'fal',
			path: /\/requests\/[^/]+$/,
			body: (cdn) => ({ images: urls(10_000, cdn).map((url) => ({ url })) }),
			parameters: GENERATE.fal,
			message:
				/^fal\.ai \(generate, task \S+\): the task lists 10000 results, more than the 1 asked for \(at most 3 are accepted\); nothing was downloaded$/,
		},
		{
			name: 'TensorsLab SeeDream: batch size 2, the task lists 10,000 URLs',
			provider: 'tensorsLab',
			path: /\/v1\/images\/infobytaskid$/,
			body: (cdn) => ({
				code: 1000,
				msg: 'ok',
				// No task id: read as the task asked about (a fixed id would be another task's answer).
				data: { image_status: 3, url: urls(10_000, cdn) },
			}),
			parameters: { ...GENERATE.tensorsLab, model: 'seedreamv45', resolution: '2K', batchSize: 2 },
			message:
				/^TensorsLab \(generate, task \S+\): the task lists 10000 results, more than the 2 asked for \(at most 4 are accepted\)/,
		},
		{
			name: 'TensorsLab Get Task: 18 URLs (TensorsLab gives at most 15)',
			provider: 'tensorsLab',
			path: /\/v1\/images\/infobytaskid$/,
			body: (cdn) => ({
				code: 1000,
				msg: 'ok',
				data: { taskid: 'abcd_77', image_status: 3, url: urls(18, cdn) },
			}),
			parameters: {
				provider: 'tensorsLab',
				operation: 'getTask',
				taskId: 'abcd_77',
				options: { waitForCompletion: true, downloadImages: false },
			},
			message:
				/the task lists 18 results, more than TensorsLab gives for one task \(15\) \(at most 17 are accepted\)/,
		},
		{
			name: 'Model Studio: an answer listing 40 images (1 asked for)',
			provider: 'modelStudio',
			path: /\/multimodal-generation\/generation$/,
			body: (cdn) => ({
				request_id: '3f0e9d8c-7b6a-4594-8372-6150f4e3d2c1',
				output: {
					choices: [{ message: { content: urls(40, cdn).map((image) => ({ image })) } }],
				},
			}),
			parameters: GENERATE.modelStudio,
			message:
				/^Alibaba Cloud Model Studio \(generate, task \S+\): the task lists 40 results, more than the 1 asked for \(at most 3 are accepted\); nothing was downloaded$/,
		},
	];

	test.each(cases)('$name', async ({ provider, path, body, parameters, message }) => {
		const sim = sims[provider] as TensorsLabSimulator | EvolinkSimulator | ModelStudioSimulator;
		api(provider).planFault(path, 1, reply(200, body(sim.cdn.url)));
		const downloads = sim.cdn.requests.length;
		const { error } = await run(provider, parameters);
		expect(error?.message).toMatch(message);
		expect(sim.cdn.requests.length).toBe(downloads);
	});

	test('self-hosted: n = 1 answered with 40 inline images', async () => {
		const png = makePng(8, 8, 1).toString('base64');
		sims.selfHosted.server.planFault(
			/\/v1\/images\/generations$/,
			1,
			reply(200, { created: 1, data: Array.from({ length: 40 }, () => ({ b64_json: png })) }),
		);
		const { error } = await run('selfHosted', GENERATE.selfHosted);
		expect(error?.message).toMatch(
			/the task lists 40 results, more than the 1 asked for \(at most 3 are accepted\)/,
		);
	});

	test('within the tolerance the results are output', async () => {
		const sim = sims.tensorsLab;
		const answer = {
			code: 1000,
			msg: 'ok',
			data: { taskid: 'abcd_78', image_status: 3, url: urls(3, sim.cdn.url) },
		};
		sim.api.planFault(/infobytaskid$/, 1, reply(200, answer));
		const { items, error } = await run('tensorsLab', {
			provider: 'tensorsLab',
			operation: 'getTask',
			taskId: 'abcd_78',
			options: { waitForCompletion: true, downloadImages: false },
		});
		expect(error).toBeUndefined();
		expect(items).toHaveLength(3);
	});
});

describe('7. task ids: checked before any request, one path segment on the wire, unsafe ones from a provider refused', () => {
	const HOSTILE = [
		'.',
		'..',
		'a/b',
		'../../v1/internal/unload',
		'a%2Fb',
		'%2e%2e',
		'a\r\nX-Injected: 1',
		'a b',
		'x'.repeat(20_000),
		'täsk',
	];
	const GET_TASK: Array<[Provider, string]> = [
		['tensorsLab', 'tensorsLab'],
		['selfHosted', 'selfHosted'],
		['evolink', 'evolink'],
		['fal', 'fal'],
		['replicate', 'replicate'],
	];

	describe.each(GET_TASK)('%s Get Task', (provider) => {
		test.each(
			HOSTILE.map((id) => [JSON.stringify(id.length > 30 ? `${id.slice(0, 30)}…` : id), id]),
		)('refuses %s', async (_shown, id) => {
			const before = api(provider).requests.length;
			const { error } = await run(provider, { provider, operation: 'getTask', taskId: id });
			expect(error?.message).toMatch(/^Invalid Task ID /);
			expect(error?.message).not.toMatch(/[\r\n]/);
			expect(error!.message.length).toBeLessThan(300);
			expect(api(provider).requests.length).toBe(before);
		});
	});

	test('Delete Task refuses a hostile id among good ones, and more than 100 ids', async () => {
		const before = sims.tensorsLab.api.requests.length;
		expect(
			(
				await run('tensorsLab', {
					provider: 'tensorsLab',
					operation: 'deleteTask',
					taskId: 'abcd_1, .., abcd_2',
				})
			).error?.message,
		).toMatch(/^Invalid Task IDs "\.\.": a task ID cannot be only dots/);
		const many = Array.from({ length: 101 }, (_, i) => `abcd_${i}`).join(',');
		expect(
			(await run('tensorsLab', { provider: 'tensorsLab', operation: 'deleteTask', taskId: many }))
				.error?.message,
		).toMatch(/at most 100 task IDs at once, this has 101$/);
		expect(sims.tensorsLab.api.requests.length).toBe(before);
	});

	test('an id with ":" and "." goes out as exactly one path segment (self-hosted)', async () => {
		const id = 'job:2024.1';
		const { items } = await run('selfHosted', {
			provider: 'selfHosted',
			operation: 'getTask',
			taskId: id,
		});
		expect(items[0].json.taskId).toBe(id);
		const look = sims.selfHosted.server.requests.at(-1)!;
		expect(look.path).toBe('/v1/images/tasks/job%3A2024.1');
		expect(look.path.split('/')).toHaveLength(5);
	});

	const FROM_PROVIDER: Array<{
		name: string;
		provider: Provider;
		path: RegExp;
		body: unknown;
		parameters: IDataObject;
		forbidden: RegExp;
	}> = [
		{
			name: 'self-hosted async submit answering task_id "../../v1/internal/unload"',
			provider: 'selfHosted',
			path: /async_generate$/,
			body: { task_id: '../../v1/internal/unload', status: 'processing' },
			parameters: { ...GENERATE.selfHosted, useAsync: true },
			forbidden: /unload|\/v1\/images\/tasks/,
		},
		{
			name: 'Evolink submit answering an id with a slash',
			provider: 'evolink',
			path: /\/v1\/images\/generations$/,
			body: { id: 'task-unified-1/../../x', status: 'pending', progress: 0 },
			parameters: GENERATE.evolink,
			forbidden: /\/v1\/tasks\//,
		},
		{
			name: 'fal.ai submit answering a request_id with a slash',
			provider: 'fal',
			path: /^\/fal-ai\/z-image\/turbo$/,
			body: { status: 'IN_QUEUE', request_id: '0a1b2c3d/../../requests/x' },
			parameters: GENERATE.fal,
			forbidden: /\/requests\//,
		},
		{
			name: 'TensorsLab submit answering a 20,000-character id',
			provider: 'tensorsLab',
			path: /\/v1\/images\/zimage$/,
			body: { code: 1000, msg: 'ok', data: { taskid: 'y'.repeat(20_000) } },
			parameters: GENERATE.tensorsLab,
			forbidden: /infobytaskid/,
		},
		{
			name: 'Evolink submit answering an id that carries the key',
			provider: 'evolink',
			path: /\/v1\/images\/generations$/,
			body: { id: `task-unified-${SECRET}`, status: 'pending', progress: 0 },
			parameters: GENERATE.evolink,
			forbidden: /\/v1\/tasks\//,
		},
		{
			name: 'Model Studio answering a request id with a slash',
			provider: 'modelStudio',
			path: /\/multimodal-generation\/generation$/,
			body: {
				request_id: '../../v1/x',
				output: {
					choices: [{ message: { content: [{ image: 'https://oss.example.com/r.png' }] } }],
				},
			},
			parameters: GENERATE.modelStudio,
			forbidden: /./,
		},
	];

	test.each(FROM_PROVIDER)(
		'$name: a provider error, nothing sent with it',
		async ({ provider, path, body, parameters, forbidden }) => {
			api(provider).planFault(path, 1, reply(200, body));
			const before = api(provider).requests.length;
			const { items, error } = await run(provider, parameters);
			expect(error?.message).toMatch(/answered with a task ID the node will not use/);
			expect(error!.message.length).toBeLessThan(400);
			expectNoKey(produced(items, error));
			const after = api(provider).requests.slice(before);
			expect(after).toHaveLength(1);
			expect(after.filter((r) => forbidden.test(r.path) && !path.test(r.path))).toHaveLength(0);
		},
	);
});

describe('8. file names: the task id made safe, the real extension kept', () => {
	test('a self-hosted task id with ":" and ".." gives a plain file name with the bytes\' extension', async () => {
		const id = 'job:..:1';
		sims.selfHosted.server.planFault(
			/\/v1\/images\/tasks\//,
			1,
			reply(200, {
				status: 'completed',
				data: [{ b64_json: makePng(16, 16, 3).toString('base64') }],
			}),
		);
		const { items, error } = await run('selfHosted', {
			provider: 'selfHosted',
			operation: 'getTask',
			taskId: id,
			options: { waitForCompletion: true },
		});
		expect(error).toBeUndefined();
		expect(items[0].json.fileName).toBe('job_._1-0.png');
		expect(items[0].binary?.data.fileName).toBe('job_._1-0.png');
	});

	test('a synchronous self-hosted result is named after its local id', async () => {
		const { items, error } = await run(
			'selfHosted',
			{ provider: 'selfHosted', operation: 'edit', prompt: 'snow', inputImageFields: 'data' },
			[imageItem({ data: makePng(512, 512, 4) })],
		);
		expect(error).toBeUndefined();
		expect(String(items[0].json.fileName)).toMatch(/^local-\d+-[0-9a-f]{8}-0\.png$/);
	});
});

describe("9. the self-hosted model-loading retry: only the server's own loading message, never another 500", () => {
	const cases: Array<{ detail: string; operation: 'generate' | 'edit'; requests: number }> = [
		{ detail: 'Model loading failed: CUDA out of memory', operation: 'generate', requests: 2 },
		{
			detail: 'T2I Load Error: CUDA out of memory. Tried to allocate 2.00 GiB',
			operation: 'generate',
			requests: 2,
		},
		{
			detail: '500: T2I Load Error: Cannot load model Tongyi-MAI/Z-Image',
			operation: 'generate',
			requests: 2,
		},
		{ detail: '500: Edit Load Error: local files only', operation: 'edit', requests: 2 },
		{ detail: 'the uploaded image could not be read by the model', operation: 'edit', requests: 1 },
		{
			detail: 'CUDA out of memory while generating (model was loaded)',
			operation: 'generate',
			requests: 1,
		},
		{
			detail: 'Generation error: failed to load LoRA weights into the model',
			operation: 'generate',
			requests: 1,
		},
		{
			detail: 'Error: Model loading failed earlier; generation aborted halfway',
			operation: 'generate',
			requests: 1,
		},
		{ detail: 'downloaded model shards: 3 of 4 loaded', operation: 'generate', requests: 1 },
	];

	test.each(cases)(
		'500 "$detail" ($operation): sent $requests time(s)',
		async ({ detail, operation, requests }) => {
			const sim = sims.selfHosted;
			const path = operation === 'edit' ? /\/v1\/images\/edits$/ : /\/v1\/images\/generations$/;
			sim.server.planFault(path, 1, reply(500, { detail }, { 'retry-after': '0' }));
			const before = sim.imageRequests().length;
			const parameters =
				operation === 'edit'
					? { provider: 'selfHosted', operation: 'edit', prompt: 'snow', inputImageFields: 'data' }
					: GENERATE.selfHosted;
			const { items, error } = await run(
				'selfHosted',
				parameters,
				operation === 'edit' ? [imageItem({ data: makePng(512, 512, 5) })] : undefined,
			);
			expect(sim.imageRequests().length - before).toBe(requests);
			if (requests === 1) {
				expect(error?.message).toBe(
					`Z-Image Server (${operation}): the server answered HTTP 500: ${detail}`,
				);
			} else {
				expect(error).toBeUndefined();
				expect(items).toHaveLength(1);
			}
		},
	);
});
