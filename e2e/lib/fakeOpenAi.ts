/**
 * A fake OpenAI-compatible chat model server on 127.0.0.1 for an AI Agent run from the
 * editor (Responses API and Chat Completions): the first call, with no tool result yet, asks
 * for the first tool offered with a prompt; a call that carries the tool's result gets the
 * final answer. `calls` is what the model was sent.
 */
/* eslint-disable @n8n/community-nodes/no-restricted-imports -- a fake model API for the e2e tests (node:http), never shipped */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One model call as the fake saw it: the API, the tools offered, the tool result sent back. */
export interface ModelCall {
	api: 'responses' | 'chat';
	tools: Array<{ name: string; description: string }>;
	toolResult?: string;
}

export class FakeOpenAi {
	readonly calls: ModelCall[] = [];
	private server?: Server;
	url = '';

	constructor(
		readonly prompt: string,
		readonly finalAnswer: string,
	) {}

	async start(): Promise<this> {
		this.server = createServer((req, res) => void this.handle(req, res));
		await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
		this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
		return this;
	}

	async stop(): Promise<void> {
		this.server?.closeAllConnections();
		await new Promise((resolve) => this.server?.close(resolve));
	}

	private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
		let text = '';
		for await (const chunk of req) text += String(chunk);
		const body = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
		const send = (status: number, answer: unknown) => {
			res.writeHead(status, { 'content-type': 'application/json' });
			res.end(JSON.stringify(answer));
		};
		if (req.url === '/v1/responses') return send(200, this.responses(body));
		if (req.url === '/v1/chat/completions') return send(200, this.chat(body));
		// The editor lists the models of the credential's account.
		if (req.url?.startsWith('/v1/models'))
			return send(200, {
				object: 'list',
				data: [{ id: 'gpt-4o-mini', object: 'model', created: 0, owned_by: 'fake' }],
			});
		send(404, { error: { message: `the fake does not serve ${req.method} ${req.url}` } });
	}

	private responses(body: Record<string, unknown>): unknown {
		const input = (Array.isArray(body.input) ? body.input : []) as Array<Record<string, unknown>>;
		const result = input.find((entry) => entry.type === 'function_call_output');
		const tools = ((body.tools ?? []) as Array<Record<string, unknown>>).map((tool) => ({
			name: String(tool.name),
			description: String(tool.description),
		}));
		this.calls.push({
			api: 'responses',
			tools,
			toolResult: result ? String(result.output) : undefined,
		});
		const output = result
			? [
					{
						type: 'message',
						id: 'msg_2',
						role: 'assistant',
						status: 'completed',
						content: [{ type: 'output_text', text: this.finalAnswer, annotations: [] }],
					},
				]
			: [
					{
						type: 'function_call',
						id: 'fc_1',
						call_id: 'call_1',
						name: tools[0]?.name,
						arguments: JSON.stringify({ Prompt: this.prompt }),
						status: 'completed',
					},
				];
		return {
			id: `resp_${this.calls.length}`,
			object: 'response',
			created_at: Math.floor(Date.now() / 1000),
			status: 'completed',
			model: String(body.model),
			output,
			usage: { input_tokens: 10, output_tokens: 5, total_tokens: 15 },
		};
	}

	private chat(body: Record<string, unknown>): unknown {
		const messages = (body.messages ?? []) as Array<Record<string, unknown>>;
		const result = messages.find((message) => message.role === 'tool');
		const tools = ((body.tools ?? []) as Array<{ function: Record<string, unknown> }>).map(
			(tool) => ({
				name: String(tool.function.name),
				description: String(tool.function.description),
			}),
		);
		this.calls.push({
			api: 'chat',
			tools,
			toolResult: result ? String(result.content) : undefined,
		});
		const message = result
			? { role: 'assistant', content: this.finalAnswer }
			: {
					role: 'assistant',
					content: null,
					tool_calls: [
						{
							id: 'call_1',
							type: 'function',
							function: {
								name: tools[0]?.name,
								arguments: JSON.stringify({ Prompt: this.prompt }),
							},
						},
					],
				};
		return {
			id: `chatcmpl_${this.calls.length}`,
			object: 'chat.completion',
			created: Math.floor(Date.now() / 1000),
			model: String(body.model),
			choices: [{ index: 0, message, finish_reason: result ? 'stop' : 'tool_calls' }],
			usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
		};
	}
}
