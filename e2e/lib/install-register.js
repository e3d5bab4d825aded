/**
 * The last step of n8n's community-package install, run by an n8n runtime's own Node:
 *   node install-register.js <n8n package dir> <user folder> <package name>
 * Loads the installed package with that runtime's n8n-core PackageDirectoryLoader (what the
 * installer's `loadNodesAndCredentials.loadPackage` runs) and writes what the installer's
 * InstalledPackagesRepository saves from it, in one transaction: an `installed_packages` row
 * (name, version, author) and one `installed_nodes` row per loaded node (display name,
 * `<package>.<node>` type, latest version). An earlier row of the package is replaced, as
 * an update does. Prints the rows as n8n's REST API lists them (JSON).
 */
'use strict';
const { join } = require('node:path');
const Module = require('node:module');

/** n8n's timestamp default on SQLite (@n8n/db's WithTimestamps), which TypeORM writes on insert. */
const NOW = "STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')";

async function main() {
	const [n8nDir, userFolder, packageName] = process.argv.slice(2);
	if (!packageName) throw new Error('usage: install-register.js <n8n dir> <user folder> <package>');
	const database = join(userFolder, '.n8n', 'database.sqlite');
	const packageDir = join(userFolder, '.n8n', 'nodes', 'node_modules', packageName);

	// As n8n's LoadNodesAndCredentials: community packages resolve n8n-workflow from n8n's modules.
	const n8nPaths = Module._nodeModulePaths(n8nDir);
	process.env.NODE_PATH = [...n8nPaths, process.env.NODE_PATH].filter(Boolean).join(':');
	Module._initPaths();
	const fromN8n = (name) => require(require.resolve(name, { paths: [n8nDir] }));
	const { PackageDirectoryLoader } = fromN8n('n8n-core');
	const sqlite3 = fromN8n('sqlite3');

	const loader = new PackageDirectoryLoader(packageDir);
	await loader.loadAll();
	const { packageJson, nodeTypes, loadedNodes } = loader;
	if (loadedNodes.length === 0) throw new Error(`${packageName} contains no nodes`);
	const row = {
		packageName: packageJson.name,
		installedVersion: packageJson.version,
		authorName: packageJson.author?.name ?? null,
		authorEmail: packageJson.author?.email ?? null,
		installedNodes: loadedNodes.map((node) => ({
			name: nodeTypes[node.name].type.description.displayName,
			type: `${packageJson.name}.${node.name}`,
			latestVersion: node.version,
		})),
	};

	const db = await new Promise((resolve, reject) => {
		const opened = new sqlite3.Database(database, sqlite3.OPEN_READWRITE, (error) =>
			error ? reject(error) : resolve(opened),
		);
	});
	const run = (sql, params = []) =>
		new Promise((resolve, reject) =>
			db.run(sql, params, (error) => (error ? reject(error) : resolve())),
		);
	try {
		await run('PRAGMA foreign_keys = ON');
		await run('BEGIN');
		try {
			await run('DELETE FROM installed_nodes WHERE package = ?', [row.packageName]);
			await run('DELETE FROM installed_packages WHERE packageName = ?', [row.packageName]);
			// createdAt/updatedAt as TypeORM fills them on SQLite: the columns' default expression.
			await run(
				`INSERT INTO installed_packages (packageName, installedVersion, authorName, authorEmail, createdAt, updatedAt) VALUES (?, ?, ?, ?, ${NOW}, ${NOW})`,
				[row.packageName, row.installedVersion, row.authorName, row.authorEmail],
			);
			for (const node of row.installedNodes) {
				await run(
					'INSERT INTO installed_nodes (name, type, latestVersion, package) VALUES (?, ?, ?, ?)',
					[node.name, node.type, node.latestVersion, row.packageName],
				);
			}
			await run('COMMIT');
		} catch (error) {
			await run('ROLLBACK');
			throw error;
		}
	} finally {
		await new Promise((resolve) => db.close(resolve));
	}
	process.stdout.write(JSON.stringify(row));
}

main().catch((error) => {
	process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
	process.exit(1);
});
