import type { INodePropertyOptions } from 'n8n-workflow';

/** Every operation's name and action text, as the Operation dropdown shows them. */
const CATALOG: Record<string, { name: string; action: string }> = {
	deleteTask: { name: 'Delete Task', action: 'Delete tasks' },
	edit: { name: 'Edit', action: 'Edit an image' },
	generate: { name: 'Generate', action: 'Generate an image' },
	getTask: { name: 'Get Task', action: 'Get a task' },
	health: { name: 'Health', action: 'Check the connection' },
	listModels: { name: 'List Models', action: 'List models' },
	unloadModel: { name: 'Unload Model', action: 'Unload the model' },
};

/** What a provider says of one operation it offers: a description, or also its own action text. */
type Offer = string | { description: string; action: string };

/** A provider's Operation dropdown: the operations it offers, in its own words, sorted by name. */
export function offerOperations(offers: Record<string, Offer>): INodePropertyOptions[] {
	return Object.entries(offers)
		.map(([value, offer]) => {
			const { name, action } = CATALOG[value];
			return typeof offer === 'string'
				? { name, value, action, description: offer }
				: { name, value, action: offer.action, description: offer.description };
		})
		.sort((a, b) => a.name.localeCompare(b.name));
}
