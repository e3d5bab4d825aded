import type {
	ITaskMetadata,
	IWebhookDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { findProvider } from '../providers';
import { asParkedRun, PARKED_KEY } from './callbackParked';
import { settle, type Settled } from './callbackSettle';

// Wait Mode "Provider Callback", when the provider calls the resume URL: the call only says
// "look now". Its body is never trusted (anyone holding the URL could send one): every task is
// looked up with the provider, and the run resumes only once all of them are finished.

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

export async function resumeOnCallback(this: IWebhookFunctions): Promise<IWebhookResponseData> {
	const entry = parkedEntry(this);
	const parked = asParkedRun(entry?.metadata?.[PARKED_KEY as keyof ITaskMetadata]);
	const provider = parked && findProvider(parked.provider);
	if (!parked || !provider || !entry) {
		throw new NodeOperationError(
			this.getNode(),
			'This execution has no parked Z-Image tasks to resume, or this n8n version keeps them where the node cannot read them',
		);
	}
	let settled: Settled;
	try {
		settled = await settle(this, provider, parked);
	} catch (error) {
		// A status look failed, the client's retries spent: the run is not lost over it. The
		// caller gets 503, so the provider calls again (after 1, 2, 4 s); Max Wait still bounds
		// the wait. The body says nothing more: whoever holds the URL may read it.
		this.logger.warn(
			`Z-Image: a callback could not look its tasks up: ${(error as Error).message}`,
		);
		this.getResponseObject().status(503).json({ received: true, retryLater: true });
		return { noWebhookResponse: true };
	}
	if (!settled.finished) {
		// 200 to the caller; the execution stays parked, with its Max Wait, for the next callback.
		return {
			webhookResponse: { received: true, unfinishedTasks: settled.unfinished.length },
		};
	}
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
