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
	cpSync,
	existsSync,
	mkdirSync,
	mkdtempSync,
	readFileSync,
	rmSync,
	writeFileSync,
} from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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

	/** Puts the built package where n8n loads community packages from. */
	installPackage(): void {
		const target = join(this.userFolder, '.n8n', 'nodes', 'node_modules', 'n8n-nodes-zimage');
		rmSync(target, { recursive: true, force: true });
		mkdirSync(target, { recursive: true });
		cpSync(join(ROOT, 'package.json'), join(target, 'package.json'));
		cpSync(join(ROOT, 'dist'), join(target, 'dist'), { recursive: true });
		// n8n lists installed community packages from this folder's package.json
		const nodesPackage = join(this.userFolder, '.n8n', 'nodes', 'package.json');
		writeFileSync(
			nodesPackage,
			JSON.stringify({
				name: 'installed-nodes',
				private: true,
				dependencies: { 'n8n-nodes-zimage': '*' },
			}),
		);
	}

	async cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
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

	/** Starts the editor (`n8n start`) on a port; resolves once it answers. */
	async start(port: number, env: NodeJS.ProcessEnv = {}): Promise<ChildProcess> {
		const child = spawn(this.node, [this.n8nBin, 'start'], {
			env: {
				...this.baseEnv,
				N8N_PORT: String(port),
				N8N_HOST: '127.0.0.1',
				N8N_LISTEN_ADDRESS: '127.0.0.1',
				// Its task runners' broker next to it, so that two instances do not collide.
				N8N_RUNNERS_BROKER_PORT: String(port + 1),
				...env,
			},
			cwd: this.userFolder,
			stdio: ['ignore', 'inherit', 'inherit'],
		});
		for (let attempt = 0; attempt < 240; attempt++) {
			try {
				// /healthz answers before the REST routes exist, and until n8n is ready they all
				// answer "n8n is starting up" as text: wait for JSON from /rest/settings.
				const response = await fetch(`http://127.0.0.1:${port}/rest/settings`);
				if (response.ok && String(response.headers.get('content-type')).includes('json'))
					return child;
			} catch {
				// not up yet
			}
			if (child.exitCode !== null) throw new Error(`n8n start exited with ${child.exitCode}`);
			await new Promise((resolve) => setTimeout(resolve, 500));
		}
		child.kill();
		throw new Error('n8n did not start within 2 minutes');
	}

	remove(): void {
		rmSync(this.userFolder, { recursive: true, force: true });
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
