import { updateDisplayOptions } from 'n8n-workflow';

import { optionsCollection } from '../options';
import type { ZImageOperation } from './operation';
import { prepareSubmission } from './task';

const show = { show: { operation: ['edit'] } };

/** Edit (image to image): the source image(s) come from binary fields of the input item. */
export const edit: ZImageOperation = {
	fields: updateDisplayOptions(show, [
		{
			displayName: 'Prompt',
			name: 'prompt',
			type: 'string',
			typeOptions: { rows: 4 },
			required: true,
			default: '',
			placeholder: 'Turn the sky into a starry night',
			description: 'How to change the source image',
		},
		{
			displayName: 'Input Image Fields',
			name: 'inputImageFields',
			type: 'string',
			default: 'data',
			description:
				'Binary field(s) of the input item holding the source image; separate several with commas where the provider takes more than one',
		},
	]),
	options: updateDisplayOptions(show, [optionsCollection(true)]),
	prepare: prepareSubmission,
};
