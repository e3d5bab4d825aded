import type { INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

export const selfHostedFields: INodeProperties[] = [
	...updateDisplayOptions({ show: { provider: ['selfHosted'], operation: ['generate'] } }, [
		{
			displayName: 'Negative Prompt',
			name: 'negativePrompt',
			type: 'string',
			typeOptions: { rows: 2 },
			default: '',
			placeholder: 'blurry, low quality',
			description: 'What the image should not show',
		},
		{
			displayName: 'Size',
			name: 'size',
			type: 'string',
			default: '1024x1024',
			placeholder: '1024x1024',
			description: 'Width x height; both multiples of 32, 512×512 to 2048×2048 pixels in total',
		},
	]),
	...updateDisplayOptions({ show: { provider: ['selfHosted'], operation: ['edit'] } }, [
		{
			displayName: 'Size',
			name: 'size',
			type: 'string',
			default: '',
			placeholder: 'Same as the input image',
			description:
				"Width x height of the result (multiples of 32); empty keeps the input image's size",
		},
	]),
	...updateDisplayOptions({ show: { provider: ['selfHosted'], operation: ['generate', 'edit'] } }, [
		{
			displayName: 'Size Not a Multiple of 32',
			name: 'sizeRounding',
			type: 'options',
			options: [
				{
					name: 'Reject',
					value: 'reject',
					description: 'Stop with an error naming the nearest valid sizes',
				},
				{
					name: 'Round Down',
					value: 'roundDown',
					description: 'Round each side down and say so in the output',
				},
			],
			default: 'reject',
			description: 'The server needs multiples of 32 and would silently round down otherwise',
		},
	]),
	...updateDisplayOptions({ show: { provider: ['selfHosted'], operation: ['generate'] } }, [
		{
			displayName: 'Number of Images',
			name: 'numberOfImages',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: 8 },
			default: 1,
			description: 'Images in one request (1-8)',
		},
	]),
	...updateDisplayOptions({ show: { provider: ['selfHosted'], operation: ['generate', 'edit'] } }, [
		{
			displayName: 'Inference Steps',
			name: 'numInferenceSteps',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: 200 },
			default: 50,
			description: 'More steps: better and slower. Z-Image base: 28-50; Z-Image-Turbo: 9.',
		},
	]),
	...updateDisplayOptions({ show: { provider: ['selfHosted'], operation: ['generate'] } }, [
		{
			displayName: 'Guidance Scale',
			name: 'guidanceScale',
			type: 'number',
			typeOptions: { minValue: 0, maxValue: 30, numberPrecision: 2 },
			default: 4,
			description: 'How closely to follow the prompt. Z-Image base: 3-5; Z-Image-Turbo: 0.',
		},
	]),
	...updateDisplayOptions({ show: { provider: ['selfHosted'], operation: ['edit'] } }, [
		{
			displayName: 'Guidance Scale',
			name: 'guidanceScale',
			type: 'number',
			typeOptions: { minValue: 0, maxValue: 30, numberPrecision: 2 },
			default: 1.5,
			description: 'How closely to follow the instruction',
		},
	]),
	...updateDisplayOptions({ show: { provider: ['selfHosted'], operation: ['generate'] } }, [
		{
			displayName: 'CFG Normalization',
			name: 'cfgNormalization',
			type: 'boolean',
			default: false,
			description: 'Whether to normalize classifier-free guidance (off for standard generation)',
		},
	]),
	...updateDisplayOptions({ show: { provider: ['selfHosted'], operation: ['generate', 'edit'] } }, [
		{
			displayName: 'Response Format',
			name: 'responseFormat',
			type: 'options',
			options: [
				{ name: 'Base64 in the Answer', value: 'b64_json', description: 'No second download' },
				{
					name: 'URL to Download',
					value: 'url',
					description: 'The node downloads each /outputs/ file',
				},
			],
			default: 'b64_json',
		},
		{
			displayName: 'Use Async Endpoints',
			name: 'useAsync',
			type: 'boolean',
			default: false,
			description:
				'Whether to submit a task and poll it (newer servers) instead of holding one request open for minutes, which reverse proxies may cut',
		},
	]),
];
