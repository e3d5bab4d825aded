import type { IExecuteFunctions } from 'n8n-workflow';

/**
 * What an AI Agent's model reads about the tool (n8n's tool variant of the node,
 * n8n-nodes-zimage.zImageTool): what it does, what to pass, what comes back.
 */
export const TOOL_DESCRIPTION =
	'Generates images with a Z-Image model from a text prompt (or looks up an earlier image task). ' +
	'Pass a detailed description of the picture. It takes seconds to minutes. Returns JSON, not files: ' +
	'"urls" (links to the finished images), "urlsExpire" (how long the links work; copy the images elsewhere to keep them), ' +
	'"width" and "height" in pixels, "taskId", "model", "prompt" and "status". ' +
	'On failure it returns an error message saying what to do.';

/**
 * Whether the node runs as an AI Agent tool. n8n registers the tool variant as a node type of
 * its own, this one's name plus "Tool", in 1.x and 2.x alike; n8n 2.x's agent runs it in a plain
 * execute context whose isToolExecution() answers false, so the type name decides.
 */
export function runsAsTool(ctx: IExecuteFunctions): boolean {
	return ctx.getNode().type.endsWith('Tool');
}

/**
 * n8n hands the model only an error's message: the hint in its description (what to do) goes
 * into the message too. The same error object, so its type and context stay as they were.
 */
export function withHintInMessage(error: unknown): unknown {
	const e = error as { message?: unknown; description?: unknown } | null;
	if (
		!e ||
		typeof e !== 'object' ||
		typeof e.message !== 'string' ||
		typeof e.description !== 'string'
	)
		return error;
	const hint = e.description.trim();
	if (!hint || e.message.includes(hint)) return error;
	e.message = `${e.message.replace(/[.\s]+$/, '')}. ${hint}`;
	return error;
}
