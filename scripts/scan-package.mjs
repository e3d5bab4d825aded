#!/usr/bin/env node
// Runs @n8n/scan-community-package's analysis on this package, offline.
//
// The published scanner (`npx @n8n/scan-community-package <name>`) downloads the package
// from npm, checks its provenance, fetches the attested source commit from GitHub and then
// lints two things with its own ESLint rule set: the source's package.json, nodes/ and
// credentials/, and the tarball's compiled *.js and package.json. The network parts cannot
// run before publishing, so this runs the same two lint legs through the scanner's own
// exported analyzePackage(): the source leg on this checkout, the tarball leg on what
// `npm pack` makes of it. Provenance is left to publishing (.github/workflows/publish.yml).
//
// Usage: node scripts/scan-package.mjs   (after `npm run build`; exits 1 on any finding)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const work = mkdtempSync(join(tmpdir(), 'zimage-scan-'));

function fail(message) {
	process.stderr.write(`scan: ${message}\n`);
	process.exitCode = 1;
}

try {
	if (!existsSync(join(root, 'dist', 'index.js'))) {
		throw new Error('dist/ is missing: run `npm run build` first');
	}

	// The scanner makes a temporary folder of its own when it is loaded: keep it inside ours.
	process.env.TMPDIR = work;
	const { analyzePackage, buildScanConfig, SOURCE_FILE_PATTERNS } = await import(
		'@n8n/scan-community-package/scanner/scanner.mjs'
	);
	const { ESLint } = await import('eslint');
	// The scanner's verdict counts errors only; a warning of its rule set fails here too.
	const scanLint = async (dir, patterns) =>
		new ESLint({
			cwd: dir,
			allowInlineConfig: false,
			overrideConfigFile: true,
			overrideConfig: await buildScanConfig(),
			errorOnUnmatchedPattern: false,
		}).lintFiles(patterns);

	// The tarball exactly as `npm publish` would upload it (ignore-scripts: no prepack runs).
	const packed = JSON.parse(
		execFileSync('npm', ['pack', '--json', '--pack-destination', work], {
			cwd: root,
			encoding: 'utf8',
			stdio: ['ignore', 'pipe', 'inherit'],
		}),
	)[0];
	const tarball = join(work, packed.filename);
	const unpacked = join(work, 'package');
	mkdirSync(unpacked);
	execFileSync('tar', ['-xzf', tarball, '-C', unpacked, '--strip-components=1']);
	process.stdout.write(
		`Packed ${packed.name}@${packed.version}: ${packed.entryCount} files, ${packed.size} bytes\n`,
	);

	// The same two legs, with the same file patterns, as analyzePackageByName.
	const legs = [
		{
			name: 'source (package.json, nodes/, credentials/)',
			dir: root,
			patterns: SOURCE_FILE_PATTERNS,
		},
		{
			name: `tarball (${packed.filename}: *.js, package.json)`,
			dir: unpacked,
			patterns: ['**/*.js', 'package.json'],
		},
	];
	for (const leg of legs) {
		const result = await analyzePackage(leg.dir, leg.patterns);
		if (!result.passed) {
			process.stdout.write(`❌ ${leg.name}: ${result.message}\n${result.details ?? ''}\n`);
			fail(`${leg.name} failed`);
			continue;
		}
		if (result.message === 'No files found to analyze') {
			fail(`${leg.name}: no files found to analyze`);
			continue;
		}
		const warned = (await scanLint(leg.dir, leg.patterns)).filter((file) => file.warningCount > 0);
		if (warned.length > 0) {
			const formatter = await new ESLint().loadFormatter('stylish');
			process.stdout.write(`❌ ${leg.name}: warnings\n${await formatter.format(warned)}\n`);
			fail(`${leg.name} has warnings`);
			continue;
		}
		process.stdout.write(`✅ ${leg.name}: no errors, no warnings\n`);
	}
	if (!process.exitCode) {
		process.stdout.write(`✅ ${packed.name}@${packed.version} passes the community package scan\n`);
	}
} catch (error) {
	fail(error instanceof Error ? error.message : String(error));
} finally {
	rmSync(work, { recursive: true, force: true });
}
