import { updateDisplayOptions } from 'n8n-workflow';

import { optionsCollection, readRunOptions } from '../options';
import { readText } from '../validation';
import type { ZImageOperation } from './operation';
import { checkTaskId, openClient, runInPool } from './operation';
import { collectTask, lookUpTask } from './task';

const show = { show: { operation: ['getTask'] } };

/** Looks a task up; with "Wait for Completion" it waits and outputs the images like Generate. */
export const getTask: ZImageOperation = {
	fields: updateDisplayOptions(show, [
		{
			displayName: 'Task ID',
			name: 'taskId',
			type: 'string',
			required: true,
			default: '',
			description: 'The task ID a Generate or Edit returned (with "Wait for Completion" off)',
		},
	]),
	options: updateDisplayOptions(show, [optionsCollection(false)]),
	async prepare(input) {
		const { ctx, itemIndex } = input;
		const options = readRunOptions(ctx, itemIndex, false);
		const taskId = checkTaskId(input, readText(ctx, itemIndex, 'taskId', 'Task ID'));
		const taskClient = (await openClient(input, options)).forTask(taskId);
		return async () =>
			await runInPool(input, taskClient, async () => {
				const client = options.waitForCompletion
					? taskClient.withMaxWait(options.maxWaitSeconds)
					: taskClient;
				const known = await lookUpTask(client, taskId);
				return await collectTask({ input, client, options, known, failOnTaskError: false });
			});
	},
};
