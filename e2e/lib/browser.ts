/**
 * Debian's Chromium (/usr/bin/chromium, installed by scripts/chromium.sh with apt-get) driven
 * by playwright-core for the browser e2e suite: headless, one context per test, and each
 * step's screenshot numbered in one folder (printed once, so a person can look at them).
 */
/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-dangerous-functions, no-console -- the e2e driver of a real browser, never shipped; the n8n Cloud sandbox rules are for the nodes */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import {
	chromium,
	type Browser,
	type BrowserContext,
	type BrowserContextOptions,
	type Page,
} from 'playwright-core';

import { ROOT } from './n8n';

/** The browser's path: $ZIMAGE_CHROMIUM, else Debian's, installed by scripts/chromium.sh when missing. */
export function ensureChromium(): string {
	const wanted = process.env.ZIMAGE_CHROMIUM || '/usr/bin/chromium';
	if (existsSync(wanted)) return wanted;
	const output = execFileSync('bash', [join(ROOT, 'scripts', 'chromium.sh')], {
		encoding: 'utf8',
		stdio: ['ignore', 'pipe', 'inherit'],
	});
	return output.trim().split('\n').pop() ?? wanted;
}

export async function launchBrowser(): Promise<Browser> {
	return await chromium.launch({
		executablePath: ensureChromium(),
		headless: true,
		args: [
			'--no-sandbox',
			'--disable-gpu',
			'--disable-dev-shm-usage',
			'--disable-background-networking',
			'--disable-component-update',
			'--disable-sync',
			'--no-first-run',
		],
	});
}

/** Numbered screenshots of one run, in e2e-artifacts/<name>/NN-step.png. */
export class Shots {
	readonly dir: string;
	private count = 0;

	constructor(name: string) {
		this.dir = join(ROOT, 'e2e-artifacts', name);
		rmSync(this.dir, { recursive: true, force: true });
		mkdirSync(this.dir, { recursive: true });
		console.log(`browser e2e screenshots: ${this.dir}`);
	}

	/**
	 * Takes the page's screenshot as the next step; returns its path. A step the README shows
	 * names its picture (`docs/<readme>.png`), rewritten when ZIMAGE_DOCS_SHOTS=1 (`npm run
	 * screenshot`).
	 */
	async take(page: Page, step: string, readme?: string): Promise<string> {
		this.count += 1;
		const file = join(this.dir, `${String(this.count).padStart(2, '0')}-${step}.png`);
		await page.screenshot({ path: file });
		if (readme && process.env.ZIMAGE_DOCS_SHOTS === '1')
			copyFileSync(file, join(ROOT, 'docs', `${readme}.png`));
		return file;
	}
}

/** A fresh context (its own cookies and storage) with one page, as a person's new browser window. */
export async function newPage(
	browser: Browser,
	storageState?: BrowserContextOptions['storageState'],
): Promise<{ context: BrowserContext; page: Page }> {
	const context = await browser.newContext({
		viewport: { width: 1440, height: 900 },
		storageState,
	});
	context.setDefaultTimeout(20_000);
	const page = await context.newPage();
	return { context, page };
}
