import type {
	IAuthenticate,
	Icon,
	ICredentialTestRequest,
	ICredentialType,
	INodeProperties,
} from 'n8n-workflow';

import {
	authenticateWith,
	CUSTOM_REGION,
	MODEL_STUDIO_MODELS_PATH,
	TEST_BASE_URL,
} from './contract';

/** Each region has its own host and its own keys: a key works only where it was created. */
const REGIONS = {
	beijing: 'https://dashscope.aliyuncs.com',
	singapore: 'https://dashscope-intl.aliyuncs.com',
};

const WRONG_KEY =
	'Model Studio rejected the API key: check it, and that the Region is the one the key was created in (Singapore and Beijing keys are separate)';

// n8n's own Alibaba Cloud credential is `alibabaCloudApi`: this one has a name of its own.
export class ZImageModelStudioApi implements ICredentialType {
	name = 'zImageModelStudioApi';

	displayName = 'Alibaba Cloud Model Studio API';

	icon: Icon = {
		light: 'file:../nodes/ZImage/zimage.svg',
		dark: 'file:../nodes/ZImage/zimage.dark.svg',
	};

	documentationUrl =
		'https://github.com/n8n-nodes-zimage/n8n-nodes-zimage/blob/main/docs/providers/modelstudio.md#credential';

	properties: INodeProperties[] = [
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			required: true,
			default: '',
			description: 'Your Model Studio (DashScope) API key, created in the region chosen below',
		},
		{
			displayName: 'Region',
			name: 'region',
			type: 'options',
			options: [
				{
					name: 'China (Beijing)',
					value: REGIONS.beijing,
					description: 'dashscope.aliyuncs.com, for keys created in the Beijing region',
				},
				{
					name: 'Custom Base URL',
					value: CUSTOM_REGION,
					description: 'A proxy or a test server',
				},
				{
					name: 'Singapore (International)',
					value: REGIONS.singapore,
					description: 'dashscope-intl.aliyuncs.com, for keys created in the Singapore region',
				},
			],
			default: REGIONS.singapore,
			description: 'Where the key was created: keys of one region do not work in the other',
		},
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: '',
			placeholder: 'https://dashscope-proxy.example.com',
			description: 'Where requests go instead of a region (a proxy or a test server)',
			displayOptions: { show: { region: [CUSTOM_REGION] } },
		},
	];

	// Authorization: Bearer <key>, once the base URL (the region's or the custom one) is known to be usable.
	authenticate: IAuthenticate = authenticateWith(
		(credentials) => `Bearer ${String(credentials.apiKey ?? '')}`,
	);

	// Listing the models costs nothing and generates nothing; a wrong key, or a key of the other region, gets 401.
	test: ICredentialTestRequest = {
		request: { baseURL: TEST_BASE_URL, url: MODEL_STUDIO_MODELS_PATH, method: 'GET' },
		rules: [
			{ type: 'responseCode', properties: { value: 401, message: WRONG_KEY } },
			{
				type: 'responseCode',
				properties: {
					value: 403,
					message: 'Model Studio refused the key access (HTTP 403): check its permissions',
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 404,
					message:
						'No Model Studio API at this address (HTTP 404): check the Region, or the Base URL',
				},
			},
		],
	};
}
