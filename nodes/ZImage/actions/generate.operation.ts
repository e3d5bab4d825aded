import { updateDisplayOptions } from 'n8n-workflow';

import { optionsCollection } from '../options';
import type { ZImageOperation } from './operation';
import { prepareSubmission } from './task';

const show = { show: { operation: ['generate'] } };

/** Generate (text to image): submit, wait, output the images. */
export const generate: ZImageOperation = {
	fields: updateDisplayOptions(show, [
		{
			displayName: 'Prompt',
			name: 'prompt',
			type: 'string',
			typeOptions: { rows: 4 },
			required: true,
			default: '',
			placeholder: 'A lighthouse on a cliff at sunset, photorealistic',
			description: 'What the image should show',
		},
	]),
	options: updateDisplayOptions(show, [optionsCollection(true)]),
	prepare: prepareSubmission,
};
