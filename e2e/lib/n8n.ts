/**
 * Drives a real n8n headlessly: a private user folder with this package installed as a
 * community package, credentials and workflows imported with n8n's own CLI, workflows
 * executed with `n8n execute`. Two n8n lines, each pinned with its own lockfile and its
 * own Node.js (see scripts/n8n-runtime.sh), chosen by name: `ZIMAGE_N8N_LINE=2` (the
 * default: e2e/n8n) or `ZIMAGE_N8N_LINE=1` (e2e/n8n-1x).
 */
/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-dangerous-functions -- the e2e driver of a real n8n (processes, files, ports), never shipped; the n8n Cloud sandbox rules are for the nodes */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
	existsSync,
	mkdirSync,
	mkdtempSync,
	readdirSync,
	readFileSync,
	readlinkSync,
	rmSync,
	writeFileSync,
} from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
	installPackageFiles,
	registerInstalledPackage,
	type InstalledFiles,
	type RegisteredPackage,
} from './install';

export const ROOT = join(
	__dirname,
	'..',
	'..',
	...(__dirname.includes(`${join('build', 'e2e')}`) ? ['..'] : []),
);

export type N8nLine = '1' | '2';
export type BinaryMode = 'default' | 'filesystem';

/** Where each line's runtime lives, under e2e/. */
const RUNTIME_DIRS: Record<N8nLine, string> = { '2': 'n8n', '1': 'n8n-1x' };

/**
 * What differs between the lines for this driver. Binary data: 2.x keeps it on disk by
 * default (`filesystem`, in <user folder>/.n8n/storage), 1.x in the execution itself
 * (`default`, base64 in memory), its `filesystem` mode writing to .n8n/binaryData.
 */
const LINE_DEFAULTS: Record<N8nLine, { binaryMode: BinaryMode; binaryFolder: string }> = {
	'2': { binaryMode: 'filesystem', binaryFolder: 'storage' },
	'1': { binaryMode: 'default', binaryFolder: 'binaryData' },
};

/** The line named by ZIMAGE_N8N_LINE (2 when unset). */
export function n8nLine(): N8nLine {
	const line = process.env.ZIMAGE_N8N_LINE || '2';
	if (line !== '1' && line !== '2')
		throw new Error(`ZIMAGE_N8N_LINE must be 1 or 2, not '${line}'`);
	return line;
}

/** The version of n8n a line's runtime pins (from its package.json). */
export function n8nVersion(line: N8nLine = n8nLine()): string {
	const manifest = JSON.parse(
		readFileSync(join(ROOT, 'e2e', RUNTIME_DIRS[line], 'package.json'), 'utf8'),
	) as { dependencies: Record<string, string> };
	return manifest.dependencies.n8n;
}

/** Installs a line's runtime when missing (minutes, once) and returns its Node binary. */
export function ensureRuntime(line: N8nLine = n8nLine()): string {
	const output = execFileSync('bash', [join(ROOT, 'scripts', 'n8n-runtime.sh'), line], {
		encoding: 'utf8',
		stdio: ['ignore', 'pipe', 'inherit'],
	});
	const node = output.trim().split('\n').pop() ?? '';
	if (!existsSync(node)) throw new Error(`the n8n runtime did not install: ${output}`);
	return node;
}

export interface Credential {
	id: string;
	name: string;
	type: string;
	data: Record<string, unknown>;
}

export interface BinaryRef {
	mimeType: string;
	fileName: string;
	fileExtension?: string;
	id?: string;
	data?: string;
	bytes?: number;
}

export interface OutputItem {
	json: Record<string, unknown>;
	binary?: Record<string, BinaryRef>;
	pairedItem?: unknown;
}

export interface Execution {
	status: string;
	/** The n8n error message when the execution failed. */
	error?: string;
	/** Output items of a node's first run, by node name. */
	outputs: Record<string, OutputItem[]>;
	raw: unknown;
}

interface RunResult {
	code: number;
	stdout: string;
	stderr: string;
}

/** One n8n installation state: its own user folder, database and community packages. */
export class N8nInstance {
	readonly userFolder: string;
	readonly filesDir: string;
	/** Where n8n keeps binary data: the line's default unless ZIMAGE_N8N_BINARY_MODE says. */
	readonly binaryMode: BinaryMode;
	private readonly baseEnv: NodeJS.ProcessEnv;
	private readonly n8nBin: string;
	/** Installed files whose database rows are still to be written (see installPackage). */
	private pendingRegistration?: InstalledFiles;
	private installed?: RegisteredPackage;

	constructor(
		readonly node: string,
		userFolder?: string,
		readonly line: N8nLine = n8nLine(),
	) {
		this.n8nBin = join(ROOT, 'e2e', RUNTIME_DIRS[line], 'node_modules', 'n8n', 'bin', 'n8n');
		const mode = process.env.ZIMAGE_N8N_BINARY_MODE || LINE_DEFAULTS[line].binaryMode;
		if (mode !== 'default' && mode !== 'filesystem')
			throw new Error(`ZIMAGE_N8N_BINARY_MODE must be default or filesystem, not '${mode}'`);
		this.binaryMode = mode;
		this.userFolder = userFolder ?? mkdtempSync(join(tmpdir(), 'zimage-n8n-'));
		this.filesDir = join(this.userFolder, 'files');
		mkdirSync(this.filesDir, { recursive: true });
		this.baseEnv = {
			PATH: process.env.PATH,
			HOME: this.userFolder,
			N8N_USER_FOLDER: this.userFolder,
			N8N_DIAGNOSTICS_ENABLED: 'false',
			N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
			N8N_PERSONALIZATION_ENABLED: 'false',
			N8N_RESTRICT_FILE_ACCESS_TO: this.filesDir,
			N8N_LOG_LEVEL: 'info',
			N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
			// Nothing outside this machine is reachable: keep n8n from trying.
			N8N_TEMPLATES_ENABLED: 'false',
			N8N_HIRING_BANNER_ENABLED: 'false',
			N8N_DIAGNOSTICS_CONFIG_FRONTEND: '',
			N8N_DIAGNOSTICS_CONFIG_BACKEND: '',
			EXTERNAL_FRONTEND_HOOKS_URLS: '',
			NODE_ENV: 'production',
			// Set only when asked for: otherwise each line runs in its own default mode.
			...(process.env.ZIMAGE_N8N_BINARY_MODE ? { N8N_DEFAULT_BINARY_DATA_MODE: mode } : {}),
		};
	}

	/**
	 * Installs the packed package as n8n's community-package installer does (see install.ts):
	 * the files now, the database rows once n8n has migrated its database (after the first
	 * CLI command, or before `start`). Prints how long the pack and the install took.
	 */
	installPackage(): void {
		const files = installPackageFiles(this.userFolder);
		this.pendingRegistration = files;
		this.installed = undefined;
		process.stderr.write(
			`${files.packageName}@${files.version} installed as a community package (n8n ${this.line}.x, ${this.userFolder}): ` +
				`npm pack ${files.pack.ms} ms${files.pack.cached ? ' (cached by content)' : ''}, ` +
				`extract + npm install ${files.installMs} ms\n`,
		);
	}

	/** The package's rows in n8n's database, once written (see installPackage). */
	get installedPackage(): RegisteredPackage | undefined {
		return this.installed;
	}

	/** Writes the installed package's rows once the database exists (n8n has migrated it). */
	private async registerPackage(): Promise<void> {
		const files = this.pendingRegistration;
		if (!files || !existsSync(join(this.userFolder, '.n8n', 'database.sqlite'))) return;
		this.pendingRegistration = undefined;
		const started = Date.now();
		this.installed = await registerInstalledPackage({
			node: this.node,
			n8nDir: join(ROOT, 'e2e', RUNTIME_DIRS[this.line], 'node_modules', 'n8n'),
			userFolder: this.userFolder,
			packageName: files.packageName,
		});
		process.stderr.write(
			`${files.packageName}@${this.installed.installedVersion} registered in n8n's database ` +
				`(installed_packages, ${this.installed.installedNodes.length} installed_nodes row): ${Date.now() - started} ms\n`,
		);
	}

	async cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
		await this.registerPackage();
		const result = await this.runCli(args, env);
		// The first command has migrated the database: the installed package's rows go in now.
		await this.registerPackage();
		return result;
	}

	private async runCli(args: string[], env: NodeJS.ProcessEnv): Promise<RunResult> {
		// `n8n execute` in 2.x starts a task runner broker (default port 5679): a free port
		// of its own, so that it never collides with another n8n on this machine.
		const broker = { N8N_RUNNERS_BROKER_PORT: String(await freePort()) };
		return await new Promise((resolve) => {
			execFile(
				this.node,
				[this.n8nBin, ...args],
				{
					env: { ...this.baseEnv, ...broker, ...env },
					cwd: this.userFolder,
					maxBuffer: 512 * 1024 * 1024,
				},
				(error, stdout, stderr) => {
					const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
					resolve({ code, stdout, stderr });
				},
			);
		});
	}

	private async importFile(kind: 'credentials' | 'workflow', content: unknown): Promise<void> {
		const file = join(this.userFolder, `import-${kind}-${Date.now()}.json`);
		writeFileSync(file, JSON.stringify(content));
		const result = await this.cli([`import:${kind}`, `--input=${file}`]);
		if (result.code !== 0)
			throw new Error(`n8n import:${kind} failed:\n${result.stdout}\n${result.stderr}`);
	}

	async importCredentials(credentials: Credential[]): Promise<void> {
		await this.importFile('credentials', credentials);
	}

	async importWorkflows(workflows: unknown[]): Promise<void> {
		await this.importFile('workflow', workflows);
	}

	/** Runs a workflow to the end in a fresh n8n process, as `n8n execute` does. */
	async execute(workflowId: string): Promise<Execution> {
		const result = await this.cli(['execute', `--id=${workflowId}`, '--rawOutput']);
		return this.readExecution(workflowId, result);
	}

	/** `execute`, telling `watch` the n8n process's id as soon as it runs (to measure it). */
	async executeWatched(
		workflowId: string,
		env: NodeJS.ProcessEnv,
		watch: (pid: number) => void,
	): Promise<Execution> {
		await this.registerPackage();
		const broker = { N8N_RUNNERS_BROKER_PORT: String(await freePort()) };
		const child = spawn(this.node, [this.n8nBin, 'execute', `--id=${workflowId}`, '--rawOutput'], {
			env: { ...this.baseEnv, ...broker, ...env },
			cwd: this.userFolder,
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		if (child.pid) watch(child.pid);
		const out: Buffer[] = [];
		const err: Buffer[] = [];
		child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
		child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
		const code = await new Promise<number>((resolve) =>
			child.on('close', (exit) => resolve(exit ?? 1)),
		);
		await this.registerPackage();
		return this.readExecution(workflowId, {
			code,
			stdout: Buffer.concat(out).toString('utf8'),
			stderr: Buffer.concat(err).toString('utf8'),
		});
	}

	private readExecution(workflowId: string, result: RunResult): Execution {
		const start = result.stdout.search(/^\{/m);
		const end = result.stdout.lastIndexOf('\n}');
		if (start === -1 || end === -1) {
			throw new Error(
				`n8n execute printed no execution for ${workflowId}:\n${result.stdout}\n${result.stderr}`,
			);
		}
		const raw = JSON.parse(result.stdout.slice(start, end + 2)) as {
			status: string;
			data: {
				resultData: {
					error?: { message?: string };
					runData: Record<string, Array<{ data?: { main?: OutputItem[][] } }>>;
				};
			};
		};
		const outputs: Record<string, OutputItem[]> = {};
		for (const [node, runs] of Object.entries(raw.data.resultData.runData)) {
			outputs[node] = runs[0]?.data?.main?.[0] ?? [];
		}
		return { status: raw.status, error: raw.data.resultData.error?.message, outputs, raw };
	}

	/** The bytes n8n stored for a binary field (filesystem mode) or carried inline. */
	binaryBytes(binary: BinaryRef): Buffer {
		if (binary.id) {
			const [, path] = binary.id.split(/:(.*)/s);
			return readFileSync(
				join(this.userFolder, '.n8n', LINE_DEFAULTS[this.line].binaryFolder, path),
			);
		}
		return Buffer.from(binary.data ?? '', 'base64');
	}

	/**
	 * Starts the editor (`n8n start`) on a port; resolves once it answers. Refuses, in words,
	 * a port something else already listens on, and an answer from any process but the n8n
	 * it spawned (another n8n on that port would otherwise be driven by the test). The task
	 * runner broker gets a free port of its own.
	 */
	async start(port: number, env: NodeJS.ProcessEnv = {}): Promise<ChildProcess> {
		await assertPortFree(port);
		// A fresh database is migrated by a CLI command first: the installed package's rows
		// are then in it before the editor lists community packages.
		if (this.pendingRegistration && !existsSync(join(this.userFolder, '.n8n', 'database.sqlite')))
			await this.cli(['list:workflow']);
		await this.registerPackage();
		const child = spawn(this.node, [this.n8nBin, 'start'], {
			env: {
				...this.baseEnv,
				N8N_PORT: String(port),
				N8N_HOST: '127.0.0.1',
				N8N_LISTEN_ADDRESS: '127.0.0.1',
				N8N_RUNNERS_BROKER_PORT: String(await freePort()),
				...env,
			},
			cwd: this.userFolder,
			stdio: ['ignore', 'inherit', 'inherit'],
		});
		const refuse = async (reason: string): Promise<never> => {
			if (child.exitCode === null && child.signalCode === null) {
				child.kill('SIGKILL');
				await new Promise((resolve) => child.once('exit', resolve));
			}
			throw new Error(reason);
		};
		for (let attempt = 0; attempt < 240; attempt++) {
			let answered = false;
			try {
				// /healthz answers before the REST routes exist, and until n8n is ready they all
				// answer "n8n is starting up" as text: wait for JSON from /rest/settings.
				const response = await fetch(`http://127.0.0.1:${port}/rest/settings`);
				answered = response.ok && String(response.headers.get('content-type')).includes('json');
				await response.arrayBuffer();
			} catch {
				// not up yet
			}
			if (answered) {
				const owner = portOwner(port, child.pid);
				if (owner.ours) return child;
				return await refuse(
					`127.0.0.1:${port} is answered by ${describeProcess(owner.pid)}, not by the n8n started here (pid ${child.pid}): refusing to drive another server`,
				);
			}
			if (child.exitCode !== null || child.signalCode !== null) {
				const owner = portOwner(port, child.pid);
				throw new Error(
					owner.pid !== undefined || owner.listening
						? `n8n start exited with ${child.exitCode ?? child.signalCode}: 127.0.0.1:${port} is in use by ${describeProcess(owner.pid)}`
						: `n8n start exited with ${child.exitCode ?? child.signalCode}`,
				);
			}
			await new Promise((resolve) => setTimeout(resolve, 500));
		}
		return await refuse('n8n did not start within 2 minutes');
	}

	remove(): void {
		rmSync(this.userFolder, { recursive: true, force: true });
	}
}

/** Refuses, in words, a port on 127.0.0.1 that something already listens on. */
export async function assertPortFree(port: number): Promise<void> {
	await new Promise<void>((resolve, reject) => {
		const server = createServer();
		server.once('error', (error: NodeJS.ErrnoException) => {
			const owner = portOwner(port);
			reject(
				new Error(
					error.code === 'EADDRINUSE'
						? `port ${port} on 127.0.0.1 is already in use by ${describeProcess(owner.pid)}: n8n is not started there`
						: `port ${port} on 127.0.0.1 cannot be listened on: ${error.message}`,
				),
			);
		});
		server.listen({ port, host: '127.0.0.1', exclusive: true }, () =>
			server.close(() => resolve()),
		);
	});
}

/** The inodes of the sockets listening on a TCP port (any address), from /proc/net. */
function listeningInodes(port: number): Set<string> {
	const inodes = new Set<string>();
	const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
	for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
		if (!existsSync(table)) continue;
		for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
			const fields = line.trim().split(/\s+/);
			// local_address is fields[1] (ADDR:PORT in hex), st is fields[3] (0A = LISTEN), inode fields[9]
			if (fields.length > 9 && fields[1].endsWith(`:${hexPort}`) && fields[3] === '0A')
				inodes.add(fields[9]);
		}
	}
	return inodes;
}

/** Whether a process holds one of these sockets open. */
function holdsSocket(pid: number, inodes: Set<string>): boolean {
	try {
		return readdirSync(`/proc/${pid}/fd`).some((fd) => {
			try {
				const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
				return target.startsWith('socket:[') && inodes.has(target.slice(8, -1));
			} catch {
				return false;
			}
		});
	} catch {
		return false;
	}
}

/**
 * Who listens on a port: whether it is `ours` (the process `pid`), else the process that
 * does, when this user may see it. On a system without /proc, the one check left is the
 * free port before the start (assertPortFree).
 */
export function portOwner(
	port: number,
	ours?: number,
): { ours: boolean; listening: boolean; pid?: number } {
	if (!existsSync('/proc/net/tcp')) return { ours: true, listening: true };
	const inodes = listeningInodes(port);
	if (inodes.size === 0) return { ours: false, listening: false };
	if (ours !== undefined && holdsSocket(ours, inodes))
		return { ours: true, listening: true, pid: ours };
	for (const entry of readdirSync('/proc')) {
		const pid = Number(entry);
		if (Number.isInteger(pid) && pid !== ours && holdsSocket(pid, inodes))
			return { ours: false, listening: true, pid };
	}
	return { ours: false, listening: true };
}

function describeProcess(pid: number | undefined): string {
	if (pid === undefined) return 'another process';
	try {
		const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
		return `another process (pid ${pid}: ${command.join(' ').slice(0, 160)})`;
	} catch {
		return `another process (pid ${pid})`;
	}
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export async function freePort(): Promise<number> {
	return await new Promise((resolve, reject) => {
		const server = createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address() as AddressInfo;
			server.close(() => resolve(port));
		});
	});
}

/** The example workflows shipped in examples/, by file name. */
export function loadExample(
	file: string,
): Record<string, unknown> & { id: string; nodes: Array<Record<string, unknown>> } {
	return JSON.parse(readFileSync(join(ROOT, 'examples', file), 'utf8'));
}
