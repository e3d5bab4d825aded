/**
 * A faithful TensorsLab image API (shared/PROVIDERS.md §1) on 127.0.0.1: multipart
 * submits strict about field names and sizes, tasks that move queued → processing →
 * completed/failed over time, code 9000/9999 answers, and result images served by a
 * separate "CDN" server that must never see the API key.
 */
import { makeNoisyPng, makePng } from './images';
import { type KeyLimitOptions, KeyLimits } from './limits';
import { json, ProviderSimulator, type RecordedRequest, type Reply } from './server';

type Model = 'zimage' | 'seedreamv45' | 'seedreamv4' | 'seedreamv5';

const FIELDS: Record<Model, string[]> = {
	zimage: ['prompt', 'resolution', 'seed', 'prompt_extend'],
	seedreamv45: ['category', 'prompt', 'batchsize', 'resolution', 'sourceImage', 'imageUrl'],
	seedreamv5: ['category', 'prompt', 'batchsize', 'resolution', 'sourceImage', 'imageUrl'],
	seedreamv4: ['category', 'prompt', 'batchsize', 'resolution', 'sourceImage', 'imageUrl'],
};

const RATIOS: Record<Model, string[]> = {
	zimage: ['9:16', '16:9', '1:1', '3:4', '4:3'],
	seedreamv45: ['9:16', '16:9', '3:4', '4:3', '1:1', '2:3', '3:2'],
	seedreamv5: ['9:16', '16:9', '3:4', '4:3', '1:1', '2:3', '3:2'],
	seedreamv4: ['9:16', '16:9', '3:4', '4:3', '1:1'],
};

export interface SimTask {
	taskid: string;
	category: Model;
	prompt: string;
	width: number;
	height: number;
	seed: number;
	count: number;
	createdAt: number;
	failWith?: string;
	sourceImages: number;
	imageUrl?: string;
}

export interface TensorsLabSimOptions {
	apiKey?: string;
	/** Which Authorization forms are accepted. */
	authForm?: 'bearer' | 'raw' | 'either';
	queueMs?: number;
	processMs?: number;
	/** Tasks the account can still pay for. */
	credits?: number;
	/** Serve incompressible (photo-sized) PNGs instead of small gradient ones. */
	noisyImages?: boolean;
	/** Limits of the key: tasks running at once, submissions per window; 429 past them. */
	limits?: KeyLimitOptions;
}

export class TensorsLabSimulator extends ProviderSimulator {
	readonly tasks = new Map<string, SimTask>();
	readonly apiKey: string;
	authForm: 'bearer' | 'raw' | 'either';
	queueMs: number;
	processMs: number;
	credits: number;
	noisyImages: boolean;
	readonly limits?: KeyLimits;
	private failNext?: string;
	private readonly noisy = new Map<string, Buffer>();
	private counter = 0;

	constructor(options: TensorsLabSimOptions = {}) {
		super();
		this.apiKey = options.apiKey ?? 'tl-test-key-0123456789';
		this.authForm = options.authForm ?? 'either';
		this.queueMs = options.queueMs ?? 30;
		this.processMs = options.processMs ?? 120;
		this.credits = options.credits ?? 1000;
		this.noisyImages = options.noisyImages ?? false;
		if (options.limits) this.limits = new KeyLimits(options.limits);
	}

	/** Tasks still running, and when the first of them ends (ms from now). */
	running(now = Date.now()): { count: number; firstEndsInMs: number } {
		let count = 0;
		let first = Infinity;
		for (const task of this.tasks.values()) {
			const left = task.createdAt + this.queueMs + this.processMs - now;
			if (left > 0) {
				count++;
				first = Math.min(first, left);
			}
		}
		return { count, firstEndsInMs: Number.isFinite(first) ? first : 0 };
	}

	get url(): string {
		return this.api.url;
	}

	/** The next task created fails with this error_message. */
	failNextTask(message: string): void {
		this.failNext = message;
	}

	submits(): RecordedRequest[] {
		return this.api.requests.filter((r) => /^\/v1\/images\/(zimage|seedream)/.test(r.path));
	}

	statusOf(task: SimTask, now = Date.now()): 1 | 2 | 3 | 4 {
		const elapsed = now - task.createdAt;
		if (elapsed < this.queueMs) return 1;
		if (elapsed < this.queueMs + this.processMs) return 2;
		return task.failWith ? 4 : 3;
	}

	private authorized(request: RecordedRequest): boolean {
		const header = String(request.headers.authorization ?? '');
		const bearer = header === `Bearer ${this.apiKey}`;
		const raw = header === this.apiKey;
		if (this.authForm === 'bearer') return bearer;
		if (this.authForm === 'raw') return raw;
		return bearer || raw;
	}

	protected async route(request: RecordedRequest): Promise<Reply> {
		if (!this.authorized(request))
			return json(401, { code: 9999, msg: 'Unauthorized: invalid API key' });
		const submit = /^\/v1\/images\/(zimage|seedreamv45|seedreamv4|seedreamv5)$/.exec(request.path);
		if (submit && request.method === 'POST') return this.submit(submit[1] as Model, request);
		if (request.path === '/v1/images/infobytaskid' && request.method === 'POST')
			return this.info(request);
		if (request.path === '/v1/images/deleteimagestask' && request.method === 'POST')
			return this.remove(request);
		return json(404, { code: 9999, msg: 'Not Found' });
	}

	private size(model: Model, resolution: string): { width: number; height: number } | string {
		if (RATIOS[model].includes(resolution)) {
			const [a, b] = resolution.split(':').map(Number);
			const long = model === 'zimage' ? 1024 : 2560;
			return a >= b
				? { width: long, height: Math.round((long * b) / a) }
				: { width: Math.round((long * a) / b), height: long };
		}
		if (
			model !== 'zimage' &&
			model !== 'seedreamv4' &&
			(resolution === '2K' || resolution === '4K')
		) {
			const side = resolution === '2K' ? 2048 : 4096;
			return { width: side, height: side };
		}
		const separator = model === 'zimage' ? '*' : 'x';
		const match = new RegExp(`^(\\d+)\\${separator}(\\d+)$`).exec(resolution);
		if (!match || model === 'seedreamv4') return `invalid resolution "${resolution}"`;
		const width = Number(match[1]);
		const height = Number(match[2]);
		const pixels = width * height;
		const [min, max] = model === 'zimage' ? [512 * 512, 2048 * 2048] : [3_686_400, 16_777_216];
		if (pixels < min || pixels > max) return `resolution ${resolution} out of range`;
		return { width, height };
	}

	private submit(model: Model, request: RecordedRequest): Reply {
		const fields = request.fields;
		if (!fields) return json(200, { code: 9999, msg: 'multipart/form-data body required' });
		const names = [...Object.keys(fields), ...(request.files ?? []).map((f) => f.field)];
		const unknown = names.find((name) => !FIELDS[model].includes(name));
		if (unknown) return json(200, { code: 9999, msg: `unknown parameter: ${unknown}` });
		const prompt = fields.prompt?.[0] ?? '';
		if (!prompt.trim()) return json(200, { code: 9999, msg: 'prompt is required' });
		const size = this.size(
			model,
			fields.resolution?.[0] ?? (model === 'zimage' ? '1024*1024' : '2K'),
		);
		if (typeof size === 'string') return json(200, { code: 9999, msg: size });
		let count = 1;
		if (model !== 'zimage') {
			count = Number(fields.batchsize?.[0] ?? '1');
			if (!Number.isInteger(count) || count < 1 || count > 15)
				return json(200, { code: 9999, msg: 'batchsize must be 1-15' });
		}
		if (this.limits) {
			const { count, firstEndsInMs } = this.running();
			const refusal = this.limits.admit(count, firstEndsInMs, prompt);
			if (refusal)
				return json(
					429,
					{ code: 9999, msg: 'Too many requests' },
					refusal.retryAfter ? { 'retry-after': refusal.retryAfter } : undefined,
				);
		}
		if (this.credits <= 0) return json(200, { code: 9000, msg: 'Insufficient credits' });
		this.credits--;
		const taskid = `tl${String(++this.counter).padStart(4, '0')}_${Date.now().toString(16)}`;
		const seed = fields.seed ? Number(fields.seed[0]) : 1000 + this.counter;
		this.tasks.set(taskid, {
			taskid,
			category: model,
			prompt,
			...size,
			seed,
			count,
			createdAt: Date.now(),
			failWith: this.failNext,
			sourceImages: (request.files ?? []).length,
			imageUrl: fields.imageUrl?.[0],
		});
		this.failNext = undefined;
		return json(200, { code: 1000, msg: 'Task created successfully', data: { taskid } });
	}

	private info(request: RecordedRequest): Reply {
		const taskid = (request.json as { taskid?: string } | undefined)?.taskid;
		const task = taskid ? this.tasks.get(taskid) : undefined;
		if (!task) return json(200, { code: 9999, msg: 'task not found' });
		const status = this.statusOf(task);
		const urls =
			status === 3
				? Array.from(
						{ length: task.count },
						(_, i) => `${this.cdn.url}/files/${task.taskid}-${i}.png`,
					)
				: [];
		return json(200, {
			code: 1000,
			msg: 'OK',
			data: {
				taskid: task.taskid,
				category: task.category,
				starttime: new Date(task.createdAt).toISOString().replace('T', ' ').slice(0, 19),
				url: urls,
				image_status: status,
				width: task.width,
				height: task.height,
				prompt: task.prompt,
				negative: '',
				origseed: task.seed,
				...(status === 4 ? { error_message: task.failWith } : {}),
			},
		});
	}

	private remove(request: RecordedRequest): Reply {
		const ids = (request.json as { taskids?: unknown } | undefined)?.taskids;
		if (!Array.isArray(ids) || ids.length === 0)
			return json(200, { code: 9999, msg: 'taskids required' });
		for (const id of ids) this.tasks.delete(String(id));
		return json(200, { code: 1000, msg: 'success', data: { status: true } });
	}

	protected serveFile(request: RecordedRequest): Reply {
		const match = /^\/files\/(.+)-(\d+)\.png$/.exec(request.path);
		const task = match ? this.tasks.get(match[1]) : undefined;
		if (!task || this.statusOf(task) !== 3)
			return { status: 404, body: 'Not Found', headers: { 'content-type': 'text/plain' } };
		const index = Number(match![2]);
		const key = `${task.width}x${task.height}`;
		if (this.noisyImages && !this.noisy.has(key))
			this.noisy.set(key, makeNoisyPng(task.width, task.height));
		return {
			status: 200,
			body: this.noisyImages
				? this.noisy.get(key)!
				: makePng(task.width, task.height, task.seed + index),
			headers: { 'content-type': 'image/png' },
		};
	}
}
