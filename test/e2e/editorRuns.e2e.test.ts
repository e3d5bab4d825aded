/**
 * Runs that reach beyond one node, started from n8n's editor in a real browser (Debian's
 * Chromium driven by playwright-core): a Generate in Wait Mode "Provider Callback", parked
 * until Evolink calls back, and the AI Agent with Z-Image Tool attached from the canvas. The
 * n8n runs behind a TLS front whose address is its WEBHOOK_URL, as in production; the
 * Evolink simulator calls back there. Screenshots land in e2e-artifacts/editor-runs-n8n-<version>/.
 */
/* eslint-disable no-console -- a test driving a real n8n and a browser, never shipped */
import type { Browser, BrowserContext } from 'playwright-core';

import { launchBrowser, newPage, Shots } from '../../e2e/lib/browser';
import { Editor } from '../../e2e/lib/editor';
import { EditorServer } from '../../e2e/lib/editorServer';
import { FakeOpenAi } from '../../e2e/lib/fakeOpenAi';
import { ensureRuntime, n8nLine, n8nVersion } from '../../e2e/lib/n8n';
import { waitFor } from '../../e2e/lib/rest';
import { startTlsFront, type TlsFront } from '../../e2e/lib/tlsFront';
import { EvolinkSimulator } from '../simulators/evolink';

const PROMPT = 'A lighthouse on a cliff at sunset, photorealistic';
const FINAL_ANSWER = 'Here is your lighthouse.';
const line = n8nLine();
const TASK_MS = 8000;

let evolink: EvolinkSimulator;
let fake: FakeOpenAi;
let front: TlsFront;
let server: EditorServer;
let browser: Browser;
let shots: Shots;
let context: BrowserContext | undefined;
let editor: Editor;
const started = Date.now();

beforeAll(async () => {
	const node = ensureRuntime();
	evolink = await new EvolinkSimulator({
		taskMs: TASK_MS,
		callbacks: { resolveTo: '127.0.0.1', trustSelfSigned: true },
	}).start();
	fake = await new FakeOpenAi(PROMPT, FINAL_ANSWER).start();
	let upstream = 0;
	front = await startTlsFront(() => upstream);
	server = await EditorServer.start(node, { WEBHOOK_URL: front.url });
	upstream = Number(new URL(server.base).port);
	await server.rest.createCredential('Evolink account', 'evolinkApi', {
		apiKey: evolink.apiKey,
		baseUrl: evolink.url,
	});
	await server.rest.createCredential('Fake OpenAI', 'openAiApi', {
		apiKey: 'sk-fake-e2e',
		url: fake.url,
	});
	browser = await launchBrowser();
	shots = new Shots(`editor-runs-n8n-${n8nVersion()}`);
	const opened = await newPage(browser);
	context = opened.context;
	await server.login(opened.page);
	editor = new Editor(opened.page, server.base);
}, 10 * 60_000);

afterAll(async () => {
	await context?.close();
	await browser?.close();
	await server?.stop();
	await front?.stop();
	await evolink?.stop();
	await fake?.stop();
	console.log(
		`browser e2e (runs) on n8n ${n8nVersion()} (line ${line}): ${Math.round((Date.now() - started) / 1000)} s`,
	);
});

afterEach(() => {
	evolink.taskMs = TASK_MS;
});

const text = async (locator: { innerText(): Promise<string> }) =>
	(await locator.innerText().catch(() => '')).replace(/\s+/g, ' ');

const on2 = line === '2' ? test : test.skip;
const on1 = line === '1' ? test : test.skip;

on2(
	'Wait Mode "Provider Callback" from the editor: the run waits for Evolink\'s callback without polling, then shows the image',
	async () => {
		await editor.addZImageCallback('Evolink account', PROMPT);
		await shots.take(editor.page, 'callback-parameters');
		// Long enough to look at the waiting run however slow the machine; the callback comes then.
		evolink.taskMs = 20_000;
		const submits = evolink.submits().length;
		const polls = evolink.polls().length;
		await editor.executeStep();
		await waitFor('the submission', () => evolink.submits().length > submits, 60_000);
		const submit = evolink.submits().at(-1)!;
		const callbackUrl = String((submit.json as Record<string, unknown>).callback_url);
		// The resume URL of this execution, on the public https address, signed, naming its item.
		expect(callbackUrl).toMatch(
			new RegExp(
				`^${front.url.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}webhook-waiting/\\d+\\?signature=[^&]+&zimage_item=0$`,
			),
		);
		const executionId = /webhook-waiting\/(\d+)/.exec(callbackUrl)![1];
		await waitFor(
			`execution ${executionId} to wait`,
			async () => (await server.rest.execution(executionId)).status === 'waiting',
			60_000,
		);
		// What the person sees while it waits (docs/waiting.md): the output panel says n8n's
		// "Waiting for input" over the one item parked, in every view; the canvas keeps the run's Stop.
		await editor.output.getByText('Waiting for input').first().waitFor();
		expect(await text(editor.output)).toMatch(/1 item Waiting for input/);
		await shots.take(editor.page, 'callback-waiting');
		await editor.outputMode('JSON');
		expect(await text(editor.output)).toMatch(/1 item Waiting for input/);
		await editor.closeNdv();
		await expect(editor.byTest('stop-execution-button').first().isVisible()).resolves.toBe(true);
		await shots.take(editor.page, 'callback-waiting-canvas');
		await waitFor('the callback', () => evolink.callbacksDelivered().length > 0, 60_000);
		// Parked: one look right after the submission, none while it waited for the callback.
		const called = evolink.callbacksDelivered()[0].at;
		expect(evolink.polls().filter((poll) => poll.at < called).length - polls).toBe(1);
		await editor.canvasNode('Z-Image').first().dblclick();
		await editor.ndv.waitFor();
		await editor.outputMode('Binary');
		expect(await editor.binaryImageSize()).toEqual({ width: 1024, height: 1024 });
		await shots.take(editor.page, 'callback-done');
		expect((await server.rest.execution(executionId)).status).toBe('success');
		// The callback made the node look the task up once with the key; one generation in all.
		expect(evolink.polls().length - polls).toBe(2);
		expect(evolink.submits().length - submits).toBe(1);
	},
	180_000,
);
on1(
	'n8n 1.x: Provider Callback is refused before anything is sent, naming why; Poll Instead polls and says so',
	async () => {
		await editor.addZImageCallback('Evolink account', PROMPT);
		const requests = evolink.api.requests.length;
		await editor.executeStep();
		const refusal = editor.page.getByText(/Wait Mode "Provider Callback" is not possible/).first();
		await refusal.waitFor({ timeout: 60_000 });
		await shots.take(editor.page, 'callback-refused-1x');
		expect(await text(refusal)).toContain('it carries no signature (n8n 1.x): n8n 2.x is needed');
		// What to do about it: this n8n's WEBHOOK_URL is fine, its line is not.
		expect(await text(editor.output)).toContain(
			'Run the workflow on n8n 2.x, or set "If Callback Is Not Possible" to "Poll Instead". Nothing was sent.',
		);
		expect(evolink.api.requests.length).toBe(requests);

		const submits = evolink.submits().length;
		await editor.executePollingInstead();
		await shots.take(editor.page, 'callback-poll-instead-1x');
		expect(evolink.submits().length - submits).toBe(1);
		const submit = evolink.submits().at(-1)!;
		expect((submit.json as Record<string, unknown>).callback_url).toBeUndefined();
	},
	180_000,
);

test('the AI Agent with Z-Image Tool attached from the canvas: one run, the model gets the image link, one generation', async () => {
	await editor.newWorkflow();
	await editor.addManualTrigger();
	await editor.openNextStepPanel();
	await editor.searchBar.fill('AI Agent');
	await editor.pickItem('AI Agent');
	await editor.ndv.waitFor();
	await editor.selectOption('Source for Prompt (User Message)', 'Define below');
	await editor.fillParameter(
		'Prompt (User Message)',
		'Draw a lighthouse for me and give me the link.',
	);
	await shots.take(editor.page, 'agent-prompt');
	await editor.closeNdv();

	// Its Chat Model: OpenAI's, with the one OpenAI credential there is (the fake's).
	await editor.addFromConnector('AI Agent', 'ai_languageModel', 'OpenAI', 'OpenAI Chat Model');
	await shots.take(editor.page, 'agent-model');
	await editor.closeNdv();

	// Its Tool: Z-Image, with the Evolink credential, the model filling the Prompt (the ✨ button).
	await editor.addFromConnector('AI Agent', 'ai_tool', 'Z-Image', 'Z-Image Tool');
	await editor.pickCredential('Evolink account');
	await (await editor.parameter('Prompt'))
		.locator('[data-test-id="from-ai-override-button"]')
		.click();
	await shots.take(editor.page, 'agent-tool');
	await editor.closeNdv();
	await shots.take(editor.page, 'agent-canvas');

	fake.calls.length = 0;
	const submits = evolink.submits().length;
	const downloads = evolink.cdn.requests.length;
	await editor.byTest('execute-workflow-button').first().click();
	await waitFor(
		"the model's second call (with the tool's result)",
		() => fake.calls.length >= 2,
		120_000,
	);
	const agent = editor.canvasNode('AI Agent').first();
	await agent.dblclick();
	await editor.ndv.waitFor();
	await editor.output.getByText(FINAL_ANSWER).first().waitFor({ timeout: 30_000 });
	await shots.take(editor.page, 'agent-ran');
	// The tool ran once: one generation, its link handed to the model, nothing downloaded.
	const task = [...evolink.tasks.values()].at(-1)!;
	expect(evolink.submits().length - submits).toBe(1);
	expect(task.prompt).toBe(PROMPT);
	expect(fake.calls).toHaveLength(2);
	expect(fake.calls[1].toolResult).toContain(`${evolink.cdn.url}/results/${task.id}-0.png`);
	expect(evolink.cdn.requests.length - downloads).toBe(0);
}, 240_000);
