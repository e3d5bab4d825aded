/**
 * Steps 1–4 of n8n's community-package install (see install.ts), for any Node and for the
 * shell (scripts/queue-cluster.sh):
 *   node e2e/lib/install-package.js <user folder> [<user folder>…]
 * packs the built package once per content, installs it into each user folder as the
 * installer leaves it, and prints what it did as JSON (one object per folder).
 */
'use strict';
const { execFileSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const { join, relative, resolve } = require('node:path');

/** The checkout: e2e/lib/../.. */
const ROOT = resolve(__dirname, '..', '..');

/** The registry n8n's installer names on every npm command (its default). */
const INSTALLER_REGISTRY = 'https://registry.npmjs.org';

/** The installer's `npm install` in the package's folder: the same flags in 1.123.x and 2.41.1. */
const INSTALLER_NPM_INSTALL_ARGS = [
	'install',
	'--audit=false',
	'--fund=false',
	'--bin-links=false',
	'--install-strategy=shallow',
	'--ignore-scripts=true',
	'--package-lock=false',
	`--registry=${INSTALLER_REGISTRY}`,
];

/** The files `npm pack` puts in the tarball (package.json's `files`, plus what npm always adds). */
function packedFiles(root) {
	const files = [];
	const walk = (dir) => {
		for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
			const path = join(dir, entry.name);
			if (entry.isDirectory()) walk(path);
			else files.push(relative(root, path));
		}
	};
	walk(join(root, 'dist'));
	for (const file of fs.readdirSync(root)) {
		if (file === 'package.json' || /^(readme|license|licence)(\.|$)/i.test(file)) files.push(file);
	}
	return files.sort();
}

/**
 * `npm pack` of the built package, once per content: the tarball is kept under
 * build/pack/<hash of the packed files>/, so every test file of a run (and the next run,
 * while nothing changed) installs the same bytes without packing again.
 */
function packPackage(root = ROOT) {
	const started = Date.now();
	if (!fs.existsSync(join(root, 'dist', 'index.js')))
		throw new Error(`${join(root, 'dist')} is missing: run 'npm run build' first`);
	const hash = createHash('sha256');
	for (const file of packedFiles(root)) {
		hash.update(`${file}\0`);
		hash.update(fs.readFileSync(join(root, file)));
		hash.update('\0');
	}
	const { name, version } = JSON.parse(fs.readFileSync(join(root, 'package.json'), 'utf8'));
	const dir = join(root, 'build', 'pack', hash.digest('hex').slice(0, 16));
	const tarball = join(dir, `${name}-${version}.tgz`);
	if (fs.existsSync(tarball))
		return { tarball, name, version, cached: true, ms: Date.now() - started };
	// Packed beside it and renamed into place: parallel test processes never see half a file.
	fs.mkdirSync(join(root, 'build', 'pack'), { recursive: true });
	const work = fs.mkdtempSync(join(root, 'build', 'pack', 'packing-'));
	try {
		const packed = JSON.parse(
			execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], {
				cwd: root,
				encoding: 'utf8',
				stdio: ['ignore', 'pipe', 'pipe'],
			}),
		);
		fs.mkdirSync(dir, { recursive: true });
		fs.renameSync(join(work, packed[0].filename), tarball);
	} finally {
		fs.rmSync(work, { recursive: true, force: true });
	}
	return { tarball, name, version, cached: false, ms: Date.now() - started };
}

/** Steps 1–4: the package's files in `<userFolder>/.n8n/nodes`, as the installer leaves them. */
function installPackageFiles(userFolder, root = ROOT) {
	const pack = packPackage(root);
	const started = Date.now();
	const nodesDir = join(userFolder, '.n8n', 'nodes');
	const ledgerPath = join(nodesDir, 'package.json');
	const writeJson = (path, value) =>
		fs.writeFileSync(path, JSON.stringify(value, null, 2), 'utf-8');
	// ensurePackageJson: the ledger exists before anything is installed
	fs.mkdirSync(nodesDir, { recursive: true });
	const ledger = fs.existsSync(ledgerPath) ? JSON.parse(fs.readFileSync(ledgerPath, 'utf8')) : {};
	if (!ledger.dependencies)
		writeJson(ledgerPath, { name: 'installed-nodes', private: true, dependencies: {} });
	// downloadPackage: a clean package folder, the tarball (npm pack's output) in nodesDir
	const packageDir = join(nodesDir, 'node_modules', pack.name);
	fs.rmSync(packageDir, { recursive: true, force: true });
	fs.mkdirSync(packageDir, { recursive: true });
	const tarballName = `${pack.name}-${pack.version}.tgz`;
	fs.copyFileSync(pack.tarball, join(nodesDir, tarballName));
	try {
		execFileSync('tar', ['-xzf', tarballName, '-C', packageDir, '--strip-components=1'], {
			cwd: nodesDir,
			stdio: ['ignore', 'ignore', 'pipe'],
		});
		const manifestPath = join(packageDir, 'package.json');
		const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
		delete manifest.devDependencies;
		delete manifest.peerDependencies;
		delete manifest.optionalDependencies;
		writeJson(manifestPath, manifest);
		// The installer's own flags; the package has no runtime dependencies, so npm needs no
		// network, but the command is the one a user's install runs.
		execFileSync('npm', INSTALLER_NPM_INSTALL_ARGS, {
			cwd: packageDir,
			stdio: ['ignore', 'ignore', 'pipe'],
		});
		// updatePackageJsonDependency: the ledger names the installed version
		const current = JSON.parse(fs.readFileSync(ledgerPath, 'utf8'));
		current.dependencies[pack.name] = manifest.version;
		writeJson(ledgerPath, current);
	} finally {
		fs.rmSync(join(nodesDir, tarballName), { force: true });
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

module.exports = { INSTALLER_NPM_INSTALL_ARGS, packPackage, installPackageFiles };

if (require.main === module) {
	try {
		const folders = process.argv.slice(2);
		if (folders.length === 0) throw new Error('usage: install-package.js <user folder>…');
		process.stdout.write(
			`${JSON.stringify(folders.map((folder) => installPackageFiles(folder)))}\n`,
		);
	} catch (error) {
		process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
		process.exit(1);
	}
}
