/**
 * The shared mechanism for providers that hand back a task's own addresses (fal's
 * status_url/response_url/cancel_url, Replicate's urls): the node follows them as given, only
 * on the API's own origin, reads a separate result where the status lists none, cancels one
 * task per request, sends a provider's own headers and waits out a hold it asked for.
 * Shown with a provider that exists only here (a variant of test/fake), on a real server.
 */
import { registerProvider } from '../nodes/ZImage/providers';
import { pathSegment } from '../nodes/ZImage/taskIds';
import type { TaskLinks, ZImageProvider } from '../nodes/ZImage/types';
import { asObject } from '../nodes/ZImage/validation';
import { fakeCredentialType, fakeProvider } from './fake/provider';
import { FakeSimulator } from './fake/simulator';
import { failureOf, rebuildNode, registerCredentialType, runNode } from './harness';
import {
	delay,
	json,
	SimulatorServer,
	type RecordedRequest,
	type Reply,
} from './simulators/server';

/** Its API: `POST /q/jobs` → `{id, links}`; status, result and cancel at the addresses it gave. */
class LinkedSimulator extends FakeSimulator {
	/** Where the answers send status looks: this API (default) or another origin. */
	statusOrigin?: string;
	holdMs = 0;

	protected override async route(request: RecordedRequest): Promise<Reply> {
		if (request.headers['x-fake-key'] !== this.apiKey) return json(401, { error: 'bad key' });
		const api = this.api.url;
		if (request.method === 'POST' && request.path === '/q/jobs') {
			await delay(this.holdMs);
			const reply = this.reply({ ...request, path: '/jobs' });
			const id = String(asObject(reply.body)?.id);
			const at = `${api}/q/by-id/${id}`;
			return json(200, {
				id,
				links: {
					status: `${this.statusOrigin ?? api}/q/by-id/${id}/status`,
					result: `${at}/result`,
					cancel: `${at}/cancel`,
				},
			});
		}
		const match = /^\/q\/by-id\/([^/]+)\/(status|result|cancel)$/.exec(request.path);
		if (!match) return json(404, { error: 'no such address' });
		const [, id, what] = match;
		if (what === 'cancel') return json(200, { id, cancelled: true });
		const job = asObject(this.reply({ ...request, method: 'GET', path: `/jobs/${id}` }).body);
		// The status never lists results: they come from the result address.
		if (what === 'status') return json(200, { ...job, images: [] });
		return json(200, job);
	}
}

const linked: ZImageProvider = {
	...fakeProvider,
	name: 'linked' as ZImageProvider['name'],
	displayName: 'Linked',
	operations: [
		...fakeProvider.operations,
		{ name: 'Delete Task', value: 'deleteTask', action: 'Cancel jobs', description: 'Cancel' },
	],
	async prepareSubmit(ctx, itemIndex, operation) {
		const plan = await fakeProvider.prepareSubmit(ctx, itemIndex, operation);
		const prompt = plan.meta.prompt;
		return {
			...plan,
			request: {
				...plan.request,
				path: '/q/jobs',
				headers: { 'X-Fake-Hint': 'hold', Authorization: 'Bearer not-the-key' },
				holdSeconds: prompt.startsWith('hold') ? 3 : undefined,
			},
		};
	},
	readSubmit(body) {
		const answer = asObject(body);
		return {
			taskId: typeof answer?.id === 'string' ? answer.id : undefined,
			links: asObject(answer?.links) as TaskLinks | undefined,
		};
	},
	statusRequest: (taskId, links) => ({
		method: 'GET',
		path: links?.status ?? `/q/by-id/${pathSegment(taskId)}/status`,
	}),
	resultRequest: (taskId, links) => ({
		method: 'GET',
		path: links?.result ?? `/q/by-id/${pathSegment(taskId)}/result`,
	}),
	readResult: (body, state) => {
		const images = asObject(body)?.images;
		return Array.isArray(images)
			? { ...state, images: images.map((url) => ({ url: String(url) })) }
			: undefined;
	},
	cancelRequest: (taskId) => ({ method: 'PUT', path: `/q/by-id/${pathSegment(taskId)}/cancel` }),
};

registerProvider(linked);
registerCredentialType({ ...fakeCredentialType, name: 'fakeApi' });
rebuildNode();

let sim: LinkedSimulator;
beforeEach(async () => {
	sim = await new LinkedSimulator('linked-dummy-key-0000', 100).start();
});
afterEach(async () => await sim.stop());

const run = (parameters: Record<string, unknown>) =>
	runNode({
		parameters: { provider: 'linked', ...parameters },
		credentials: { fakeApi: { apiKey: sim.apiKey, baseUrl: sim.url } },
	});
const paths = () => sim.api.requests.map((request) => `${request.method} ${request.path}`);

test('Generate follows the status and result addresses the submission gave', async () => {
	const result = await run({ operation: 'generate', prompt: 'a kite' });
	expect(result.items).toHaveLength(1);
	expect(result.items[0].binary?.data?.mimeType).toBe('image/png');
	expect(paths()[0]).toBe('POST /q/jobs');
	expect(paths()).toContain('GET /q/by-id/job1/status');
	expect(paths().filter((path) => path === 'GET /q/by-id/job1/result')).toHaveLength(1);
	expect(paths().filter((path) => path.startsWith('GET /jobs/'))).toEqual([]);
});

test('a status address on another origin is never asked, and the error says why', async () => {
	const elsewhere = new SimulatorServer(() => json(200, { id: 'job1', status: 'done' }));
	await elsewhere.start();
	try {
		sim.statusOrigin = elsewhere.url;
		const error = await failureOf(run({ operation: 'generate', prompt: 'a kite' }));
		expect(error.message).toContain('handed back an address on another host');
		expect(elsewhere.requests).toHaveLength(0);
	} finally {
		await elsewhere.stop();
	}
});

test("a provider's own headers go on the wire; the key stays the credential's", async () => {
	await run({ operation: 'generate', prompt: 'a kite' });
	const [submit] = sim.api.requests;
	expect(submit.headers['x-fake-hint']).toBe('hold');
	expect(submit.headers['x-fake-key']).toBe(sim.apiKey);
	expect(submit.headers.authorization).toBeUndefined();
});

test('a hold the provider was asked for outlasts a shorter Request Timeout', async () => {
	sim.holdMs = 2000;
	const held = await run({
		operation: 'generate',
		prompt: 'hold on',
		options: { requestTimeoutSeconds: 1 },
	});
	expect(held.items).toHaveLength(1);
	// Without a hold, the same answer is past the timeout: the submission fails, and is not sent again.
	const error = await failureOf(
		run({ operation: 'generate', prompt: 'quick', options: { requestTimeoutSeconds: 1 } }),
	);
	expect(error.message).toContain('no answer came within the request timeout');
	expect(sim.api.requests.filter((request) => request.method === 'POST')).toHaveLength(2);
});

test('Delete Task cancels each task with a request of its own', async () => {
	const result = await run({ operation: 'deleteTask', taskId: 'job7, job8' });
	expect(paths()).toEqual(['PUT /q/by-id/job7/cancel', 'PUT /q/by-id/job8/cancel']);
	expect(result.items[0].json).toMatchObject({ provider: 'linked', deleted: ['job7', 'job8'] });
});
