import type {
	IAuthenticate,
	Icon,
	ICredentialTestRequest,
	ICredentialType,
	INodeProperties,
} from 'n8n-workflow';

import { authenticateWith, TEST_BASE_URL } from './contract';

export class ZImageServerApi implements ICredentialType {
	name = 'zImageServerApi';

	displayName = 'Z-Image Server API';

	icon: Icon = {
		light: 'file:../nodes/ZImage/zimage.svg',
		dark: 'file:../nodes/ZImage/zimage.dark.svg',
	};

	documentationUrl =
		'https://github.com/n8n-nodes-zimage/n8n-nodes-zimage/blob/main/docs/providers/self-hosted.md#credential';

	properties: INodeProperties[] = [
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: 'http://localhost:8003',
			placeholder: 'http://192.168.1.26:8003',
			required: true,
			description: 'Where your Z-Image Vision server listens (its default port is 8003)',
		},
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description:
				'Bearer token, only if the server sits behind a proxy that asks for one; leave empty otherwise',
		},
		{
			displayName: 'Request Timeout (Seconds)',
			name: 'requestTimeoutSeconds',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: 600,
			description:
				'The first generation loads the model (2-5 minutes) and one image can take minutes',
		},
		{
			displayName: 'Ignore SSL Issues (Insecure)',
			name: 'ignoreSslIssues',
			type: 'boolean',
			default: false,
			description: 'Whether to accept a self-signed certificate on an https:// server',
		},
	];

	// No header at all when no token is set: the plain server needs none.
	authenticate: IAuthenticate = authenticateWith((credentials) =>
		credentials.apiKey ? `Bearer ${String(credentials.apiKey)}` : undefined,
	);

	test: ICredentialTestRequest = {
		request: {
			baseURL: TEST_BASE_URL,
			url: '/health',
			method: 'GET',
			skipSslCertificateValidation: '={{$credentials.ignoreSslIssues}}',
		},
	};
}
