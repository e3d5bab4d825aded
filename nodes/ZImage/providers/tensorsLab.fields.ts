import type { INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

export type Model = 'zimage' | 'seedreamv45' | 'seedreamv4';

export interface ModelRules {
	label: string;
	presets: readonly string[];
	/** Total pixels allowed for a custom size; absent when custom sizes are not accepted. */
	pixels?: { min: number; max: number; text: string };
	/** How this endpoint wants a custom size written. */
	separator: '*' | 'x';
}

export const MODELS: Record<Model, ModelRules> = {
	zimage: {
		label: 'Z-Image Turbo',
		presets: ['1024*1024', '1:1', '16:9', '9:16', '4:3', '3:4'],
		pixels: {
			min: 512 * 512,
			max: 2048 * 2048,
			text: 'between 512×512 and 2048×2048 pixels in total',
		},
		separator: '*',
	},
	seedreamv45: {
		label: 'SeeDream 4.5',
		presets: ['2K', '4K', '1:1', '16:9', '9:16', '4:3', '3:4', '2:3', '3:2'],
		pixels: {
			min: 3_686_400,
			max: 16_777_216,
			text: 'between 3,686,400 and 16,777,216 pixels in total (e.g. 2560x1440)',
		},
		separator: 'x',
	},
	seedreamv4: {
		label: 'SeeDream 4',
		presets: ['1:1', '16:9', '9:16', '4:3', '3:4'],
		separator: 'x',
	},
};

const PRESET_NAMES: Record<string, string> = {
	'1024*1024': 'Default (1024×1024)',
	'2K': '2K',
	'4K': '4K',
};

const resolutionProperty = (model: Model, fallback: string): INodeProperties => ({
	displayName: 'Resolution',
	name: 'resolution',
	type: 'options',
	options: [
		...MODELS[model].presets.map((value) => ({
			name: PRESET_NAMES[value] ?? `${value} Aspect Ratio`,
			value,
		})),
		...(MODELS[model].pixels ? [{ name: 'Custom Width × Height', value: 'custom' }] : []),
	],
	default: fallback,
	description: `Output size for ${MODELS[model].label}`,
	displayOptions: { show: { model: [model] } },
});

export const tensorsLabFields: INodeProperties[] = [
	...updateDisplayOptions({ show: { provider: ['tensorsLab'], operation: ['generate'] } }, [
		{
			displayName: 'Model',
			name: 'model',
			type: 'options',
			options: [
				{ name: 'SeeDream 4', value: 'seedreamv4', description: 'Faster, good quality' },
				{
					name: 'SeeDream 4.5',
					value: 'seedreamv45',
					description: 'Highest quality, up to 15 images',
				},
				{ name: 'Z-Image Turbo', value: 'zimage', description: 'Z-Image: one image per task' },
			],
			default: 'zimage',
		},
	]),
	...updateDisplayOptions({ show: { provider: ['tensorsLab'], operation: ['edit'] } }, [
		{
			displayName: 'Model',
			name: 'model',
			type: 'options',
			options: [
				{ name: 'SeeDream 4', value: 'seedreamv4' },
				{ name: 'SeeDream 4.5', value: 'seedreamv45' },
			],
			default: 'seedreamv45',
			description: 'Only the SeeDream models take source images',
		},
	]),
	...updateDisplayOptions({ show: { provider: ['tensorsLab'], operation: ['generate', 'edit'] } }, [
		resolutionProperty('zimage', '1024*1024'),
		resolutionProperty('seedreamv45', '2K'),
		resolutionProperty('seedreamv4', '1:1'),
		{
			displayName: 'Width',
			name: 'width',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: 1024,
			description: 'Width in pixels',
			displayOptions: { show: { resolution: ['custom'] } },
		},
		{
			displayName: 'Height',
			name: 'height',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: 1024,
			description: 'Height in pixels',
			displayOptions: { show: { resolution: ['custom'] } },
		},
	]),
	...updateDisplayOptions({ show: { provider: ['tensorsLab'], operation: ['generate'] } }, [
		{
			displayName: 'Seed',
			name: 'seed',
			type: 'number',
			typeOptions: { minValue: -1 },
			default: -1,
			description: 'Same seed and prompt give the same image; -1 picks a random seed',
			displayOptions: { show: { model: ['zimage'] } },
		},
		{
			displayName: 'Prompt Extend',
			name: 'promptExtend',
			type: 'boolean',
			default: false,
			description: 'Whether TensorsLab should enrich the prompt before generating',
			displayOptions: { show: { model: ['zimage'] } },
		},
	]),
	...updateDisplayOptions({ show: { provider: ['tensorsLab'], operation: ['generate', 'edit'] } }, [
		{
			displayName: 'Batch Size',
			name: 'batchSize',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: 15 },
			default: 1,
			description: 'How many images one task makes (1-15)',
			displayOptions: { show: { model: ['seedreamv45', 'seedreamv4'] } },
		},
	]),
	...updateDisplayOptions({ show: { provider: ['tensorsLab'], operation: ['edit'] } }, [
		{
			displayName: 'Source Image URL',
			name: 'imageUrl',
			type: 'string',
			default: '',
			placeholder: 'https://example.com/photo.jpg',
			description: 'A public image URL to edit, besides or instead of the binary fields',
		},
	]),
];
