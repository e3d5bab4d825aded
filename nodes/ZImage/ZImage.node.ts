import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { RESUME_WEBHOOKS, resumeOnCallback } from './actions/callbackResume';
import { route } from './actions/router';
import { runsAsTool, TOOL_DESCRIPTION, withHintInMessage } from './agentTool';
import { nodeProperties } from './description';
import { PROVIDERS } from './providers';

export class ZImage implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Z-Image',
		name: 'zImage',
		icon: { light: 'file:zimage.svg', dark: 'file:zimage.dark.svg' },
		group: ['transform'],
		// Version 2 names each provider's own parameters after it (parameters.ts); 1 stays for saved workflows.
		version: [1, 2],
		defaultVersion: 2,
		subtitle: '={{$parameter["operation"] + " · " + $parameter["provider"]}}',
		// An AI Agent's model reads this too: n8n 2.41 builds the tool it runs from this
		// description, the replacements below reach only the editor.
		description:
			'Generate and edit images with Z-Image models and get finished image files; as an AI agent tool, get JSON with links to the images (they expire), width, height and task ID',
		defaults: {
			name: 'Z-Image',
		},
		// The tool variant's description is what an AI Agent's model reads: written for it.
		usableAsTool: { replacements: { description: TOOL_DESCRIPTION } },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: PROVIDERS.map((provider) => ({
			name: provider.credentialType,
			required: true,
			displayOptions: { show: { provider: [provider.name] } },
		})),
		webhooks: RESUME_WEBHOOKS,
		properties: nodeProperties(),
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		return await resumeOnCallback.call(this);
	}

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		try {
			return [await route.call(this)];
		} catch (error) {
			throw runsAsTool(this) ? withHintInMessage(error) : error;
		}
	}
}
