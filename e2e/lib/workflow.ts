/**
 * Workflows as the e2e tests build them for n8n's REST API: nodes in a row, chained by their
 * main output, a production Webhook trigger first and a Report node that POSTs what an item
 * carries to a test's own recording server.
 */
import { randomUUID } from 'node:crypto';

export const ZIMAGE = 'n8n-nodes-zimage.zImage';

/** A node at column `x` of the row. */
export function node(
	name: string,
	type: string,
	typeVersion: number,
	x: number,
	parameters: Record<string, unknown>,
	extra: Record<string, unknown> = {},
) {
	return {
		id: randomUUID(),
		name,
		type,
		typeVersion,
		position: [x * 240, 0],
		parameters,
		...extra,
	};
}

/** Each node's main output into the next one's input. */
export function chain(...names: string[]): Record<string, unknown> {
	const connections: Record<string, unknown> = {};
	for (let i = 0; i < names.length - 1; i++)
		connections[names[i]] = { main: [[{ node: names[i + 1], type: 'main', index: 0 }]] };
	return connections;
}

/** A production Webhook trigger: `POST /webhook/<path>`, answered as `responseMode` says. */
export function webhookNode(path: string, responseMode: 'responseNode' | 'onReceived') {
	return node(
		'Webhook',
		'n8n-nodes-base.webhook',
		2,
		0,
		{ httpMethod: 'POST', path, responseMode, options: {} },
		{ webhookId: randomUUID() },
	);
}

/** POSTs `body` (an expression giving JSON text) for each item to `<sinkUrl>/report`. */
export function reportNode(x: number, sinkUrl: string, body: string) {
	return node('Report', 'n8n-nodes-base.httpRequest', 4.2, x, {
		method: 'POST',
		url: `${sinkUrl}/report`,
		sendBody: true,
		contentType: 'raw',
		rawContentType: 'application/json',
		body,
		options: {},
	});
}

/** Nodes in a row, saved as one workflow. */
export function workflowOf(name: string, nodes: Array<{ name: string }>) {
	return {
		name,
		nodes,
		connections: chain(...nodes.map((n) => n.name)),
		settings: { executionOrder: 'v1' },
	};
}
