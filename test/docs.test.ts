/**
 * The docs a person reads (issue #22): every relative link and anchor in README.md and docs/
 * resolves, every page is reachable from the README, and every provider, credential, operation,
 * parameter and option of the node's built description is named on a page — read from the
 * node and its credentials, so a new provider demands its own page.
 */
/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals -- a test that reads the docs from disk */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

import type { ICredentialType, INodeProperties } from 'n8n-workflow';

import * as packageExports from '../index';
import { ZImage } from '../nodes/ZImage/ZImage.node';

const root = join(__dirname, '..');
/** Where the repository's files are published: the credentials' and the codex's doc links. */
const BLOB = 'https://github.com/n8n-nodes-zimage/n8n-nodes-zimage/blob/main/';

const FENCED = /^(`{3,}|~{3,})[^\n]*\n[\s\S]*?^\1[ \t]*$/gm;

/** The text without fenced code blocks and code spans: links there are not links. */
function prose(markdown: string): string {
	const text = markdown.replace(FENCED, '');
	let out = '';
	let at = 0;
	const open = /`+/g;
	for (let run = open.exec(text); run; run = open.exec(text)) {
		const ticks = run[0];
		const close = new RegExp(`(?<!\`)${ticks}(?!\`)`, 'g');
		close.lastIndex = run.index + ticks.length;
		const end = close.exec(text);
		if (!end) continue; // an unclosed run is literal text
		out += `${text.slice(at, run.index)} `;
		at = end.index + ticks.length;
		open.lastIndex = at;
	}
	return out + text.slice(at);
}

/** A heading's anchor as GitHub renders it: text only, lower-case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
	return heading
		.replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
		.replace(/[`*]/g, '')
		.trim()
		.toLowerCase()
		.replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
		.replace(/ /g, '-');
}

/** Every anchor of a page, duplicates numbered as GitHub numbers them (`-1`, `-2`, …). */
function anchorsOf(markdown: string): Set<string> {
	const anchors = new Set<string>();
	const seen = new Map<string, number>();
	for (const [, text] of markdown.replace(FENCED, '').matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
		const base = slug(text);
		const count = seen.get(base) ?? 0;
		seen.set(base, count + 1);
		anchors.add(count === 0 ? base : `${base}-${count}`);
	}
	return anchors;
}

/** The targets of a page's inline links and images, outside code. */
function linksOf(markdown: string): string[] {
	return [...prose(markdown).matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map(
		(match) => match[1],
	);
}

/** What is wrong with one link of a page (a repository path, or this repository's blob URL), or undefined. */
function linkProblem(
	fromFile: string,
	target: string,
	read: (path: string) => string | undefined = readRepoFile,
): string | undefined {
	const [file, anchor] = target.split(/#(.*)/s);
	let path: string;
	if (target.startsWith(BLOB)) path = join(root, decodeURI(file.slice(BLOB.length)));
	else if (/^[a-z][a-z0-9+.-]*:/i.test(target))
		return undefined; // another site: not checked
	else path = file === '' ? fromFile : resolve(dirname(fromFile), decodeURI(file));
	const shown = `${relative(root, fromFile)}: ${target}`;
	if (relative(root, path).startsWith('..')) return `${shown} leaves the repository`;
	const text = read(path);
	if (text === undefined) return `${shown}: no such file`;
	if (anchor === undefined) return undefined;
	if (!path.endsWith('.md')) return `${shown}: an anchor into a file that is not Markdown`;
	return anchorsOf(text).has(anchor) ? undefined : `${shown}: no heading with this anchor`;
}

/** A file's text, '' for a folder, undefined when it does not exist. */
function readRepoFile(path: string): string | undefined {
	if (!existsSync(path)) return undefined;
	return statSync(path).isDirectory() ? '' : readFileSync(path, 'utf8');
}

function markdownUnder(folder: string): string[] {
	return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
		const path = join(folder, entry.name);
		if (entry.isDirectory()) return markdownUnder(path);
		return entry.name.endsWith('.md') ? [path] : [];
	});
}

const readmeFile = join(root, 'README.md');
const docFiles = markdownUnder(join(root, 'docs'));
const pages = [readmeFile, ...docFiles];
const textOf = new Map(pages.map((file) => [file, readFileSync(file, 'utf8')]));

function unique(list: string[]): string[] {
	return [...new Set(list)];
}

/** Whether a page names a display name: the whole name, not part of a longer word. */
function names(file: string, name: string): boolean {
	const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
	return new RegExp(`(?<![\\p{L}\\p{N}])${escaped}(?![\\p{L}\\p{N}])`, 'u').test(
		textOf.get(file) ?? '',
	);
}

/** The repository file a doc URL of the node or a credential names. */
function repoFileOf(url: string): string {
	return join(root, url.slice(BLOB.length).split('#')[0]);
}

const { description } = new ZImage();
const credentialTypes = Object.values(packageExports)
	.map((Type) => new (Type as new () => object)())
	.filter((instance): instance is ICredentialType => !('description' in instance));
const providerProperty = description.properties.find((p) => p.name === 'provider');
const providers = (providerProperty?.options ?? []).map((option) => ({
	displayName: option.name,
	value: String('value' in option ? option.value : ''),
}));

function credentialOf(provider: string): ICredentialType {
	const wanted = description.credentials?.find((c) =>
		c.displayOptions?.show?.provider?.includes(provider),
	);
	const credential = credentialTypes.find((type) => type.name === wanted?.name);
	if (!credential) throw new Error(`provider ${provider}: its credential is not exported`);
	return credential;
}

/** The doc page of a provider: where its credential's documentationUrl points. */
function pageOf(provider: string): string {
	return repoFileOf(credentialOf(provider).documentationUrl ?? '');
}

/** What the node's description shows for one provider: its operations and its own parameters. */
function shownFor(provider: string): string[] {
	return description.properties
		.filter((p) => p.displayOptions?.show?.provider?.includes(provider))
		.flatMap((p) =>
			p.name === 'operation' ? (p.options ?? []).map((o) => o.name) : [p.displayName],
		);
}

/** Parameters every provider shows (Prompt, Task ID, …) and the Options collections' options. */
const shared = description.properties.filter(
	(p) => p !== providerProperty && !p.displayOptions?.show?.provider,
);
const collectionOptions = unique(
	shared
		.filter((p) => p.type === 'collection')
		.flatMap((p) => (p.options ?? []) as INodeProperties[])
		.map((option) => option.displayName),
);
const sharedFields = unique(
	shared.filter((p) => p.type !== 'collection').map((p) => p.displayName),
);

describe('the link checker', () => {
	const page = join(root, 'docs', 'page.md');
	const files: Record<string, string> = {
		[page]:
			'# A page\n\n## What happens when…\n\n## Speed: 4 × 50 `items`\n\n## Options\n\n## Options\n',
		[join(root, 'docs', 'other.md')]:
			"# Other\n\n## Shared budgets: pacing against a provider's limits\n",
	};
	const read = (path: string) => files[path];

	test('anchors are the headings as GitHub renders them', () => {
		expect([...anchorsOf(files[page])]).toEqual([
			'a-page',
			'what-happens-when',
			'speed-4--50-items',
			'options',
			'options-1',
		]);
	});

	test('finds what is broken, and only that', () => {
		expect(linkProblem(page, '#what-happens-when', read)).toBeUndefined();
		expect(
			linkProblem(page, 'other.md#shared-budgets-pacing-against-a-providers-limits', read),
		).toBeUndefined();
		expect(linkProblem(page, 'https://example.com/missing', read)).toBeUndefined();
		expect(linkProblem(page, '#what-happens', read)).toMatch(/no heading with this anchor/);
		expect(linkProblem(page, 'others.md', read)).toMatch(/no such file/);
		expect(linkProblem(page, 'other.md#budgets', read)).toMatch(/no heading/);
		expect(linkProblem(page, `${BLOB}docs/other.md#nope`, read)).toMatch(/no heading/);
		expect(linkProblem(page, '../../outside.md', read)).toMatch(/leaves the repository/);
	});

	test('reads links outside code only', () => {
		expect(linksOf('[a](x.md) `[b](y.md)` ![c](z.png)\n```\n[d](w.md)\n```\n')).toEqual([
			'x.md',
			'z.png',
		]);
	});
});

describe('README.md and docs/', () => {
	test('every relative link and anchor resolves', () => {
		const problems = pages.flatMap((file) =>
			linksOf(textOf.get(file) ?? '').flatMap((target) => linkProblem(file, target) ?? []),
		);
		expect(problems).toEqual([]);
	});

	test('every docs page is reachable from the README', () => {
		const reached = new Set([readmeFile]);
		for (const queue = [readmeFile]; queue.length > 0; ) {
			const file = queue.pop() as string;
			for (const target of linksOf(textOf.get(file) ?? '')) {
				if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) continue;
				const path = resolve(dirname(file), decodeURI(target.split('#')[0]));
				if (!textOf.has(path) || reached.has(path)) continue;
				reached.add(path);
				queue.push(path);
			}
		}
		expect(docFiles.filter((file) => !reached.has(file)).map((f) => relative(root, f))).toEqual([]);
	});

	test('every docs page starts with the question a user would ask', () => {
		const unasked = docFiles.filter(
			(file) => !/^# .+\n\n\*[^*]+\?\*\n/.test(textOf.get(file) ?? ''),
		);
		expect(unasked.map((file) => relative(root, file))).toEqual([]);
	});

	test('the README stays short: at most 2,000 words, as `wc -w` counts them', () => {
		const words = (textOf.get(readmeFile) ?? '').split(/\s+/).filter(Boolean).length;
		expect(words).toBeLessThanOrEqual(2000);
	});
});

describe("the node's description, named in the docs", () => {
	test('the node asks for credentials the package exports', () => {
		expect(providers.length).toBeGreaterThan(0);
		for (const { value } of providers) expect(() => credentialOf(value)).not.toThrow();
	});

	test("each credential's documentationUrl is a docs/providers page (and anchor) that exists", () => {
		for (const { value } of providers) {
			const { displayName, documentationUrl: url = '' } = credentialOf(value);
			const from = join(root, 'credentials', displayName); // names the credential in a failure
			expect(
				url.startsWith(`${BLOB}docs/providers/`)
					? linkProblem(from, url)
					: `${displayName}: documentationUrl "${url}" is not a ${BLOB}docs/providers/ page`,
			).toBeUndefined();
		}
	});

	test("the codex's documentation links name docs pages (and anchors) that exist", () => {
		const codexFile = join(root, 'nodes/ZImage/ZImage.node.json');
		const { primaryDocumentation, credentialDocumentation } = JSON.parse(
			readFileSync(codexFile, 'utf8'),
		).resources;
		for (const { url } of [...primaryDocumentation, ...credentialDocumentation]) {
			expect(url.startsWith(`${BLOB}docs/`) ? linkProblem(codexFile, url) : url).toBeUndefined();
		}
		// The editor's Docs link is this URL plus "?utm_…": a #fragment would swallow that query.
		for (const { url } of primaryDocumentation) expect(url).not.toContain('#');
	});

	test("each provider's page names it, its credential and the credential's fields, its operations and parameters", () => {
		const missing = providers.flatMap(({ displayName, value }) => {
			const credential = credentialOf(value);
			const page = pageOf(value);
			const wanted = [
				displayName,
				credential.displayName,
				...credential.properties.map((p) => p.displayName),
				...shownFor(value),
			];
			return wanted
				.filter((name) => !names(page, name))
				.map((name) => `${displayName} (${relative(root, page) || 'no page'}): ${name}`);
		});
		expect(unique(missing)).toEqual([]);
	});

	test("the README's provider table has a row for each provider, with its credential and page", () => {
		const readme = textOf.get(readmeFile) ?? '';
		const rows = readme.split('\n').filter((line) => line.startsWith('|'));
		const missing = providers.filter(({ value }) => {
			const link = `](${relative(root, pageOf(value))})`;
			const credential = `| ${credentialOf(value).displayName} |`;
			return !rows.some((row) => row.includes(link) && row.includes(credential));
		});
		expect(missing.map((provider) => provider.displayName)).toEqual([]);
	});

	test('the README names every option of the Options collections; some page names every shared parameter', () => {
		expect(collectionOptions.length).toBeGreaterThan(0);
		expect(collectionOptions.filter((name) => !names(readmeFile, name))).toEqual([]);
		expect(sharedFields.filter((name) => !pages.some((file) => names(file, name)))).toEqual([]);
	});
});
