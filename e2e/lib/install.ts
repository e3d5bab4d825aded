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
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Where the plain-JS steps live: beside this file in the checkout, or, from the compiled
 * scripts (build/e2e/lib), in the checkout's e2e/lib. They are plain JS so that the shell
 * (scripts/queue-cluster.sh) and an n8n runtime's own Node run the very same steps.
 */
function step(file: string): string {
	const beside = join(__dirname, file);
	return existsSync(beside) ? beside : join(__dirname, '..', '..', '..', 'e2e', 'lib', file);
}

export interface PackedPackage {
	tarball: string;
	name: string;
	version: string;
	/** Whether this content had been packed before (by this run or an earlier one). */
	cached: boolean;
	ms: number;
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

interface InstallPackageModule {
	INSTALLER_NPM_INSTALL_ARGS: string[];
	packPackage(): PackedPackage;
	installPackageFiles(userFolder: string): InstalledFiles;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports -- plain JS shared with the shell
const steps = require(step('install-package.js')) as InstallPackageModule;

/** The flags of the installer's `npm install` in the package's folder (both lines). */
export const INSTALLER_NPM_INSTALL_ARGS = steps.INSTALLER_NPM_INSTALL_ARGS;

/** Step 1: `npm pack` of the built package, once per content (build/pack/<hash>/). */
export const packPackage = (): PackedPackage => steps.packPackage();

/** Steps 1–4: the package's files in `<userFolder>/.n8n/nodes`, as the installer leaves them. */
export const installPackageFiles = (userFolder: string): InstalledFiles =>
	steps.installPackageFiles(userFolder);

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
