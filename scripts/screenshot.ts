/**
 * Retakes the README's pictures (docs/z-image-node.png, docs/z-image-output.png,
 * docs/z-image-credentials.png) from the browser e2e suite's own steps
 * (test/e2e/editor.e2e.test.ts) on n8n 2.41.1: the suite runs with ZIMAGE_DOCS_SHOTS=1 and
 * copies those steps' screenshots into docs/. Needs Debian's chromium (scripts/chromium.sh
 * installs it). Not part of the tests.
 *   npm run screenshot
 */
/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-dangerous-functions -- a development script run by Node, never shipped; the n8n Cloud sandbox rules are for the nodes */
import { spawnSync } from 'node:child_process';

import { ROOT } from '../e2e/lib/n8n';

const run = spawnSync('npx', ['jest', '-c', 'jest.e2e.config.js', 'test/e2e/editor.e2e.test.ts'], {
	cwd: ROOT,
	stdio: 'inherit',
	env: { ...process.env, ZIMAGE_N8N_LINE: '2', ZIMAGE_DOCS_SHOTS: '1' },
});
process.exit(run.status ?? 1);
