/**
 * Takes the README's screenshot of the Z-Image node in the real n8n editor, with Debian's
 * Chromium (apt-get install chromium) driven by playwright-core. Not part of the tests.
 *   node build/scripts/screenshot.js [output.png]
 */
/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals, no-console -- a development script run by Node, never shipped; the n8n Cloud sandbox rules are for the nodes */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { chromium } from 'playwright-core';

import { ROOT } from '../e2e/lib/n8n';
import { DEV_OWNER, startDevEnvironment } from './dev';

async function main(): Promise<void> {
	const output = process.argv[2] ?? join(ROOT, 'docs', 'z-image-node.png');
	const env = await startDevEnvironment(5699, mkdtempSync(join(tmpdir(), 'zimage-shot-')));
	const browser = await chromium.launch({
		executablePath: '/usr/bin/chromium',
		args: [
			'--no-sandbox',
			'--disable-gpu',
			'--disable-background-networking',
			'--disable-component-update',
			'--disable-sync',
			'--no-first-run',
		],
	});
	try {
		const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
		// Log in through n8n's REST API: the session cookie lands in the page's context.
		const login = await page.request.post(`${env.base}/rest/login`, {
			data: { emailOrLdapLoginId: DEV_OWNER.email, password: DEV_OWNER.password },
		});
		if (!login.ok()) throw new Error(`login failed: ${login.status()} ${await login.text()}`);
		await page.goto(`${env.base}/workflow/zimageEditTensorsLab`);
		await page.waitForSelector('[data-test-id="canvas-node"]', { timeout: 60_000 });
		await page.locator('[data-test-id="canvas-node"]', { hasText: 'Edit' }).dblclick();
		await page.waitForSelector('[data-test-id="ndv"]', { timeout: 30_000 });
		await page.waitForTimeout(1500);
		await page.screenshot({ path: output });
		if (process.env.SHOT_CREDENTIALS) {
			await page.locator('[data-test-id="node-credentials-select"]').click();
			await page.waitForTimeout(800);
			await page.screenshot({ path: process.env.SHOT_CREDENTIALS });
		}
		console.log(output);
	} finally {
		await browser.close();
		await env.stop();
	}
}

void main().catch((error: Error) => {
	console.error(error);
	process.exit(1);
});
