/**
 * Installs this package into an n8n user folder the way n8n's community-package installer
 * (`CommunityPackagesService`, the same steps in 1.123.x and 2.41.1) leaves it:
 *   1. `npm pack` of the package: here the built checkout, once per content (cached under
 *      build/pack/), where the installer packs `<name>@<version>` from the registry;
 *   2. the tarball extracted into `<user folder>/.n8n/nodes/node_modules/<name>`
 *      (`tar -xzf … --strip-components=1`), its package.json rewritten without
 *      dev/peer/optional dependencies;
 *   3. `npm install` in that folder with the installer's own flags;
 *   4. the version recorded in `.n8n/nodes/package.json`, the installer's ledger;
 *   5. the `installed_packages` and `installed_nodes` rows written into n8n's database
 *      from what n8n-core's PackageDirectoryLoader reads in the package, as the installer's
 *      InstalledPackagesRepository writes them (install-register.js, run by the runtime's
 *      own Node with its own sqlite3, once n8n has migrated the database).
 * n8n itself refuses any registry but the public one without an enterprise licence, so the
 * steps are repeated here instead of asking n8n to install from a local registry.
 */
/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-dangerous-functions -- the e2e driver of a real n8n (processes, files), never shipped; the n8n Cloud sandbox rules are for the nodes */
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
	copyFileSync,
	existsSync,
	mkdirSync,
	mkdtempSync,
	readdirSync,
	readFileSync,
	renameSync,
	rmSync,
	writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';

/** The registry n8n's installer names on every npm command (its default, `N8N_COMMUNITY_PACKAGES_REGISTRY`). */
export const INSTALLER_REGISTRY = 'https://registry.npmjs.org';

/** The flags of the installer's `npm install` in the package's folder (both lines). */
export const INSTALLER_NPM_INSTALL_ARGS = [
	'install',
	'--audit=false',
	'--fund=false',
	'--bin-links=false',
	'--install-strategy=shallow',
	'--ignore-scripts=true',
	'--package-lock=false',
	`--registry=${INSTALLER_REGISTRY}`,
];

export interface PackedPackage {
	tarball: string;
	name: string;
	version: string;
	/** Whether this content had been packed before (by this run or an earlier one). */
	cached: boolean;
	ms: number;
}

/** The files `npm pack` puts in the tarball (package.json's `files`, plus what npm always adds). */
function packedFiles(root: string): string[] {
	const files: string[] = [];
	const walk = (dir: string) => {
		for (const entry of readdirSync(dir, { withFileTypes: true })) {
			const path = join(dir, entry.name);
			if (entry.isDirectory()) walk(path);
			else files.push(relative(root, path));
		}
	};
	walk(join(root, 'dist'));
	for (const file of readdirSync(root)) {
		if (file === 'package.json' || /^(readme|license|licence)(\.|$)/i.test(file)) files.push(file);
	}
	return files.sort();
}

/**
 * `npm pack` of the built package, once per content: the tarball is kept under
 * build/pack/<hash of the packed files>/, so every test file of a run (and the next run,
 * while nothing changed) installs the same bytes without packing again.
 */
export function packPackage(root: string): PackedPackage {
	const started = Date.now();
	if (!existsSync(join(root, 'dist', 'index.js')))
		throw new Error(`${join(root, 'dist')} is missing: run 'npm run build' first`);
	const hash = createHash('sha256');
	for (const file of packedFiles(root)) {
		hash.update(`${file}\0`);
		hash.update(readFileSync(join(root, file)));
		hash.update('\0');
	}
	const { name, version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
		name: string;
		version: string;
	};
	const dir = join(root, 'build', 'pack', hash.digest('hex').slice(0, 16));
	const tarball = join(dir, `${name}-${version}.tgz`);
	if (existsSync(tarball))
		return { tarball, name, version, cached: true, ms: Date.now() - started };
	// Packed beside it and renamed into place: parallel test processes never see half a file.
	mkdirSync(join(root, 'build', 'pack'), { recursive: true });
	const work = mkdtempSync(join(root, 'build', 'pack', 'packing-'));
	try {
		const packed = JSON.parse(
			execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], {
				cwd: root,
				encoding: 'utf8',
				stdio: ['ignore', 'pipe', 'pipe'],
			}),
		) as Array<{ filename: string }>;
		mkdirSync(dir, { recursive: true });
		renameSync(join(work, packed[0].filename), tarball);
	} finally {
		rmSync(work, { recursive: true, force: true });
	}
	return { tarball, name, version, cached: false, ms: Date.now() - started };
}

export interface InstalledFiles {
	packageName: string;
	version: string;
	/** `<user folder>/.n8n/nodes` (n8n's nodesDownloadDir). */
	nodesDir: string;
	packageDir: string;
	pack: PackedPackage;
	/** Extraction, `npm install` and the ledger, in ms. */
	installMs: number;
}

/** Steps 1–4: the package's files in `<userFolder>/.n8n/nodes`, as the installer leaves them. */
export function installPackageFiles(root: string, userFolder: string): InstalledFiles {
	const pack = packPackage(root);
	const started = Date.now();
	const nodesDir = join(userFolder, '.n8n', 'nodes');
	const ledgerPath = join(nodesDir, 'package.json');
	// ensurePackageJson: the ledger exists before anything is installed
	mkdirSync(nodesDir, { recursive: true });
	const ledger = existsSync(ledgerPath)
		? (JSON.parse(readFileSync(ledgerPath, 'utf8')) as { dependencies?: Record<string, string> })
		: {};
	if (!ledger.dependencies) {
		writeFileSync(
			ledgerPath,
			JSON.stringify({ name: 'installed-nodes', private: true, dependencies: {} }, null, 2),
			'utf-8',
		);
	}
	// downloadPackage: a clean package folder, the tarball (npm pack's output) in nodesDir
	const packageDir = join(nodesDir, 'node_modules', pack.name);
	rmSync(packageDir, { recursive: true, force: true });
	mkdirSync(packageDir, { recursive: true });
	const tarballName = `${pack.name}-${pack.version}.tgz`;
	copyFileSync(pack.tarball, join(nodesDir, tarballName));
	try {
		execFileSync('tar', ['-xzf', tarballName, '-C', packageDir, '--strip-components=1'], {
			cwd: nodesDir,
			stdio: ['ignore', 'ignore', 'pipe'],
		});
		const manifestPath = join(packageDir, 'package.json');
		const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown> & {
			version: string;
		};
		delete manifest.devDependencies;
		delete manifest.peerDependencies;
		delete manifest.optionalDependencies;
		writeFileSync(manifestPath, JSON.stringify(manifest, null, 2), 'utf-8');
		// The installer's own flags; the package has no runtime dependencies, so npm needs no
		// network, but the command is the one a user's install runs.
		execFileSync('npm', INSTALLER_NPM_INSTALL_ARGS, {
			cwd: packageDir,
			stdio: ['ignore', 'ignore', 'pipe'],
		});
		// updatePackageJsonDependency: the ledger names the installed version
		const current = JSON.parse(readFileSync(ledgerPath, 'utf8')) as {
			dependencies: Record<string, string>;
		};
		current.dependencies[pack.name] = manifest.version;
		writeFileSync(ledgerPath, JSON.stringify(current, null, 2), 'utf-8');
	} finally {
		rmSync(join(nodesDir, tarballName), { force: true });
	}
	return {
		packageName: pack.name,
		version: pack.version,
		nodesDir,
		packageDir,
		pack,
		installMs: Date.now() - started,
	};
}

/** The rows install-register.js wrote, read back from the database. */
export interface RegisteredPackage {
	packageName: string;
	installedVersion: string;
	authorName: string | null;
	authorEmail: string | null;
	installedNodes: Array<{ name: string; type: string; latestVersion: number }>;
}

/**
 * Step 5, once n8n has migrated `<userFolder>/.n8n/database.sqlite`: the installer's two
 * tables' rows, computed and written by the runtime's own n8n-core and sqlite3.
 */
export async function registerInstalledPackage(options: {
	node: string;
	n8nDir: string;
	userFolder: string;
	packageName: string;
}): Promise<RegisteredPackage> {
	const script = join(__dirname, 'install-register.js');
	const source = existsSync(script)
		? script
		: join(__dirname, '..', '..', '..', 'e2e', 'lib', 'install-register.js');
	return await new Promise((resolve, reject) => {
		execFile(
			options.node,
			[source, options.n8nDir, options.userFolder, options.packageName],
			{ encoding: 'utf8', env: { PATH: process.env.PATH, HOME: options.userFolder } },
			(error, stdout, stderr) => {
				if (error) {
					reject(
						new Error(
							`registering ${options.packageName} in n8n's database failed: ${stderr || error.message}`,
						),
					);
					return;
				}
				resolve(JSON.parse(stdout) as RegisteredPackage);
			},
		);
	});
}
