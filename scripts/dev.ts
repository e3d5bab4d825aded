/**
 * `npm run dev`: the n8n editor on 127.0.0.1 with this package loaded, every simulator
 * running, their credentials and the examples imported, and an owner account set up, so
 * that every operation can be clicked through by hand. Ctrl+C stops everything.
 */
/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals, no-console -- a development script run by Node, never shipped; the n8n Cloud sandbox rules are for the nodes */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import {
	assertPortFree,
	ensureRuntime,
	freePort,
	loadExample,
	N8nInstance,
	ROOT,
} from '../e2e/lib/n8n';
import { simulatorCredentials, startSimulators } from './simulators';

export const DEV_OWNER = {
	email: 'dev@zimage.local',
	firstName: 'Z',
	lastName: 'Image',
	password: 'ZImage-dev-1234',
};

export interface DevEnvironment {
	base: string;
	stop(): Promise<void>;
}

export async function startDevEnvironment(
	port: number,
	userFolder = join(ROOT, '.n8n-dev'),
): Promise<DevEnvironment> {
	const sims = await startSimulators();
	const n8n = new N8nInstance(ensureRuntime(), userFolder);
	const fresh = !existsSync(join(n8n.userFolder, '.n8n', 'database.sqlite'));
	// The packed package, installed and registered as n8n's installer does: Settings →
	// Community nodes lists it, as on a user's instance.
	n8n.installPackage();
	// The simulators listen on new ports each run: the credentials follow them.
	await n8n.importCredentials(simulatorCredentials(sims));
	if (fresh) {
		const examples = readdirSync(join(ROOT, 'examples')).filter((file) => file.endsWith('.json'));
		await n8n.importWorkflows(examples.map(loadExample));
	}
	const child = await n8n.start(port);
	const base = `http://127.0.0.1:${port}`;
	await fetch(`${base}/rest/owner/setup`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify(DEV_OWNER),
	});
	return {
		base,
		async stop() {
			child.kill('SIGTERM');
			await new Promise((resolve) => child.once('exit', resolve));
			await sims.stop();
		},
	};
}

/**
 * N8N_PORT when set (refused in words when something listens there); else 5678, n8n's own
 * port, when it is free, or any free port: a second checkout's `npm run dev` never meets
 * the first one's editor.
 */
async function devPort(): Promise<number> {
	if (process.env.N8N_PORT) return Number(process.env.N8N_PORT);
	try {
		await assertPortFree(5678);
		return 5678;
	} catch (error) {
		const port = await freePort();
		console.log(`${(error as Error).message}; using port ${port}`);
		return port;
	}
}

if (require.main === module) {
	void (async () => {
		const env = await startDevEnvironment(await devPort());
		console.log(
			`\nn8n editor: ${env.base}  (log in as ${DEV_OWNER.email} / ${DEV_OWNER.password})`,
		);
		console.log(
			'The Z-Image examples are under Workflows; their credentials point at the local simulators. Ctrl+C stops.',
		);
		const stop = () => void env.stop().then(() => process.exit(0));
		process.on('SIGINT', stop);
		process.on('SIGTERM', stop);
	})().catch((error: Error) => {
		console.error(error.message);
		process.exit(1);
	});
}
