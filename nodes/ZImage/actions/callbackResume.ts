import type {
	ITaskMetadata,
	IWebhookDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import type { TaskState } from '../types';

import { findProvider } from '../providers';
import { asParkedRun, ITEM_PARAM, PARKED_KEY } from './callbackParked';
import { settle, type Settled } from './callbackSettle';

// Wait Mode "Provider Callback", when the provider calls the resume URL: the call only says
// "look now". Its body is never trusted (anyone holding the URL could send one): every task is
// looked up with the provider, and the run resumes only once all of them are finished.

/** A callback is answered within the provider's 10 s: each status look gets at most this. */
const LOOK_SECONDS = 8;

/**
 * The provider POSTs to this execution's resume URL. A restart webhook, like the one of n8n's
 * own "send and wait" nodes: n8n serves it for a waiting execution; nothing is registered
 * with a third party, so the node has no webhookMethods.
 */
export const RESUME_WEBHOOKS: IWebhookDescription[] = [
	{
		name: 'default',
		httpMethod: 'POST',
		responseMode: 'onReceived',
		path: '',
		restartWebhook: true,
	},
];

/**
 * The parked node's entry on n8n's execution stack. n8n hands it to the webhook context but
 * not through its public interface; the run's outcome on resume is set there (resumeError).
 */
function parkedEntry(ctx: IWebhookFunctions): { metadata?: ITaskMetadata } | undefined {
	const entry = (ctx as unknown as { executeData?: { metadata?: ITaskMetadata } }).executeData;
	return entry && typeof entry === 'object' ? entry : undefined;
}

/** Runs of this process whose callbacks are being handled, one at a time per execution. */
const handling = new Map<string, Promise<unknown>>();
/** Per execution: the tasks earlier callbacks saw finished, or `resumed` once one resumed it. */
const seen = new Map<string, Map<string, TaskState> | 'resumed'>();
const SEEN_MAX = 1000;

/** One callback of an execution at a time: a provider's retry must not download everything twice. */
async function oneAtATime<T>(key: string, work: () => Promise<T>): Promise<T> {
	const before = handling.get(key) ?? Promise.resolve();
	const mine = before.then(work, work);
	handling.set(key, mine);
	try {
		return await mine;
	} finally {
		if (handling.get(key) === mine) handling.delete(key);
	}
}

function remember(key: string, value: Map<string, TaskState> | 'resumed'): void {
	seen.delete(key);
	seen.set(key, value);
	// The oldest first: a run waits for its callbacks for hours at most.
	for (const old of seen.keys()) {
		if (seen.size <= SEEN_MAX) break;
		seen.delete(old);
	}
}

export async function resumeOnCallback(this: IWebhookFunctions): Promise<IWebhookResponseData> {
	const key = this.getExecutionId();
	return await oneAtATime(key, async () => await handleCallback(this, key));
}

async function handleCallback(ctx: IWebhookFunctions, key: string): Promise<IWebhookResponseData> {
	const known = seen.get(key);
	// Another callback of this run resumed it already: nothing is looked at or downloaded again.
	if (known === 'resumed') return { webhookResponse: { received: true, unfinishedTasks: 0 } };
	const entry = parkedEntry(ctx);
	const parked = asParkedRun(entry?.metadata?.[PARKED_KEY as keyof ITaskMetadata]);
	const provider = parked && findProvider(parked.provider);
	if (!parked || !provider || !entry) {
		throw new NodeOperationError(
			ctx.getNode(),
			'This execution has no parked Z-Image tasks to resume, or this n8n version keeps them where the node cannot read them',
		);
	}
	const query = ctx.getQueryData() as Record<string, unknown>;
	const finished = known ?? new Map<string, TaskState>();
	remember(key, finished);
	let settled: Settled;
	try {
		settled = await settle(ctx, provider, parked, {
			known: finished,
			firstItem: Number(query[ITEM_PARAM]),
			lookSeconds: LOOK_SECONDS,
			secrets: [String(query.signature ?? '')],
		});
	} catch (error) {
		// A status look failed, its retries spent: the run is not lost over it. The caller
		// gets 503, so the provider calls again (after 1, 2, 4 s); Max Wait still bounds the
		// wait. The body says nothing more: whoever holds the URL may read it.
		ctx.logger.warn(`Z-Image: a callback could not look its tasks up: ${(error as Error).message}`);
		ctx.getResponseObject().status(503).json({ received: true, retryLater: true });
		return { noWebhookResponse: true };
	}
	if (!settled.finished) {
		// 200 to the caller; the execution stays parked, with its Max Wait, for the next callback.
		return { webhookResponse: { received: true, unfinishedTasks: 1 } };
	}
	remember(key, 'resumed');
	const metadata = entry.metadata ?? {};
	delete (metadata as Record<string, unknown>)[PARKED_KEY];
	if (settled.failure) metadata.resumeError = settled.failure as ITaskMetadata['resumeError'];
	else delete metadata.resumeError;
	entry.metadata = metadata;
	return {
		webhookResponse: { received: true, unfinishedTasks: 0 },
		workflowData: [settled.items],
	};
}
