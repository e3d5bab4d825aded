import type { INodeProperties } from 'n8n-workflow';

/**
 * Wait Mode and its fallback, for a provider that can call the execution back: one definition
 * and one name for every such provider (parameters.ts keeps them unscoped), so that switching
 * between two of them keeps what the user chose.
 */
export function waitModeFields(): INodeProperties[] {
	return [
		{
			displayName: 'Wait Mode',
			name: 'waitMode',
			type: 'options',
			options: [
				{
					name: 'Poll',
					value: 'poll',
					description:
						'The node asks the provider until the images are ready, holding its execution',
				},
				{
					name: 'Provider Callback',
					value: 'callback',
					description:
						'The execution waits without holding a worker until the provider calls it back; needs a public HTTPS WEBHOOK_URL',
				},
			],
			default: 'poll',
			description: 'How the node waits for the images',
		},
		{
			displayName: 'If Callback Is Not Possible',
			name: 'callbackFallback',
			type: 'options',
			options: [
				{
					name: 'Fail',
					value: 'fail',
					description: 'Stop with an error before anything is sent',
				},
				{
					name: 'Poll Instead',
					value: 'poll',
					description: 'Wait by polling, with a notice in the output',
				},
			],
			default: 'fail',
			description:
				"What to do when the provider cannot reach this n8n: its resume URL is not public HTTPS (set WEBHOOK_URL), or the node runs as an AI agent's tool",
			displayOptions: { show: { waitMode: ['callback'] } },
		},
	];
}
