import { NodeOperationError } from 'n8n-workflow';

import type { ZImageCredential } from '../../../credentials/contract';
import { BASE_URL_RULE, baseUrlOf, baseUrlProblem } from '../../../credentials/contract';
import type { ExecutionPacing } from '../pacing/budget';
import { budgetKey } from '../pacing/budget';
import { TaskPacer } from '../pacing/taskPacer';
import type { RunControl } from '../run';
import type { NodeContext, ZImageProvider } from '../types';
import type { CallPlace } from './errors';
import type { RequestContext } from './request';

/** What opening a client needs: the provider, where the call is, and the user's settings. */
export interface ClientSetup {
	ctx: NodeContext;
	provider: ZImageProvider;
	operation: string;
	itemIndex: number;
	/** The execution's stop switch (cancel, or another item's fatal failure). */
	run: RunControl;
	/** Per-request timeout set on the node; 0 or absent: the credential's, else the provider's. */
	timeoutSeconds?: number;
	/** Max Download Size: also bounds images that come inline in a JSON answer. */
	maxDownloadBytes?: number;
	/** The execution's share of its provider keys' budgets (pacing/); absent: unpaced. */
	pacing?: ExecutionPacing;
	/** More secrets to keep out of outputs and errors (a resume URL's signature). */
	secrets?: string[];
}

/** What one item's client is made of, read from its credential and the user's settings. */
export interface OpenedSetup {
	http: RequestContext;
	secrets: string[];
	place: CallPlace;
	pace?: TaskPacer;
}

/**
 * Reads the item's credential (its Base URL checked before anything is sent), the timeout that
 * applies, the secrets to keep out of outputs, and the item's side of its key's budget.
 */
export async function openSetup(setup: ClientSetup): Promise<OpenedSetup> {
	const { ctx, provider, itemIndex } = setup;
	const credential = (await ctx.getCredentials(
		provider.credentialType,
		itemIndex,
	)) as unknown as ZImageCredential;
	const baseUrl = baseUrlOf(credential);
	const problem = baseUrlProblem(baseUrl);
	if (problem) {
		throw new NodeOperationError(
			ctx.getNode(),
			`The ${provider.displayName} credential's Base URL ${problem.shown} ${problem.reason}`,
			{ itemIndex, description: BASE_URL_RULE },
		);
	}
	const timeoutSeconds =
		setup.timeoutSeconds ||
		Number(credential.requestTimeoutSeconds) ||
		provider.requestTimeoutSeconds;
	const http: RequestContext = {
		ctx,
		credentialType: provider.credentialType,
		baseUrl,
		timeoutMs: timeoutSeconds * 1000,
		ignoreSslIssues: credential.ignoreSslIssues === true,
		downloadsNeedKey: provider.downloadsNeedKey === true,
	};
	const place = { providerName: provider.displayName, operation: setup.operation, itemIndex };
	const apiKey = String(credential.apiKey ?? '');
	const budget = setup.pacing?.budget(
		budgetKey(ctx, provider.credentialType, baseUrl, apiKey),
		provider.submitRate,
	);
	const pace = budget ? new TaskPacer(budget, setup.run, itemIndex) : undefined;
	const secrets = [apiKey, ...(setup.secrets ?? []).filter((secret) => secret.length >= 8)];
	return { http, secrets, place, pace };
}
