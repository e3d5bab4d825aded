/**
 * Evolink's image API (shared/PROVIDERS.md §3) on 127.0.0.1, as Evolink serves it or as
 * ODKKK does (path prefix /apiv1, integer error codes): stateful tasks with progress and
 * estimated_time, results on a separate CDN as PNG, WebP or JPEG, every HTTP error of the
 * contract on demand (Retry-After on 429/503), and a log of every request. A task with a
 * callback_url is POSTed there when it ends, in callback test mode only (see ./callbacks).
 */
import {
	type CallbackAttempt,
	CallbackDispatcher,
	callbackUrlProblem,
	type CallbackTestMode,
} from './callbacks';
import { type ImageFormat, makeImage, makeNoisyPng, MIME_TYPES } from './images';
import { type KeyLimitOptions, KeyLimits } from './limits';
import { json, ProviderSimulator, type RecordedRequest, type Reply } from './server';

export type Flavor = 'evolink' | 'odkkk';

export interface EvolinkTask {
	id: string;
	created: number;
	createdMs: number;
	prompt: string;
	width: number;
	height: number;
	seed?: number;
	format: ImageFormat;
	failWith?: { code: string; message: string };
	/** Where the API POSTs the final task view when the task ends. */
	callbackUrl?: string;
}

const RATIOS: Record<string, [number, number]> = {
	'1:1': [1024, 1024],
	'2:3': [832, 1248],
	'3:2': [1248, 832],
	'3:4': [864, 1152],
	'4:3': [1152, 864],
	'9:16': [720, 1280],
	'16:9': [1280, 720],
	'1:2': [720, 1440],
	'2:1': [1440, 720],
};

const ERROR_TYPES: Record<number, [string, string, string]> = {
	400: ['invalid_request', 'invalid_request_error', 'Invalid request parameters'],
	401: ['unauthorized', 'authentication_error', 'Invalid or expired token'],
	402: [
		'insufficient_quota',
		'insufficient_quota_error',
		'Insufficient quota. Please top up your account.',
	],
	403: [
		'model_access_denied',
		'permission_error',
		'Token does not have access to model: z-image-turbo',
	],
	404: ['not_found', 'not_found_error', 'Task not found'],
	429: ['rate_limit_exceeded', 'rate_limit_error', 'Too many requests, please try again later'],
	500: ['internal_error', 'api_error', 'Internal server error'],
	502: ['upstream_error', 'api_error', 'Upstream service error'],
	503: ['service_unavailable', 'api_error', 'Service temporarily unavailable'],
};

export interface EvolinkSimOptions {
	flavor?: Flavor;
	apiKey?: string;
	/** How long a task takes, reported as estimated_time too. */
	taskMs?: number;
	format?: ImageFormat;
	/** Limits of the key: tasks running at once, submissions per window; 429 past them. */
	limits?: KeyLimitOptions;
	/** Serve incompressible PNGs of this many bytes or so (photo-like results) instead of small images. */
	noisyImageBytes?: number;
	/**
	 * Callback test mode: callbacks are delivered, to `resolveTo` (loopback) whatever the
	 * URL's host name, with a self-signed certificate accepted. Without it no callback is
	 * sent (each is recorded as not delivered): the simulator never calls a real address.
	 */
	callbacks?: CallbackTestMode;
	/** Extra wait between a task's end and its callback's first attempt (default 0). */
	callbackDelayMs?: number;
	/** Per callback attempt (default 10 s, like the API). */
	callbackTimeoutMs?: number;
	/** Waits before the callback retries (default 1 s, 2 s, 4 s, like the API). */
	callbackRetryDelaysMs?: readonly number[];
	/** Lose every callback: not sent at all, recorded as dropped. */
	dropCallbacks?: boolean;
}

export class EvolinkSimulator extends ProviderSimulator {
	readonly flavor: Flavor;
	readonly apiKey: string;
	readonly prefix: string;
	readonly tasks = new Map<string, EvolinkTask>();
	taskMs: number;
	format: ImageFormat;
	readonly limits?: KeyLimits;
	private readonly noisyImage?: Buffer;
	private failNext?: { code: string; message: string };
	private counter = 0;
	/** Callback delivery: attempts, retries, drops, forged callbacks. */
	readonly callbacks: CallbackDispatcher;

	constructor(options: EvolinkSimOptions = {}) {
		super();
		this.flavor = options.flavor ?? 'evolink';
		this.prefix = this.flavor === 'odkkk' ? '/apiv1' : '';
		this.apiKey = options.apiKey ?? `${this.flavor}-test-key-5f2c9a`;
		this.taskMs = options.taskMs ?? 300;
		this.format = options.format ?? 'png';
		if (options.limits) this.limits = new KeyLimits(options.limits);
		if (options.noisyImageBytes) {
			const side = Math.round(Math.sqrt(options.noisyImageBytes / 3));
			this.noisyImage = makeNoisyPng(side, side);
		}
		this.callbacks = new CallbackDispatcher({
			testMode: options.callbacks,
			delayMs: options.callbackDelayMs,
			timeoutMs: options.callbackTimeoutMs,
			retryDelaysMs: options.callbackRetryDelaysMs,
			dropAll: options.dropCallbacks,
		});
	}

	async start(): Promise<this> {
		this.callbacks.start();
		return await super.start();
	}

	/** Cancels pending callbacks and retries too. */
	async stop(): Promise<void> {
		this.callbacks.stop();
		await super.stop();
	}

	/** Every callback attempt, and every callback not sent (attempt 0, `notSent` says why). */
	get callbackAttempts(): CallbackAttempt[] {
		return this.callbacks.attempts;
	}

	/** The callback attempts that got a 2xx answer. */
	callbacksDelivered(): CallbackAttempt[] {
		return this.callbacks.delivered();
	}

	/** The callbacks of the next `count` tasks that end are lost (not sent, recorded as dropped). */
	dropCallbacksFor(count: number): void {
		this.callbacks.dropNextCallbacks(count);
	}

	/** POSTs `body` (JSON unless a string or Buffer) to `url` like a callback; test mode only. */
	async sendForgedCallback(url: string, body: unknown): Promise<{ status: number; body: string }> {
		return await this.callbacks.sendForged(url, body);
	}

	/** Tasks still running, and when the first of them ends (ms from now). */
	running(now = Date.now()): { count: number; firstEndsInMs: number } {
		let count = 0;
		let first = Infinity;
		for (const task of this.tasks.values()) {
			const left = task.createdMs + this.taskMs - now;
			if (left > 0) {
				count++;
				first = Math.min(first, left);
			}
		}
		return { count, firstEndsInMs: Number.isFinite(first) ? first : 0 };
	}

	/** The base URL a credential points at (with /apiv1 for ODKKK). */
	get url(): string {
		return `${this.api.url}${this.prefix}`;
	}

	failNextTask(code: string, message: string): void {
		this.failNext = { code, message };
	}

	submits(): RecordedRequest[] {
		return this.api.requestsTo(/\/v1\/images\/generations$/, 'POST');
	}

	polls(): RecordedRequest[] {
		return this.api.requestsTo(/\/v1\/tasks\//, 'GET');
	}

	/** The error body in this host's shape: string codes (Evolink) or the integer status (ODKKK). */
	error(status: number, message?: string, extra: Record<string, unknown> = {}): Reply {
		const [code, type, text] = ERROR_TYPES[status] ?? ['error', 'api_error', `HTTP ${status}`];
		const headers: Record<string, string> = {};
		if (status === 429) headers['retry-after'] = '60';
		if (status === 503) headers['retry-after'] = '30';
		return {
			status,
			headers,
			body: {
				error: {
					code: this.flavor === 'odkkk' ? status : code,
					message: message ?? text,
					type,
					...extra,
				},
			},
		};
	}

	/** Plans `count` answers of HTTP `status` to the next submits (or status polls). */
	planError(
		target: 'submit' | 'poll',
		status: number,
		count = 1,
		headers?: Record<string, string>,
		extra?: Record<string, unknown>,
	): void {
		const reply = this.error(status, undefined, extra);
		if (headers) reply.headers = headers;
		const path = target === 'submit' ? /\/v1\/images\/generations$/ : /\/v1\/tasks\//;
		this.api.planFault(path, count, { kind: 'reply', reply });
	}

	progressOf(task: EvolinkTask, now = Date.now()): number {
		return Math.min(100, Math.floor(((now - task.createdMs) / this.taskMs) * 100));
	}

	protected route(request: RecordedRequest): Reply {
		if (!request.path.startsWith(`${this.prefix}/v1/`)) return this.error(404, 'Not found');
		if (request.headers.authorization !== `Bearer ${this.apiKey}`) return this.error(401);
		const path = request.path.slice(this.prefix.length);
		if (request.method === 'POST' && path === '/v1/images/generations') return this.submit(request);
		const task = /^\/v1\/tasks\/([^/]+)$/.exec(path);
		if (request.method === 'GET' && task) {
			const found = this.tasks.get(decodeURIComponent(task[1]));
			return found
				? json(200, this.view(found))
				: this.error(404, 'Task not found or expired', {
						fallback_suggestion: 'tasks are kept for 24 hours',
					});
		}
		return this.error(404, 'Not found');
	}

	private invalid(message: string, param: string): Reply {
		return this.error(400, message, { param });
	}

	private submit(request: RecordedRequest): Reply {
		const body = request.json as Record<string, unknown> | undefined;
		if (!body) return this.invalid('JSON body required', 'body');
		if (body.model !== 'z-image-turbo')
			return this.error(404, 'Specified model not found', {
				param: 'model',
				fallback_suggestion: 'z-image-turbo',
			});
		const prompt = body.prompt;
		if (typeof prompt !== 'string' || !prompt || prompt.length > 2000)
			return this.invalid('prompt is required, at most 2000 characters', 'prompt');
		let size: [number, number] | undefined = RATIOS[String(body.size ?? '1:1')];
		const custom = /^(\d+)x(\d+)$/.exec(String(body.size ?? ''));
		if (!size && custom) {
			const [w, h] = [Number(custom[1]), Number(custom[2])];
			if (w >= 376 && w <= 1536 && h >= 376 && h <= 1536) size = [w, h];
		}
		if (!size) return this.invalid(`invalid size: ${String(body.size)}`, 'size');
		if (
			body.seed !== undefined &&
			(!Number.isInteger(body.seed) ||
				(body.seed as number) < 1 ||
				(body.seed as number) > 2147483647)
		) {
			return this.invalid('seed must be 1-2147483647', 'seed');
		}
		if (body.nsfw_check !== undefined && typeof body.nsfw_check !== 'boolean')
			return this.invalid('nsfw_check must be a boolean', 'nsfw_check');
		const callbackProblem =
			body.callback_url === undefined ? undefined : callbackUrlProblem(body.callback_url);
		if (callbackProblem) return this.invalid(callbackProblem, 'callback_url');
		const known = ['model', 'prompt', 'size', 'seed', 'nsfw_check', 'callback_url'];
		const unknown = Object.keys(body).find((key) => !known.includes(key));
		if (unknown) return this.invalid(`unknown parameter: ${unknown}`, unknown);
		if (this.limits) {
			const { count, firstEndsInMs } = this.running();
			const refusal = this.limits.admit(count, firstEndsInMs, prompt);
			if (refusal) {
				const reply = this.error(429, refusal.words);
				reply.headers = refusal.retryAfter ? { 'retry-after': refusal.retryAfter } : {};
				return reply;
			}
		}

		const now = Date.now();
		const id = `task-unified-${Math.floor(now / 1000)}-${(++this.counter).toString(36).padStart(8, 'x')}`;
		const task: EvolinkTask = {
			id,
			created: Math.floor(now / 1000),
			createdMs: now,
			prompt,
			width: size[0],
			height: size[1],
			seed: body.seed as number | undefined,
			format: this.format,
			failWith: this.failNext,
			callbackUrl: body.callback_url as string | undefined,
		};
		this.failNext = undefined;
		this.tasks.set(id, task);
		if (task.callbackUrl) this.callbacks.later(this.taskMs, () => this.taskEnded(task));
		return json(200, this.view(task));
	}

	/** Sends the callback once the task has ended (taskMs may have changed since the submit). */
	private taskEnded(task: EvolinkTask): void {
		const left = task.createdMs + this.taskMs - Date.now();
		if (left > 0) {
			this.callbacks.later(left, () => this.taskEnded(task));
			return;
		}
		this.callbacks.dispatch(task.id, task.callbackUrl!, this.view(task));
	}

	private view(task: EvolinkTask): Record<string, unknown> {
		const progress = this.progressOf(task);
		const done = progress >= 100;
		const status = done
			? task.failWith
				? 'failed'
				: 'completed'
			: progress > 0
				? 'processing'
				: 'pending';
		const view: Record<string, unknown> = {
			created: task.created,
			id: task.id,
			model: 'z-image-turbo',
			object: 'image.generation.task',
			progress: done ? 100 : progress,
			status,
			task_info: { can_cancel: !done, estimated_time: Math.ceil(this.taskMs / 1000) },
			type: 'image',
			usage: { billing_rule: 'per_call', credits_reserved: 0.026, user_group: 'default' },
		};
		if (status === 'completed')
			view.results = [
				`${this.cdn.url}/results/${task.id}-0.${task.format === 'jpeg' ? 'jpg' : task.format}`,
			];
		if (status === 'failed') view.error = task.failWith;
		return view;
	}

	protected async serveFile(request: RecordedRequest): Promise<Reply> {
		const match = /^\/results\/(.+)-(\d+)\.(png|webp|jpg)$/.exec(request.path);
		const task = match ? this.tasks.get(match[1]) : undefined;
		if (!task || this.progressOf(task) < 100 || task.failWith)
			return { status: 404, body: 'Not Found', headers: { 'content-type': 'text/plain' } };
		if (this.noisyImage)
			return { status: 200, body: this.noisyImage, headers: { 'content-type': 'image/png' } };
		const bytes = await makeImage(task.format, task.width, task.height, task.created % 97);
		return { status: 200, body: bytes, headers: { 'content-type': MIME_TYPES[task.format] } };
	}
}
