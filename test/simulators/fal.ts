/**
 * fal.ai's queue API (shared/PROVIDERS-HOSTED.md, docs/providers/fal.md) on 127.0.0.1, for the
 * Z-Image endpoints: `POST /fal-ai/z-image/<endpoint>` answers the request's own status_url,
 * response_url and cancel_url under the queue app `fal-ai/z-image` (the model id's first two
 * segments); the account runs `maxRunning` requests at once and queues the rest (IN_QUEUE with
 * queue_position, never refused); a running request logs its steps; the input is validated
 * when the request runs, as fal's runners do: a bad one ends COMPLETED and its response_url
 * answers 422 with fal's `detail` list. Results are real images on a separate CDN, with
 * fal's billed units in a header. A `fal_webhook` is POSTed when the request ends, in
 * callback test mode only (see ./callbacks).
 */
import { type CallbackAttempt, CallbackDispatcher, type CallbackTestMode } from './callbacks';
import { decodeImage, type ImageFormat, makeImage, MIME_TYPES } from './images';
import { delay, json, ProviderSimulator, type RecordedRequest, type Reply } from './server';

export const APP = '/fal-ai/z-image';
const ENDPOINTS = [
	'turbo',
	'turbo/lora',
	'turbo/image-to-image',
	'turbo/image-to-image/lora',
	'base',
	'base/lora',
];
const PRESETS: Record<string, [number, number]> = {
	square_hd: [1024, 1024],
	square: [512, 512],
	portrait_4_3: [768, 1024],
	portrait_16_9: [576, 1024],
	landscape_4_3: [1024, 768],
	landscape_16_9: [1024, 576],
};

export interface FalRequest {
	id: string;
	endpoint: string;
	input: Record<string, unknown>;
	submittedAt: number;
	startAt: number;
	doneAt: number;
	webhook?: string;
	cancelled?: boolean;
	/** What the request ends with instead of its images (a validation error, or one planned). */
	failure?: { status: number; body: Record<string, unknown>; headers?: Record<string, string> };
	/** Headers of the submission (x-fal-no-retry and the like), as received. */
	headers: RecordedRequest['headers'];
	width: number;
	height: number;
	seed: number;
}

export interface FalSimOptions {
	apiKey?: string;
	/** How long one request runs once it has a runner. */
	taskMs?: number;
	/**
	 * How long a request to one endpoint of the app runs instead (keyed as `base`, `turbo`,
	 * `turbo/image-to-image`): the base model is slower than turbo.
	 */
	endpointMs?: Partial<Record<string, number>>;
	/** The account's concurrency: requests beyond it wait in the queue. */
	maxRunning?: number;
	/** A failed request's status carries `error` and `error_type` (else only its result says it). */
	statusCarriesError?: boolean;
	callbacks?: CallbackTestMode;
	callbackRetryDelaysMs?: readonly number[];
}

const fail = (loc: string, msg: string) => ({
	status: 422,
	body: { detail: [{ loc: ['body', loc], msg, type: 'value_error' }] },
});

export class FalSimulator extends ProviderSimulator {
	readonly apiKey: string;
	readonly requests = new Map<string, FalRequest>();
	taskMs: number;
	readonly endpointMs: Partial<Record<string, number>>;
	readonly maxRunning: number;
	statusCarriesError: boolean;
	readonly callbacks: CallbackDispatcher;
	private slots: number[] = [];
	private counter = 0;
	private failNext?: FalRequest['failure'];
	/** Each result file, made while its request runs (a CDN serves files that exist). */
	private files = new Map<string, Promise<Buffer>>();

	constructor(options: FalSimOptions = {}) {
		super();
		this.apiKey = options.apiKey ?? 'fa1c0de0-0000-4000-8000-000000000001:5f2c9a0b7e1d4c3a';
		this.taskMs = options.taskMs ?? 300;
		this.endpointMs = options.endpointMs ?? {};
		this.maxRunning = options.maxRunning ?? Number.POSITIVE_INFINITY;
		this.statusCarriesError = options.statusCarriesError ?? false;
		this.callbacks = new CallbackDispatcher({
			testMode: options.callbacks,
			retryDelaysMs: options.callbackRetryDelaysMs,
		});
	}

	get url(): string {
		return this.api.url;
	}

	async start(): Promise<this> {
		this.callbacks.start();
		return await super.start();
	}

	async stop(): Promise<void> {
		this.callbacks.stop();
		await super.stop();
	}

	get callbackAttempts(): CallbackAttempt[] {
		return this.callbacks.attempts;
	}

	/** The next request fails when it runs: its status says so, its response_url answers this. */
	failNextRequest(failure: NonNullable<FalRequest['failure']>): void {
		this.failNext = failure;
	}

	submits(): RecordedRequest[] {
		return this.api.requests.filter((r) => r.method === 'POST' && r.path.startsWith(`${APP}/`));
	}

	statusLooks(): RecordedRequest[] {
		return this.api.requestsTo(/\/requests\/[^/]+\/status$/, 'GET');
	}

	results(): RecordedRequest[] {
		return this.api.requestsTo(/\/requests\/[^/]+$/, 'GET');
	}

	cancels(): RecordedRequest[] {
		return this.api.requestsTo(/\/requests\/[^/]+\/cancel$/, 'PUT');
	}

	/** Most requests running at once, as the account's runners took them. */
	get peakRunning(): number {
		const times = [...this.requests.values()];
		return Math.max(
			0,
			...times.map(
				(r) => times.filter((o) => o.startAt <= r.startAt && o.doneAt > r.startAt).length,
			),
		);
	}

	private links(id: string): Record<string, string> {
		const at = `${this.api.url}${APP}/requests/${id}`;
		return { response_url: at, status_url: `${at}/status`, cancel_url: `${at}/cancel` };
	}

	protected async route(request: RecordedRequest): Promise<Reply> {
		const auth = String(request.headers.authorization ?? '');
		if (auth !== `Key ${this.apiKey}`) {
			const detail = /^Key [^\s:]+:\S+$/.test(auth)
				? 'No user found for Key ID and Secret'
				: "Invalid Key Authorization header format. Expected '<key_id>:<key_secret>'.";
			return json(401, { detail });
		}
		if (!request.path.startsWith(`${APP}/`))
			return json(404, { detail: `Application "${request.path.split('/')[2]}" not found` });
		const rest = request.path.slice(APP.length + 1);
		const byId = /^requests\/([^/]+)(\/status|\/cancel)?$/.exec(rest);
		if (request.method === 'POST' && ENDPOINTS.includes(rest))
			return await this.submit(request, rest);
		if (!byId) return json(404, { detail: 'Not Found' });
		const found = this.requests.get(decodeURIComponent(byId[1]));
		if (byId[2] === '/cancel' && request.method === 'PUT') return this.cancel(found);
		if (!found) return json(404, { detail: 'Request not found' });
		if (request.method !== 'GET') return json(405, { detail: 'Method Not Allowed' });
		if (byId[2] === '/status')
			return json(200, this.status(found, request.query.get('logs') === '1'));
		return this.result(found);
	}

	private async submit(request: RecordedRequest, endpoint: string): Promise<Reply> {
		const input = request.json as Record<string, unknown> | undefined;
		if (!input || typeof input !== 'object')
			return json(400, { detail: 'a JSON body is required' });
		const now = Date.now();
		// The account's runners: the first free one takes the request, else it waits in the queue.
		while (this.slots.length < Math.min(this.maxRunning, 1000)) this.slots.push(0);
		const slot = this.slots.indexOf(Math.min(...this.slots));
		const startAt = Math.max(now, this.slots[slot]);
		const runMs = this.endpointMs[endpoint] ?? this.taskMs;
		this.slots[slot] = startAt + runMs;
		const id = `0a1b2c3d-0000-4000-8000-${(++this.counter).toString(16).padStart(12, '0')}`;
		const size = await this.sizeOf(input);
		const task: FalRequest = {
			id,
			endpoint,
			input,
			submittedAt: now,
			startAt,
			doneAt: startAt + runMs,
			webhook: request.query.get('fal_webhook') ?? undefined,
			headers: request.headers,
			failure: this.failNext ?? (await this.validate(endpoint, input)),
			width: size[0],
			height: size[1],
			seed: Number.isInteger(input.seed) ? (input.seed as number) : 1000 + this.counter,
		};
		this.failNext = undefined;
		this.requests.set(id, task);
		if (!task.failure) {
			const { count, format } = this.outputOf(task);
			void delay(startAt - now).then(() => {
				for (let index = 0; index < count; index++) void this.fileOf(task, index, format);
			});
		}
		if (task.webhook) this.callbacks.later(task.doneAt - now, () => this.ended(task));
		return json(200, {
			status: 'IN_QUEUE',
			request_id: id,
			...this.links(id),
			queue_position: this.queuePosition(task, now),
		});
	}

	/** The input as fal's runner would take it, or the 422 it ends with. */
	private async validate(endpoint: string, input: Record<string, unknown>) {
		const base = endpoint.startsWith('base');
		const edit = endpoint.includes('image-to-image');
		const lora = endpoint.endsWith('/lora');
		const known = [
			'prompt',
			'image_size',
			'num_inference_steps',
			'seed',
			'num_images',
			'enable_safety_checker',
			'output_format',
			'acceleration',
			'sync_mode',
			...(base ? ['negative_prompt', 'guidance_scale'] : ['enable_prompt_expansion']),
			...(edit ? ['image_url', 'strength'] : []),
			...(lora ? ['loras'] : []),
		];
		const extra = Object.keys(input).find((key) => !known.includes(key));
		if (extra) return fail(extra, 'extra fields not permitted');
		if (typeof input.prompt !== 'string' || !input.prompt) return fail('prompt', 'field required');
		const steps = input.num_inference_steps;
		if (
			steps !== undefined &&
			!(Number.isInteger(steps) && (steps as number) >= 1 && (steps as number) <= (base ? 50 : 8))
		)
			return fail('num_inference_steps', `ensure this value is between 1 and ${base ? 50 : 8}`);
		const count = input.num_images;
		if (
			count !== undefined &&
			!(Number.isInteger(count) && (count as number) >= 1 && (count as number) <= 4)
		)
			return fail('num_images', 'ensure this value is between 1 and 4');
		if (
			input.output_format !== undefined &&
			!['jpeg', 'png', 'webp'].includes(String(input.output_format))
		)
			return fail(
				'output_format',
				"value is not a valid enumeration member; permitted: 'jpeg', 'png', 'webp'",
			);
		if (
			input.acceleration !== undefined &&
			!['none', 'regular', 'high'].includes(String(input.acceleration))
		)
			return fail('acceleration', 'value is not a valid enumeration member');
		if (
			input.guidance_scale !== undefined &&
			!(
				typeof input.guidance_scale === 'number' &&
				input.guidance_scale >= 1 &&
				input.guidance_scale <= 20
			)
		)
			return fail('guidance_scale', 'ensure this value is between 1 and 20');
		const size = input.image_size;
		const custom = size && typeof size === 'object' ? (size as Record<string, unknown>) : undefined;
		if (
			size !== undefined &&
			!(typeof size === 'string' && (PRESETS[size] || (edit && size === 'auto'))) &&
			!(custom && Number.isInteger(custom.width) && Number.isInteger(custom.height))
		)
			return fail('image_size', 'value is not a valid image size');
		if (lora) {
			const loras = input.loras;
			if (!Array.isArray(loras) || loras.length > 3) return fail('loras', 'at most 3 LoRAs');
			for (const entry of loras as Array<Record<string, unknown>>)
				if (
					typeof entry?.path !== 'string' ||
					typeof entry.scale !== 'number' ||
					entry.scale < 0 ||
					entry.scale > 4
				)
					return fail('loras', 'each LoRA has a path and a scale of 0-4');
		}
		if (edit) {
			const url = String(input.image_url ?? '');
			if (!url) return fail('image_url', 'field required');
			if (url.startsWith('data:') && !(await this.decodeDataUri(url)))
				return {
					status: 422,
					body: {
						detail: [
							{
								loc: ['body', 'image_url'],
								msg: 'Failed to load the image',
								type: 'image_load_error',
							},
						],
					},
				};
			if (!/^(https?:|data:image\/)/.test(url)) return fail('image_url', 'not a URL');
			if (typeof input.strength !== 'number' || input.strength < 0 || input.strength > 1)
				return fail('strength', 'ensure this value is between 0 and 1');
		}
		return undefined;
	}

	private async decodeDataUri(url: string) {
		const match = /^data:image\/[\w.+-]+;base64,(.+)$/s.exec(url);
		if (!match) return undefined;
		try {
			return await decodeImage(Buffer.from(match[1], 'base64'));
		} catch {
			return undefined;
		}
	}

	/** The size a request makes: its preset, its width × height, or (auto) its source image's. */
	private async sizeOf(input: Record<string, unknown>): Promise<[number, number]> {
		const size = input.image_size;
		if (typeof size === 'string' && PRESETS[size]) return PRESETS[size];
		if (size && typeof size === 'object') {
			const { width, height } = size as { width: number; height: number };
			if (width > 0 && height > 0) return [width, height];
		}
		const source =
			typeof input.image_url === 'string' ? await this.decodeDataUri(input.image_url) : undefined;
		return source ? [source.width, source.height] : [1024, 768];
	}

	private queuePosition(task: FalRequest, now: number): number {
		return [...this.requests.values()].filter(
			(other) => !other.cancelled && other.startAt > now && other.submittedAt < task.submittedAt,
		).length;
	}

	private steps(task: FalRequest): number {
		const asked = task.input.num_inference_steps;
		return typeof asked === 'number' ? asked : task.endpoint.startsWith('base') ? 28 : 8;
	}

	/** The model's progress bar, one line per step done, as a runner's logs show it. */
	private logs(task: FalRequest, now: number): Array<Record<string, unknown>> {
		const steps = this.steps(task);
		const runMs = task.doneAt - task.startAt;
		const done = Math.min(steps, Math.floor(((now - task.startAt) / runMs) * steps));
		return Array.from({ length: done + 1 }, (_, step) => ({
			timestamp: new Date(task.startAt + (step * runMs) / steps).toISOString(),
			level: 'INFO',
			source: 'user',
			message: `${String(Math.round((100 * step) / steps)).padStart(3)}%|${'█'.repeat(step).padEnd(steps)}| ${step}/${steps}`,
		}));
	}

	status(task: FalRequest, withLogs: boolean, now = Date.now()): Record<string, unknown> {
		const links = this.links(task.id);
		if (task.cancelled)
			return {
				status: 'COMPLETED',
				...links,
				error: 'Request was cancelled',
				logs: withLogs ? [] : null,
			};
		if (now < task.startAt)
			return { status: 'IN_QUEUE', queue_position: this.queuePosition(task, now), ...links };
		if (now < task.doneAt)
			return { status: 'IN_PROGRESS', ...links, logs: withLogs ? this.logs(task, now) : null };
		const view: Record<string, unknown> = {
			status: 'COMPLETED',
			...links,
			logs: withLogs ? this.logs(task, now) : null,
			metrics: { inference_time: (task.doneAt - task.startAt) / 1000 },
		};
		if (task.failure && this.statusCarriesError) {
			view.error = String(
				(task.failure.body.detail as unknown) instanceof Array
					? 'Unprocessable Entity'
					: task.failure.body.detail,
			);
			if (task.failure.body.error_type) view.error_type = task.failure.body.error_type;
		}
		return view;
	}

	private outputOf(task: FalRequest): { count: number; format: ImageFormat } {
		const count = typeof task.input.num_images === 'number' ? task.input.num_images : 1;
		return { count, format: String(task.input.output_format ?? 'png') as ImageFormat };
	}

	private async fileOf(task: FalRequest, index: number, format: ImageFormat): Promise<Buffer> {
		const key = `${task.id}/${index}.${format}`;
		let file = this.files.get(key);
		if (!file) {
			file = makeImage(format, task.width, task.height, (task.seed + index) % 97);
			this.files.set(key, file);
		}
		return await file;
	}

	private resultBody(task: FalRequest): Record<string, unknown> {
		const { count, format } = this.outputOf(task);
		const extension = format === 'jpeg' ? 'jpg' : format;
		return {
			images: Array.from({ length: count }, (_, index) => ({
				url: `${this.cdn.url}/files/${task.id}/${index}.${extension}`,
				width: task.width,
				height: task.height,
				content_type: MIME_TYPES[format],
			})),
			timings: { inference: (task.doneAt - task.startAt) / 1000 },
			seed: task.seed,
			has_nsfw_concepts: Array.from({ length: count }, () => false),
			prompt: task.input.prompt,
		};
	}

	private result(task: FalRequest): Reply {
		if (task.cancelled) return json(400, { detail: 'Request was cancelled' });
		if (Date.now() < task.doneAt) return json(400, { detail: 'Request is still in progress' });
		if (task.failure)
			return {
				status: task.failure.status,
				body: task.failure.body,
				headers: task.failure.headers,
			};
		const megapixels =
			((task.width * task.height) / 1_000_000) * (this.resultBody(task).images as unknown[]).length;
		return json(200, this.resultBody(task), {
			'x-fal-request-id': task.id,
			'x-fal-billable-units': megapixels.toFixed(4),
		});
	}

	private cancel(task: FalRequest | undefined): Reply {
		if (!task) return json(404, { status: 'NOT_FOUND' });
		if (task.cancelled || Date.now() >= task.doneAt)
			return json(400, { status: 'ALREADY_COMPLETED' });
		task.cancelled = true;
		return json(202, { status: 'CANCELLATION_REQUESTED' });
	}

	/** The request ended: fal POSTs its outcome to the webhook. */
	private ended(task: FalRequest): void {
		if (task.cancelled || !task.webhook) return;
		const failure = task.failure;
		this.callbacks.dispatch(task.id, task.webhook, {
			request_id: task.id,
			gateway_request_id: task.id,
			status: failure ? 'ERROR' : 'OK',
			payload: failure ? failure.body : this.resultBody(task),
			error: failure ? `Invalid status code: ${failure.status}` : null,
		});
	}

	/** Sends `body` to `url` like fal's webhook would (test mode only), from nobody's request. */
	async sendForgedCallback(url: string, body: unknown): Promise<{ status: number; body: string }> {
		return await this.callbacks.sendForged(url, body);
	}

	protected async serveFile(request: RecordedRequest): Promise<Reply> {
		const match = /^\/files\/([^/]+)\/(\d+)\.(png|webp|jpg)$/.exec(request.path);
		const task = match ? this.requests.get(match[1]) : undefined;
		if (!task || Date.now() < task.doneAt || task.failure || task.cancelled)
			return { status: 404, body: 'Not Found', headers: { 'content-type': 'text/plain' } };
		const format: ImageFormat = match![3] === 'jpg' ? 'jpeg' : (match![3] as ImageFormat);
		const bytes = await this.fileOf(task, Number(match![2]), format);
		return { status: 200, body: bytes, headers: { 'content-type': MIME_TYPES[format] } };
	}
}
