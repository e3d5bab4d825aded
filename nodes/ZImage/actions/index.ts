import { deleteTask } from './deleteTask.operation';
import { edit } from './edit.operation';
import { generate } from './generate.operation';
import { getTask } from './getTask.operation';
import { health } from './health.operation';
import type { ZImageOperation } from './operation';

/** The operations every provider may offer, by the value saved workflows store. */
export const OPERATIONS: Record<string, ZImageOperation> = {
	generate,
	edit,
	getTask,
	deleteTask,
	health,
};
