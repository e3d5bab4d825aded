import type {
	IDataObject,
	IExecuteFunctions,
	INodeProperties,
	INodePropertyOptions,
	IWebhookFunctions,
} from 'n8n-workflow';

import type { ErrorTable, HttpAnswer, ProviderFailure } from './failureTypes';

export type {
	ErrorTable,
	FailureFacts,
	FailureKind,
	HttpAnswer,
	ProviderFailure,
} from './failureTypes';

/** The n8n context requests and binary data go through: an execution's, or a resume call's. */
export type NodeContext = IExecuteFunctions | IWebhookFunctions;

/** The values of the node's `provider` parameter; saved workflows depend on them. */
export type ProviderName =
	| 'tensorsLab'
	| 'selfHosted'
	| 'evolink'
	| 'odkkk'
	| 'fal'
	| 'modelStudio'
	| 'replicate';

/** One task vocabulary shared by every provider. */
export type TaskStatus = 'queued' | 'processing' | 'completed' | 'failed';

export type SubmitOperation = 'generate' | 'edit';

/** A multipart field: text, or a file with its name and type. */
export type FormField =
	| { field: string; value: string }
	| { field: string; file: Buffer; fileName: string; mimeType: string };

/** One HTTP call as a provider describes it; the request path sends it. */
export interface ProviderRequest {
	method: 'GET' | 'POST' | 'PUT' | 'DELETE';
	/**
	 * Joined to the credential's base URL; or an absolute URL the provider handed back for a task
	 * (TaskLinks), sent only when it is on the base URL's origin (the key goes nowhere else).
	 */
	path: string;
	/** Headers of the provider's own (e.g. Prefer: wait=30); never Authorization, which the credential sets. */
	headers?: Record<string, string>;
	/** The provider holds the request open up to this long (e.g. Prefer: wait): its timeout is at least that plus a margin, within Max Wait. */
	holdSeconds?: number;
	json?: IDataObject;
	form?: FormField[];
	/** How many images the answer may carry inline (base64): each may take 4/3 of Max Download Size. */
	inlineImages?: number;
}

/** A result image: a URL to download at once, or the bytes inline. */
export interface ResultImage {
	url?: string;
	base64?: string;
	/** What the provider says of this image beyond the shared vocabulary (fal's has_nsfw_concepts), in its output item. */
	details?: IDataObject;
}

/**
 * Addresses a provider handed back for one task (fal's status_url, response_url, cancel_url;
 * Replicate's urls.get, urls.cancel): followed as given, never rebuilt from a model id.
 */
export interface TaskLinks {
	status?: string;
	result?: string;
	cancel?: string;
}

export interface TaskState {
	taskId: string;
	/** The task's own addresses, when the provider gives them (in the submission's answer or a status answer). */
	links?: TaskLinks;
	status: TaskStatus;
	/** 0-100 when the provider reports it. */
	progress?: number;
	images: ResultImage[];
	error?: { code?: string; message: string };
	/** Seconds the provider expects the task still needs, when it says. */
	etaSeconds?: number;
	model?: string;
	prompt?: string;
	seed?: number;
	width?: number;
	height?: number;
	/** What the provider reports of the finished task beyond the shared vocabulary (fal's timings, billed units), in each output item. */
	details?: IDataObject;
	/** The provider's own fields, untouched. */
	raw: IDataObject;
}

/** What the user asked for, kept for the output items. */
export interface GenerationMeta {
	model: string;
	prompt: string;
	seed?: number;
	width?: number;
	height?: number;
	/** Something the user should know about how the request was adjusted. */
	notice?: string;
	/** How many images were asked for (batch size, number of images). */
	images?: number;
}

/** A validated submission: nothing has been sent yet. */
export interface SubmitPlan {
	request: ProviderRequest;
	meta: GenerationMeta;
}

/**
 * How a request may be retried (see http/retry.ts): a submission may bill; a status look,
 * housekeeping and a download change nothing; a result look is a status look whose final
 * failure comes back as the answer (it may be the task's own); a check is one look that fails
 * on a failed answer, a probe one look that returns whatever came back.
 */
export type CallKind =
	| 'submit'
	| 'status'
	| 'result'
	| 'housekeeping'
	| 'download'
	| 'check'
	| 'probe';

/** What a provider may ask of the request path: authenticated calls to its own base URL. */
export interface ProviderCall {
	/**
	 * Sends a request under the rules of its kind. A `probe` returns whatever came back;
	 * every other kind throws the worded error of a failed answer, after the retries it allows.
	 */
	request(request: ProviderRequest, kind: CallKind): Promise<HttpAnswer>;
	/** The error to throw for a failure, worded and stripped of secrets. */
	error(failure: ProviderFailure): Error;
	/** The credential's base URL, without a trailing slash. */
	readonly baseUrl: string;
}

/** An operation only some providers have (e.g. housekeeping): one JSON item or a list. */
export type ProviderOperation = (call: ProviderCall) => Promise<IDataObject | IDataObject[]>;

/**
 * One provider API: data plus a few small functions. The node, the poller and the binary
 * output never ask which provider they are talking to.
 */
export interface ZImageProvider {
	readonly name: ProviderName;
	readonly displayName: string;
	readonly credentialType: string;
	/** The operation dropdown for this provider: an operation it cannot do is not offered. */
	readonly operations: INodePropertyOptions[];
	/** Why an operation is not offered, for workflows that ask for it anyway. */
	readonly unsupported?: Record<string, string>;
	/** Its own parameters; each shows only for this provider. */
	readonly properties: INodeProperties[];
	/** Its error shapes as data, read by the shared classifier (failures.ts). */
	readonly errors: ErrorTable;
	/** When to look at a new task first, if the task gives no hint. */
	readonly firstPollSeconds: number;
	/** Timeout of one HTTP request unless the user or the credential sets another. */
	readonly requestTimeoutSeconds: number;
	/** Whether result files on the provider's own origin need the key (documented only for the self-hosted server). */
	readonly downloadsNeedKey?: boolean;
	/** How long its result links stay valid, in words: an AI agent gets it with the links. */
	readonly resultLinksExpire?: string;
	/** The longest prompt it takes, in characters. */
	readonly maxPromptLength: number;
	/** The most images one task can give (what Get Task accepts, not knowing what was asked). */
	readonly maxResultsPerTask: number;
	/**
	 * The provider's documented submit rate (`requests` per `perSeconds` per key), where it
	 * documents one: the key's pacing starts from it and learns from there (pacing/submitRate.ts);
	 * never a ceiling that a faster account cannot pass.
	 */
	readonly submitRate?: { requests: number; perSeconds: number };
	/** At most this many items at once, whatever the user set (e.g. one GPU behind a synchronous API). */
	maxConcurrency?(ctx: IExecuteFunctions): number | undefined;

	/** Reads and checks the item's parameters; throws before anything is sent. */
	prepareSubmit(
		ctx: IExecuteFunctions,
		itemIndex: number,
		operation: SubmitOperation,
	): Promise<SubmitPlan>;
	/**
	 * A task id to poll, or the finished task when the provider answered synchronously;
	 * no task id when the answer cannot be read.
	 */
	readSubmit(
		body: unknown,
		plan: SubmitPlan,
	): { taskId?: string; state?: TaskState; links?: TaskLinks };
	/**
	 * After a submission whose answer was lost (the connection broke: it may have been taken), the
	 * task it made, found by asking the provider (Replicate lists recent predictions): its answer
	 * as the submission would have given it, read by readSubmit; undefined when none is found.
	 */
	findSubmission?(call: ProviderCall, plan: SubmitPlan, sentAt: number): Promise<unknown>;
	/** Why a task id cannot be right for this provider, or undefined when it can. */
	checkTaskId?(taskId: string): string | undefined;
	/**
	 * Absent when the provider (or its current settings) cannot look a task up. `links` are the
	 * task's own addresses when known (absent for a task id the user typed).
	 */
	statusRequest?(taskId: string, links?: TaskLinks): ProviderRequest;
	/** The task in the shared vocabulary; undefined when the answer cannot be read. */
	readTask(body: unknown, taskId: string): TaskState | undefined;
	/**
	 * Where a completed task's results are read when its status answer does not list them
	 * (fal's response_url): asked once, right after a look finds the task completed.
	 */
	resultRequest?(taskId: string, links?: TaskLinks): ProviderRequest;
	/**
	 * The completed task with its results, or failed if the result says so (fal answers a failed
	 * request's response_url with its error: a failed `answer` is given here too, and is the
	 * task's failure only if this says so); undefined when unreadable.
	 */
	readResult?(body: unknown, state: TaskState, answer: HttpAnswer): TaskState | undefined;
	/** Undefined for a good answer; otherwise what went wrong, in the user's words. */
	readFailure(answer: HttpAnswer): ProviderFailure | undefined;
	/** Deletes several tasks in one request. */
	deleteRequest?(taskIds: string[]): ProviderRequest;
	/** Cancels one task (fal, Replicate): Delete Task sends one per task id, where there is no deleteRequest. */
	cancelRequest?(taskId: string, links?: TaskLinks): ProviderRequest;
	health(call: ProviderCall): Promise<IDataObject>;
	/** Operations only this provider has, by operation value. */
	readonly ownOperations?: Record<string, ProviderOperation>;
	/**
	 * An address the provider POSTs the finished task to, when it takes one: Generate can then
	 * park the execution instead of polling (callback/).
	 */
	readonly callback?: {
		/** The submission, asking the provider to call this address when the task ends. */
		attach(request: ProviderRequest, url: string): ProviderRequest;
		/** Why the provider would not call this address back, or undefined when it would. */
		problem(url: string): string | undefined;
	};
}
