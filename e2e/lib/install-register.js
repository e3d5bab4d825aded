/**
 * The last step of n8n's community-package install, run by an n8n runtime's own Node:
 *   node install-register.js <n8n package dir> <user folder> <package name>
 * Loads the installed package with that runtime's n8n-core PackageDirectoryLoader (what the
 * installer's `loadNodesAndCredentials.loadPackage` runs) and writes what the installer's
 * InstalledPackagesRepository saves from it, in one transaction: an `installed_packages` row
 * (name, version, author, timestamps) and one `installed_nodes` row per loaded node (display
 * name, `<package>.<node>` type, latest version). An earlier row of the package is replaced,
 * as an update does. The database is n8n's, read from n8n's own settings: SQLite in
 * `<user folder>/.n8n/database.sqlite` (the runtime's sqlite3), or PostgreSQL when
 * DB_TYPE=postgresdb (DB_POSTGRESDB_*, the runtime's pg). It must have been migrated by n8n.
 * Prints the rows as n8n's REST API lists them (JSON).
 */
'use strict';
const { join } = require('node:path');
const Module = require('node:module');

/** What @n8n/db's WithTimestamps columns default to, which TypeORM writes on insert. */
const NOW = {
	sqlite: "STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')",
	postgresdb: 'CURRENT_TIMESTAMP(3)',
};

/** A connection's `run(sql, params)` and `close()`, `?` placeholders on both databases. */
async function connect(fromN8n, userFolder) {
	const env = process.env;
	if (env.DB_TYPE === 'postgresdb') {
		const { Client } = fromN8n('pg');
		const client = new Client({
			host: env.DB_POSTGRESDB_HOST ?? 'localhost',
			port: Number(env.DB_POSTGRESDB_PORT ?? 5432),
			database: env.DB_POSTGRESDB_DATABASE ?? 'n8n',
			user: env.DB_POSTGRESDB_USER ?? 'postgres',
			password: env.DB_POSTGRESDB_PASSWORD ?? '',
		});
		await client.connect();
		const schema = env.DB_POSTGRESDB_SCHEMA ?? 'public';
		await client.query(`SET search_path TO "${schema.replace(/"/g, '""')}"`);
		return {
			now: NOW.postgresdb,
			run: async (sql, params = []) => {
				let index = 0;
				await client.query(
					sql.replace(/\?/g, () => `$${++index}`),
					params,
				);
			},
			close: async () => await client.end(),
		};
	}
	const sqlite3 = fromN8n('sqlite3');
	const database = join(userFolder, '.n8n', 'database.sqlite');
	const db = await new Promise((resolve, reject) => {
		const opened = new sqlite3.Database(database, sqlite3.OPEN_READWRITE, (error) =>
			error ? reject(error) : resolve(opened),
		);
	});
	const run = (sql, params = []) =>
		new Promise((resolve, reject) =>
			db.run(sql, params, (error) => (error ? reject(error) : resolve())),
		);
	await run('PRAGMA foreign_keys = ON');
	return {
		now: NOW.sqlite,
		run,
		close: async () => await new Promise((resolve) => db.close(resolve)),
	};
}

async function main() {
	const [n8nDir, userFolder, packageName] = process.argv.slice(2);
	if (!packageName) throw new Error('usage: install-register.js <n8n dir> <user folder> <package>');
	const packageDir = join(userFolder, '.n8n', 'nodes', 'node_modules', packageName);
	const prefix = process.env.DB_TABLE_PREFIX ?? '';

	// As n8n's LoadNodesAndCredentials: community packages resolve n8n-workflow from n8n's modules.
	const n8nPaths = Module._nodeModulePaths(n8nDir);
	process.env.NODE_PATH = [...n8nPaths, process.env.NODE_PATH].filter(Boolean).join(':');
	Module._initPaths();
	const fromN8n = (name) => require(require.resolve(name, { paths: [n8nDir] }));
	const { PackageDirectoryLoader } = fromN8n('n8n-core');

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

	const db = await connect(fromN8n, userFolder);
	try {
		await db.run('BEGIN');
		try {
			await db.run(`DELETE FROM "${prefix}installed_nodes" WHERE "package" = ?`, [row.packageName]);
			await db.run(`DELETE FROM "${prefix}installed_packages" WHERE "packageName" = ?`, [
				row.packageName,
			]);
			await db.run(
				`INSERT INTO "${prefix}installed_packages" ("packageName", "installedVersion", "authorName", "authorEmail", "createdAt", "updatedAt") VALUES (?, ?, ?, ?, ${db.now}, ${db.now})`,
				[row.packageName, row.installedVersion, row.authorName, row.authorEmail],
			);
			for (const node of row.installedNodes) {
				await db.run(
					`INSERT INTO "${prefix}installed_nodes" ("name", "type", "latestVersion", "package") VALUES (?, ?, ?, ?)`,
					[node.name, node.type, node.latestVersion, row.packageName],
				);
			}
			await db.run('COMMIT');
		} catch (error) {
			await db.run('ROLLBACK');
			throw error;
		}
	} finally {
		await db.close();
	}
	process.stdout.write(JSON.stringify(row));
}

main().catch((error) => {
	process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
	process.exit(1);
});
