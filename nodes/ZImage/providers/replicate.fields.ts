import type { INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { waitModeFields } from './waitMode.fields';

// Replicate's Z-Image models by Pruna AI (docs/providers/replicate.md): their parameters, before
// they are named after the provider (replicateWidth, replicateSteps…). Fields the models ignore
// (negative_prompt, go_fast, num_outputs beyond 1) are not offered.

export const TURBO = 'prunaai/z-image-turbo';
export const TURBO_LORA = 'prunaai/z-image-turbo-lora';
export const IMG2IMG = 'prunaai/z-image-turbo-img2img';

/** Each side in pixels: z-image-turbo's current versions take 64-2048; its LoRA variant (as found) 64-1440. */
export const SIDE = { min: 64, max: 2048, loraMax: 1440 };

const versionField: INodeProperties = {
	displayName: 'Model Version',
	name: 'version',
	type: 'string',
	default: '',
	placeholder: 'e.g. 5fd5416a46178ec2eb14ba9e3418c5c5410f85f34494b3618f29c953041e074b',
	description:
		"Pin a version of the model this operation uses (its 64-character ID); empty runs the model's latest version",
};

const common: INodeProperties[] = [
	{
		displayName: 'Inference Steps',
		name: 'steps',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: 50 },
		default: 8,
		description: 'Denoising steps (1-50); Z-Image Turbo is made for 8',
	},
	{
		displayName: 'Guidance Scale',
		name: 'guidanceScale',
		type: 'number',
		typeOptions: { minValue: 0, maxValue: 20, numberPrecision: 1 },
		default: 0,
		description: 'How closely the image follows the prompt (0-20); 0 suits Turbo',
	},
	{
		displayName: 'Seed',
		name: 'seed',
		type: 'number',
		typeOptions: { minValue: -1 },
		default: -1,
		description: 'Same seed, prompt and settings give the same image; -1 picks a random seed',
	},
	{
		displayName: 'Output Format',
		name: 'outputFormat',
		type: 'options',
		options: [
			{ name: 'JPEG', value: 'jpg' },
			{ name: 'PNG', value: 'png' },
			{ name: 'WebP', value: 'webp' },
		],
		default: 'png',
	},
	{
		displayName: 'Output Quality',
		name: 'outputQuality',
		type: 'number',
		typeOptions: { minValue: 0, maxValue: 100 },
		default: 80,
		description: 'JPEG or WebP quality, 0-100 (100 is best)',
		displayOptions: { show: { outputFormat: ['jpg', 'webp'] } },
	},
	versionField,
];

const loras: INodeProperties = {
	displayName: 'LoRAs',
	name: 'loras',
	type: 'fixedCollection',
	typeOptions: { multipleValues: true },
	placeholder: 'Add LoRA',
	default: {},
	description: `LoRA weights to apply; with any, ${TURBO_LORA} is used`,
	options: [
		{
			displayName: 'LoRA',
			name: 'lora',
			values: [
				{
					displayName: 'URL',
					name: 'url',
					type: 'string',
					default: '',
					placeholder: 'https://huggingface.co/owner/repo/resolve/main/lora.safetensors',
					description:
						'Public URL of the weights: .safetensors, .tar or .zip (Replicate downloads it)',
				},
				{
					displayName: 'Scale',
					name: 'scale',
					type: 'number',
					typeOptions: { minValue: 0, maxValue: 4, numberPrecision: 2 },
					default: 1,
					description: 'How strongly the LoRA applies',
				},
			],
		},
	],
};

export const replicateFields: INodeProperties[] = [
	...updateDisplayOptions({ show: { provider: ['replicate'], operation: ['generate'] } }, [
		{
			displayName: 'Width',
			name: 'width',
			type: 'number',
			typeOptions: { minValue: SIDE.min, maxValue: SIDE.max },
			default: 1024,
			description: `Width in pixels (${SIDE.min}-${SIDE.max}; ${SIDE.loraMax} with LoRAs)`,
		},
		{
			displayName: 'Height',
			name: 'height',
			type: 'number',
			typeOptions: { minValue: SIDE.min, maxValue: SIDE.max },
			default: 1024,
			description: `Height in pixels (${SIDE.min}-${SIDE.max}; ${SIDE.loraMax} with LoRAs)`,
		},
	]),
	...updateDisplayOptions({ show: { provider: ['replicate'], operation: ['edit'] } }, [
		{
			displayName: 'Source Image URL',
			name: 'imageUrl',
			type: 'string',
			default: '',
			placeholder: 'https://example.com/photo.png',
			description:
				'A public image URL to edit instead of the binary field; Replicate downloads it itself',
		},
		{
			displayName: 'Strength',
			name: 'strength',
			type: 'number',
			typeOptions: { minValue: 0, maxValue: 1, numberPrecision: 2 },
			default: 0.6,
			description: 'How far the result may move away from the source image (0 none, 1 all)',
		},
	]),
	...updateDisplayOptions(
		{ show: { provider: ['replicate'], operation: ['generate', 'edit'] } },
		common,
	),
	...updateDisplayOptions({ show: { provider: ['replicate'], operation: ['generate'] } }, [
		loras,
		...waitModeFields(),
	]),
];
