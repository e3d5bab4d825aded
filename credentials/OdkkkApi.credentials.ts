import type {
	IAuthenticate,
	Icon,
	ICredentialTestRequest,
	ICredentialType,
	INodeProperties,
} from 'n8n-workflow';

import { evolinkStyleCredential } from './evolinkStyle';

// ODKKK serves Evolink's API on its own host and writes error codes as integers.
const shared = evolinkStyleCredential('ODKKK', 'https://ai.odkkk.com/apiv1', 401);

export class OdkkkApi implements ICredentialType {
	name = 'odkkkApi';

	displayName = 'ODKKK API';

	icon: Icon = {
		light: 'file:../nodes/ZImage/zimage.svg',
		dark: 'file:../nodes/ZImage/zimage.dark.svg',
	};

	documentationUrl =
		'https://github.com/n8n-nodes-zimage/n8n-nodes-zimage/blob/main/docs/providers/evolink.md#credential';

	properties: INodeProperties[] = shared.properties;

	authenticate: IAuthenticate = shared.authenticate;

	test: ICredentialTestRequest = shared.test;
}
