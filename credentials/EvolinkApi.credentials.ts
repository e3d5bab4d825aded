import type {
	IAuthenticate,
	Icon,
	ICredentialTestRequest,
	ICredentialType,
	INodeProperties,
} from 'n8n-workflow';

import { evolinkStyleCredential } from './evolinkStyle';

const shared = evolinkStyleCredential('Evolink', 'https://api.evolink.ai', 'unauthorized');

export class EvolinkApi implements ICredentialType {
	name = 'evolinkApi';

	displayName = 'Evolink API';

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
