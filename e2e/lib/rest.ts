/**
 * One n8n main process's REST API, driven as the editor does: owner setup and login, then
 * credentials, published workflows, executions, stored binaries and production webhooks.
 */
/* eslint-disable @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-hardcoded-secrets -- the e2e driver of a real n8n (a test owner login), never shipped; the n8n Cloud sandbox rules are for the nodes */

export const OWNER = {
	email: 'queue@zimage.local',
	firstName: 'Queue',
	lastName: 'Test',
	password: 'ZImage-queue-1234',
};
const BROWSER_ID = 'zimage-queue-browser';

export interface RestAnswer {
	status: number;
	json: Record<string, unknown>;
	body: Buffer;
	headers: Headers;
}

export class N8nRest {
	private cookie = '';

	constructor(readonly mainUrl: string) {}

	async rest(method: string, path: string, body?: unknown): Promise<RestAnswer> {
		const response = await fetch(`${this.mainUrl}/rest${path}`, {
			method,
			headers: {
				'content-type': 'application/json',
				'browser-id': BROWSER_ID,
				cookie: this.cookie,
			},
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const setCookie = response.headers.get('set-cookie');
		if (setCookie) this.cookie = setCookie.split(';')[0];
		const raw = Buffer.from(await response.arrayBuffer());
		let json: Record<string, unknown> = {};
		try {
			json = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
		} catch {
			// binary or text
		}
		return { status: response.status, json, body: raw, headers: response.headers };
	}

	async login(): Promise<void> {
		const setup = await this.rest('POST', '/owner/setup', OWNER);
		if (setup.status !== 200) throw new Error(`owner setup failed: ${setup.body.toString('utf8')}`);
		const login = await this.rest('POST', '/login', {
			emailOrLdapLoginId: OWNER.email,
			password: OWNER.password,
		});
		if (login.status !== 200) throw new Error(`login failed: ${login.body.toString('utf8')}`);
	}

	/** Saves a credential as the editor does; returns its id. */
	async createCredential(
		name: string,
		type: string,
		data: Record<string, unknown>,
	): Promise<string> {
		const answer = await this.rest('POST', '/credentials', { name, type, data });
		const id = (answer.json.data as { id?: string } | undefined)?.id;
		if (!id)
			throw new Error(
				`creating credential ${name} failed: HTTP ${answer.status} ${answer.body.toString('utf8')}`,
			);
		return id;
	}

	/** Saves a workflow and publishes it (the editor's Publish/Activate), so its webhooks answer. */
	async createActiveWorkflow(workflow: {
		name: string;
		nodes: unknown[];
		connections: unknown;
		settings?: unknown;
	}): Promise<string> {
		const created = await this.rest('POST', '/workflows', { ...workflow, active: false });
		const saved = created.json.data as { id?: string; versionId?: string } | undefined;
		if (!saved?.id)
			throw new Error(
				`creating workflow ${workflow.name} failed: HTTP ${created.status} ${created.body.toString('utf8')}`,
			);
		const activated = await this.rest('POST', `/workflows/${saved.id}/activate`, {
			versionId: saved.versionId,
		});
		if (activated.status !== 200)
			throw new Error(
				`activating workflow ${workflow.name} failed: HTTP ${activated.status} ${activated.body.toString('utf8')}`,
			);
		return saved.id;
	}

	/** An execution as the editor loads it: status, and its data as n8n stores it (serialized). */
	async execution(id: string): Promise<{ status: string; data: string }> {
		const answer = await this.rest('GET', `/executions/${id}`);
		if (answer.status !== 200)
			throw new Error(
				`GET /rest/executions/${id}: HTTP ${answer.status} ${answer.body.toString('utf8')}`,
			);
		const execution = answer.json.data as { status: string; data: string };
		return { status: execution.status, data: String(execution.data) };
	}

	/** The bytes of a stored binary, downloaded as the editor does. */
	async binary(id: string): Promise<{ status: number; bytes: Buffer; contentType: string | null }> {
		const answer = await this.rest(
			'GET',
			`/binary-data?id=${encodeURIComponent(id)}&action=download`,
		);
		return {
			status: answer.status,
			bytes: answer.body,
			contentType: answer.headers.get('content-type'),
		};
	}

	/**
	 * Resolves once the main process serves a production webhook path: activation answers
	 * before the webhook is registered. A CORS preflight asks for it without running anything.
	 */
	async waitForWebhook(path: string): Promise<void> {
		await waitFor(
			`webhook ${path} to be registered`,
			async () => {
				const response = await fetch(`${this.mainUrl}/webhook/${path}`, {
					method: 'OPTIONS',
					headers: { origin: this.mainUrl, 'access-control-request-method': 'POST' },
				});
				await response.arrayBuffer();
				return response.status === 204;
			},
			30_000,
		);
	}

	/** Calls a production webhook of an active workflow. */
	async webhook(
		path: string,
		body: unknown,
	): Promise<{ status: number; json: Record<string, unknown> }> {
		const response = await fetch(`${this.mainUrl}/webhook/${path}`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify(body),
		});
		const text = await response.text();
		try {
			return { status: response.status, json: JSON.parse(text) as Record<string, unknown> };
		} catch {
			return { status: response.status, json: { text } };
		}
	}
}

/** Waits until `check` returns something truthy, or fails after `timeoutMs`. */
export async function waitFor<T>(
	what: string,
	check: () => T | Promise<T>,
	timeoutMs: number,
	everyMs = 250,
): Promise<NonNullable<T>> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await check();
		if (value) return value as NonNullable<T>;
		if (Date.now() > deadline)
			throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
		await new Promise((resolve) => setTimeout(resolve, everyMs));
	}
}
