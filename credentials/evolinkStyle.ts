import type { IAuthenticate, ICredentialTestRequest, INodeProperties } from 'n8n-workflow';

import { authenticateWith, PROBE_TASK_IDS, TEST_BASE_URL } from './contract';

/** Evolink's API, shared by the hosts that serve it: key, base URL, bearer auth, a free test. */
export function evolinkStyleCredential(
	service: string,
	defaultBaseUrl: string,
	unauthorizedCode: string | number,
): { properties: INodeProperties[]; authenticate: IAuthenticate; test: ICredentialTestRequest } {
	return {
		properties: [
			{
				displayName: 'API Key',
				name: 'apiKey',
				type: 'string',
				typeOptions: { password: true },
				required: true,
				default: '',
				description: `Your ${service} API key`,
			},
			{
				displayName: 'Base URL',
				name: 'baseUrl',
				type: 'string',
				default: defaultBaseUrl,
				description: 'Change only for a proxy or a test server',
			},
		],
		// Authorization: Bearer <key>, once the base URL is known to be usable.
		authenticate: authenticateWith((credentials) => `Bearer ${String(credentials.apiKey ?? '')}`),
		// Looking up a task that cannot exist costs nothing: a right key gets 404, a wrong one 401.
		test: {
			request: {
				baseURL: TEST_BASE_URL,
				url: `/v1/tasks/${PROBE_TASK_IDS.evolink}`,
				method: 'GET',
				ignoreHttpStatusErrors: true,
			},
			rules: [
				{
					type: 'responseSuccessBody',
					properties: {
						key: 'error.code',
						value: unauthorizedCode,
						message: `${service} rejected the API key`,
					},
				},
			],
		},
	};
}
