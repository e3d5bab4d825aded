/**
 * The node as an AI Agent tool in a real n8n: the AI Agent with the OpenAI Chat Model pointed
 * at a fake OpenAI-compatible server (e2e/lib/fakeOpenAi.ts: Responses API and Chat
 * Completions). The fake answers the first model call with a call to the Z-Image tool and the second, which
 * carries the tool's result, with a final answer; the tests read what the tool handed the model.
 */
import { ZImage } from '../../nodes/ZImage/ZImage.node';
import { FakeOpenAi } from '../../e2e/lib/fakeOpenAi';
import { ensureRuntime, type Execution, N8nInstance, n8nLine } from '../../e2e/lib/n8n';
import {
	simulatorCredentials,
	startSimulators,
	type RunningSimulators,
} from '../../scripts/simulators';

const PROMPT = 'A lighthouse on a cliff at sunset, photorealistic';
const FINAL_ANSWER = 'Here is your lighthouse.';

/**
 * Manual trigger → AI Agent, with the OpenAI Chat Model and the Z-Image tool (Evolink) whose
 * Prompt the model fills ($fromAI, as the ✨ button on Prompt sets it).
 */
function agentWorkflow(id: string) {
	return {
		id,
		name: `Z-Image agent ${id}`,
		active: false,
		settings: { executionOrder: 'v1' },
		connections: {
			'Manual Trigger': { main: [[{ node: 'AI Agent', type: 'main', index: 0 }]] },
			'OpenAI Chat Model': {
				ai_languageModel: [[{ node: 'AI Agent', type: 'ai_languageModel', index: 0 }]],
			},
			'Z-Image': { ai_tool: [[{ node: 'AI Agent', type: 'ai_tool', index: 0 }]] },
		},
		nodes: [
			{
				id: 'n1',
				name: 'Manual Trigger',
				type: 'n8n-nodes-base.manualTrigger',
				typeVersion: 1,
				position: [0, 0],
				parameters: {},
			},
			{
				id: 'n2',
				name: 'AI Agent',
				type: '@n8n/n8n-nodes-langchain.agent',
				typeVersion: 3,
				position: [220, 0],
				parameters: {
					promptType: 'define',
					text: 'Draw a lighthouse for me and give me the link.',
					options: {},
				},
			},
			{
				id: 'n3',
				name: 'OpenAI Chat Model',
				type: '@n8n/n8n-nodes-langchain.lmChatOpenAi',
				// 1.3 calls the Responses API unless "Use Responses API" is off.
				typeVersion: 1.3,
				position: [200, 200],
				parameters: { model: { __rl: true, mode: 'list', value: 'gpt-4o-mini' }, options: {} },
				credentials: { openAiApi: { id: 'fake-openai', name: 'Fake OpenAI' } },
			},
			{
				id: 'n4',
				name: 'Z-Image',
				type: 'n8n-nodes-zimage.zImageTool',
				typeVersion: 1,
				position: [400, 200],
				parameters: {
					provider: 'evolink',
					operation: 'generate',
					prompt: "={{ $fromAI('Prompt', ``, 'string') }}",
					size: 'custom',
					width: 1024,
					height: 768,
				},
				credentials: { evolinkApi: { id: 'zimage-evolink', name: 'Evolink account' } },
			},
		],
	};
}

let sims: RunningSimulators;
let fake: FakeOpenAi;
let n8n: N8nInstance;

function succeeded(execution: Execution): void {
	if (execution.status !== 'success')
		throw new Error(`execution ${execution.status}: ${execution.error}`);
}

beforeAll(async () => {
	const node = ensureRuntime();
	sims = await startSimulators(300);
	fake = await new FakeOpenAi(PROMPT, FINAL_ANSWER).start();
	n8n = new N8nInstance(node);
	n8n.installPackage();
	await n8n.importCredentials([
		...simulatorCredentials(sims),
		{
			id: 'fake-openai',
			name: 'Fake OpenAI',
			type: 'openAiApi',
			data: { apiKey: 'sk-fake-e2e', url: fake.url },
		},
	]);
	await n8n.importWorkflows([agentWorkflow('ZImageAgent1'), agentWorkflow('ZImageAgent2')]);
}, 20 * 60_000);

afterAll(async () => {
	await sims?.stop();
	await fake?.stop();
	n8n?.remove();
});

beforeEach(() => {
	fake.calls.length = 0;
});

test('the model gets links, their expiry, the size and the task id; one submit, nothing downloaded', async () => {
	const cdnBefore = sims.evolink.cdn.requests.length;
	const submitsBefore = sims.evolink.submits().length;
	const execution = await n8n.execute('ZImageAgent1');
	succeeded(execution);

	// The model saw the tool with a description that says what comes back. n8n builds the tool it
	// runs from the node's own description (usableAsTool's replacements reach only the editor).
	expect(fake.calls).toHaveLength(2);
	if (n8nLine() === '2')
		expect(fake.calls.map((call) => call.api)).toEqual(['responses', 'responses']);
	expect(fake.calls[0].tools).toEqual([
		{
			name: expect.stringMatching(/^Z[-_]?Image$/),
			description: new ZImage().description.description,
		},
	]);
	expect(fake.calls[0].tools[0].description).toMatch(/as an AI agent tool, get JSON with links/);

	// What the tool handed the model.
	const toolResult = fake.calls[1].toolResult ?? '';
	const task = [...sims.evolink.tasks.values()].at(-1)!;
	expect(task.prompt).toBe(PROMPT);
	const parsed = JSON.parse(toolResult) as unknown;
	const items = (Array.isArray(parsed) ? parsed : [parsed]) as Array<Record<string, unknown>>;
	expect(items).toEqual([
		{
			status: 'completed',
			urls: [`${sims.evolink.cdn.url}/results/${task.id}-0.png`],
			urlsExpire: 'after 24 hours: Evolink keeps tasks and their image links for 24 hours',
			width: 1024,
			height: 768,
			taskId: task.id,
			provider: 'evolink',
			model: 'z-image-turbo',
			prompt: PROMPT,
		},
	]);
	expect(toolResult).not.toMatch(
		/base64|binary|fileName|mimeType|\/tmp\/|\.n8n|storage|filesystem/i,
	);
	expect(toolResult).not.toContain(sims.evolink.apiKey);

	// The provider: exactly one generation, and no download from its CDN.
	expect(sims.evolink.submits().length - submitsBefore).toBe(1);
	expect(sims.evolink.cdn.requests.length - cdnBefore).toBe(0);

	expect(execution.outputs['AI Agent']?.[0]?.json.output).toBe(FINAL_ANSWER);
});

test('a failure reaches the model as a message that says what to do', async () => {
	// The task vanishes at the provider (404 on the status look): its hint lives in the description.
	sims.evolink.planError('poll', 404, 5);
	const execution = await n8n.execute('ZImageAgent2');
	if (n8nLine() === '1') {
		// n8n 1.x's agent does not hand a tool's error to the model: the execution fails with it.
		expect(execution.status).toBe('error');
		expect(execution.error).toMatch(
			/Not found or expired: .*\. Tasks and their image links are kept for 24 hours\.$/s,
		);
		expect(fake.calls).toHaveLength(1);
		return;
	}
	succeeded(execution);
	expect(fake.calls).toHaveLength(2);
	const toolResult = fake.calls[1].toolResult ?? '';
	expect(toolResult).toMatch(/Evolink \(generate, task task-unified-[^)]+\): Not found or expired/);
	expect(toolResult).toContain('Tasks and their image links are kept for 24 hours');
});
