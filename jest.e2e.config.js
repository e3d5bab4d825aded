/** The end-to-end tests: a real n8n runs the example workflows (see test/e2e), on the n8n line
 * named by ZIMAGE_N8N_LINE (2 or 1; scripts/e2e.sh runs both). */
/** @type {import('jest').Config} */
module.exports = {
	displayName: `n8n line ${process.env.ZIMAGE_N8N_LINE || '2'}${process.env.ZIMAGE_N8N_BINARY_MODE ? ` (${process.env.ZIMAGE_N8N_BINARY_MODE})` : ''}`,
	testEnvironment: 'node',
	roots: ['<rootDir>/test/e2e'],
	testMatch: ['**/*.e2e.test.ts'],
	transform: {
		'^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }],
	},
	testTimeout: 180000,
	maxWorkers: 1,
};
