/**
 * The package as a user's install leaves it, and ports that cannot collide (issue #21,
 * items 2 and 4), in a real n8n:
 * - installed as n8n's community-package installer does it (e2e/lib/install.ts), n8n lists
 *   it under Settings → Community nodes (`GET /rest/community-packages`, what that page
 *   loads) with its version and its node, and loads the node;
 * - `start` refuses, in words, a port another server already holds, and an answer from a
 *   server that took the port after that check, without driving it.
 */
/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals, no-console -- a test driving a real n8n and a stand-in server (node:http, /proc), never shipped; it prints the REST answer for the CI log */
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';

import { ZImage } from '../../nodes/ZImage/ZImage.node';
import { ensureRuntime, freePort, N8nInstance, n8nLine, ROOT } from '../../e2e/lib/n8n';
import { N8nRest, waitFor } from '../../e2e/lib/rest';

const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
	name: string;
	version: string;
	author: { name: string; email: string };
	devDependencies: Record<string, string>;
	peerDependencies: Record<string, string>;
};
const description = new ZImage().description;
const latestVersion = Array.isArray(description.version)
	? Math.max(...description.version)
	: description.version;

let node: string;
let n8n: N8nInstance;
let main: ChildProcess;
let rest: N8nRest;
let port: number;

/** A server that answers every request as a ready n8n would (JSON), and counts them. */
async function impostor(
	onPort: number,
): Promise<{ server: Server; requests: string[]; close(): Promise<void> }> {
	const requests: string[] = [];
	const server = createServer((request, response) => {
		requests.push(`${request.method} ${request.url}`);
		response.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
		response.end(JSON.stringify({ data: { userManagement: { showSetupOnFirstLoad: false } } }));
	});
	await new Promise<void>((resolve) => server.listen(onPort, '127.0.0.1', resolve));
	return {
		server,
		requests,
		close: async () => await new Promise<void>((resolve) => server.close(() => resolve())),
	};
}

/** The process whose working folder is `folder` (the n8n `start` spawned there), if any. */
function processIn(folder: string): number | undefined {
	for (const entry of readdirSync('/proc')) {
		const pid = Number(entry);
		if (!Number.isInteger(pid)) continue;
		try {
			if (readlinkSync(`/proc/${pid}/cwd`) === folder) return pid;
		} catch {
			// gone, or not ours
		}
	}
	return undefined;
}

beforeAll(async () => {
	node = ensureRuntime();
	n8n = new N8nInstance(node);
	n8n.installPackage();
	port = await freePort();
	main = await n8n.start(port);
	rest = new N8nRest(`http://127.0.0.1:${port}`);
	await rest.login();
}, 10 * 60_000);

afterAll(async () => {
	if (main && main.exitCode === null) {
		main.kill('SIGTERM');
		await new Promise((resolve) => main.once('exit', resolve));
	}
	n8n?.remove();
});

test('the files are where and as the installer leaves them', () => {
	const nodesDir = join(n8n.userFolder, '.n8n', 'nodes');
	// The installer's ledger names the installed version, not '*'.
	expect(JSON.parse(readFileSync(join(nodesDir, 'package.json'), 'utf8'))).toEqual({
		name: 'installed-nodes',
		private: true,
		dependencies: { [manifest.name]: manifest.version },
	});
	const installed = join(nodesDir, 'node_modules', manifest.name);
	const installedManifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
	// From the packed tarball: its manifest without dev/peer dependencies, and only its files.
	expect(installedManifest).toMatchObject({ name: manifest.name, version: manifest.version });
	expect(installedManifest.devDependencies).toBeUndefined();
	expect(installedManifest.peerDependencies).toBeUndefined();
	expect(existsSync(join(installed, 'dist', 'nodes', 'ZImage', 'ZImage.node.js'))).toBe(true);
	expect(existsSync(join(installed, 'nodes'))).toBe(false);
	expect(existsSync(join(installed, 'test'))).toBe(false);
	// The tarball is removed after extraction, as the installer does.
	expect(readdirSync(nodesDir).filter((file) => file.endsWith('.tgz'))).toEqual([]);
});

test('Settings → Community nodes lists the package with its version and node', async () => {
	const answer = await rest.rest('GET', '/community-packages');
	expect(answer.status).toBe(200);
	const packages = answer.json.data as Array<Record<string, unknown>>;
	console.log(`n8n ${n8nLine()}.x GET /rest/community-packages: ${JSON.stringify(packages)}`);
	expect(packages).toHaveLength(1);
	expect(packages[0]).toMatchObject({
		packageName: manifest.name,
		installedVersion: manifest.version,
		authorName: manifest.author.name,
		authorEmail: manifest.author.email,
		installedNodes: [
			{ name: description.displayName, type: `${manifest.name}.zImage`, latestVersion },
		],
	});
	// Installed just now, as the page's "installed" date shows.
	for (const stamp of [packages[0].createdAt, packages[0].updatedAt]) {
		expect(Math.abs(Date.now() - new Date(String(stamp)).getTime())).toBeLessThan(10 * 60_000);
	}
	// Loaded, not "failed to load" (the page's warning for a package whose nodes are missing).
	expect(packages[0].failedLoading).not.toBe(true);
	expect(n8n.installedPackage).toMatchObject({ installedVersion: manifest.version });
});

test('the editor knows the node, with the installed package version', async () => {
	// The node types the editor loads (/types/nodes.json, beside /rest), with the login's cookie:
	// n8n's loader stamps a package's nodes with communityNodePackageVersion as it loads them.
	const answer = await rest.rest('GET', '/../types/nodes.json');
	expect(answer.status).toBe(200);
	const types = JSON.parse(answer.body.toString('utf8')) as Array<{
		name: string;
		communityNodePackageVersion?: string;
	}>;
	const zImage = types.filter((type) => type.name === `${manifest.name}.zImage`);
	expect(zImage.length).toBeGreaterThan(0);
	for (const type of zImage) expect(type.communityNodePackageVersion).toBe(manifest.version);
});

test('start refuses a port another server holds, in words, without talking to it', async () => {
	const busy = await freePort();
	const other = await impostor(busy);
	const second = new N8nInstance(node);
	try {
		await expect(second.start(busy)).rejects.toThrow(
			new RegExp(
				`^port ${busy} on 127\\.0\\.0\\.1 is already in use by another process \\(pid ${process.pid}: .*\\): n8n is not started there$`,
			),
		);
		expect(other.requests).toEqual([]);
		expect(processIn(second.userFolder)).toBeUndefined();
	} finally {
		await other.close();
		second.remove();
	}
});

test('start refuses an answer from a server that took the port after the check', async () => {
	const contested = await freePort();
	const second = new N8nInstance(node);
	let other: Awaited<ReturnType<typeof impostor>> | undefined;
	try {
		const starting = second.start(contested);
		// The port was free when start checked it; the impostor takes it once n8n is spawned.
		const spawned = await waitFor(
			'n8n start to be spawned',
			() => processIn(second.userFolder),
			30_000,
			20,
		);
		other = await impostor(contested);
		await expect(starting).rejects.toThrow(
			new RegExp(
				`^127\\.0\\.0\\.1:${contested} is answered by another process \\(pid ${process.pid}: .*\\), not by the n8n started here \\(pid ${spawned}\\): refusing to drive another server$`,
			),
		);
		// It asked only whether n8n was ready, and the n8n it started is stopped.
		expect(new Set(other.requests)).toEqual(new Set(['GET /rest/settings']));
		expect(existsSync(`/proc/${spawned}`)).toBe(false);
	} finally {
		await other?.close();
		second.remove();
	}
});
