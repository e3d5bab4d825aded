import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	ITaskMetadata,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { runsAsTool } from '../agentTool';
import type { TaskState, ZImageProvider } from '../types';
import { ITEM_PARAM, PARKED_KEY, readParked, type ParkedRun } from './callbackParked';
import { settle } from './callbackSettle';
import type { CallbackWait } from './operation';

// Wait Mode "Provider Callback", in the execution: choose it (or say why not, before anything
// is sent), then after the submissions finish at once or park the execution until the
// provider calls its resume URL (ZImage.webhook) or Max Wait runs out.

export type WaitChoice =
	| { mode: 'callback'; wait: CallbackWait }
	| { mode: 'poll'; notice?: string };

function withItem(resumeUrl: string, itemIndex: number): string {
	const url = new URL(resumeUrl);
	url.searchParams.set(ITEM_PARAM, String(itemIndex));
	return url.toString();
}

/** The resume URL without its query: the signature in it is a secret. */
function shown(resumeUrl: string): string {
	try {
		const url = new URL(resumeUrl);
		return `${url.origin}${url.pathname}`;
	} catch {
		return JSON.stringify(resumeUrl.slice(0, 80));
	}
}

const UNSIGNED =
	'it carries no signature (n8n 1.x): n8n 2.x is needed, whose resume URLs are signed and whose waits can end in an error when Max Wait runs out';

function resumeUrlProblem(
	ctx: IExecuteFunctions,
	provider: ZImageProvider,
	itemCount: number,
): { problem?: string; resumeUrl: string; fix?: string } {
	if (runsAsTool(ctx)) {
		return {
			resumeUrl: '',
			problem: "the node runs as an AI agent's tool, and a tool cannot wait for a callback",
			fix: 'A tool answers its agent within one run',
		};
	}
	const resumeUrl = String(ctx.evaluateExpression('{{ $execution.resumeUrl }}', 0) ?? '');
	let reason: string | undefined;
	try {
		// The longest address the provider gets: the last item's.
		reason = provider.callback?.problem(withItem(resumeUrl, Math.max(0, itemCount - 1)));
		// n8n 2.x signs resume URLs, and fails a wait that ran out when told to (resumeError).
		if (!reason && !new URL(resumeUrl).searchParams.has('signature')) reason = UNSIGNED;
	} catch {
		reason = 'it is not a URL';
	}
	return {
		resumeUrl,
		problem: reason && `this n8n's resume URL (${shown(resumeUrl)}) will not do: ${reason}`,
		fix: reason === UNSIGNED ? 'Run the workflow on n8n 2.x' : undefined,
	};
}

/**
 * Poll or Provider Callback, for the whole run (set on the node, read for the first item). A
 * callback that cannot work fails here, before any request, unless the user chose to poll then.
 */
export function chooseWait(
	ctx: IExecuteFunctions,
	provider: ZImageProvider,
	operation: string,
	itemCount: number,
): WaitChoice {
	if (operation !== 'generate' || !provider.callback) return { mode: 'poll' };
	if (ctx.getNodeParameter('waitMode', 0, 'poll') !== 'callback') return { mode: 'poll' };
	const options = (ctx.getNodeParameter('options', 0, {}) ?? {}) as IDataObject;
	// Nothing to wait for: the task is returned at once, as in Poll mode.
	if (options.waitForCompletion === false) return { mode: 'poll' };
	const { problem, resumeUrl, fix } = resumeUrlProblem(ctx, provider, itemCount);
	if (!problem) {
		const signature = new URL(resumeUrl).searchParams.get('signature') ?? '';
		return {
			mode: 'callback',
			wait: { urlFor: (item) => withItem(resumeUrl, item), secrets: [signature] },
		};
	}
	if (ctx.getNodeParameter('callbackFallback', 0, 'fail') === 'poll') {
		return { mode: 'poll', notice: `Waited by polling, not by a provider callback: ${problem}` };
	}
	throw new NodeOperationError(
		ctx.getNode(),
		`Wait Mode "Provider Callback" is not possible: ${problem}`,
		{
			description: `${fix ?? `${provider.displayName} calls back only public HTTPS addresses. Set n8n's WEBHOOK_URL to this instance's public https:// address`}, or set "If Callback Is Not Possible" to "Poll Instead". Nothing was sent.`,
		},
	);
}

/** What the run fails with when n8n resumes it on its timer: Max Wait ran out without a callback. */
function noCallbackError(
	ctx: IExecuteFunctions,
	provider: ZImageProvider,
	parked: ParkedRun,
	unfinished: TaskState,
): NodeOperationError {
	const ids = parked.entries.flatMap((entry) => ('task' in entry ? [entry.task.taskId] : []));
	return new NodeOperationError(
		ctx.getNode(),
		`No callback from ${provider.displayName} with every task finished before Max Wait ran out (${new Date(parked.deadline).toISOString()}); task IDs: ${ids.join(', ')}`,
		{
			description: `When the execution was parked, task ${unfinished.taskId} was still ${unfinished.status}. The tasks may still finish: collect them with Get Task within 24 hours, or raise Max Wait. If callbacks never arrive, check that WEBHOOK_URL is this n8n's public HTTPS address.`,
		},
	);
}

/**
 * After the submissions: one look at every task (a task that finished meanwhile called back
 * while the execution still ran, and n8n refused that call). All finished: the images now.
 * Otherwise the execution waits, showing its tasks, until a callback or Max Wait.
 */
export async function finishOrPark(
	ctx: IExecuteFunctions,
	provider: ZImageProvider,
	output: INodeExecutionData[],
	wait: CallbackWait,
): Promise<INodeExecutionData[]> {
	const parked = readParked(output);
	if (!parked) return output;
	const settled = await settle(ctx, provider, parked, { secrets: wait.secrets });
	if (settled.finished) {
		if (settled.failure) throw settled.failure;
		return settled.items;
	}
	// n8n resumes on its timer without running the node: this makes that an explicit failure.
	// The callback that finishes the run takes it away again (callbackResume.ts).
	const resumeError = noCallbackError(ctx, provider, parked, settled.unfinished);
	ctx.setMetadata({ resumeError, [PARKED_KEY]: parked } as ITaskMetadata);
	await ctx.putExecutionToWait(new Date(parked.deadline));
	return output;
}
