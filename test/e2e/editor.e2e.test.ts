/**
 * A person's path through n8n's editor, in a real browser (Debian's Chromium driven by
 * playwright-core) against a real n8n with this package installed: find the node in the node
 * panel, create each provider's credential and press its connection test, switch provider
 * through the Credential select, Execute step and read the output panel. Each step's
 * screenshot lands in e2e-artifacts/editor-n8n-<version>/ (printed when the suite starts).
 */
/* eslint-disable no-console -- a test driving a real n8n and a browser, never shipped */
import type { Browser, BrowserContext } from 'playwright-core';

import { launchBrowser, newPage, Shots } from '../../e2e/lib/browser';
import { Editor } from '../../e2e/lib/editor';
import { EditorServer } from '../../e2e/lib/editorServer';
import { ensureRuntime, n8nLine, n8nVersion } from '../../e2e/lib/n8n';
import { startSimulators, type RunningSimulators } from '../../scripts/simulators';

const PROMPT = 'A lighthouse on a cliff at sunset, photorealistic';

/** What a person types into "What happens next?" and expects Z-Image for. */
const SEARCHES = [
	'zimage',
	'z-image',
	'Z-Image',
	'Z Image',
	'image generation',
	'text to image',
	'image',
	'TensorsLab',
	'Evolink',
	'ODKKK',
	'fal.ai',
	'Alibaba',
	'Model Studio',
	'Replicate',
];

/**
 * One row per provider: its credential as the "Add new credential" list names it, the
 * fields a person fills (label → value), the wrong value and the provider's words for it,
 * and how many generations its simulator has seen. Adding a provider is adding a row.
 */
interface CredentialRow {
	provider: string;
	credential: string;
	fields: (sims: RunningSimulators) => Record<string, string>;
	/** Field label and wrong value that the connection test must refuse. */
	wrong: (sims: RunningSimulators) => [string, string];
	words: RegExp;
	generations: (sims: RunningSimulators) => number;
}

const CREDENTIALS: CredentialRow[] = [
	{
		provider: 'TensorsLab',
		credential: 'TensorsLab API',
		fields: (s) => ({ 'API Key': s.tensorsLab.apiKey, 'Base URL': s.tensorsLab.url }),
		wrong: () => ['API Key', 'wrong-key-browser'],
		// n8n 1.x's tester says its own words for a 401 the credential's rules do not name.
		words:
			/rejected|invalid|unauthori[sz]ed|401|key|Authorization failed - please check your credentials/i,
		generations: (s) => s.tensorsLab.tasks.size,
	},
	{
		provider: 'Z-Image Server',
		credential: 'Z-Image Server API',
		fields: (s) => ({ 'Base URL': s.selfHosted.url }),
		wrong: () => ['Base URL', 'http://127.0.0.1:9'],
		words: /ECONNREFUSED|refused|reach|127\.0\.0\.1:9/i,
		generations: (s) => s.selfHosted.imageRequests().length,
	},
	{
		provider: 'Evolink',
		credential: 'Evolink API',
		fields: (s) => ({ 'API Key': s.evolink.apiKey, 'Base URL': s.evolink.url }),
		wrong: () => ['API Key', 'wrong-key-browser'],
		words: /Evolink rejected the API key/,
		generations: (s) => s.evolink.submits().length,
	},
	{
		provider: 'ODKKK',
		credential: 'ODKKK API',
		fields: (s) => ({ 'API Key': s.odkkk.apiKey, 'Base URL': s.odkkk.url }),
		wrong: () => ['API Key', 'wrong-key-browser'],
		words: /ODKKK rejected the API key/,
		generations: (s) => s.odkkk.submits().length,
	},
	{
		provider: 'fal.ai',
		credential: 'fal.ai Z-Image API',
		fields: (s) => ({ 'API Key': s.fal.apiKey, 'Base URL': s.fal.url }),
		wrong: () => ['API Key', 'fa1c0de0-0000-4000-8000-00000000e2e0:ffff'],
		words: /fal\.ai rejected the API key/,
		generations: (s) => s.fal.submits().length,
	},
	{
		provider: 'Alibaba Cloud Model Studio',
		credential: 'Alibaba Cloud Model Studio API',
		fields: (s) => ({
			'API Key': s.modelStudio.apiKey,
			Region: 'Custom Base URL',
			'Base URL': s.modelStudio.url,
		}),
		wrong: () => ['API Key', 'wrong-key-browser'],
		words: /Model Studio rejected the API key|Authorization failed/,
		generations: (s) => s.modelStudio.submits().length,
	},
	{
		provider: 'Replicate',
		credential: 'Replicate Z-Image API',
		fields: (s) => ({ 'API Token': s.replicate.apiKey, 'Base URL': s.replicate.url }),
		wrong: () => ['API Token', 'r8_wrong-browser'],
		// n8n 1.x's tester says its own words for a refused token (see credentials.e2e).
		words: /Replicate rejected the API token|Authorization failed/,
		generations: (s) => s.replicate.creates().length,
	},
];

let sims: RunningSimulators;
let server: EditorServer;
let browser: Browser;
let shots: Shots;
let context: BrowserContext | undefined;
let editor: Editor;
const started = Date.now();

beforeAll(async () => {
	const node = ensureRuntime();
	sims = await startSimulators(800);
	server = await EditorServer.start(node);
	browser = await launchBrowser();
	shots = new Shots(`editor-n8n-${n8nVersion()}`);
}, 10 * 60_000);

afterAll(async () => {
	await context?.close();
	await browser?.close();
	await server?.stop();
	await sims?.stop();
	console.log(
		`browser e2e on n8n ${n8nVersion()} (line ${n8nLine()}): ${Math.round((Date.now() - started) / 1000)} s`,
	);
});

let session: Awaited<ReturnType<EditorServer['login']>> | undefined;

beforeEach(async () => {
	await context?.close();
	const opened = await newPage(browser, session);
	context = opened.context;
	session ??= await server.login(opened.page);
	editor = new Editor(opened.page, server.base);
});

test('the node panel finds Z-Image for its names, what it does and each provider, and lists its actions', async () => {
	await editor.newWorkflow();
	await shots.take(editor.page, 'new-workflow');
	await editor.addManualTrigger();
	await editor.openNextStepPanel();
	const missed: string[] = [];
	for (const term of SEARCHES) {
		await editor.search(term);
		// The list follows the input after a debounce: give it a few seconds to show Z-Image.
		const found = await editor
			.itemNames()
			.filter({ hasText: /^\s*Z-Image\s*$/ })
			.first()
			.waitFor({ timeout: 5000 })
			.then(() => true)
			.catch(() => false);
		if (!found) {
			const names = await editor.itemNames().allInnerTexts();
			missed.push(`${term}: ${names.join(', ') || 'No results'}`);
		}
		if (term === 'zimage') await shots.take(editor.page, 'search-zimage');
	}
	expect(missed).toEqual([]);

	await editor.search('Z-Image');
	await editor.pickItem('Z-Image');
	await editor.itemNames().filter({ hasText: 'Generate an image' }).first().waitFor();
	await shots.take(editor.page, 'actions');
	const actions = (await editor.itemNames().allInnerTexts()).map((name) => name.trim());
	// The panel heads the list with the node itself.
	expect(actions.filter((name) => name !== 'Z-Image')).toEqual([
		'Delete tasks',
		'Edit an image',
		'Generate an image',
		'Get a task',
		'Check the connection',
	]);
	await editor.pickItem('Generate an image');
	await editor.ndv.waitFor();
	await expect(editor.ndv.getByText('Prompt', { exact: true }).first().isVisible()).resolves.toBe(
		true,
	);
	await shots.take(editor.page, 'generate-ndv');
});

describe.each(CREDENTIALS)('$provider credential', (row) => {
	test('created in the editor: the connection test refuses a wrong value in its words and passes the right one, nothing generated', async () => {
		const before = row.generations(sims);
		const fields = row.fields(sims);
		const [wrongField, wrongValue] = row.wrong(sims);
		const modal = await editor.openNewCredential(row.credential);
		await editor.fillCredential({ ...fields, [wrongField]: wrongValue });
		await editor.saveCredential();
		const refusal = await editor.credentialTestFailure();
		await shots.take(editor.page, `credential-${row.provider}-wrong`);
		expect(refusal).toMatch(row.words);

		await editor.fillCredential({ [wrongField]: fields[wrongField] });
		await editor.saveCredential();
		await modal.locator('[data-test-id="credentials-config-container-test-success"]').waitFor();
		await shots.take(editor.page, `credential-${row.provider}-ok`);
		await editor.closeCredential();
		expect(row.generations(sims)).toBe(before);
	});
});

test('Execute step: the Binary view shows the image at the size asked for, the JSON view its task id, size and seed', async () => {
	await editor.addZImageGenerate();
	// The one TensorsLab credential is picked for the new node; Evolink is chosen from the select.
	await editor.pickCredential('Evolink account');
	await editor.fillParameter('Prompt', PROMPT);
	await editor.selectOption('Size', 'Custom');
	await editor.fillParameter('Width', '768');
	await editor.fillParameter('Height', '512');
	await editor.fillParameter('Seed', '42');
	await shots.take(editor.page, 'execute-parameters', 'z-image-node');
	const submits = sims.evolink.submits().length;
	await editor.executeStep();
	await editor.outputMode('JSON');
	const task = [...sims.evolink.tasks.values()].at(-1)!;
	// The JSON view renders after the switch: wait for the task id to show.
	await editor.output.getByText(task.id).first().waitFor();
	const json = (await editor.output.innerText()).replace(/\s+/g, ' ');
	await shots.take(editor.page, 'execute-json');
	expect(json).toContain(task.id);
	expect(json).toMatch(/"width": ?768/);
	expect(json).toMatch(/"height": ?512/);
	expect(json).toMatch(/"seed": ?42\b/);
	expect(task.seed).toBe(42);
	await editor.outputMode('Binary');
	const size = await editor.binaryImageSize();
	await shots.take(editor.page, 'execute-binary', 'z-image-output');
	expect(size).toEqual({ width: 768, height: 512 });
	expect(sims.evolink.submits().length - submits).toBe(1);
});

test('switching provider through the Credential select shows only its fields and operations, and the first Execute step succeeds', async () => {
	await editor.addZImageGenerate();
	await editor.pickCredential('TensorsLab account');
	await editor.fillParameter('Prompt', PROMPT);
	const tensorsLab = await editor.parameterLabels();
	expect(tensorsLab).toEqual(expect.arrayContaining(['Model', 'Resolution', 'Prompt Extend']));
	await editor.ndv.locator('[data-test-id="node-credentials-select"]').click();
	await shots.take(editor.page, 'credential-select', 'z-image-credentials');
	await editor.page.keyboard.press('Escape');
	await editor.pickCredential('Evolink account');
	await shots.take(editor.page, 'switch-evolink');
	const evolink = await editor.parameterLabels();
	expect(evolink).toEqual(expect.arrayContaining(['Model', 'Size', 'NSFW Check']));
	expect(evolink).not.toContain('Resolution');
	expect(evolink).not.toContain('Prompt Extend');
	// Evolink cannot edit or delete tasks: the Operation list does not offer it.
	expect(await editor.optionsOf('operation')).toEqual(['Generate', 'Get Task', 'Health']);
	const submits = sims.evolink.submits().length;
	await editor.executeStep();
	await editor.outputMode('Binary');
	await shots.take(editor.page, 'switch-executed');
	expect(await editor.binaryImageSize()).toMatchObject({ width: expect.any(Number) });
	expect(sims.evolink.submits().length - submits).toBe(1);
});

test('an empty prompt: Execute step is refused naming the field, and the provider receives nothing', async () => {
	await editor.addZImageGenerate();
	await editor.pickCredential('Evolink account');
	const requests = sims.evolink.api.requests.length;
	await editor.executeStep();
	const notice = await editor.notification();
	await shots.take(editor.page, 'empty-prompt');
	if (n8nLine() === '2') expect(notice).toMatch(/Parameter "Prompt" is required/);
	else {
		// 1.x's notice names no field: the field itself carries the issue mark.
		expect(notice).toMatch(/The workflow has issues/);
		await expect(
			(await editor.parameter('Prompt')).locator('[data-test-id="parameter-issues"]').count(),
		).resolves.toBe(1);
	}
	expect(sims.evolink.api.requests.length).toBe(requests);
});

/** A credential saved through REST once (so a test run alone with -t has it), by its name. */
const saved = new Map<string, Promise<string>>();
async function credential(name: string, type: string, data: Record<string, unknown>) {
	if (!saved.has(name)) saved.set(name, server.rest.createCredential(name, type, data));
	await saved.get(name);
	return name;
}

test('a size the provider refuses: Execute step shows the error naming the field and the allowed range, and the provider receives nothing', async () => {
	const name = await credential('Model Studio (browser)', 'zImageModelStudioApi', {
		apiKey: sims.modelStudio.apiKey,
		region: 'custom',
		baseUrl: sims.modelStudio.url,
	});
	await editor.addZImageGenerate();
	await editor.pickCredential(name);
	await editor.fillParameter('Prompt', PROMPT);
	// Each side is a size the field takes (1 or more); together 400×300 is under z-image-turbo's 512×512 pixels.
	await editor.selectOption('Size', 'Custom');
	await editor.fillParameter('Width', '400');
	await editor.fillParameter('Height', '300');
	await shots.take(editor.page, 'refused-size-parameters', 'z-image-node');
	const requests = sims.modelStudio.api.requests.length;
	const submits = sims.modelStudio.submits().length;
	await editor.executeStep();
	// The output panel shows the node's error: the field, the value and what is allowed.
	const error = editor.page.getByText(/Invalid Size "400x300"/).first();
	const seen = await error
		.waitFor({ timeout: 60_000 })
		.then(() => true)
		.catch(() => false);
	await shots.take(editor.page, 'refused-size-error');
	if (!seen) {
		const page = (await editor.page.locator('body').innerText()).replace(/\s+/g, ' ');
		throw new Error(`no "Invalid Size" error shown; the page shows: ${page.slice(0, 3000)}`);
	}
	const shown = (await error.innerText()).replace(/\s+/g, ' ');
	expect(shown).toContain('Invalid Size "400x300": 400×300 is 120,000 pixels');
	expect(shown).toContain('512×512 to 2048×2048 pixels in total');
	const panel = (await editor.output.innerText()).replace(/\s+/g, ' ');
	expect(panel).toContain('Nothing was sent to the provider. Fix "Size" and run again.');
	expect(sims.modelStudio.api.requests.length).toBe(requests);
	expect(sims.modelStudio.submits().length).toBe(submits);
});

test('the AI Agent\'s Tool connector finds "Z-Image Tool" for "Z-Image" and "zimage"', async () => {
	await editor.newWorkflow();
	await editor.addManualTrigger();
	await editor.openNextStepPanel();
	await editor.searchBar.fill('AI Agent');
	await editor.pickItem('AI Agent');
	await editor.closeNdvIfOpen();
	await editor.canvasNode('AI Agent').first().waitFor();
	await shots.take(editor.page, 'agent-added');
	await editor.openConnectorPanel('AI Agent', 'ai_tool');
	const missed: string[] = [];
	for (const term of ['Z-Image', 'zimage']) {
		await editor.searchBar.fill(term);
		const found = await editor
			.itemNames()
			.filter({ hasText: /^\s*Z-Image Tool\s*$/ })
			.first()
			.waitFor({ timeout: 10_000 })
			.then(() => true)
			.catch(() => false);
		await shots.take(editor.page, `agent-tool-search-${term}`);
		if (!found) {
			const names = await editor.itemNames().allInnerTexts();
			missed.push(`${term}: ${names.join(', ') || 'No results'}`);
		}
	}
	expect(missed).toEqual([]);
});

test('a long generation stopped from the editor: after Stop the provider sees no more requests', async () => {
	const name = await credential('Evolink (browser)', 'evolinkApi', {
		apiKey: sims.evolink.apiKey,
		baseUrl: sims.evolink.url,
	});
	const taskMs = sims.evolink.taskMs;
	sims.evolink.taskMs = 10 * 60_000;
	try {
		await editor.addZImageGenerate();
		await editor.pickCredential(name);
		await editor.fillParameter('Prompt', PROMPT);
		const submits = sims.evolink.submits().length;
		await editor.executeStep();
		for (let waited = 0; sims.evolink.submits().length === submits; waited += 200) {
			if (waited > 60_000) throw new Error('Evolink never received the generation');
			await editor.page.waitForTimeout(200);
		}
		await editor.closeNdv();
		const stop = editor.byTest('stop-execution-button');
		await stop.first().click({ timeout: 30_000 });
		await shots.take(editor.page, 'long-generation-stopped');
		await stop.first().waitFor({ state: 'hidden', timeout: 30_000 });
		const requests = sims.evolink.api.requests.length;
		// No request may follow the stop: watch the wire longer than the node's longest poll interval (10 s).
		await editor.page.waitForTimeout(11_000);
		expect(sims.evolink.api.requests.length).toBe(requests);
		expect(sims.evolink.submits().length - submits).toBe(1);
	} finally {
		sims.evolink.taskMs = taskMs;
	}
});

test('Wait Mode "Provider Callback" on a local n8n (http://): Fail names WEBHOOK_URL and sends nothing; Poll Instead polls and says so', async () => {
	const name = await credential('Evolink (browser)', 'evolinkApi', {
		apiKey: sims.evolink.apiKey,
		baseUrl: sims.evolink.url,
	});
	await editor.addZImageCallback(name, PROMPT);
	const requests = sims.evolink.api.requests.length;
	await editor.executeStep();
	const refusal = editor.page.getByText(/Wait Mode "Provider Callback" is not possible/).first();
	await refusal.waitFor({ timeout: 60_000 });
	await shots.take(editor.page, 'callback-local-refused');
	// This n8n's WEBHOOK_URL is http://127.0.0.1:<port>/ (1.x: its resume URL is not signed either).
	expect((await refusal.innerText()).replace(/\s+/g, ' ')).toMatch(
		/resume URL \(http:\/\/127\.0\.0\.1:\d+\/webhook-waiting\/[^)]*\) will not do/,
	);
	const panel = (await editor.output.innerText()).replace(/\s+/g, ' ');
	expect(panel).toContain("Set n8n's WEBHOOK_URL to this instance's public https:// address");
	expect(panel).toContain('Nothing was sent.');
	expect(sims.evolink.api.requests.length).toBe(requests);

	const submits = sims.evolink.submits().length;
	await editor.executePollingInstead();
	await shots.take(editor.page, 'callback-local-poll-instead');
	expect(sims.evolink.submits().length - submits).toBe(1);
	expect((sims.evolink.submits().at(-1)!.json as Record<string, unknown>).callback_url).toBe(
		undefined,
	);
});
