import type {
	IAuthenticate,
	Icon,
	ICredentialTestRequest,
	ICredentialType,
	INodeProperties,
} from 'n8n-workflow';

import { authenticateWith, PROBE_TASK_IDS, TEST_BASE_URL } from './contract';

/** What fal.ai answers a key it does not take (HTTP 401), as its clients have met it. */
const REJECTED = [
	'No user found for Key ID and Secret',
	"Invalid Key Authorization header format. Expected '<key_id>:<key_secret>'.",
];

// Named for this package: other fal.ai packages have a credential of their own.
export class ZImageFalApi implements ICredentialType {
	name = 'zImageFalApi';

	displayName = 'fal.ai Z-Image API';

	icon: Icon = {
		light: 'file:../nodes/ZImage/zimage.svg',
		dark: 'file:../nodes/ZImage/zimage.dark.svg',
	};

	documentationUrl =
		'https://github.com/n8n-nodes-zimage/n8n-nodes-zimage/blob/main/docs/providers/fal.md#credential';

	properties: INodeProperties[] = [
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			required: true,
			default: '',
			description: 'Your fal.ai API key, <key_id>:<key_secret>, from fal.ai/dashboard/keys',
		},
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: 'https://queue.fal.run',
			description: "fal.ai's queue; change only for a proxy or a test server",
		},
	];

	// Authorization: Key <key> (not Bearer), once the base URL is known to be usable.
	authenticate: IAuthenticate = authenticateWith(
		(credentials) => `Key ${String(credentials.apiKey ?? '')}`,
	);

	// The status of a request that cannot exist costs nothing: a right key gets "not found", a wrong one 401.
	test: ICredentialTestRequest = {
		request: {
			baseURL: TEST_BASE_URL,
			url: `/fal-ai/z-image/requests/${PROBE_TASK_IDS.fal}/status`,
			method: 'GET',
			ignoreHttpStatusErrors: true,
		},
		rules: REJECTED.map((detail) => ({
			type: 'responseSuccessBody' as const,
			properties: {
				key: 'detail',
				value: detail,
				message: `fal.ai rejected the API key: ${detail}`,
			},
		})),
	};
}
