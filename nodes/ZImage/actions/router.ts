import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { cancelledError, isCancelled } from '../cancel';
import { DEFAULT_MAX_CONCURRENT } from '../options';
import type { Settled } from '../pool';
import { settle, WorkPool } from '../pool';
import { findProvider, PROVIDERS } from '../providers';
import type { ZImageProvider } from '../providers/types';
import type { ItemRunner, OperationInput } from './common';
import { finished, inTurn, openClient } from './common';
import * as deleteTask from './deleteTask.operation';
import * as generate from './generate.operation';
import * as getTask from './getTask.operation';
import * as health from './health.operation';

type Prepare = (input: OperationInput) => Promise<ItemRunner>;

const OPERATIONS: Record<string, Prepare> = {
	generate: generate.prepare,
	edit: generate.prepare,
	getTask: getTask.prepare,
	deleteTask: deleteTask.prepare,
	health: health.prepare,
};

type ExtraOperation = NonNullable<ZImageProvider['extraOperations']>[string];

/** A provider's own operation (e.g. housekeeping) as an item runner. */
function prepareExtra(run: ExtraOperation): Prepare {
	return async (input) => {
		const client = await openClient(input);
		return async () =>
			await inTurn(input, async () => {
				const result = await run(input.ctx, input.itemIndex, client);
				return finished(
					(Array.isArray(result) ? result : [result]).map((json) => ({
						json: { provider: input.provider.name, ...json },
						pairedItem: { item: input.itemIndex },
					})),
				);
			});
	};
}

function errorItem(error: unknown, itemIndex: number): INodeExecutionData {
	const e = error as { message?: string; description?: string; context?: IDataObject };
	const json: IDataObject = { error: e?.message ?? String(error) };
	if (e?.description) json.description = e.description;
	if (e?.context?.taskId) json.taskId = e.context.taskId;
	return { json, pairedItem: { item: itemIndex } };
}

/**
 * Checks every item first (nothing is sent while any check fails), then runs the items
 * through one bounded pool and returns their outputs in input order.
 */
export async function route(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	const items = this.getInputData();
	const providerName = String(this.getNodeParameter('provider', 0));
	const provider = findProvider(providerName);
	if (!provider) {
		throw new NodeOperationError(
			this.getNode(),
			`Invalid Provider "${providerName}": allowed: ${PROVIDERS.map((p) => p.name).join(', ')}`,
		);
	}
	const operation = String(this.getNodeParameter('operation', 0));
	const offered = provider.operations.map((option) => String(option.value));
	const extra = provider.extraOperations?.[operation];
	const prepareItem = extra ? prepareExtra(extra) : OPERATIONS[operation];
	if (!offered.includes(operation) || !prepareItem) {
		const reason = provider.unsupported?.[operation];
		throw new NodeOperationError(
			this.getNode(),
			`${provider.displayName} cannot do the "${operation}" operation${reason ? `: ${reason}` : ''}`,
			{ description: `${provider.displayName} offers: ${offered.join(', ')}` },
		);
	}

	const continueOnFail = this.continueOnFail();
	const options = (this.getNodeParameter('options', 0, {}) ?? {}) as IDataObject;
	const wanted = Number(options.maxConcurrent) >= 1 ? Number(options.maxConcurrent) : DEFAULT_MAX_CONCURRENT;
	const pool = new WorkPool(Math.min(wanted, provider.maxConcurrency?.(this) ?? wanted));

	const prepared: Array<Settled<ItemRunner>> = [];
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		const outcome = await settle(
			async () => await prepareItem({ ctx: this, provider, itemIndex, operation, pool }),
		);
		if (!outcome.ok && !continueOnFail) throw outcome.error;
		prepared.push(outcome);
	}

	const results = await Promise.all(
		prepared.map(
			async (entry, itemIndex) =>
				await settle(async () => {
					if (!entry.ok) throw entry.error;
					if (isCancelled(this)) throw cancelledError(this, itemIndex);
					return await entry.value();
				}),
		),
	);

	const output: INodeExecutionData[] = [];
	for (const [itemIndex, result] of results.entries()) {
		if (result.ok) output.push(...result.value);
		else if (continueOnFail) output.push(errorItem(result.error, itemIndex));
		else throw result.error;
	}
	return output;
}
