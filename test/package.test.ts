/** What n8n and its community-package rules expect of the published package. */
/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals -- a test that reads the built package from disk */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { ZImage } from '../nodes/ZImage/ZImage.node';
import { PROVIDERS } from '../nodes/ZImage/providers';

const root = join(__dirname, '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

describe('package.json', () => {
	test('is an n8n community package with no runtime dependencies', () => {
		expect(pkg.name).toBe('n8n-nodes-zimage');
		expect(pkg.keywords).toContain('n8n-community-node-package');
		expect(pkg.dependencies ?? {}).toEqual({});
		expect(pkg.peerDependencies).toEqual({ 'n8n-workflow': '*' });
		expect(pkg.n8n.n8nNodesApiVersion).toBe(1);
	});

	test('every file named in the n8n section is built, with its icons and codex', () => {
		for (const file of [...pkg.n8n.nodes, ...pkg.n8n.credentials]) {
			expect(existsSync(join(root, file))).toBe(true);
		}
		for (const asset of ['zimage.svg', 'zimage.dark.svg', 'ZImage.node.json']) {
			expect(existsSync(join(root, 'dist/nodes/ZImage', asset))).toBe(true);
		}
	});

	test('every provider credential is registered and exported', async () => {
		const index = await import(join(root, 'dist/index.js'));
		const exported = Object.values(index).map(
			(Type) => new (Type as new () => { name: string })().name,
		);
		for (const provider of PROVIDERS) {
			expect(exported).toContain(provider.credentialType);
			expect(
				pkg.n8n.credentials.some((file: string) =>
					new RegExp(`/${provider.credentialType}.credentials.js$`, 'i').test(file),
				),
			).toBe(true);
		}
	});
});

describe('node description', () => {
	const { description } = new ZImage();

	test('stable names that saved workflows depend on', () => {
		expect(description.name).toBe('zImage');
		expect(description.displayName).toBe('Z-Image');
		const codex = JSON.parse(readFileSync(join(root, 'nodes/ZImage/ZImage.node.json'), 'utf8'));
		expect(codex.node).toBe('n8n-nodes-zimage.zImage');
		const provider = description.properties.find((p) => p.name === 'provider');
		expect(provider?.options?.map((o) => 'value' in o && o.value)).toEqual(
			PROVIDERS.map((p) => p.name),
		);
	});

	test('usable as an AI agent tool', () => {
		expect(description.usableAsTool).toMatchObject({
			replacements: { description: expect.stringContaining('Returns JSON') },
		});
	});

	test('each provider has its credential and its own operation list', () => {
		for (const provider of PROVIDERS) {
			const credential = description.credentials?.find((c) => c.name === provider.credentialType);
			expect(credential?.displayOptions).toEqual({ show: { provider: [provider.name] } });
			const operation = description.properties.find(
				(p) => p.name === 'operation' && p.displayOptions?.show?.provider?.includes(provider.name),
			);
			expect(operation?.options).toBe(provider.operations);
		}
	});

	test("a provider's own parameters show only for that provider", () => {
		for (const provider of PROVIDERS) {
			for (const property of provider.properties) {
				expect(property.displayOptions?.show?.provider).toEqual([provider.name]);
			}
		}
	});
});
