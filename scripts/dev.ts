/**
 * `npm run dev`: the n8n editor on 127.0.0.1 with this package loaded, every simulator
 * running, their credentials and the examples imported, and an owner account set up, so
 * that every operation can be clicked through by hand. Ctrl+C stops everything.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { ensureRuntime, loadExample, N8nInstance, ROOT } from '../e2e/lib/n8n';
import { simulatorCredentials, startSimulators } from './simulators';

export const DEV_OWNER = { email: 'dev@zimage.local', firstName: 'Z', lastName: 'Image', password: 'ZImage-dev-1234' };

async function main(): Promise<void> {
	const port = Number(process.env.N8N_PORT ?? 5678);
	const sims = await startSimulators();
	const n8n = new N8nInstance(ensureRuntime(), join(ROOT, '.n8n-dev'));
	const fresh = !existsSync(join(n8n.userFolder, '.n8n', 'database.sqlite'));
	n8n.installPackage();
	// The simulators listen on new ports each run: the credentials follow them.
	await n8n.importCredentials(simulatorCredentials(sims));
	if (fresh) {
		const examples = ['text-to-image-tensorslab.json', 'text-to-image-self-hosted.json', 'text-to-image-evolink.json', 'text-to-image-odkkk.json', 'generate-then-edit-self-hosted.json', 'generate-then-edit-tensorslab.json', 'submit-then-get-task.json', 'health-check.json', 'batch-prompts-to-files.json'];
		await n8n.importWorkflows(examples.map(loadExample));
	}
	const child = await n8n.start(port);
	const base = `http://127.0.0.1:${port}`;
	const setup = await fetch(`${base}/rest/owner/setup`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify(DEV_OWNER),
	});
	console.log(`\nn8n editor: ${base}  (log in as ${DEV_OWNER.email} / ${DEV_OWNER.password}${setup.ok ? '' : ', set up earlier'})`);
	console.log('The Z-Image examples are under Workflows; their credentials point at the local simulators. Ctrl+C stops.');
	const stop = () => {
		child.kill('SIGTERM');
		void sims.stop().then(() => process.exit(0));
	};
	process.on('SIGINT', stop);
	process.on('SIGTERM', stop);
}

void main().catch((error: Error) => {
	console.error(error.message);
	process.exit(1);
});
