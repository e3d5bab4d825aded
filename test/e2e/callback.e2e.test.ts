/**
 * Wait Mode "Provider Callback" in a real n8n (`n8n start`, one process) behind a TLS front,
 * as in production: WEBHOOK_URL is https, the Evolink simulator calls back there (its
 * callback test mode resolves the host name to 127.0.0.1). What a user would notice is
 * asserted from the outside: the execution waits, the provider's request log, the images
 * stored in n8n, and what a forged, a late or a missing callback leads to.
 */
/* eslint-disable @n8n/community-nodes/no-restricted-imports, no-console -- a test driving a real n8n, never shipped; it prints the time its parts take, for the CI log */
import type { ChildProcess } from 'node:child_process';

import { ensureRuntime, freePort, N8nInstance, n8nLine } from '../../e2e/lib/n8n';
import { N8nRest, waitFor } from '../../e2e/lib/rest';
import { startTlsFront, type TlsFront } from '../../e2e/lib/tlsFront';
import { node, reportNode, webhookNode, workflowOf, ZIMAGE } from '../../e2e/lib/workflow';
import { EvolinkSimulator } from '../simulators/evolink';
import { SimulatorServer, type RecordedRequest } from '../simulators/server';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const started = Date.now();
const line = n8nLine();
// Callback mode needs n8n 2.x (README: Compatibility); on 1.x the node refuses it.
const on2 = line === '2' ? test : test.skip;
const on1 = line === '1' ? test : test.skip;

let evolink: EvolinkSimulator;
let n8n: N8nInstance;
let front: TlsFront;
let main: ChildProcess;
let rest: N8nRest;
/** Where the workflows report each output item (after Z-Image), with its binary's id. */
let sink: SimulatorServer;
let credentialId = '';

/** Webhook → Split Out (one item per prompt) → Z-Image (callback) → report each item to the sink. */
function workflow(path: string, options: Record<string, unknown>) {
	const report =
		'={{ JSON.stringify({ path: "' +
		path +
		'", executionId: $execution.id, taskId: $json.taskId, binaryId: $binary.data ? $binary.data.id : null, width: $json.width, height: $json.height, mimeType: $json.mimeType, error: $json.error }) }}';
	return workflowOf(`callback ${path}`, [
		webhookNode(path, 'onReceived'),
		node('Split Out', 'n8n-nodes-base.splitOut', 1, 1, {
			fieldToSplitOut: 'body.prompts',
			options: { destinationFieldName: 'prompt' },
		}),
		node(
			'Z-Image',
			ZIMAGE,
			1,
			2,
			{
				provider: 'evolink',
				operation: 'generate',
				prompt: '={{ $json.prompt }}',
				waitMode: 'callback',
				options,
			},
			{ credentials: { evolinkApi: { id: credentialId, name: 'callback evolink' } } },
		),
		reportNode(3, sink.url, report),
	]);
}

const submitsSince = (count: number): RecordedRequest[] => evolink.submits().slice(count);
const callbackUrlOf = (submit: RecordedRequest) =>
	String((submit.json as Record<string, unknown>).callback_url);
const executionIdOf = (callbackUrl: string) =>
	/\/webhook-waiting\/([^/?]+)/.exec(callbackUrl)?.[1] ?? '';
const reports = (path: string) =>
	sink.requests
		.filter((request) => request.path === '/report')
		.map((request) => request.json as Record<string, unknown>)
		.filter((report) => report.path === path);

/** Triggers a workflow and returns its execution id, read from the callback URL it submitted. */
async function trigger(path: string, prompts: string[]): Promise<{ id: string; urls: string[] }> {
	const before = evolink.submits().length;
	const answer = await fetch(`${rest.mainUrl}/webhook/${path}`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ prompts }),
	});
	expect(answer.status).toBe(200);
	await waitFor(
		`${prompts.length} submission(s) of ${path}`,
		async () => submitsSince(before).length >= prompts.length,
		60_000,
	);
	const urls = submitsSince(before).map(callbackUrlOf);
	return { id: executionIdOf(urls[0]), urls };
}

async function statusOf(id: string): Promise<string> {
	return (await rest.execution(id)).status;
}

describe('Wait Mode "Provider Callback" (one n8n process)', () => {
	beforeAll(async () => {
		const node24 = ensureRuntime();
		evolink = await new EvolinkSimulator({
			taskMs: 6000,
			callbacks: { resolveTo: '127.0.0.1', trustSelfSigned: true },
		}).start();
		sink = new SimulatorServer(() => ({ status: 200, body: { ok: true } }));
		await sink.start();
		const port = await freePort();
		front = await startTlsFront(port);
		n8n = new N8nInstance(node24);
		n8n.installPackage();
		main = await n8n.start(port, { WEBHOOK_URL: front.url });
		rest = new N8nRest(`http://127.0.0.1:${port}`);
		await rest.login();
		credentialId = await rest.createCredential('callback evolink', 'evolinkApi', {
			apiKey: evolink.apiKey,
			baseUrl: evolink.url,
		});
		for (const [path, options] of Object.entries({
			'cb-basic': { maxWaitSeconds: 120 },
			'cb-fail': { maxWaitSeconds: 120 },
			'cb-lost': { maxWaitSeconds: 5 },
		})) {
			await rest.createActiveWorkflow(workflow(path, options));
			await rest.waitForWebhook(path);
		}
		console.log(`callback e2e: n8n up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
	}, 10 * 60_000);

	afterAll(async () => {
		main?.kill('SIGTERM');
		await front?.stop();
		await evolink?.stop();
		await sink?.stop();
		n8n?.remove();
		console.log(`callback e2e: ${((Date.now() - started) / 1000).toFixed(1)} s in all`);
	});

	on2(
		'two items: the execution waits with no polling, the callbacks finish it with both images',
		async () => {
			const pollsBefore = evolink.polls().length;
			const { id, urls } = await trigger('cb-basic', ['a red kite', 'a blue kite']);
			// Each task names this execution's resume URL, on the public https address, and its item.
			expect(urls).toHaveLength(2);
			// Submitted at the same time: in either order.
			urls.sort((a, b) => a.localeCompare(b));
			for (const [index, url] of urls.entries()) {
				expect(url).toMatch(
					new RegExp(
						`^${front.url}webhook-waiting/${id}\\?signature=[^&]+&zimage_item=${index}$`.replace(
							/\//g,
							'\\/',
						),
					),
				);
			}
			await waitFor(
				`execution ${id} to wait`,
				async () => (await statusOf(id)) === 'waiting',
				30_000,
			);
			// Parked: one look right after the submissions (the first task looked at is unfinished,
			// so the other is not looked at), then nothing until a callback.
			expect(evolink.polls().length - pollsBefore).toBe(1);
			await waitFor(
				`execution ${id} to finish`,
				async () => (await statusOf(id)) === 'success',
				60_000,
			);
			const delivered = evolink
				.callbacksDelivered()
				.filter((attempt) => attempt.url.includes(`/${id}?`));
			expect(delivered.length).toBeGreaterThanOrEqual(1);
			const got = reports('cb-basic');
			expect(got).toHaveLength(2);
			for (const report of got) {
				expect(report.executionId).toBe(id);
				expect(report.taskId).toMatch(/^task-unified-/);
				expect([report.width, report.height, report.mimeType]).toEqual([1024, 1024, 'image/png']);
				const stored = await rest.binary(String(report.binaryId));
				expect(stored.status).toBe(200);
				expect(stored.bytes.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
			}
			// In input order: the first report is the first prompt's task.
			const promptOf = (taskId: unknown) => evolink.tasks.get(String(taskId))?.prompt;
			expect(got.map((report) => promptOf(report.taskId))).toEqual(['a red kite', 'a blue kite']);
		},
		120_000,
	);

	on2(
		'a forged callback is ignored: the provider is asked, nothing the body names is fetched',
		async () => {
			const elsewhere = new SimulatorServer(() => ({ status: 200, body: 'png?' }));
			await elsewhere.start();
			try {
				const { id, urls } = await trigger('cb-basic', ['a forged kite']);
				await waitFor(
					`execution ${id} to wait`,
					async () => (await statusOf(id)) === 'waiting',
					30_000,
				);
				const taskId = [...evolink.tasks.keys()].at(-1);
				const forged = await evolink.sendForgedCallback(urls[0], {
					id: taskId,
					status: 'completed',
					progress: 100,
					results: [`${elsewhere.url}/evil.png`],
				});
				expect(forged.status).toBe(200);
				// Still waiting: the provider said the task is not finished.
				expect(await statusOf(id)).toBe('waiting');
				await waitFor(
					`execution ${id} to finish`,
					async () => (await statusOf(id)) === 'success',
					60_000,
				);
				expect(elsewhere.requests).toHaveLength(0);
			} finally {
				await elsewhere.stop();
			}
		},
		120_000,
	);

	on2(
		"a failed task fails the execution with the provider's reason",
		async () => {
			evolink.failNextTask('content_policy_violation', 'The prompt was flagged');
			const { id } = await trigger('cb-fail', ['a flagged kite']);
			await waitFor(
				`execution ${id} to fail`,
				async () => (await statusOf(id)) === 'error',
				60_000,
			);
			const { data } = await rest.execution(id);
			expect(data).toContain('the task failed: content_policy_violation: The prompt was flagged');
			expect(reports('cb-fail')).toHaveLength(0);
		},
		120_000,
	);

	on2(
		'no callback within Max Wait: n8n resumes on its timer and the node fails, naming the task',
		async () => {
			evolink.dropCallbacksFor(1);
			const { id } = await trigger('cb-lost', ['a lost kite']);
			await waitFor(
				`execution ${id} to wait`,
				async () => (await statusOf(id)) === 'waiting',
				30_000,
			);
			// n8n looks for expired waits every 60 s.
			await waitFor(
				`execution ${id} to fail`,
				async () => (await statusOf(id)) === 'error',
				150_000,
			);
			const { data } = await rest.execution(id);
			expect(data).toMatch(
				/No callback from Evolink with every task finished before Max Wait ran out/,
			);
			expect(data).toMatch(/task IDs: task-unified-/);
			expect(data).toContain([...evolink.tasks.keys()].at(-1));
			expect(reports('cb-lost')).toHaveLength(0);
		},
		240_000,
	);

	on1(
		'n8n 1.x: refused before anything is sent, its resume URLs are not signed',
		async () => {
			const before = evolink.submits().length;
			const answer = await fetch(`${rest.mainUrl}/webhook/cb-basic`, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify({ prompts: ['a kite on 1.x'] }),
			});
			expect(answer.status).toBe(200);
			const failed = await waitFor(
				'the execution to fail',
				async () => {
					const list = await rest.rest('GET', '/executions');
					const results = ((list.json.data as { results?: Array<{ id: string; status: string }> })
						?.results ?? []) as Array<{ id: string; status: string }>;
					return results.find((execution) => execution.status === 'error');
				},
				60_000,
			);
			const { data } = await rest.execution(failed.id);
			// n8n stores the execution serialized: quotes in the message come escaped.
			expect(data).toContain("is not possible: this n8n's resume URL (https://n8n.zimage.test:");
			expect(data).toContain('it carries no signature (n8n 1.x): n8n 2.x is needed');
			expect(evolink.submits().length).toBe(before);
		},
		120_000,
	);
});
