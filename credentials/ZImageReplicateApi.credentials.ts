import type {
	IAuthenticate,
	Icon,
	ICredentialTestRequest,
	ICredentialType,
	INodeProperties,
} from 'n8n-workflow';

import { authenticateWith, REPLICATE_ACCOUNT_PATH, TEST_BASE_URL } from './contract';

const WRONG_TOKEN =
	'Replicate rejected the API token: check it against replicate.com/account/api-tokens';

// Named for this package: other Replicate packages have a credential of their own.
export class ZImageReplicateApi implements ICredentialType {
	name = 'zImageReplicateApi';

	displayName = 'Replicate Z-Image API';

	icon: Icon = {
		light: 'file:../nodes/ZImage/zimage.svg',
		dark: 'file:../nodes/ZImage/zimage.dark.svg',
	};

	documentationUrl =
		'https://github.com/n8n-nodes-zimage/n8n-nodes-zimage/blob/main/docs/providers/replicate.md#credential';

	properties: INodeProperties[] = [
		{
			displayName: 'API Token',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			required: true,
			default: '',
			description: 'Your Replicate API token (r8_…), from replicate.com/account/api-tokens',
		},
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: 'https://api.replicate.com',
			description: "Replicate's API; change only for a proxy or a test server",
		},
	];

	// Authorization: Bearer <token>, once the base URL is known to be usable.
	authenticate: IAuthenticate = authenticateWith(
		(credentials) => `Bearer ${String(credentials.apiKey ?? '')}`,
	);

	// The token's account costs nothing: a right token gets it, a wrong one 401.
	test: ICredentialTestRequest = {
		request: { baseURL: TEST_BASE_URL, url: REPLICATE_ACCOUNT_PATH, method: 'GET' },
		rules: [{ type: 'responseCode', properties: { value: 401, message: WRONG_TOKEN } }],
	};
}
