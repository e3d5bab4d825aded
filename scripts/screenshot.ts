/**
 * Takes the README's screenshot of the Z-Image node in the real n8n editor, with Debian's
 * Chromium (apt-get install chromium) driven by playwright-core. Not part of the tests.
 *   node build/scripts/screenshot.js [output.png]
 * SHOT_OUTPUT=<png> adds a second shot: the text-to-image example executed in the editor
 * against the bundled simulator, its Z-Image node open with the generated image showing in
 * the output panel. SHOT_PORT picks n8n's port (default 5699).
 */
/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals, no-console -- a development script run by Node, never shipped; the n8n Cloud sandbox rules are for the nodes */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { chromium, type Page } from 'playwright-core';

import { ROOT } from '../e2e/lib/n8n';
import { DEV_OWNER, startDevEnvironment } from './dev';

/**
 * Executes the self-hosted text-to-image example from its Z-Image node's NDV and opens the
 * generated image from the output panel's Binary view.
 */
async function shootOutput(page: Page, base: string, path: string): Promise<void> {
	await page.goto(`${base}/workflow/zimageT2iSelfHosted`);
	await page.waitForSelector('[data-test-id="canvas-node"]', { timeout: 60_000 });
	await page.locator('[data-test-id="canvas-node"]', { hasText: 'Z-Image' }).dblclick();
	const ndv = page.locator('[data-test-id="ndv"]');
	await ndv.waitFor({ timeout: 30_000 });
	// Narrow the input panel (only the trigger's empty item) to give the image more room.
	const handle = await ndv.locator('[data-test-id="panel-drag-button"]').boundingBox();
	if (handle) {
		const x = handle.x + handle.width / 2;
		const y = handle.y + handle.height / 2;
		await page.mouse.move(x, y);
		await page.mouse.down();
		await page.mouse.move(x - 100, y, { steps: 10 });
		await page.mouse.move(x - 200, y, { steps: 10 });
		await page.mouse.up();
	}
	await ndv.locator('[data-test-id="node-execute-button"]').first().click();
	const output = ndv.locator('[data-test-id="output-panel"]');
	// The Binary view of the output item, then its image.
	const binaryMode = output
		.locator('[data-test-id="ndv-run-data-display-mode"]')
		.getByText('Binary');
	await binaryMode.waitFor({ timeout: 60_000 });
	await binaryMode.click();
	await output.getByRole('button', { name: 'View' }).first().click();
	await output.locator('.binary-data-window img, .binary-data-window embed').first().waitFor({
		timeout: 30_000,
	});
	await page.waitForTimeout(1500);
	await page.screenshot({ path });
}

async function main(): Promise<void> {
	const output = process.argv[2] ?? join(ROOT, 'docs', 'z-image-node.png');
	const env = await startDevEnvironment(
		Number(process.env.SHOT_PORT ?? 5699),
		mkdtempSync(join(tmpdir(), 'zimage-shot-')),
	);
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
		if (process.env.SHOT_OUTPUT) {
			await shootOutput(page, env.base, process.env.SHOT_OUTPUT);
			console.log(process.env.SHOT_OUTPUT);
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
