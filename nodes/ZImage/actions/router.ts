import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { DEFAULT_MAX_CONCURRENT } from '../options';
import { ExecutionPacing, pacingSettings } from '../pacing/budget';
import type { Result } from '../pool';
import { toResult, WorkPool } from '../pool';
import { findProvider, PROVIDERS } from '../providers';
import { RunControl, StoppedError } from '../run';
import type { ZImageProvider } from '../types';
import { chooseWait, finishOrPark } from './callbackWait';
import { OPERATIONS } from './index';
import type { ItemRunner, ZImageOperation } from './operation';
import { errorItem } from './operation';
import { providerOperation } from './providerOperation.operation';

/** The operation the node is set to, or an error saying why this provider cannot do it. */
function chooseOperation(
	ctx: IExecuteFunctions,
	provider: ZImageProvider,
	operation: string,
): ZImageOperation {
	const offered = provider.operations.map((option) => String(option.value));
	const chosen = provider.ownOperations?.[operation] ? providerOperation : OPERATIONS[operation];
	if (offered.includes(operation) && chosen) return chosen;
	const reason = provider.unsupported?.[operation];
	throw new NodeOperationError(
		ctx.getNode(),
		`${provider.displayName} cannot do the "${operation}" operation${reason ? `: ${reason}` : ''}`,
		{ description: `${provider.displayName} offers: ${offered.join(', ')}` },
	);
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
		const allowed = PROVIDERS.map((p) => p.name).join(', ');
		throw new NodeOperationError(
			this.getNode(),
			`Invalid Provider "${providerName}": allowed: ${allowed}`,
		);
	}
	const operationName = String(this.getNodeParameter('operation', 0));
	const operation = chooseOperation(this, provider, operationName);
	const wait = chooseWait(this, provider, operationName, items.length);
	const callback = wait.mode === 'callback' ? wait.wait : undefined;

	const continueOnFail = this.continueOnFail();
	const options = (this.getNodeParameter('options', 0, {}) ?? {}) as IDataObject;
	const wanted =
		Number(options.maxConcurrent) >= 1 ? Number(options.maxConcurrent) : DEFAULT_MAX_CONCURRENT;
	const pool = new WorkPool(Math.min(wanted, provider.maxConcurrency?.(this) ?? wanted));

	const run = new RunControl(this, continueOnFail);
	const statusPerSecond =
		Number(options.maxStatusPerSecond) > 0 ? Number(options.maxStatusPerSecond) : undefined;
	const pacing = new ExecutionPacing(pacingSettings(pool.concurrency, statusPerSecond));
	try {
		const prepared: Array<Result<ItemRunner>> = [];
		for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
			const input = {
				ctx: this,
				provider,
				itemIndex,
				operation: operationName,
				pool,
				run,
				pacing,
				callback,
			};
			const checked = await toResult(async () => await operation.prepare(input));
			if (!checked.ok && !continueOnFail) throw checked.error;
			prepared.push(checked);
		}
		const results = await Promise.all(
			prepared.map(async (entry, itemIndex) => {
				const result = await toResult(async () => {
					if (!entry.ok) throw entry.error;
					run.check(itemIndex);
					return await entry.value();
				});
				// The run is lost: start nothing new, end what is under way.
				if (!result.ok) run.itemFailed();
				return result;
			}),
		);
		const output = collectOutput(results, continueOnFail);
		if (callback) return await finishOrPark(this, provider, output, callback);
		if (wait.mode === 'poll' && wait.notice) {
			for (const item of output) item.json.notice = wait.notice;
		}
		return output;
	} finally {
		pacing.release();
		run.dispose();
	}
}

/** The items' outputs in input order; without Continue On Fail, the failure that lost the run. */
function collectOutput(
	results: Array<Result<INodeExecutionData[]>>,
	continueOnFail: boolean,
): INodeExecutionData[] {
	const output: INodeExecutionData[] = [];
	for (const [itemIndex, result] of results.entries()) {
		if (result.ok) output.push(...result.value);
		else if (continueOnFail) output.push(errorItem(result.error, itemIndex));
	}
	if (!continueOnFail) {
		const failures = results.flatMap((result) => (result.ok ? [] : [result.error]));
		const own = failures.find(
			(error) => !(error instanceof StoppedError && error.reason === 'failed'),
		);
		if (own ?? failures[0]) throw own ?? failures[0];
	}
	return output;
}
