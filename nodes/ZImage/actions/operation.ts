import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';

import { ProviderClient } from '../http/client';
import type { RunOptions } from '../options';
import type { ExecutionPacing } from '../pacing/budget';
import type { WorkPool } from '../pool';
import type { RunControl } from '../run';
import type { ZImageProvider } from '../types';
import { taskIdProblem } from '../taskIds';
import { invalidInput } from '../validation';

/** One item's work, run once every item has passed its checks. */
export type ItemRunner = () => Promise<INodeExecutionData[]>;

/** What an operation gets for one input item. */
export interface ItemInput {
	ctx: IExecuteFunctions;
	provider: ZImageProvider;
	itemIndex: number;
	operation: string;
	/** The execution's one bounded pool: every item's work takes its turn in it. */
	pool: WorkPool;
	/** The execution's stop switch: cancelled, or lost to another item's failure. */
	run: RunControl;
	/** The execution's share of its provider keys' budgets, shared with other executions. */
	pacing?: ExecutionPacing;
	/** Set in Wait Mode "Provider Callback": submit with it, park instead of polling. */
	callback?: CallbackWait;
}

/** Where the provider calls back for each item: this execution's resume URL, naming the item. */
export interface CallbackWait {
	urlFor(itemIndex: number): string;
	/** What must not be shown: the resume URL's signature lets anyone resume the run. */
	secrets: string[];
}

/** An operation: the parameters it owns, and how it runs one item. */
export interface ZImageOperation {
	/** Its own parameters, shown above the provider's. */
	fields: INodeProperties[];
	/** Its Options collection, shown last. */
	options?: INodeProperties[];
	/** Reads and checks one item's parameters (nothing is sent) and returns the work to run. */
	prepare(input: ItemInput): Promise<ItemRunner>;
}

/** The item's client; the options, where the operation has them, set its timeout and download limit. */
export async function openClient(
	input: ItemInput,
	options?: Pick<RunOptions, 'requestTimeoutSeconds' | 'maxDownloadBytes'>,
): Promise<ProviderClient> {
	return await ProviderClient.open({
		ctx: input.ctx,
		provider: input.provider,
		operation: input.operation,
		itemIndex: input.itemIndex,
		run: input.run,
		timeoutSeconds: options?.requestTimeoutSeconds,
		maxDownloadBytes: options?.maxDownloadBytes,
		pacing: input.pacing,
		secrets: input.callback?.secrets,
	});
}

/** Why a task id cannot be used with this provider: its own pattern, then the shared safe set and length. */
export function taskIdRule(provider: ZImageProvider, taskId: string): string | undefined {
	return provider.checkTaskId?.(taskId) ?? taskIdProblem(taskId);
}

export function checkTaskId(input: ItemInput, taskId: string, field = 'Task ID'): string {
	const { ctx, provider, itemIndex } = input;
	const id = taskId.trim();
	if (!id) throw invalidInput(ctx, itemIndex, field, taskId, 'a task ID is required');
	const problem = taskIdRule(provider, id);
	if (problem) throw invalidInput(ctx, itemIndex, field, id, problem);
	return id;
}

/**
 * A task id a provider handed back, checked like one the user typed (and free of the key): an
 * unsafe one is the provider's failure, never sent into a URL or a file name.
 */
export function checkProviderTaskId(client: ProviderClient, taskId: string): string {
	const problem =
		taskIdRule(client.provider, taskId) ??
		(client.redact(taskId) !== taskId ? 'it contains the API key' : undefined);
	if (!problem) return taskId;
	const clean = client.redact(taskId);
	const shown = JSON.stringify(clean.length > 60 ? `${clean.slice(0, 60)}…` : clean);
	throw client.error({
		message: `${client.provider.displayName} answered with a task ID the node will not use (${shown}: ${problem})`,
		description:
			'Nothing was sent with it. This is a fault of the provider or of a proxy in between.',
	});
}

/** An item's output items, some still being produced: a finished task's downloads, already queued. */
export interface PendingItems {
	items: Array<Promise<INodeExecutionData>>;
}

export const readyItems = (items: INodeExecutionData[]): PendingItems => ({
	items: items.map(async (item) => item),
});

/**
 * Runs an item's main work in its pool turn, then collects the output items it queued. Every
 * output item's JSON and every error leave through here, without the credential's secrets.
 */
export async function runInPool(
	input: ItemInput,
	client: ProviderClient,
	work: () => Promise<PendingItems>,
): Promise<INodeExecutionData[]> {
	try {
		const pending = await input.pool.run(async () => {
			// A turn that comes after the run was lost starts nothing.
			input.run.check(input.itemIndex);
			// A failure loses the run (without Continue On Fail) before this turn passes to another item.
			return await work().catch(async (error: unknown) => {
				input.run.itemFailed();
				return await Promise.reject(error);
			});
		});
		const items = await Promise.all(pending.items);
		return items.map((item) => ({ ...item, json: client.redactJson(item.json) }));
	} catch (error) {
		throw client.scrubError(error);
	}
}

/** Runs a submission and the wait for its task in the item's pool turn, holding the task's slot in its provider key's window meanwhile. */
export async function runTaskInPool(
	input: ItemInput,
	client: ProviderClient,
	maxWaitSeconds: number,
	work: () => Promise<PendingItems>,
): Promise<INodeExecutionData[]> {
	return await runInPool(input, client, async () => {
		const slot = await client.pace?.startTask(maxWaitSeconds);
		try {
			return await work();
		} finally {
			slot?.end();
		}
	});
}

/** A failed item's output with Continue On Fail: the error's message, description and task id. */
export function errorItem(error: unknown, itemIndex: number): INodeExecutionData {
	const e = error as { message?: string; description?: string; context?: IDataObject };
	const json: IDataObject = { error: e?.message ?? String(error) };
	if (e?.description) json.description = e.description;
	if (e?.context?.taskId) json.taskId = e.context.taskId;
	return { json, pairedItem: { item: itemIndex } };
}
