/**
 * A real n8n for the browser e2e suite: one n8n (`n8n start`) with this package installed as
 * a community package and its owner set up through the REST API.
 */
/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals -- the e2e driver of a real n8n and a browser, never shipped */
import type { ChildProcess } from 'node:child_process';

import type { BrowserContext, Page } from 'playwright-core';

import { freePort, N8nInstance } from './n8n';
import { N8nRest, OWNER } from './rest';

/** One running n8n main process, its owner logged in through REST. */
export class EditorServer {
	private constructor(
		readonly n8n: N8nInstance,
		readonly base: string,
		readonly rest: N8nRest,
		private readonly child: ChildProcess,
	) {}

	static async start(node: string, env: NodeJS.ProcessEnv = {}): Promise<EditorServer> {
		const n8n = new N8nInstance(node);
		n8n.installPackage();
		const port = await freePort();
		const base = `http://127.0.0.1:${port}`;
		const child = await n8n.start(port, { WEBHOOK_URL: `${base}/`, ...env });
		const rest = new N8nRest(base);
		await rest.login();
		return new EditorServer(n8n, base, rest, child);
	}

	/**
	 * Logs a page's context in as the owner (the session cookie lands in the context) and
	 * returns that state, to open the next contexts with (n8n limits logins per minute).
	 */
	async login(page: Page): Promise<Awaited<ReturnType<BrowserContext['storageState']>>> {
		const answer = await page.request.post(`${this.base}/rest/login`, {
			data: { emailOrLdapLoginId: OWNER.email, password: OWNER.password },
		});
		if (!answer.ok()) throw new Error(`login failed: ${answer.status()} ${await answer.text()}`);
		return await page.context().storageState();
	}

	async stop(): Promise<void> {
		this.child.kill('SIGTERM');
		await new Promise((resolve) => setTimeout(resolve, 1000));
		this.n8n.remove();
	}
}
