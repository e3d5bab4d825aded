import type { IAuthenticateGeneric, ICredentialTestRequest, INodeProperties } from 'n8n-workflow';

import { PROBE_TASK_IDS } from './contract';

/** Evolink's API, shared by the hosts that serve it: key, base URL, bearer auth, a free test. */
export function evolinkStyleCredential(
	service: string,
	defaultBaseUrl: string,
	unauthorizedCode: string | number,
): { properties: INodeProperties[]; authenticate: IAuthenticateGeneric; test: ICredentialTestRequest } {
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
		authenticate: {
			type: 'generic',
			properties: { headers: { Authorization: '=Bearer {{$credentials.apiKey}}' } },
		},
		// Looking up a task that cannot exist costs nothing: a right key gets 404, a wrong one 401.
		test: {
			request: {
				baseURL: '={{$credentials.baseUrl}}',
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
