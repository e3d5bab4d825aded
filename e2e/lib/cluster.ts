/**
 * Drives the queue-mode cluster of scripts/queue-cluster.sh (Redis, PostgreSQL 17, one
 * n8n main and its workers) from a test: starts it, sets up the owner and logs in to the
 * main process's REST API as the editor does, creates and publishes credentials and
 * workflows there, reads each process's log, and stops everything at the end.
 */
/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-dangerous-functions, @n8n/community-nodes/no-hardcoded-secrets, @n8n/community-nodes/require-node-api-error -- the e2e driver of a real n8n cluster (processes, files, a test owner login), never shipped; the n8n Cloud sandbox rules are for the nodes */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { ROOT } from './n8n';

export interface ClusterProcess {
	name: string;
	hostname: string;
	/** Its process group: the n8n process and its task runners. */
	pid: number;
	log: string;
	userFolder: string;
}

export interface ClusterState {
	dir: string;
	mainUrl: string;
	main: { pid: number; log: string; userFolder: string };
	workers: ClusterProcess[];
	redis: { host: string; port: number; pid: number };
	postgres: { host: string; port: number; database: string; user: string; pid: number };
	encryptionKey: string;
}

export interface ClusterOptions {
	workers?: number;
	concurrency?: number;
	/** n8n settings for every process (e.g. QUEUE_WORKER_LOCK_DURATION). */
	env?: Record<string, string>;
}

const OWNER = {
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

export class QueueCluster {
	private cookie = '';

	private constructor(
		readonly state: ClusterState,
		private readonly script: ChildProcess,
		private readonly exited: Promise<number | null>,
	) {}

	/** Runs scripts/queue-cluster.sh and resolves once it reports every process healthy. */
	static async start(options: ClusterOptions = {}): Promise<QueueCluster> {
		const args = [join(ROOT, 'scripts', 'queue-cluster.sh'), '--parent', String(process.pid)];
		args.push(
			'--workers',
			String(options.workers ?? 2),
			'--concurrency',
			String(options.concurrency ?? 10),
		);
		// ZIMAGE_CLUSTER_KEEP=1 keeps the cluster's folder (logs, database) for a look afterwards.
		if (process.env.ZIMAGE_CLUSTER_KEEP) args.push('--keep');
		const script = spawn('bash', args, {
			env: { ...process.env, ...options.env },
			stdio: ['ignore', 'pipe', 'inherit'],
		});
		const exited = new Promise<number | null>((resolve) =>
			script.on('exit', (code) => resolve(code)),
		);
		try {
			const statePath = await new Promise<string>((resolve, reject) => {
				let out = '';
				script.stdout!.on('data', (chunk: Buffer) => {
					out += chunk.toString('utf8');
					const match = /^ZIMAGE_CLUSTER_READY (.+)$/m.exec(out);
					if (match) resolve(match[1].trim());
				});
				void exited.then((code) =>
					reject(
						new Error(`scripts/queue-cluster.sh exited with ${code} before the cluster was ready`),
					),
				);
			});
			// The script prints nothing more on stdout: let the test process end even if a test
			// forgets stop() (the script then stops the cluster by itself, see --parent).
			script.stdout!.destroy();
			script.unref();
			const state = JSON.parse(readFileSync(statePath, 'utf8')) as ClusterState;
			const cluster = new QueueCluster(state, script, exited);
			await cluster.login();
			return cluster;
		} catch (error) {
			script.kill('SIGTERM');
			await exited;
			throw error;
		}
	}

	/** Stops the script, which stops every process it started. */
	async stop(): Promise<void> {
		if (this.script.exitCode === null) {
			this.script.kill('SIGTERM');
			const timer = setTimeout(() => this.script.kill('SIGKILL'), 30_000);
			await this.exited;
			clearTimeout(timer);
		}
	}

	/** Whether a process (group) the cluster started is still there. */
	static alive(pid: number): boolean {
		try {
			process.kill(pid, 0);
			return true;
		} catch {
			return false;
		}
	}

	/** Kills a worker and its task runners at once, as a crashed container would go. */
	killWorker(worker: ClusterProcess): void {
		process.kill(-worker.pid, 'SIGKILL');
	}

	/** The worker whose log says it started this execution. */
	workerOf(executionId: string): ClusterProcess | undefined {
		const pattern = new RegExp(`Worker started execution ${executionId} \\(job`);
		return this.state.workers.find((worker) => pattern.test(readFileSync(worker.log, 'utf8')));
	}

	async rest(method: string, path: string, body?: unknown): Promise<RestAnswer> {
		const response = await fetch(`${this.state.mainUrl}/rest${path}`, {
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

	private async login(): Promise<void> {
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
				const response = await fetch(`${this.state.mainUrl}/webhook/${path}`, {
					method: 'OPTIONS',
					headers: { origin: this.state.mainUrl, 'access-control-request-method': 'POST' },
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
		const response = await fetch(`${this.state.mainUrl}/webhook/${path}`, {
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
