import type { INodeProperties } from 'n8n-workflow';

import * as deleteTask from './actions/deleteTask.operation';
import * as generate from './actions/generate.operation';
import * as getTask from './actions/getTask.operation';
import { optionsProperties } from './options';
import { PROVIDERS } from './providers';

const providerProperty: INodeProperties = {
	displayName: 'Provider',
	name: 'provider',
	type: 'options',
	noDataExpression: true,
	options: PROVIDERS.map((provider) => ({ name: provider.displayName, value: provider.name })),
	default: 'tensorsLab',
	description: 'Which Z-Image service runs the job; each has its own credential',
};

/** One operation dropdown per provider, so that an operation it cannot do is never offered. */
const operationProperties: INodeProperties[] = PROVIDERS.map((provider) => ({
	displayName: 'Operation',
	name: 'operation',
	type: 'options',
	noDataExpression: true,
	displayOptions: { show: { provider: [provider.name] } },
	options: provider.operations,
	default: 'generate',
}));

export const nodeProperties: INodeProperties[] = [
	providerProperty,
	...operationProperties,
	...generate.description,
	...getTask.description,
	...deleteTask.description,
	...PROVIDERS.flatMap((provider) => provider.properties),
	...optionsProperties,
];
