/**
 * Node versions and parameter names. n8n's editor switches provider through the Credential
 * select by setting `provider` alone (updateNodeAuthType): every other value stays as it
 * was. In version 1 two providers' parameters share names (model, size, width…) with
 * different allowed values, so a value of the old provider is read as the new one's and the
 * first run fails. Version 2 names every provider's own parameter after its provider; version
 * 1 keeps its names, so saved workflows keep meaning what they meant.
 */
import type { IDataObject, INode, INodeParameters, INodeProperties } from 'n8n-workflow';
import { NodeHelpers } from 'n8n-workflow';

import { ZImage } from '../nodes/ZImage/ZImage.node';
import {
	simulatorCredentials,
	startSimulators,
	type RunningSimulators,
} from '../scripts/simulators';
import { failureOf, runNode } from './harness';

const description = new ZImage().description;
const PROVIDERS = [
	'tensorsLab',
	'selfHosted',
	'evolink',
	'odkkk',
	'fal',
	'modelStudio',
	'replicate',
] as const;
type Provider = (typeof PROVIDERS)[number];

function nodeAt(typeVersion: number, parameters: INodeParameters = {}): INode {
	return {
		id: 'z',
		name: 'Z-Image',
		type: 'n8n-nodes-zimage.zImage',
		typeVersion,
		position: [0, 0],
		parameters,
	};
}

/** The parameters n8n stores for a node: displayed ones only, defaults filled in (as the editor does). */
function storedParameters(typeVersion: number, values: INodeParameters): INodeParameters {
	const node = nodeAt(typeVersion, values);
	return (
		NodeHelpers.getNodeParameters(description.properties, values, true, false, node, description) ??
		{}
	);
}

/** The properties the editor shows a node of this version with these values. */
function shown(typeVersion: number, values: INodeParameters): INodeProperties[] {
	const node = nodeAt(typeVersion, values);
	return description.properties.filter((property) =>
		NodeHelpers.displayParameter(values, property, node, description),
	);
}

describe('node versions', () => {
	test('new nodes are version 2; version 1 is still offered for saved workflows', () => {
		expect(description.version).toEqual([1, 2]);
		expect(description.defaultVersion).toBe(2);
	});

	test('version 2 names each provider parameter after its provider; version 1 keeps the plain names', () => {
		const names = (typeVersion: number, provider: Provider) =>
			shown(typeVersion, storedParameters(typeVersion, { provider, operation: 'generate' }))
				.map((property) => property.name)
				.filter((name) => !['provider', 'operation', 'prompt', 'options'].includes(name));
		expect(names(1, 'evolink')).toEqual([
			'model',
			'size',
			'seed',
			'nsfwCheck',
			'waitMode',
			'callbackUrl',
		]);
		expect(names(2, 'evolink')).toEqual([
			'evolinkModel',
			'evolinkSize',
			'evolinkSeed',
			'evolinkNsfwCheck',
			'waitMode',
			'evolinkCallbackUrl',
		]);
		expect(names(2, 'tensorsLab')).toEqual([
			'tensorsLabModel',
			'tensorsLabResolution',
			'tensorsLabSeed',
			'tensorsLabPromptExtend',
		]);
		expect(names(1, 'tensorsLab')).toEqual(['model', 'resolution', 'seed', 'promptExtend']);
		// Display conditions on sibling fields follow the new names.
		const custom = shown(2, storedParameters(2, { provider: 'evolink', evolinkSize: 'custom' }));
		expect(custom.map((property) => property.name)).toEqual(
			expect.arrayContaining(['evolinkWidth', 'evolinkHeight']),
		);
	});

	test('in version 2 no two providers share a parameter name unless its definition is the same', () => {
		const v2 = description.properties.filter(
			(property) =>
				!property.displayOptions?.show?.['@version'] ||
				JSON.stringify(property.displayOptions.show['@version']).includes('gte'),
		);
		const byName = new Map<string, INodeProperties[]>();
		for (const property of v2)
			byName.set(property.name, [...(byName.get(property.name) ?? []), property]);
		const clashes: string[] = [];
		for (const [name, properties] of byName) {
			// The Operation list differs by provider on purpose: an operation a provider lacks is not offered.
			if (name === 'operation') continue;
			const providers = new Set(
				properties.flatMap(
					(property) => (property.displayOptions?.show?.provider as string[]) ?? ['*'],
				),
			);
			if (providers.size <= 1) continue;
			const definition = (property: INodeProperties) =>
				JSON.stringify([property.type, property.options, property.typeOptions, property.default]);
			if (new Set(properties.map(definition)).size > 1)
				clashes.push(`${name}: ${[...providers].join(', ')}`);
		}
		expect(clashes).toEqual([]);
	});
});

/**
 * The editor's provider switch, for every pair of providers: a new node set up on one
 * provider (its defaults stored), then another provider's credential picked, which sets
 * `provider` and nothing else, then the prompt typed and Execute step.
 */
describe('switching provider through the Credential select', () => {
	let sims: RunningSimulators;
	let credentials: Record<string, IDataObject>;
	beforeAll(async () => {
		sims = await startSimulators(50);
		credentials = Object.fromEntries(
			simulatorCredentials(sims).map((credential) => [credential.type, credential.data]),
		);
	});
	afterAll(async () => await sims.stop());

	const submitsTo = () =>
		sims.tensorsLab.submits().length +
		sims.evolink.submits().length +
		sims.odkkk.submits().length +
		sims.selfHosted.imageRequests().length +
		sims.modelStudio.submits().length;

	const pairs = PROVIDERS.flatMap((from) =>
		PROVIDERS.filter((to) => to !== from).map((to) => ({ from, to })),
	);

	async function switchAndRun(typeVersion: number, from: Provider, to: Provider) {
		const before = storedParameters(typeVersion, { provider: from, operation: 'generate' });
		const parameters = { ...before, provider: to, prompt: 'a lighthouse at dusk' };
		return await runNode({ parameters, credentials, typeVersion });
	}

	test.each(pairs)(
		'version 2: $from → $to, Generate runs without touching another field',
		async ({ from, to }) => {
			const result = await switchAndRun(2, from, to);
			expect(result.items.length).toBeGreaterThan(0);
			expect(result.items[0].json).toMatchObject({ provider: to, status: 'completed' });
			expect(result.items[0].binary?.data?.mimeType).toMatch(/^image\//);
		},
	);

	test('version 1 (saved workflows): the old provider values stay as they were read before', async () => {
		// What issue #21 saw: TensorsLab's Model "zimage" is read as Evolink's Model.
		const sent = submitsTo();
		const error = await failureOf(switchAndRun(1, 'tensorsLab', 'evolink'));
		expect(error.message).toBe('Invalid Model "zimage": allowed: z-image-turbo');
		expect(submitsTo()).toBe(sent);
	});

	test('version 2 reads only the scoped names: a plain "size" is not Evolink\'s Size', async () => {
		const sent = sims.evolink.submits().length;
		await runNode({
			parameters: {
				provider: 'evolink',
				operation: 'generate',
				prompt: 'a fox',
				size: '16:9',
				evolinkSize: '9:16',
			},
			credentials,
			typeVersion: 2,
		});
		expect(sims.evolink.submits().slice(sent)[0].json).toMatchObject({ size: '9:16' });
	});

	test('version 2: the operation a provider lacks fails before anything is sent, naming it', async () => {
		const before = storedParameters(2, {
			provider: 'tensorsLab',
			operation: 'deleteTask',
			taskId: 'abc',
		});
		const sent = submitsTo();
		const error = await failureOf(
			runNode({ parameters: { ...before, provider: 'evolink' }, credentials, typeVersion: 2 }),
		);
		expect(error.message).toContain('Evolink cannot do the "deleteTask" operation');
		expect(submitsTo()).toBe(sent);
	});
});
