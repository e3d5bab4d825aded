import type { INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

/** z-image-turbo's documented range: total pixels from 512×512 to 2048×2048. */
export const PIXELS = { min: 512 * 512, max: 2048 * 2048 };

/** The sizes offered by name (width*height, as the API wants them), all within the range. */
const SIZE_OPTIONS = [
	{ name: '1:1 (1024×1024)', value: '1024*1024' },
	{ name: '1:1 Large (1536×1536)', value: '1536*1536' },
	{ name: '16:9 (1280×720)', value: '1280*720' },
	{ name: '16:9 Large (2048×1152)', value: '2048*1152' },
	{ name: '2:3 (1024×1536)', value: '1024*1536' },
	{ name: '3:2 (1536×1024)', value: '1536*1024' },
	{ name: '3:4 (1104×1472)', value: '1104*1472' },
	{ name: '4:3 (1472×1104)', value: '1472*1104' },
	{ name: '9:16 (720×1280)', value: '720*1280' },
	{ name: '9:16 Large (1152×2048)', value: '1152*2048' },
	{ name: 'Custom Width × Height', value: 'custom' },
];

export const SIZE_PRESETS = SIZE_OPTIONS.map((option) => option.value).filter(
	(value) => value !== 'custom',
);

const side = (displayName: string): INodeProperties => ({
	displayName,
	name: displayName.toLowerCase(),
	type: 'number',
	typeOptions: { minValue: 1 },
	default: 1024,
	description: `${displayName} in pixels; width × height from 512×512 to 2048×2048 pixels in total`,
	displayOptions: { show: { size: ['custom'] } },
});

/** The Generate parameters of Model Studio's z-image-turbo. */
export const modelStudioFields: INodeProperties[] = updateDisplayOptions(
	{ show: { provider: ['modelStudio'], operation: ['generate'] } },
	[
		{
			displayName: 'Size',
			name: 'size',
			type: 'options',
			options: SIZE_OPTIONS,
			default: '1024*1024',
			description: 'A preset, or a custom size of 512×512 to 2048×2048 pixels in total',
		},
		side('Width'),
		side('Height'),
		{
			displayName: 'Seed',
			name: 'seed',
			type: 'number',
			typeOptions: { minValue: -1 },
			default: -1,
			description:
				'Same seed and prompt give similar images (0-2147483647); -1 lets Model Studio pick one',
		},
		{
			displayName: 'Prompt Extension',
			name: 'promptExtend',
			type: 'boolean',
			default: false,
			description:
				'Whether Model Studio rewrites the prompt with a language model before generating (slower, billed higher); the rewritten prompt is in the output as extendedPrompt',
		},
	],
);
