import type {
	IAuthenticate,
	Icon,
	ICredentialTestRequest,
	ICredentialType,
	INodeProperties,
} from 'n8n-workflow';

import { authenticateWith, PROBE_TASK_IDS, TEST_BASE_URL } from './contract';

export class TensorsLabApi implements ICredentialType {
	name = 'tensorsLabApi';

	displayName = 'TensorsLab API';

	icon: Icon = {
		light: 'file:../nodes/ZImage/zimage.svg',
		dark: 'file:../nodes/ZImage/zimage.dark.svg',
	};

	documentationUrl =
		'https://github.com/n8n-nodes-zimage/n8n-nodes-zimage/blob/main/docs/providers/tensorslab.md#credential';

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
			description:
				'How the key is sent; TensorsLab accepts the bearer form, some of its examples send the raw key',
		},
	];

	// Authorization: Bearer <key> or the raw key, once the base URL is known to be usable.
	authenticate: IAuthenticate = authenticateWith((credentials) => {
		const key = String(credentials.apiKey ?? '');
		return credentials.authHeaderFormat === 'raw' ? key : `Bearer ${key}`;
	});

	// Looking up a task id that does not exist costs nothing and still proves the key.
	test: ICredentialTestRequest = {
		request: {
			baseURL: TEST_BASE_URL,
			url: '/v1/images/infobytaskid',
			method: 'POST',
			body: { taskid: PROBE_TASK_IDS.tensorsLab },
		},
	};
}
