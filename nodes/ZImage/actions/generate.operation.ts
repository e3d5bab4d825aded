import type { INodeProperties } from 'n8n-workflow';

import { readRunOptions } from '../options';
import type { SubmitOperation } from '../providers/types';
import type { ItemRunner, OperationInput } from './common';
import { inTurn, openClient, settleTask } from './common';

/** Generate (text to image) and Edit (image to image): submit, wait, output the images. */
export const description: INodeProperties[] = [
	{
		displayName: 'Prompt',
		name: 'prompt',
		type: 'string',
		typeOptions: { rows: 4 },
		required: true,
		default: '',
		placeholder: 'A lighthouse on a cliff at sunset, photorealistic',
		description: 'What the image should show (Generate) or how to change the source image (Edit)',
		displayOptions: { show: { operation: ['generate', 'edit'] } },
	},
	{
		displayName: 'Input Image Fields',
		name: 'inputImageFields',
		type: 'string',
		default: 'data',
		description:
			'Binary field(s) of the input item holding the source image; separate several with commas where the provider takes more than one',
		displayOptions: { show: { operation: ['edit'] } },
	},
];

export async function prepare(input: OperationInput): Promise<ItemRunner> {
	const { ctx, provider, itemIndex, operation } = input;
	const options = readRunOptions(ctx, itemIndex, true);
	const plan = await provider.prepareSubmit(ctx, itemIndex, operation as SubmitOperation);
	const client = await openClient(input, options);
	return async () =>
		await inTurn(input, async () => {
			const body = await client.send(plan.request, 'submit');
			const { taskId, state } = provider.readSubmit(body, plan);
			if (!taskId) {
				throw client.error({
					message: `${provider.displayName} answered the submission without a task ID; it was not sent again, so nothing is billed twice`,
					description: client.redact(JSON.stringify(body ?? null).slice(0, 300)),
				});
			}
			return await settleTask(input, client, taskId, options, state, plan.meta, true);
		});
}
