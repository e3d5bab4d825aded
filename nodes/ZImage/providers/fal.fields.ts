import type { INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { waitModeFields } from './waitMode.fields';

// fal.ai's Z-Image endpoints (docs/providers/fal.md): their parameters, before they are named
// after the provider (falModel, falImageSize…).

export const TURBO = 'fal-ai/z-image/turbo';
export const BASE = 'fal-ai/z-image/base';
export const EDIT = 'fal-ai/z-image/turbo/image-to-image';

/** fal's size presets, with the pixels each stands for. */
export const PRESETS: Record<string, [number, number]> = {
	landscape_16_9: [1024, 576],
	landscape_4_3: [1024, 768],
	portrait_16_9: [576, 1024],
	portrait_4_3: [768, 1024],
	square: [512, 512],
	square_hd: [1024, 1024],
};

/** A custom size: each side, and the pixels in all (fal documents up to 4 megapixels). */
export const SIDE = { min: 64, max: 4096, pixels: 2048 * 2048 };

const presetOptions = [
	{ name: 'Custom Width × Height', value: 'custom' },
	{ name: 'Landscape 16:9 (1024×576)', value: 'landscape_16_9' },
	{ name: 'Landscape 4:3 (1024×768)', value: 'landscape_4_3' },
	{ name: 'Portrait 16:9 (576×1024)', value: 'portrait_16_9' },
	{ name: 'Portrait 4:3 (768×1024)', value: 'portrait_4_3' },
	{ name: 'Square (512×512)', value: 'square' },
	{ name: 'Square HD (1024×1024)', value: 'square_hd' },
];

const SIZE_TEXT = `A fal preset, or a custom size with each side from ${SIDE.min} to ${SIDE.max} pixels and at most 4 megapixels`;

const promptExpansion: INodeProperties = {
	displayName: 'Prompt Expansion',
	name: 'promptExpansion',
	type: 'boolean',
	default: false,
	description: 'Whether fal.ai should enrich the prompt first (Z-Image Turbo; costs a little more)',
};

const loras: INodeProperties = {
	displayName: 'LoRAs',
	name: 'loras',
	type: 'fixedCollection',
	typeOptions: { multipleValues: true },
	placeholder: 'Add LoRA',
	default: {},
	description: "Up to 3 LoRA weights; with any, the model's LoRA endpoint is used",
	options: [
		{
			displayName: 'LoRA',
			name: 'lora',
			values: [
				{
					displayName: 'Path',
					name: 'path',
					type: 'string',
					default: '',
					placeholder: 'https://huggingface.co/owner/repo/resolve/main/lora.safetensors',
					description: 'URL of the LoRA weights, or a Hugging Face path (owner/repo)',
				},
				{
					displayName: 'Scale',
					name: 'scale',
					type: 'number',
					typeOptions: { minValue: 0, maxValue: 4, numberPrecision: 2 },
					default: 1,
					description: 'How strongly the LoRA applies (0-4)',
				},
			],
		},
	],
};

/** Parameters Generate and Edit share. */
const common: INodeProperties[] = [
	{
		displayName: 'Width',
		name: 'width',
		type: 'number',
		typeOptions: { minValue: SIDE.min, maxValue: SIDE.max },
		default: 1024,
		description: `Width in pixels (${SIDE.min}-${SIDE.max})`,
		displayOptions: { show: { imageSize: ['custom'] } },
	},
	{
		displayName: 'Height',
		name: 'height',
		type: 'number',
		typeOptions: { minValue: SIDE.min, maxValue: SIDE.max },
		default: 768,
		description: `Height in pixels (${SIDE.min}-${SIDE.max})`,
		displayOptions: { show: { imageSize: ['custom'] } },
	},
	{
		displayName: 'Inference Steps',
		name: 'steps',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 0,
		description: "0 uses the model's default: Turbo 8 (1-8 allowed), Base 28 (1-50)",
	},
	{
		displayName: 'Seed',
		name: 'seed',
		type: 'number',
		typeOptions: { minValue: -1 },
		default: -1,
		description: 'Same seed, prompt and model give the same image; -1 picks a random seed',
	},
	{
		displayName: 'Number of Images',
		name: 'numImages',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: 4 },
		default: 1,
		description: 'How many images one request makes (1-4): one output item each',
	},
	{
		displayName: 'Output Format',
		name: 'outputFormat',
		type: 'options',
		options: [
			{ name: 'JPEG', value: 'jpeg' },
			{ name: 'PNG', value: 'png' },
			{ name: 'WebP', value: 'webp' },
		],
		default: 'png',
	},
	{
		displayName: 'Acceleration',
		name: 'acceleration',
		type: 'options',
		options: [
			{ name: 'High', value: 'high', description: 'Fastest, may lose some detail' },
			{ name: 'None', value: 'none' },
			{ name: 'Regular', value: 'regular' },
		],
		default: 'regular',
	},
	{
		displayName: 'Safety Checker',
		name: 'safetyChecker',
		type: 'boolean',
		default: true,
		description: "Whether fal.ai checks the images for NSFW content (the output's hasNsfwConcept)",
	},
	loras,
];

export const falFields: INodeProperties[] = [
	...updateDisplayOptions({ show: { provider: ['fal'], operation: ['generate'] } }, [
		{
			displayName: 'Model',
			name: 'model',
			type: 'options',
			options: [
				{ name: 'Z-Image Base', value: BASE, description: 'Higher quality, slower; 1-50 steps' },
				{ name: 'Z-Image Turbo', value: TURBO, description: 'Fast; 1-8 steps' },
			],
			default: TURBO,
		},
		{
			displayName: 'Image Size',
			name: 'imageSize',
			type: 'options',
			options: presetOptions,
			default: 'landscape_4_3',
			description: SIZE_TEXT,
		},
	]),
	...updateDisplayOptions({ show: { provider: ['fal'], operation: ['edit'] } }, [
		{
			displayName: 'Source Image URL',
			name: 'imageUrl',
			type: 'string',
			default: '',
			placeholder: 'https://example.com/photo.png',
			description:
				'A public image URL to edit instead of the binary field; fal.ai downloads it itself',
		},
		{
			displayName: 'Strength',
			name: 'strength',
			type: 'number',
			typeOptions: { minValue: 0, maxValue: 1, numberPrecision: 2 },
			default: 0.6,
			description: 'How far the result may move away from the source image (0-1)',
		},
		{
			displayName: 'Image Size',
			name: 'imageSize',
			type: 'options',
			options: [{ name: 'Auto (as the Source)', value: 'auto' }, ...presetOptions],
			default: 'auto',
			description: `${SIZE_TEXT}; Auto keeps the source image's size`,
		},
		promptExpansion,
	]),
	...updateDisplayOptions({ show: { provider: ['fal'], operation: ['generate', 'edit'] } }, common),
	...updateDisplayOptions(
		{ show: { provider: ['fal'], operation: ['generate'], model: [TURBO] } },
		[promptExpansion],
	),
	...updateDisplayOptions({ show: { provider: ['fal'], operation: ['generate'], model: [BASE] } }, [
		{
			displayName: 'Negative Prompt',
			name: 'negativePrompt',
			type: 'string',
			typeOptions: { rows: 2 },
			default: '',
			description: 'What the image should not show (Z-Image Base)',
		},
		{
			displayName: 'Guidance Scale',
			name: 'guidanceScale',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: 20, numberPrecision: 1 },
			default: 4,
			description: 'How closely the image follows the prompt (1-20, Z-Image Base)',
		},
	]),
	...updateDisplayOptions(
		{ show: { provider: ['fal'], operation: ['generate'] } },
		waitModeFields(),
	),
];
