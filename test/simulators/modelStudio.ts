/**
 * Alibaba Cloud Model Studio (DashScope) serving z-image-turbo (shared/PROVIDERS-HOSTED.md) on
 * 127.0.0.1: one synchronous request per image, held open while the image is made; the answer
 * carries a signed, expiring link to a PNG on a separate file host (OSS); prompt extension
 * adds the rewritten prompt; the OpenAI-compatible model list; the documented error codes,
 * the 120-requests-a-minute limit (429 Throttling.RateQuota) on demand, and a log of every
 * image made — whether or not its answer reached the client. There is no callback to test:
 * Model Studio has none for Z-Image.
 */
import { createHmac, randomUUID } from 'node:crypto';

import { makePng } from './images';
import { type KeyLimitOptions, KeyLimits } from './limits';
import { delay, json, ProviderSimulator, type RecordedRequest, type Reply } from './server';

export const GENERATION_PATH = '/api/v1/services/aigc/multimodal-generation/generation';
export const MODELS_PATH = '/compatible-mode/v1/models';

/** The limit Model Studio documents for z-image-turbo, in both regions. */
export const DOCUMENTED_LIMITS: KeyLimitOptions = { submitsPerWindow: 120, windowMs: 60_000 };

const PIXELS = { min: 512 * 512, max: 2048 * 2048 };
const PROMPT_MAX = 800;
const DAY_MS = 24 * 60 * 60 * 1000;

/** An image the API made (and billed). */
export interface Generation {
	requestId: string;
	prompt: string;
	width: number;
	height: number;
	seed?: number;
	promptExtend: boolean;
	/** When the request came in, and when the image was done. */
	startedAt: number;
	doneAt: number;
}

export interface ModelStudioSimOptions {
	apiKey?: string;
	/** How long one request is held while its image is made. */
	taskMs?: number;
	/** The key's limits; DOCUMENTED_LIMITS is what Model Studio documents. None by default. */
	limits?: KeyLimitOptions;
	/** How long a signed image link works (24 hours, as Model Studio signs them). */
	linkTtlMs?: number;
	/** Image and rewritten prompt as separate content parts (as documented), or in one part. */
	answerShape?: 'parts' | 'combined';
}

export class ModelStudioSimulator extends ProviderSimulator {
	readonly apiKey: string;
	taskMs: number;
	linkTtlMs: number;
	answerShape: 'parts' | 'combined';
	readonly limits?: KeyLimits;
	/** Every image made, whether or not its answer reached the client. */
	readonly generated: Generation[] = [];
	/** Requests being held right now, and the most at once. */
	running = 0;
	peakRunning = 0;
	private readonly heldUntil = new Set<number>();
	private readonly secret = randomUUID();

	constructor(options: ModelStudioSimOptions = {}) {
		super();
		this.apiKey = options.apiKey ?? 'sk-modelstudio-test-3b8e1f';
		this.taskMs = options.taskMs ?? 300;
		this.linkTtlMs = options.linkTtlMs ?? DAY_MS;
		this.answerShape = options.answerShape ?? 'parts';
		if (options.limits) this.limits = new KeyLimits(options.limits);
	}

	/** The base URL a credential with Region "Custom Base URL" points at. */
	get url(): string {
		return this.api.url;
	}

	/** The generation requests received (each may make one image). */
	submits(): RecordedRequest[] {
		return this.api.requestsTo(new RegExp(`^${GENERATION_PATH}$`), 'POST');
	}

	/** A DashScope error body. */
	error(status: number, code: string, message: string): Reply {
		return json(status, { request_id: randomUUID(), code, message });
	}

	/** The next `count` generation requests are answered with this error instead. */
	planError(
		status: number,
		code: string,
		message: string,
		count = 1,
		headers?: Record<string, string>,
	): void {
		const reply = this.error(status, code, message);
		if (headers) reply.headers = headers;
		this.api.planFault(new RegExp(`^${GENERATION_PATH}$`), count, { kind: 'reply', reply });
	}

	protected async route(request: RecordedRequest): Promise<Reply> {
		const keyed = request.headers.authorization === `Bearer ${this.apiKey}`;
		if (request.method === 'GET' && request.path === MODELS_PATH) {
			if (!keyed)
				return json(401, {
					error: {
						message: 'Incorrect API key provided. ',
						type: 'invalid_request_error',
						param: null,
						code: 'invalid_api_key',
					},
				});
			return json(200, {
				object: 'list',
				data: ['qwen-plus', 'qwen-turbo', 'qwen-max'].map((id) => ({
					id,
					object: 'model',
					created: 1_760_000_000,
					owned_by: 'system',
				})),
			});
		}
		if (request.method !== 'POST' || request.path !== GENERATION_PATH)
			return this.error(404, 'InvalidURL', 'Invalid URL provided in your request.');
		if (!keyed) return this.error(401, 'InvalidApiKey', 'Invalid API-key provided.');
		return await this.generate(request);
	}

	private invalid(message: string): Reply {
		return this.error(400, 'InvalidParameter', message);
	}

	/** Checks the request as the API does, then holds it while the image is made. */
	private async generate(request: RecordedRequest): Promise<Reply> {
		const body = request.json as Record<string, unknown> | undefined;
		if (!body) return this.invalid('Request body must be JSON.');
		if (body.model !== 'z-image-turbo')
			return this.error(404, 'ModelNotFound', `Model not found (${String(body.model)})!`);
		const messages = (body.input as Record<string, unknown> | undefined)?.messages;
		if (!Array.isArray(messages) || messages.length === 0)
			return this.error(
				400,
				'BadRequest.EmptyInput',
				'Required input parameter missing from request.',
			);
		const [message] = messages as Array<Record<string, unknown>>;
		const content = Array.isArray(message?.content) ? message.content : [];
		const prompt = (content[0] as Record<string, unknown> | undefined)?.text;
		if (messages.length !== 1 || message?.role !== 'user' || content.length !== 1)
			return this.invalid('Exactly one user message with one text part is expected.');
		if (typeof prompt !== 'string' || !prompt.trim())
			return this.invalid('The prompt must not be empty.');
		if (prompt.length > PROMPT_MAX)
			return this.invalid(`The prompt is longer than ${PROMPT_MAX} characters.`);
		const parameters = (body.parameters ?? {}) as Record<string, unknown>;
		const unknown = Object.keys(parameters).find(
			(key) => !['size', 'prompt_extend', 'seed'].includes(key),
		);
		if (unknown) return this.invalid(`Unknown parameter: ${unknown}.`);
		const size = /^(\d+)\*(\d+)$/.exec(String(parameters.size ?? '1024*1536'));
		const [width, height] = size ? [Number(size[1]), Number(size[2])] : [0, 0];
		if (width * height < PIXELS.min || width * height > PIXELS.max)
			return this.invalid(
				`The size ${String(parameters.size)} is outside [512*512, 2048*2048] pixels in total.`,
			);
		const { seed } = parameters;
		if (
			seed !== undefined &&
			(!Number.isInteger(seed) || (seed as number) < 0 || (seed as number) > 2147483647)
		)
			return this.invalid('The seed must be an integer in [0, 2147483647].');
		if (parameters.prompt_extend !== undefined && typeof parameters.prompt_extend !== 'boolean')
			return this.invalid('prompt_extend must be true or false.');
		const promptExtend = parameters.prompt_extend === true;
		const refusal = this.limits?.admit(this.running, this.firstHoldEndsInMs(), prompt);
		if (refusal) {
			const reply = this.error(
				429,
				'Throttling.RateQuota',
				'Requests rate limit exceeded, please try again later.',
			);
			if (refusal.retryAfter) reply.headers = { 'retry-after': refusal.retryAfter };
			return reply;
		}
		return await this.hold(request, {
			prompt,
			width,
			height,
			seed: seed as number | undefined,
			promptExtend,
		});
	}

	/** When the first held request ends, in ms from now. */
	private firstHoldEndsInMs(): number {
		const now = Date.now();
		return Math.max(0, Math.min(...[...this.heldUntil].map((end) => end - now), this.taskMs));
	}

	private async hold(
		request: RecordedRequest,
		asked: Omit<Generation, 'requestId' | 'startedAt' | 'doneAt'>,
	): Promise<Reply> {
		const until = Date.now() + this.taskMs;
		this.heldUntil.add(until);
		this.running++;
		this.peakRunning = Math.max(this.peakRunning, this.running);
		try {
			await delay(this.taskMs);
		} finally {
			this.running--;
			this.heldUntil.delete(until);
		}
		const generation: Generation = {
			requestId: randomUUID(),
			...asked,
			startedAt: request.at,
			doneAt: Date.now(),
		};
		this.generated.push(generation);
		return json(200, this.answer(generation));
	}

	/** The answer as documented: the image link, with prompt extension the rewritten prompt. */
	private answer(generation: Generation): Record<string, unknown> {
		const image = this.signedLink(generation);
		const extended = generation.promptExtend
			? `${generation.prompt}, rendered in rich detail with soft natural light and a balanced composition`
			: undefined;
		const content =
			this.answerShape === 'combined'
				? [{ image, ...(extended ? { text: extended } : {}) }]
				: [{ image }, ...(extended ? [{ text: extended }] : [])];
		const message: Record<string, unknown> = { role: 'assistant', content };
		if (extended) message.reasoning_content = 'The prompt is short: add light and composition.';
		return {
			output: { choices: [{ finish_reason: 'stop', message }] },
			usage: { width: generation.width, height: generation.height, image_count: 1 },
			request_id: generation.requestId,
		};
	}

	private signature(requestId: string, expires: string): string {
		return createHmac('sha256', this.secret).update(`${requestId}:${expires}`).digest('hex');
	}

	/** An OSS-style signed link: it works until `Expires`, and only with its signature. */
	private signedLink(generation: Generation): string {
		const expires = String(Math.floor((Date.now() + this.linkTtlMs) / 1000));
		const query = new URLSearchParams({
			Expires: expires,
			OSSAccessKeyId: `LTAI${this.secret.slice(0, 8)}`,
			Signature: this.signature(generation.requestId, expires),
		});
		return `${this.cdn.url}/results/${generation.requestId}.png?${query.toString()}`;
	}

	protected serveFile(request: RecordedRequest): Reply {
		const match = /^\/results\/([0-9a-f-]+)\.png$/.exec(request.path);
		const generation = this.generated.find((g) => g.requestId === match?.[1]);
		const expires = request.query.get('Expires') ?? '';
		const signed =
			generation &&
			request.query.get('Signature') === this.signature(generation.requestId, expires);
		const oss = (status: number, code: string, message: string): Reply => ({
			status,
			body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`,
			headers: { 'content-type': 'application/xml' },
		});
		if (!generation) return oss(404, 'NoSuchKey', 'The specified key does not exist.');
		if (!signed) return oss(403, 'SignatureDoesNotMatch', 'The request signature does not match.');
		if (Number(expires) * 1000 < Date.now())
			return oss(403, 'AccessDenied', 'Request has expired.');
		const png = makePng(generation.width, generation.height, (generation.seed ?? 7) % 97);
		return { status: 200, body: png, headers: { 'content-type': 'image/png' } };
	}
}
