/**
 * Runs the Z-Image node's execute() inside n8n-core's real ExecuteContext: parameters,
 * credentials, httpRequest / httpRequestWithAuthentication (axios underneath) and binary
 * helpers are n8n's own. Only the credential store is ours: it hands out the test
 * credential and applies its `authenticate` block the way n8n's CredentialsHelper does.
 */
import 'reflect-metadata';

// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports -- the harness sets up n8n-core's own services, as n8n does
import { Container } from '@n8n/di';
import { BinaryDataService, ExecuteContext, WebhookContext } from 'n8n-core';
import type {
	ICredentialDataDecryptedObject,
	ICredentialType,
	IDataObject,
	IExecuteData,
	IHttpRequestOptions,
	INode,
	INodeExecutionData,
	INodeType,
	INodeTypes,
	IWebhookData,
	IWebhookResponseData,
	IWorkflowExecuteAdditionalData,
} from 'n8n-workflow';
import { createRunExecutionData, Workflow } from 'n8n-workflow';
import { request as request_ } from 'undici';

import * as packageExports from '../index';
import { ZImage } from '../nodes/ZImage/ZImage.node';

/** Every credential type the package exports, by name. */
const CREDENTIAL_TYPES: Record<string, ICredentialType> = Object.fromEntries(
	Object.values(packageExports)
		.map((Export) => new (Export as new () => unknown)())
		.filter((instance): instance is ICredentialType => 'authenticate' in (instance as object))
		.map((type) => [type.name, type]),
);

let binaryReady = false;
const errorReporter = { error: () => undefined, warn: () => undefined, info: () => undefined };
const logger = {
	debug: () => undefined,
	info: () => undefined,
	warn: () => undefined,
	error: () => undefined,
	scoped: () => logger,
};

/** In-memory binary mode (n8n's "default"): binary data is kept as base64 on the item. */
function ensureBinaryDataService(): void {
	if (binaryReady) return;
	const config = {
		mode: 'default',
		availableModes: ['default'],
		localStoragePath: '',
		signingSecret: 'test',
		dbMaxFileSize: 512,
	};
	Container.set(
		BinaryDataService,
		new BinaryDataService(config as never, errorReporter as never, logger as never),
	);
	binaryReady = true;
}

/** n8n's filesystem binary mode (its default in production): binary data goes to files under `dir`. */
export async function useFilesystemBinaryMode(dir: string): Promise<void> {
	const config = {
		mode: 'filesystem',
		availableModes: ['filesystem'],
		localStoragePath: dir,
		signingSecret: 'test',
		dbMaxFileSize: 512,
	};
	const service = new BinaryDataService(config as never, errorReporter as never, logger as never);
	await service.init();
	Container.set(BinaryDataService, service);
	binaryReady = true;
}

/** Resolves `={{ ... }}` credential expressions the way n8n's CredentialsHelper does. */
function resolveValue(
	value: unknown,
	credentials: IDataObject,
	workflow: Workflow,
	node: INode,
): unknown {
	if (typeof value !== 'string' || !value.startsWith('=')) return value;
	return workflow.expression.getSimpleParameterValue(
		node,
		value,
		'internal',
		{ $credentials: credentials },
		undefined,
		'',
	);
}

function makeCredentialsHelper(store: Record<string, IDataObject>) {
	return {
		getParentTypes: () => [],
		isCredentialUsableByNode: (credentialType: string) => credentialType in CREDENTIAL_TYPES,
		async getDecrypted(_additional: unknown, _nodeCredentials: unknown, type: string) {
			const data = store[type];
			if (!data) throw new Error(`test: no credential of type ${type}`);
			return { ...data } as ICredentialDataDecryptedObject;
		},
		async preAuthentication() {
			return undefined;
		},
		async authenticate(
			credentials: IDataObject,
			typeName: string,
			requestOptions: IHttpRequestOptions,
			workflow: Workflow,
			node: INode,
		) {
			const type = CREDENTIAL_TYPES[typeName];
			const auth = type?.authenticate;
			// A function is called as n8n's CredentialsHelper calls it: with the credential and the request.
			if (typeof auth === 'function')
				return await auth(credentials as ICredentialDataDecryptedObject, requestOptions);
			if (!auth) return requestOptions;
			const headers: IDataObject = { ...(requestOptions.headers ?? {}) };
			for (const [key, value] of Object.entries(auth.properties.headers ?? {})) {
				const resolved = resolveValue(value, credentials, workflow, node);
				// Like axios underneath n8n: a header whose value is undefined or null is not sent.
				if (resolved !== undefined && resolved !== null) headers[key] = resolved as string;
			}
			return { ...requestOptions, headers };
		},
	};
}

/** A dotted path into an object, as n8n's credential test rules read `key`. */
function pick(value: unknown, path: string): unknown {
	return path
		.split('.')
		.reduce<unknown>(
			(node, key) => (node && typeof node === 'object' ? (node as IDataObject)[key] : undefined),
			value,
		);
}

/**
 * Runs a credential type's Test button the way n8n does: resolve the request's expressions
 * against the credential, apply its `authenticate` block, send it; a status outside 2xx
 * fails unless the request ignores status errors; then the rules may fail it.
 */
export async function runCredentialTest(
	typeName: string,
	credentials: IDataObject,
): Promise<{ ok: boolean; message?: string; statusCode: number; body: unknown }> {
	const type = CREDENTIAL_TYPES[typeName];
	const test = type?.test;
	if (!test?.request) throw new Error(`test: ${typeName} has no test request`);
	const request = test.request;
	const node: INode = {
		id: 'x',
		name: 'x',
		type: 'x',
		typeVersion: 1,
		position: [0, 0],
		parameters: {},
	};
	const workflow = new Workflow({
		nodes: [node],
		connections: {},
		active: false,
		nodeTypes: {
			getByName: () => nodeType,
			getByNameAndVersion: () => nodeType,
			getKnownTypes: () => ({}),
		},
	});
	const baseURL = String(resolveValue(request.baseURL, credentials, workflow, node) ?? '');
	let options: IHttpRequestOptions;
	try {
		options = await makeCredentialsHelper({ [typeName]: credentials }).authenticate(
			credentials,
			typeName,
			{
				url: String(request.url),
				method: request.method,
				body: request.body as IDataObject,
				headers: {},
			},
			workflow,
			node,
		);
	} catch (error) {
		// n8n shows the message of an error thrown before the request (nothing was sent).
		return { ok: false, message: (error as Error).message, statusCode: 0, body: undefined };
	}
	const response = await request_(`${baseURL}${options.url}`, {
		method: options.method ?? 'GET',
		headers: { 'content-type': 'application/json', ...(options.headers as Record<string, string>) },
		body: options.body ? JSON.stringify(options.body) : undefined,
	});
	const text = await response.body.text();
	let body: unknown = text;
	try {
		body = text ? JSON.parse(text) : undefined;
	} catch {
		// not JSON: rules see the text
	}
	const statusCode = response.statusCode;
	if (!request.ignoreHttpStatusErrors && (statusCode < 200 || statusCode > 299)) {
		// As n8n's credentials tester: a failed status is matched against the responseCode rules first.
		const rule = (test.rules ?? []).find(
			(r) => r.type === 'responseCode' && r.properties.value === statusCode,
		);
		const message = rule?.properties.message ?? `Received HTTP status code: ${statusCode}`;
		return { ok: false, message, statusCode, body };
	}
	for (const rule of test.rules ?? []) {
		if (
			rule.type === 'responseSuccessBody' &&
			pick(body, rule.properties.key) === rule.properties.value
		) {
			return { ok: false, message: rule.properties.message, statusCode, body };
		}
		if (rule.type === 'responseCode' && statusCode === rule.properties.value) {
			return { ok: false, message: rule.properties.message, statusCode, body };
		}
	}
	return { ok: true, statusCode, body };
}

export interface RunOptions {
	parameters: IDataObject;
	credentials?: Record<string, IDataObject>;
	items?: INodeExecutionData[];
	continueOnFail?: boolean;
	abortSignal?: AbortSignal;
	/** The node type as n8n names it; the AI Agent tool variant is n8n-nodes-zimage.zImageTool. */
	nodeType?: string;
	/** n8n's WEBHOOK_URL as the resume URL gets it (default http://localhost:5678/). */
	webhookUrl?: string;
	/** The node's version, as a saved workflow stores it (default 1: the parameter names of version 1). */
	typeVersion?: number;
}

/** A call of the parked execution's resume URL, as n8n hands it to the node's webhook(). */
export interface ResumeCall {
	body?: unknown;
	query?: Record<string, string>;
	/** Receives what the node answers the caller itself (getResponseObject). */
	response?: { status?: number; body?: unknown };
}

export interface RunResult {
	items: INodeExecutionData[];
	/** Set when the node parked the execution (putExecutionToWait). */
	waitTill?: Date;
	/** The node's metadata on the execution stack (setMetadata), as n8n keeps it for a resume. */
	metadata?: IExecuteData['metadata'];
	/** Calls the node's webhook() as n8n does when the resume URL is called. */
	resume(call: ResumeCall): Promise<IWebhookResponseData>;
	/** The bytes of a binary property of an output item. */
	binary(itemIndex: number, property?: string): Promise<Buffer>;
}

/** The node as n8n builds it, from the providers registered when it is built. */
let nodeType: INodeType = new ZImage();

/** Builds the node again, e.g. after a test registered a provider of its own. */
export function rebuildNode(): void {
	nodeType = new ZImage();
}

/** Adds a credential type (a test provider's) to the ones the package exports. */
export function registerCredentialType(type: ICredentialType): void {
	CREDENTIAL_TYPES[type.name] = type;
}

let executions = 0;

export async function runNode(options: RunOptions): Promise<RunResult> {
	ensureBinaryDataService();
	const credentialTypes = Object.keys(options.credentials ?? {});
	const node: INode = {
		id: 'zimage-node',
		name: 'Z-Image',
		type: options.nodeType ?? 'n8n-nodes-zimage.zImage',
		typeVersion: options.typeVersion ?? 1,
		position: [0, 0],
		parameters: options.parameters as INode['parameters'],
		credentials: Object.fromEntries(
			credentialTypes.map((type) => [type, { id: `cred-${type}`, name: type }]),
		),
		onError: options.continueOnFail ? 'continueRegularOutput' : undefined,
	};
	const nodeTypes: INodeTypes = {
		getByName: () => nodeType,
		getByNameAndVersion: () => nodeType,
		getKnownTypes: () => ({}),
	};
	const workflow = new Workflow({
		id: 'workflow-test',
		name: 'Z-Image test',
		nodes: [node],
		connections: {},
		active: false,
		nodeTypes,
		settings: {},
	});
	const items = options.items ?? [{ json: {} }];
	const additionalData = {
		credentialsHelper: makeCredentialsHelper(options.credentials ?? {}),
		// Each run its own execution, as in n8n (the node keeps per-execution state for callbacks).
		executionId: `execution-test-${++executions}`,
		restApiUrl: 'http://localhost:5678/rest',
		instanceBaseUrl: 'http://localhost:5678/',
		webhookBaseUrl: 'http://localhost:5678/webhook',
		webhookWaitingBaseUrl: `${(options.webhookUrl ?? 'http://localhost:5678/').replace(/\/$/, '')}/webhook-waiting`,
		webhookTestBaseUrl: 'http://localhost:5678/webhook-test',
		formWaitingBaseUrl: 'http://localhost:5678/form-waiting',
		variables: {},
		userId: 'user-test',
	} as unknown as IWorkflowExecuteAdditionalData;
	const executeData: IExecuteData = {
		node,
		data: { main: [items] },
		source: { main: [{ previousNode: 'Start' }] },
	};
	const runExecutionData = createRunExecutionData();
	runExecutionData.executionData!.nodeExecutionStack = [executeData];
	const context = new ExecuteContext(
		workflow,
		node,
		additionalData,
		'manual',
		runExecutionData,
		0,
		items,
		{ main: [items] },
		executeData,
		[],
		options.abortSignal,
	);
	const output = await nodeType.execute!.call(context);
	const outItems = (output as INodeExecutionData[][])[0] ?? [];
	return {
		items: outItems,
		waitTill: runExecutionData.waitTill,
		get metadata() {
			return executeData.metadata;
		},
		async resume(call) {
			const webhookData = {
				httpMethod: 'POST',
				node: node.name,
				path: '',
				webhookDescription: nodeType.description.webhooks![0],
				workflowId: workflow.id,
			} as unknown as IWebhookData;
			const request = { body: call.body ?? {}, query: call.query ?? {}, headers: {}, params: {} };
			const answer = call.response ?? {};
			const response = {
				status(code: number) {
					answer.status = code;
					return response;
				},
				json(body: unknown) {
					answer.body = body;
					return response;
				},
			};
			const webhookContext = new WebhookContext(
				workflow,
				node,
				{
					...additionalData,
					httpRequest: request,
					httpResponse: response,
				} as unknown as IWorkflowExecuteAdditionalData,
				'webhook',
				webhookData,
				[],
				runExecutionData,
			);
			return await nodeType.webhook!.call(webhookContext);
		},
		async binary(itemIndex, property = 'data') {
			const data = outItems[itemIndex]?.binary?.[property];
			if (!data) throw new Error(`test: output item ${itemIndex} has no binary "${property}"`);
			return await Container.get(BinaryDataService).getAsBuffer(data);
		},
	};
}

/** An input item carrying images as binary fields (n8n's in-memory form: base64). */
export function imageItem(
	images: Record<string, Buffer>,
	json: IDataObject = {},
): INodeExecutionData {
	const binary: INodeExecutionData['binary'] = {};
	for (const [name, data] of Object.entries(images)) {
		const png = data[0] === 0x89;
		binary[name] = {
			data: data.toString('base64'),
			mimeType: png ? 'image/png' : 'application/octet-stream',
			fileName: `${name}.${png ? 'png' : 'bin'}`,
		};
	}
	return { json, binary };
}

/** The error a run ended with (fails the test if it did not fail). */
export async function failureOf(
	run: Promise<unknown>,
): Promise<Error & { description?: string; context?: IDataObject }> {
	try {
		await run;
	} catch (error) {
		return error as Error & { description?: string; context?: IDataObject };
	}
	throw new Error('expected the run to fail, but it succeeded');
}
