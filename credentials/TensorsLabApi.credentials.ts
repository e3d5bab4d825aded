import type {
	IAuthenticateGeneric,
	Icon,
	ICredentialTestRequest,
	ICredentialType,
	INodeProperties,
} from 'n8n-workflow';

import { PROBE_TASK_IDS } from './contract';

export class TensorsLabApi implements ICredentialType {
	name = 'tensorsLabApi';

	displayName = 'TensorsLab API';

	icon: Icon = { light: 'file:../nodes/ZImage/zimage.svg', dark: 'file:../nodes/ZImage/zimage.dark.svg' };

	documentationUrl = 'https://github.com/n8n-nodes-zimage/n8n-nodes-zimage#tensorslab';

	properties: INodeProperties[] = [
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			required: true,
			default: '',
			description: 'Your TensorsLab API key',
		},
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: 'https://api.tensorslab.com',
			description: 'Change only for a proxy or a test server',
		},
		{
			displayName: 'Authorization Header',
			name: 'authHeaderFormat',
			type: 'options',
			options: [
				{ name: 'Bearer <Key>', value: 'bearer', description: 'Authorization: Bearer <key>' },
				{ name: 'Raw Key', value: 'raw', description: 'Authorization: <key>' },
			],
			default: 'bearer',
			description: 'How the key is sent; TensorsLab accepts the bearer form, some of its examples send the raw key',
		},
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			headers: {
				Authorization:
					'={{$credentials.authHeaderFormat === "raw" ? $credentials.apiKey : "Bearer " + $credentials.apiKey}}',
			},
		},
	};

	// Looking up a task id that does not exist costs nothing and still proves the key.
	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.baseUrl}}',
			url: '/v1/images/infobytaskid',
			method: 'POST',
			body: { taskid: PROBE_TASK_IDS.tensorsLab },
		},
	};
}
