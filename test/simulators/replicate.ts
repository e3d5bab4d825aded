/**
 * Replicate's HTTP API (shared/PROVIDERS-HOSTED.md, docs/providers/replicate.md) on 127.0.0.1, for
 * Pruna AI's Z-Image models: a create at the model endpoint (`POST /v1/models/<owner>/<name>/
 * predictions`) or with a pinned version (`POST /v1/predictions`), held with `Prefer: wait=<n>`
 * until the prediction ends or n seconds pass (at most `holdCapMs`: a model still booting answers
 * earlier), the prediction at its urls.get, the account's recent predictions (`GET
 * /v1/predictions`, newest first), cancel at urls.cancel, the account and the model. The input is
 * validated against each model's schema (422 with `invalid_fields`, extra fields refused). Output
 * files are real images, made while the prediction runs and served as stored (a CDN serves many
 * at once), on a separate host that gets no token; inputs, outputs and files are
 * removed `retentionMs` after the prediction ends (`data_removed`). A `webhook` gets the
 * finished prediction (events filter "completed"), in callback test mode only (see ./callbacks).
 */
import { type CallbackAttempt, CallbackDispatcher, type CallbackTestMode } from './callbacks';
import { decodeImage, type ImageFormat, makeImage, MIME_TYPES } from './images';
import { delay, json, ProviderSimulator, type RecordedRequest, type Reply } from './server';

export const TURBO = 'prunaai/z-image-turbo';
export const TURBO_LORA = 'prunaai/z-image-turbo-lora';
export const IMG2IMG = 'prunaai/z-image-turbo-img2img';

/** A published version of each model (the sim's "latest"), as IDs look on Replicate. */
export const VERSIONS: Record<string, string> = {
	[TURBO]: 'e61b4c421c5e603c82dfd037f7c67e0374912bdb4a505e6856d032a26eecff86',
	[TURBO_LORA]: 'f1f17ca4cbb1da4c85000c0778bb8c5617bdf4db01d8dca26626efb1cdfd4d93',
	[IMG2IMG]: '3177e93b66ce05cdafee77fa815466aee8e9ea03cae91ddf645dbe92ce78761c',
};

export interface ReplicatePrediction {
	id: string;
	model: string;
	version: string;
	input: Record<string, unknown>;
	createdAt: number;
	startAt: number;
	doneAt: number;
	webhook?: string;
	webhookEvents?: unknown;
	canceledAt?: number;
	/** Why it fails when it runs (a planned failure), instead of making its image. */
	error?: string;
	width: number;
	height: number;
	seed: number;
	/** The Prefer header of its create, as received. */
	prefer?: string;
	/** Its output file, made while it runs (as the model writes it), served as stored. */
	file?: Promise<Buffer>;
}

export interface ReplicateSimOptions {
	apiKey?: string;
	/** How long one prediction takes from its create to its output. */
	taskMs?: number;
	/** The longest the sim holds a create, whatever Prefer asks. */
	holdCapMs?: number;
	/** How long after it ends a prediction's input, output and files are kept (Replicate: an hour). */
	retentionMs?: number;
	callbacks?: CallbackTestMode;
	callbackRetryDelaysMs?: readonly number[];
}

const problem = (status: number, title: string, detail: string, extra = {}) =>
	json(status, { title, detail, status, ...extra });

const invalid = (field: string, type: string, description: string) =>
	problem(422, 'Input validation failed', `- input.${field}: ${description}\n`, {
		invalid_fields: [{ type, field: `input.${field}`, description }],
	});

const FORMATS: Record<string, ImageFormat> = { jpg: 'jpeg', png: 'png', webp: 'webp' };

export class ReplicateSimulator extends ProviderSimulator {
	readonly apiKey: string;
	readonly predictions = new Map<string, ReplicatePrediction>();
	taskMs: number;
	holdCapMs: number;
	retentionMs: number;
	readonly callbacks: CallbackDispatcher;
	private counter = 0;
	private failNext?: string;

	constructor(options: ReplicateSimOptions = {}) {
		super();
		this.apiKey = options.apiKey ?? 'r8_ZImageSimReplicateToken4e7b1c9d2a6f';
		this.taskMs = options.taskMs ?? 300;
		this.holdCapMs = options.holdCapMs ?? Number.POSITIVE_INFINITY;
		this.retentionMs = options.retentionMs ?? 60 * 60 * 1000;
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

	/** The next prediction fails when it runs, with this error. */
	failNextPrediction(error: string): void {
		this.failNext = error;
	}

	creates() {
		return this.api.requests.filter(
			(r) => r.method === 'POST' && /^\/v1\/(models\/[^/]+\/[^/]+\/)?predictions$/.test(r.path),
		);
	}

	looks() {
		return this.api.requestsTo(/^\/v1\/predictions\/[^/]+$/, 'GET');
	}

	lists() {
		return this.api.requestsTo(/^\/v1\/predictions$/, 'GET');
	}

	cancels() {
		return this.api.requestsTo(/^\/v1\/predictions\/[^/]+\/cancel$/, 'POST');
	}

	protected async route(request: RecordedRequest): Promise<Reply> {
		if (String(request.headers.authorization ?? '') !== `Bearer ${this.apiKey}`)
			return problem(401, 'Unauthenticated', 'You did not pass a valid authentication token');
		const { method, path } = request;
		if (method === 'GET' && path === '/v1/account')
			return json(200, { type: 'user', username: 'zimage-tester', name: 'Z-Image Tester' });
		const model = /^\/v1\/models\/([^/]+\/[^/]+)(\/predictions)?$/.exec(path);
		if (model && !VERSIONS[model[1]])
			return problem(404, 'Not found', 'The requested resource could not be found.');
		if (model && !model[2] && method === 'GET')
			return json(200, {
				owner: model[1].split('/')[0],
				name: model[1].split('/')[1],
				latest_version: { id: VERSIONS[model[1]] },
			});
		if (model && model[2] && method === 'POST')
			return await this.create(request, model[1], VERSIONS[model[1]]);
		if (path === '/v1/predictions' && method === 'POST') {
			const version = String((request.json as Record<string, unknown>)?.version ?? '');
			const named = Object.keys(VERSIONS).find((key) => VERSIONS[key] === version);
			if (!named)
				return problem(
					422,
					'Invalid version or not permitted',
					"The specified version does not exist (or perhaps you don't have permission to use it?)",
				);
			return await this.create(request, named, version);
		}
		if (path === '/v1/predictions' && method === 'GET') {
			const results = [...this.predictions.values()]
				.sort((a, b) => b.createdAt - a.createdAt)
				.map((p) => this.view(p));
			return json(200, { next: null, previous: null, results });
		}
		const byId = /^\/v1\/predictions\/([^/]+)(\/cancel)?$/.exec(path);
		const found = byId ? this.predictions.get(decodeURIComponent(byId[1])) : undefined;
		if (!byId || !found)
			return problem(404, 'Not found', 'The requested resource could not be found.');
		if (byId[2] && method === 'POST') {
			if (!this.ended(found)) found.canceledAt = Date.now();
			return json(200, this.view(found));
		}
		if (!byId[2] && method === 'GET') return json(200, this.view(found));
		return problem(405, 'Method not allowed', `${method} is not allowed here`);
	}

	private async create(request: RecordedRequest, model: string, version: string): Promise<Reply> {
		const body = request.json as Record<string, unknown> | undefined;
		const input = body?.input as Record<string, unknown> | undefined;
		if (!input || typeof input !== 'object')
			return invalid('prompt', 'required', 'input is required');
		const refused = await this.validate(model, input);
		if (refused) return refused;
		const now = Date.now();
		const id = `${(++this.counter).toString(36).padStart(6, '0')}zimg${now.toString(36)}`.slice(
			0,
			26,
		);
		const [width, height] = await this.sizeOf(model, input);
		const prediction: ReplicatePrediction = {
			id,
			model,
			version,
			input,
			createdAt: now,
			startAt: now + Math.min(50, this.taskMs / 5),
			doneAt: now + this.taskMs,
			webhook: typeof body?.webhook === 'string' ? body.webhook : undefined,
			webhookEvents: body?.webhook_events_filter,
			error: this.failNext,
			width,
			height,
			seed: Number.isInteger(input.seed) ? (input.seed as number) : 1000 + this.counter,
			prefer: typeof request.headers.prefer === 'string' ? request.headers.prefer : undefined,
		};
		this.failNext = undefined;
		// The model makes its file once it runs, in the time the prediction takes.
		if (!prediction.error)
			void delay(prediction.startAt - now).then(async () => await this.fileOf(prediction));
		this.predictions.set(id, prediction);
		if (prediction.webhook)
			this.callbacks.later(this.taskMs, () => {
				if (prediction.canceledAt) return;
				this.callbacks.dispatch(id, prediction.webhook!, this.view(prediction));
			});
		// Prefer: wait=<n> (1-60) holds the answer until the prediction ends or n seconds pass.
		const wait = /^wait(?:=(\d+))?$/.exec(String(prediction.prefer ?? '').trim());
		if (wait) {
			const seconds = Math.min(60, Math.max(1, Number(wait[1] ?? 60)));
			const until = Math.min(now + seconds * 1000, now + this.holdCapMs, prediction.doneAt);
			// A timer may fire a millisecond early: the hold ends when the time has really come.
			while (Date.now() < until) await delay(until - Date.now());
		}
		return json(201, this.view(prediction));
	}

	/** The input as the model's schema takes it, or the 422 Replicate answers. */
	private async validate(
		model: string,
		input: Record<string, unknown>,
	): Promise<Reply | undefined> {
		const known = [
			'prompt',
			'num_inference_steps',
			'guidance_scale',
			'seed',
			'output_format',
			'output_quality',
			...(model === IMG2IMG ? ['image', 'strength'] : ['width', 'height']),
			...(model === TURBO_LORA ? ['lora_weights', 'lora_scales'] : []),
			...(model === TURBO ? ['go_fast', 'num_outputs', 'negative_prompt'] : []),
		];
		const extra = Object.keys(input).find((key) => !known.includes(key));
		if (extra)
			return invalid(
				extra,
				'additional_property_not_allowed',
				`Additional property ${extra} is not allowed`,
			);
		if (typeof input.prompt !== 'string' || !input.prompt)
			return invalid('prompt', 'required', 'prompt is required');
		const range = (field: string, min: number, max: number, integer: boolean) => {
			const value = input[field];
			if (value === undefined) return undefined;
			if (typeof value !== 'number' || (integer && !Number.isInteger(value)))
				return invalid(
					field,
					'invalid_type',
					`Invalid type. Expected: ${integer ? 'integer' : 'number'}`,
				);
			if (value < min)
				return invalid(field, 'number_gte', `Must be greater than or equal to ${min}`);
			if (value > max) return invalid(field, 'number_lte', `Must be less than or equal to ${max}`);
			return undefined;
		};
		const side = model === TURBO_LORA ? 1440 : 2048;
		const checks = [
			range('width', 64, side, true),
			range('height', 64, side, true),
			range('num_inference_steps', 1, 50, true),
			range('guidance_scale', 0, 20, false),
			range('output_quality', 0, 100, true),
			range('strength', 0, 1, false),
			range('num_outputs', 1, 1, true),
		];
		const failed = checks.find(Boolean);
		if (failed) return failed;
		if (input.output_format !== undefined && !FORMATS[String(input.output_format)])
			return invalid(
				'output_format',
				'enum',
				'output_format must be one of the following: "webp", "jpg", "png"',
			);
		if (model === IMG2IMG) {
			const image = String(input.image ?? '');
			if (!image) return invalid('image', 'required', 'image is required');
			if (image.startsWith('data:') && !(await this.decodeDataUri(image)))
				return invalid(
					'image',
					'format',
					"Does not match format 'uri' (the data URL is not an image)",
				);
			if (!/^(https?:|data:image\/)/.test(image))
				return invalid('image', 'format', "Does not match format 'uri'");
		}
		if (model === TURBO_LORA) {
			const weights = input.lora_weights;
			const scales = input.lora_scales;
			if (
				!Array.isArray(weights) ||
				weights.some((w) => typeof w !== 'string' || !/^https?:\/\//.test(w))
			)
				return invalid('lora_weights', 'invalid_type', 'Invalid type. Expected: array of URLs');
			if (scales !== undefined && (!Array.isArray(scales) || scales.length !== weights.length))
				return invalid('lora_scales', 'invalid', 'Must match the number of lora_weights');
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

	private async sizeOf(model: string, input: Record<string, unknown>): Promise<[number, number]> {
		if (model !== IMG2IMG) return [Number(input.width ?? 1024), Number(input.height ?? 1024)];
		const source =
			typeof input.image === 'string' ? await this.decodeDataUri(input.image) : undefined;
		return source ? [source.width, source.height] : [1024, 1024];
	}

	private ended(p: ReplicatePrediction, now = Date.now()): boolean {
		return p.canceledAt !== undefined || now >= p.doneAt;
	}

	/** Whether the prediction's data is gone (an hour after it ended, on Replicate). */
	removed(p: ReplicatePrediction, now = Date.now()): boolean {
		const endedAt = p.canceledAt ?? p.doneAt;
		return now >= p.doneAt && now >= endedAt + this.retentionMs;
	}

	private async fileOf(p: ReplicatePrediction): Promise<Buffer> {
		const format = FORMATS[this.extension(p)] ?? 'jpeg';
		p.file ??= makeImage(format, p.width, p.height, p.seed % 97);
		return await p.file;
	}

	private extension(p: ReplicatePrediction): string {
		return String(p.input.output_format ?? 'jpg');
	}

	private logs(p: ReplicatePrediction, now: number): string {
		const steps = Number(p.input.num_inference_steps ?? 8);
		const running = Math.max(0, Math.min(now, p.doneAt) - p.startAt);
		const done = Math.min(steps, Math.floor((running / Math.max(1, p.doneAt - p.startAt)) * steps));
		const bars = Array.from(
			{ length: done + 1 },
			(_, step) =>
				`${String(Math.round((100 * step) / steps)).padStart(3)}%|${'█'.repeat(step).padEnd(steps)}| ${step}/${steps}`,
		);
		return [`Using seed: ${p.seed}`, ...bars].join('\n');
	}

	/** The prediction as Replicate shows it now. */
	view(p: ReplicatePrediction, now = Date.now()): Record<string, unknown> {
		const at = `${this.api.url}/v1/predictions/${p.id}`;
		const status = p.canceledAt
			? 'canceled'
			: now < p.startAt
				? 'starting'
				: now < p.doneAt
					? 'processing'
					: p.error
						? 'failed'
						: 'succeeded';
		const removed = this.removed(p, now);
		const view: Record<string, unknown> = {
			id: p.id,
			model: p.model,
			version: p.version,
			input: removed ? {} : p.input,
			logs: status === 'starting' || removed ? '' : this.logs(p, now),
			output: null,
			error: status === 'failed' ? p.error : null,
			status,
			source: 'api',
			data_removed: removed,
			created_at: new Date(p.createdAt).toISOString(),
			urls: { get: at, cancel: `${at}/cancel`, web: `https://replicate.example/p/${p.id}` },
		};
		if (status !== 'starting') view.started_at = new Date(p.startAt).toISOString();
		if (status === 'succeeded' || status === 'failed' || status === 'canceled') {
			view.completed_at = new Date(p.canceledAt ?? p.doneAt).toISOString();
			view.metrics = {
				predict_time: (p.doneAt - p.startAt) / 1000,
				total_time: this.taskMs / 1000,
			};
		}
		if (status === 'succeeded' && !removed)
			view.output = `${this.cdn.url}/files/${p.id}/out-0.${this.extension(p)}`;
		if (p.webhook) {
			view.webhook = p.webhook;
			view.webhook_events_filter = p.webhookEvents;
		}
		return view;
	}

	/** Sends `body` to `url` like Replicate's webhook would (test mode only), from nobody's prediction. */
	async sendForgedCallback(url: string, body: unknown): Promise<{ status: number; body: string }> {
		return await this.callbacks.sendForged(url, body);
	}

	protected async serveFile(request: RecordedRequest): Promise<Reply> {
		const match = /^\/files\/([^/]+)\/out-0\.(png|webp|jpg)$/.exec(request.path);
		const p = match ? this.predictions.get(match[1]) : undefined;
		if (
			!p ||
			!this.ended(p) ||
			p.canceledAt ||
			p.error ||
			this.removed(p) ||
			match![2] !== this.extension(p)
		)
			return { status: 404, body: 'Not Found', headers: { 'content-type': 'text/plain' } };
		const format = FORMATS[match![2]];
		const bytes = await this.fileOf(p);
		return { status: 200, body: bytes, headers: { 'content-type': MIME_TYPES[format] } };
	}
}
