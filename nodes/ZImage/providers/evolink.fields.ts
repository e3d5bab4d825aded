import type { INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import type { ProviderName } from '../types';
import { waitModeFields } from './waitMode.fields';

export const SIDE = { min: 376, max: 1536 };

/** The Generate parameters of Evolink's API, shown for the provider that serves it. */
export function evolinkFields(provider: ProviderName): INodeProperties[] {
	return updateDisplayOptions({ show: { provider: [provider], operation: ['generate'] } }, [
		{
			displayName: 'Model',
			name: 'model',
			type: 'options',
			options: [{ name: 'Z-Image Turbo', value: 'z-image-turbo' }],
			default: 'z-image-turbo',
		},
		{
			displayName: 'Size',
			name: 'size',
			type: 'options',
			options: [
				{ name: '1:1 Aspect Ratio', value: '1:1' },
				{ name: '1:2 Aspect Ratio', value: '1:2' },
				{ name: '16:9 Aspect Ratio', value: '16:9' },
				{ name: '2:1 Aspect Ratio', value: '2:1' },
				{ name: '2:3 Aspect Ratio', value: '2:3' },
				{ name: '3:2 Aspect Ratio', value: '3:2' },
				{ name: '3:4 Aspect Ratio', value: '3:4' },
				{ name: '4:3 Aspect Ratio', value: '4:3' },
				{ name: '9:16 Aspect Ratio', value: '9:16' },
				{ name: 'Custom Width × Height', value: 'custom' },
			],
			default: '1:1',
			description: 'A ratio preset, or a custom size with each side from 376 to 1536 pixels',
		},
		{
			displayName: 'Width',
			name: 'width',
			type: 'number',
			typeOptions: { minValue: SIDE.min, maxValue: SIDE.max },
			default: 1024,
			description: 'Width in pixels (376-1536)',
			displayOptions: { show: { size: ['custom'] } },
		},
		{
			displayName: 'Height',
			name: 'height',
			type: 'number',
			typeOptions: { minValue: SIDE.min, maxValue: SIDE.max },
			default: 1024,
			description: 'Height in pixels (376-1536)',
			displayOptions: { show: { size: ['custom'] } },
		},
		{
			displayName: 'Seed',
			name: 'seed',
			type: 'number',
			typeOptions: { minValue: -1 },
			default: -1,
			description:
				'Same seed and prompt give similar images (1-2147483647); -1 picks a random seed',
		},
		{
			displayName: 'NSFW Check',
			name: 'nsfwCheck',
			type: 'boolean',
			default: false,
			description: 'Whether to add stricter content moderation (basic moderation is always on)',
		},
		...waitModeFields(),
		{
			displayName: 'Callback URL',
			name: 'callbackUrl',
			type: 'string',
			default: '',
			placeholder: 'https://your-domain.com/webhooks/image-done',
			description:
				'Public HTTPS address the provider also POSTs the finished task to (e.g. an n8n Webhook URL); the node waits either way',
			displayOptions: { show: { waitMode: ['poll'] } },
		},
	]);
}
