/**
 * Drives the queue-mode cluster of scripts/queue-cluster.sh (Redis, PostgreSQL 17, one
 * n8n main and its workers) from a test: starts it, sets up the owner and logs in to the
 * main process's REST API as the editor does, creates and publishes credentials and
 * workflows there, reads each process's log, and stops everything at the end.
 */
/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-dangerous-functions, @n8n/community-nodes/require-node-api-error -- the e2e driver of a real n8n cluster (processes, files, a test owner login), never shipped; the n8n Cloud sandbox rules are for the nodes */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { ROOT } from './n8n';
import { N8nRest, waitFor } from './rest';

export { waitFor };

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

export class QueueCluster extends N8nRest {
	private constructor(
		readonly state: ClusterState,
		private readonly script: ChildProcess,
		private readonly exited: Promise<number | null>,
	) {
		super(state.mainUrl);
	}

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
}
