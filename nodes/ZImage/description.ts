import type { INodeProperties } from 'n8n-workflow';

import { OPERATIONS } from './actions';
import { PROVIDERS } from './providers';

/**
 * The node's parameters: the provider, its Operation dropdown (only what it offers), each
 * operation's own fields, each provider's own parameters, then the operations' Options.
 */
export function nodeProperties(): INodeProperties[] {
	const operations = Object.values(OPERATIONS);
	return [
		{
			displayName: 'Provider',
			name: 'provider',
			type: 'options',
			noDataExpression: true,
			options: PROVIDERS.map((provider) => ({ name: provider.displayName, value: provider.name })),
			default: 'tensorsLab',
			description: 'Which Z-Image service runs the job; each has its own credential',
		},
		...PROVIDERS.map(
			(provider): INodeProperties => ({
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				displayOptions: { show: { provider: [provider.name] } },
				options: provider.operations,
				default: 'generate',
			}),
		),
		...operations.flatMap((operation) => operation.fields),
		...PROVIDERS.flatMap((provider) => provider.properties),
		...operations.flatMap((operation) => operation.options ?? []),
	];
}
