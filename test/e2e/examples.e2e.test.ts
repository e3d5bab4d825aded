/**
 * Every example workflow, executed by a real n8n (the line ZIMAGE_N8N_LINE names: 2.41.1 on
 * Node 24, or 1.123.x on Node 22) with the built package installed as a community package,
 * against the bundled simulators.
 */
/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals -- a test driving a real n8n and reading its files, never shipped */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import {
	ensureRuntime,
	type Execution,
	loadExample,
	N8nInstance,
	type OutputItem,
} from '../../e2e/lib/n8n';
import {
	simulatorCredentials,
	startSimulators,
	type RunningSimulators,
} from '../../scripts/simulators';
import { decodeImage } from '../simulators/images';

type Provider =
	| 'tensorsLab'
	| 'selfHosted'
	| 'evolink'
	| 'odkkk'
	| 'fal'
	| 'modelStudio'
	| 'replicate';

const CREDENTIALS: Record<Provider, { type: string; id: string; name: string }> = {
	tensorsLab: { type: 'tensorsLabApi', id: 'zimage-tensorslab', name: 'TensorsLab account' },
	selfHosted: { type: 'zImageServerApi', id: 'zimage-server', name: 'Z-Image Server' },
	evolink: { type: 'evolinkApi', id: 'zimage-evolink', name: 'Evolink account' },
	odkkk: { type: 'odkkkApi', id: 'zimage-odkkk', name: 'ODKKK account' },
	fal: { type: 'zImageFalApi', id: 'zimage-fal', name: 'fal.ai account' },
	modelStudio: {
		type: 'zImageModelStudioApi',
		id: 'zimage-modelstudio',
		name: 'Model Studio account',
	},
	replicate: { type: 'zImageReplicateApi', id: 'zimage-replicate', name: 'Replicate account' },
};

/** Provider-specific parameters (node version 2, as the examples are) for the examples whose Z-Image nodes only set a prompt. */
const GENERATE: Record<
	Provider,
	{ parameters: Record<string, unknown>; size: [number, number]; mimeType: string }
> = {
	tensorsLab: {
		parameters: { tensorsLabModel: 'zimage', tensorsLabResolution: '1:1' },
		size: [1024, 1024],
		mimeType: 'image/png',
	},
	selfHosted: {
		parameters: { selfHostedSize: '768x768', selfHostedUseAsync: true },
		size: [768, 768],
		mimeType: 'image/png',
	},
	evolink: {
		parameters: { evolinkModel: 'z-image-turbo', evolinkSize: '1:1' },
		size: [1024, 1024],
		mimeType: 'image/png',
	},
	odkkk: {
		parameters: { odkkkModel: 'z-image-turbo', odkkkSize: '1:1' },
		size: [1024, 1024],
		mimeType: 'image/webp',
	},
	fal: {
		parameters: { falModel: 'fal-ai/z-image/turbo', falImageSize: 'square_hd' },
		size: [1024, 1024],
		mimeType: 'image/png',
	},
	modelStudio: {
		parameters: { modelStudioSize: '1024*1536' },
		size: [1024, 1536],
		mimeType: 'image/png',
	},
	replicate: {
		parameters: { replicateWidth: 1024, replicateHeight: 1024 },
		size: [1024, 1024],
		mimeType: 'image/png',
	},
};

const ZIMAGE = 'n8n-nodes-zimage.zImage';

/** The example as another provider would run it: same flow, that provider's parameters and credential. */
function forProvider(file: string, provider: Provider, credentialId = CREDENTIALS[provider].id) {
	const workflow = loadExample(file);
	const credential = CREDENTIALS[provider];
	workflow.id = `${workflow.id}_${provider}${credentialId === credential.id ? '' : '_badkey'}`;
	workflow.name = `${String(workflow.name)} [${provider}]`;
	for (const node of workflow.nodes) {
		if (node.type !== ZIMAGE) continue;
		const parameters = node.parameters as Record<string, unknown>;
		const keep = {
			operation: parameters.operation,
			prompt: parameters.prompt,
			taskId: parameters.taskId,
			options: parameters.options,
		};
		node.parameters = {
			provider,
			...keep,
			...(parameters.operation === 'generate' ? GENERATE[provider].parameters : {}),
		};
		node.credentials = { [credential.type]: { id: credentialId, name: credential.name } };
	}
	return workflow;
}

let sims: RunningSimulators;
let n8n: N8nInstance;
/** Every execution these tests ran, for the key scan at the end. */
const executions: Array<{ workflowId: string; execution: Execution }> = [];

async function checkImages(
	items: OutputItem[],
	size: [number, number],
	mimeType: string,
): Promise<Buffer[]> {
	expect(items.length).toBeGreaterThan(0);
	const images: Buffer[] = [];
	for (const item of items) {
		const binary = item.binary?.data;
		expect(binary?.mimeType).toBe(mimeType);
		expect(binary?.fileName).toBe(
			`${String(item.json.taskId)}-${String(item.json.index)}.${binary?.fileExtension === 'jpeg' ? 'jpg' : binary?.fileExtension}`,
		);
		const bytes = n8n.binaryBytes(binary!);
		const decoded = await decodeImage(bytes);
		expect([decoded.width, decoded.height]).toEqual(size);
		expect(`image/${decoded.format}`).toBe(mimeType);
		expect([item.json.width, item.json.height]).toEqual(size);
		images.push(bytes);
	}
	return images;
}

function succeeded(execution: Execution): void {
	if (execution.status !== 'success')
		throw new Error(`execution ${execution.status}: ${execution.error}`);
}

beforeAll(async () => {
	const node = ensureRuntime();
	sims = await startSimulators(400);
	n8n = new N8nInstance(node);
	const execute = n8n.execute.bind(n8n);
	n8n.execute = async (workflowId: string) => {
		const execution = await execute(workflowId);
		executions.push({ workflowId, execution });
		return execution;
	};
	n8n.installPackage();
	await n8n.importCredentials([
		...simulatorCredentials(sims),
		{
			id: 'zimage-evolink-badkey',
			name: 'Evolink (wrong key)',
			type: 'evolinkApi',
			data: { apiKey: 'sk-dummy-wrong-e2e-4242', baseUrl: sims.evolink.url },
		},
	]);
	const batch = loadExample('batch-prompts-to-files.json');
	const examples = readdirSync(join(__dirname, '..', '..', 'examples'))
		.filter((file) => file.endsWith('.json') && file !== 'batch-prompts-to-files.json')
		.map((file) => loadExample(file));
	const variants = [
		...(['tensorsLab', 'evolink', 'odkkk'] as Provider[]).map((p) =>
			forProvider('submit-then-get-task.json', p),
		),
		...(['tensorsLab', 'evolink', 'odkkk'] as Provider[]).map((p) =>
			forProvider('health-check.json', p),
		),
		forProvider('submit-then-get-task.json', 'selfHosted'),
		...(['tensorsLab', 'evolink', 'odkkk'] as Provider[]).map((p) =>
			forProvider('batch-prompts-to-files.json', p),
		),
		forProvider('text-to-image-evolink.json', 'evolink', 'zimage-evolink-badkey'),
		forProvider('submit-then-get-task.json', 'fal'),
		forProvider('health-check.json', 'fal'),
		forProvider('batch-prompts-to-files.json', 'modelStudio'),
		forProvider('submit-then-get-task.json', 'replicate'),
		forProvider('health-check.json', 'replicate'),
	];
	// The batch example writes to n8n's default files folder; here, to this instance's.
	for (const workflow of [batch, ...variants.filter((w) => w.id.startsWith(String(batch.id)))]) {
		const save = workflow.nodes.find((node) => node.type === 'n8n-nodes-base.readWriteFile')!;
		(save.parameters as Record<string, unknown>).fileName =
			`=${n8n.filesDir}/${workflow.id}-{{ $json.fileName }}`;
	}
	await n8n.importWorkflows([...examples, batch, ...variants]);
}, 20 * 60_000);

afterAll(async () => {
	await sims?.stop();
	n8n?.remove();
});

describe('text-to-image examples, each on its own provider', () => {
	test.each([
		['text-to-image-tensorslab.json', 'tensorsLab', [1024, 768], 'image/png'],
		['text-to-image-self-hosted.json', 'selfHosted', [1024, 768], 'image/png'],
		['text-to-image-evolink.json', 'evolink', [1280, 720], 'image/png'],
		['text-to-image-odkkk.json', 'odkkk', [1280, 720], 'image/webp'],
		['text-to-image-modelstudio.json', 'modelStudio', [1280, 720], 'image/png'],
		['text-to-image-replicate.json', 'replicate', [1280, 720], 'image/png'],
	] as Array<[string, Provider, [number, number], string]>)(
		'%s',
		async (file, provider, size, mimeType) => {
			const example = loadExample(file);
			const execution = await n8n.execute(example.id);
			succeeded(execution);
			const items = execution.outputs['Z-Image'];
			expect(items).toHaveLength(1);
			expect(items[0].json).toMatchObject({ provider, status: 'completed', index: 0 });
			expect(items[0].pairedItem).toEqual({ item: 0 });
			await checkImages(items, size, mimeType);
			const prompt = (
				example.nodes.find((n) => n.type === ZIMAGE)!.parameters as Record<string, unknown>
			).prompt;
			const submitted = {
				tensorsLab: () => sims.tensorsLab.submits().map((r) => r.fields?.prompt?.[0]),
				selfHosted: () =>
					sims.selfHosted.imageRequests().map((r) => (r.json as Record<string, unknown>)?.prompt),
				evolink: () =>
					sims.evolink.submits().map((r) => (r.json as Record<string, unknown>).prompt),
				odkkk: () => sims.odkkk.submits().map((r) => (r.json as Record<string, unknown>).prompt),
				fal: () => sims.fal.submits().map((r) => (r.json as Record<string, unknown>).prompt),
				modelStudio: () => sims.modelStudio.generated.map((generation) => generation.prompt),
				replicate: () =>
					sims.replicate
						.creates()
						.map(
							(r) => ((r.json as Record<string, unknown>).input as Record<string, unknown>).prompt,
						),
			}[provider]();
			expect(submitted).toContain(prompt);
		},
	);
});

test('the callback example on an n8n without a public https WEBHOOK_URL: it polls, and says why', async () => {
	const execution = await n8n.execute('zimageCallbackEvolink');
	succeeded(execution);
	const items = execution.outputs['Z-Image'];
	expect(items).toHaveLength(1);
	await checkImages(items, [1280, 720], 'image/png');
	expect(String(items[0].json.notice)).toMatch(
		/^Waited by polling, not by a provider callback: this n8n's resume URL \(http:\/\/localhost:5678\/webhook-waiting\/\d+\) will not do: only HTTPS is accepted/,
	);
	expect(sims.evolink.submits().at(-1)?.json).not.toHaveProperty('callback_url');
});

describe('generate, then edit', () => {
	test('self-hosted server: the generated image is the edit input', async () => {
		const before = sims.selfHosted.server.requestsTo(/\/v1\/images\/edits$/).length;
		const execution = await n8n.execute('zimageEditSelfHosted');
		succeeded(execution);
		const [generated] = await checkImages(execution.outputs.Generate, [1024, 768], 'image/png');
		await checkImages(execution.outputs.Edit, [1024, 768], 'image/png');
		const edits = sims.selfHosted.server.requestsTo(/\/v1\/images\/edits$/);
		expect(edits).toHaveLength(before + 1);
		expect(edits.at(-1)!.files![0].data.equals(generated)).toBe(true);
		expect(edits.at(-1)!.fields?.prompt).toEqual(['Make it a snowy winter night']);
	});

	test('TensorsLab SeeDream: the generated image goes out as sourceImage', async () => {
		const execution = await n8n.execute('zimageEditTensorsLab');
		succeeded(execution);
		const [generated] = await checkImages(execution.outputs.Generate, [2048, 2048], 'image/png');
		await checkImages(execution.outputs.Edit, [2048, 2048], 'image/png');
		const edit = sims.tensorsLab
			.submits()
			.filter((r) => r.files?.length)
			.at(-1)!;
		expect(edit.path).toBe('/v1/images/seedreamv45');
		expect(edit.files![0].field).toBe('sourceImage');
		expect(edit.files![0].data.equals(generated)).toBe(true);
	});
});

describe('a batch of five prompts to files on disk', () => {
	test.each(['selfHosted', 'tensorsLab', 'evolink', 'odkkk', 'modelStudio'] as Provider[])(
		'%s',
		async (provider) => {
			const id =
				provider === 'selfHosted' ? 'zimageBatchToFiles' : `zimageBatchToFiles_${provider}`;
			const execution = await n8n.execute(id);
			succeeded(execution);
			const { size, mimeType } = GENERATE[provider];
			const items = execution.outputs['Z-Image'];
			expect(items).toHaveLength(5);
			expect(items.map((item) => item.pairedItem)).toEqual(
				[0, 1, 2, 3, 4].map((item) => ({ item })),
			);
			await checkImages(items, size, mimeType);
			for (const item of items) {
				const file = join(n8n.filesDir, `${id}-${String(item.binary!.data.fileName)}`);
				expect(existsSync(file)).toBe(true);
				expect(await decodeImage(readFileSync(file))).toMatchObject({
					width: size[0],
					height: size[1],
				});
			}
		},
	);
});

describe('submit without waiting, then Get Task', () => {
	test.each(['tensorsLab', 'evolink', 'odkkk', 'selfHosted'] as Provider[])(
		'%s',
		async (provider) => {
			const id =
				provider === 'tensorsLab' ? 'zimageSubmitGetTask' : `zimageSubmitGetTask_${provider}`;
			const execution = await n8n.execute(id);
			succeeded(execution);
			const [submitted] = execution.outputs.Submit;
			expect(submitted.binary).toBeUndefined();
			expect(['queued', 'processing']).toContain(submitted.json.status);
			const collected = execution.outputs['Get Task'];
			expect(collected[0].json).toMatchObject({
				taskId: submitted.json.taskId,
				status: 'completed',
			});
			await checkImages(collected, GENERATE[provider].size, GENERATE[provider].mimeType);
		},
	);
});

describe('health check', () => {
	test.each(['selfHosted', 'tensorsLab', 'evolink', 'odkkk'] as Provider[])(
		'%s',
		async (provider) => {
			const execution = await n8n.execute(
				provider === 'selfHosted' ? 'zimageHealth' : `zimageHealth_${provider}`,
			);
			succeeded(execution);
			expect(execution.outputs['Z-Image'][0].json).toMatchObject({
				provider,
				reachable: true,
				keyAccepted: true,
			});
		},
	);
});

describe('Alibaba Cloud Model Studio: what its examples show', () => {
	test('text to image: the rewritten prompt, usage and request id come with the image', async () => {
		const execution = await n8n.execute('zimageT2iModelStudio');
		succeeded(execution);
		const [item] = execution.outputs['Z-Image'];
		const made = sims.modelStudio.generated.at(-1)!;
		expect(item.json).toMatchObject({
			provider: 'modelStudio',
			taskId: made.requestId,
			requestId: made.requestId,
			prompt: 'A lighthouse on a cliff at sunset',
			extendedPrompt: expect.stringMatching(/^A lighthouse on a cliff at sunset, /),
			usage: { width: 1280, height: 720, image_count: 1 },
		});
		expect(made).toMatchObject({ promptExtend: true, width: 1280, height: 720 });
		await checkImages([item], [1280, 720], 'image/png');
	});

	test('health check: key, region and model checked, nothing generated', async () => {
		const generated = sims.modelStudio.generated.length;
		const execution = await n8n.execute('zimageHealthModelStudio');
		succeeded(execution);
		expect(execution.outputs['Z-Image'][0].json).toMatchObject({
			provider: 'modelStudio',
			reachable: true,
			keyAccepted: true,
			modelAvailable: true,
		});
		expect(sims.modelStudio.generated).toHaveLength(generated);
	});
});

describe('a failure a user understands', () => {
	test('a wrong Evolink key fails the execution with a message naming the problem, not the key', async () => {
		const execution = await n8n.execute('zimageT2iEvolink_evolink_badkey');
		expect(execution.status).toBe('error');
		expect(execution.error).toBe(
			'Evolink (generate): Evolink rejected the API key: Invalid or expired token',
		);
		expect(JSON.stringify(execution.raw)).not.toContain('sk-dummy-wrong-e2e-4242');
	});
});

describe('fal.ai, every operation', () => {
	test('text to image: Turbo through the queue, with what fal reports', async () => {
		const execution = await n8n.execute('zimageT2iFal');
		succeeded(execution);
		const items = execution.outputs['Z-Image'];
		expect(items).toHaveLength(1);
		expect(items[0].json).toMatchObject({
			provider: 'fal',
			model: 'fal-ai/z-image/turbo',
			status: 'completed',
			hasNsfwConcept: false,
			billableUnits: 0.5898,
		});
		await checkImages(items, [1024, 576], 'image/png');
		const submit = sims.fal
			.submits()
			.find((r) => r.json && (r.json as Record<string, unknown>).image_size === 'landscape_16_9');
		expect(submit?.headers.authorization).toBe(`Key ${sims.fal.apiKey}`);
	});

	test('generate, then edit: the generated image goes to image-to-image as a data URI', async () => {
		const execution = await n8n.execute('zimageEditFal');
		succeeded(execution);
		const [generated] = await checkImages(execution.outputs.Generate, [1024, 768], 'image/png');
		await checkImages(execution.outputs.Edit, [1024, 768], 'image/png');
		const edit = sims.fal
			.submits()
			.filter((r) => r.path === '/fal-ai/z-image/turbo/image-to-image')
			.at(-1)!;
		expect((edit.json as Record<string, unknown>).image_url).toBe(
			`data:image/png;base64,${generated.toString('base64')}`,
		);
		expect(edit.json).toMatchObject({
			prompt: 'Make it a snowy winter night',
			strength: 0.6,
			image_size: 'auto',
		});
	});

	test('submit, Get Task by request id, then Delete Task cancels it', async () => {
		const cancels = sims.fal.cancels().length;
		const execution = await n8n.execute('zimageCancelFal');
		succeeded(execution);
		const [submitted] = execution.outputs.Submit;
		expect(['queued', 'processing']).toContain(submitted.json.status);
		const [looked] = execution.outputs['Get Task'];
		expect(looked.json).toMatchObject({ provider: 'fal', taskId: submitted.json.taskId });
		expect(execution.outputs.Cancel[0].json).toMatchObject({
			provider: 'fal',
			deleted: [submitted.json.taskId],
			raw: [{ status: 'CANCELLATION_REQUESTED' }],
		});
		expect(
			sims.fal
				.cancels()
				.slice(cancels)
				.map((r) => r.path),
		).toEqual([`/fal-ai/z-image/requests/${String(submitted.json.taskId)}/cancel`]);
	});

	test('submit without waiting, then Get Task collects the images', async () => {
		const execution = await n8n.execute('zimageSubmitGetTask_fal');
		succeeded(execution);
		const [submitted] = execution.outputs.Submit;
		expect(submitted.binary).toBeUndefined();
		const collected = execution.outputs['Get Task'];
		expect(collected[0].json).toMatchObject({ taskId: submitted.json.taskId, status: 'completed' });
		await checkImages(collected, GENERATE.fal.size, GENERATE.fal.mimeType);
	});

	test('health check', async () => {
		const execution = await n8n.execute('zimageHealth_fal');
		succeeded(execution);
		expect(execution.outputs['Z-Image'][0].json).toMatchObject({
			provider: 'fal',
			reachable: true,
			keyAccepted: true,
		});
	});
});

describe('Replicate, in a real n8n', () => {
	test('text to image: one held create with Bearer, one download, what Replicate reports', async () => {
		const creates = sims.replicate.creates().length;
		const files = sims.replicate.cdn.requests.length;
		const execution = await n8n.execute('zimageT2iReplicate');
		succeeded(execution);
		const [item] = execution.outputs['Z-Image'];
		expect(item.json).toMatchObject({
			provider: 'replicate',
			model: 'prunaai/z-image-turbo',
			status: 'completed',
			predictTime: expect.any(Number),
			version: expect.stringMatching(/^[0-9a-f]{64}$/),
		});
		const sent = sims.replicate.creates().slice(creates);
		expect(sent.map((r) => [r.path, r.headers.authorization, r.headers.prefer])).toEqual([
			[
				'/v1/models/prunaai/z-image-turbo/predictions',
				`Bearer ${sims.replicate.apiKey}`,
				'wait=60',
			],
		]);
		expect(sims.replicate.looks().filter((r) => r.at >= sent[0].at)).toHaveLength(0);
		expect(sims.replicate.cdn.requests.slice(files)).toHaveLength(1);
	});

	test('submit without waiting, then Get Task collects the images', async () => {
		const execution = await n8n.execute('zimageSubmitGetTask_replicate');
		succeeded(execution);
		const [submitted] = execution.outputs.Submit;
		expect(submitted.binary).toBeUndefined();
		const collected = execution.outputs['Get Task'];
		expect(collected[0].json).toMatchObject({ taskId: submitted.json.taskId, status: 'completed' });
		await checkImages(collected, GENERATE.replicate.size, GENERATE.replicate.mimeType);
	});

	test('health check', async () => {
		const execution = await n8n.execute('zimageHealth_replicate');
		succeeded(execution);
		expect(execution.outputs['Z-Image'][0].json).toMatchObject({
			provider: 'replicate',
			reachable: true,
			keyAccepted: true,
			account: 'zimage-tester',
		});
	});
});

describe("the images in n8n's binary data mode", () => {
	// Each n8n line runs in its own default mode unless ZIMAGE_N8N_BINARY_MODE says
	// otherwise: filesystem on 2.x, in the execution ("default") on 1.x.
	test('stored where that mode keeps them', async () => {
		const execution = await n8n.execute('zimageT2iTensorsLab');
		succeeded(execution);
		const binary = execution.outputs['Z-Image'][0].binary!.data;
		if (n8n.binaryMode === 'filesystem') {
			expect(binary.id).toMatch(/^filesystem(-v2)?:/);
			expect(binary.data).toBe('filesystem-v2');
		} else {
			expect(binary.id).toBeUndefined();
			expect(Buffer.from(binary.data!, 'base64').length).toBeGreaterThan(1000);
		}
		await checkImages([execution.outputs['Z-Image'][0]], [1024, 768], 'image/png');
	});
});

describe('no key in anything n8n kept', () => {
	test('every execution above, outputs, binary metadata and errors, is scanned for each simulator key and its prefixes', () => {
		const keys = [
			sims.tensorsLab.apiKey,
			sims.evolink.apiKey,
			sims.odkkk.apiKey,
			sims.fal.apiKey,
			sims.modelStudio.apiKey,
			sims.replicate.apiKey,
			'sk-dummy-wrong-e2e-4242',
		];
		for (const { workflowId, execution } of executions) {
			const text = JSON.stringify({
				outputs: execution.outputs,
				error: execution.error,
				raw: execution.raw,
			});
			for (const key of keys) {
				// Its first 12 and last 10 characters: shorter pieces of these test keys ("evolink-") occur naturally.
				for (const form of [key, `Bearer ${key}`, key.slice(0, 12), key.slice(-10)]) {
					expect({ workflowId, leaked: text.includes(form) ? form : undefined }).toEqual({
						workflowId,
						leaked: undefined,
					});
				}
			}
		}
		// Every execution of the tests above (19 when they all ran): the scan saw them all.
		expect(executions.length).toBeGreaterThanOrEqual(19);
	});
});
