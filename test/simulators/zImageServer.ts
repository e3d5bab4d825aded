/**
 * A faithful self-hosted Z-Image Vision server (shared/PROVIDERS.md §2) on 127.0.0.1:
 * lazy model load on the first image request, "generating" while busy, both response
 * formats with /outputs/ files, multipart edits, models, unload, the newer async
 * endpoints, and 500/422 answers on demand.
 */
import { sniffImage } from '../../nodes/ZImage/imageInfo';
import { makePng } from './images';
import { delay, json, type RecordedRequest, type Reply, SimulatorServer } from './server';

export interface ZImageServerOptions {
	/** A bearer token the server (its proxy) demands; none by default. */
	token?: string;
	/** Time the first image request spends loading the model. */
	loadMs?: number;
	/** Time one generation takes. */
	generateMs?: number;
	/** `seed`: the seed document's server; `newer`: async endpoints and the newer health shape. */
	version?: 'seed' | 'newer';
}

interface AsyncTask {
	id: string;
	done: boolean;
	error?: string;
	data?: Array<{ url?: string; b64_json?: string }>;
}

export class ZImageServerSimulator {
	readonly server: SimulatorServer;
	readonly options: Required<Omit<ZImageServerOptions, 'token'>> & { token?: string };
	modelLoaded = false;
	editLoaded = false;
	busy = 0;
	/** The next N image requests answer 500 "model failed to load". */
	failLoads = 0;
	readonly outputs = new Map<string, Buffer>();
	readonly tasks = new Map<string, AsyncTask>();
	private counter = 0;

	constructor(options: ZImageServerOptions = {}) {
		this.options = { loadMs: 200, generateMs: 100, version: 'newer', ...options };
		this.server = new SimulatorServer((request) => this.route(request));
	}

	async start(): Promise<this> {
		await this.server.start();
		return this;
	}

	async stop(): Promise<void> {
		await this.server.stop();
	}

	get url(): string {
		return this.server.url;
	}

	imageRequests(): RecordedRequest[] {
		return this.server.requests.filter((r) =>
			/^\/v1\/images\/(generations|edits|async_generate|async_edit)$/.test(r.path),
		);
	}

	private async route(request: RecordedRequest): Promise<Reply> {
		if (this.options.token && request.headers.authorization !== `Bearer ${this.options.token}`) {
			return json(401, { detail: 'Not authenticated' });
		}
		const { method, path } = request;
		const newer = this.options.version === 'newer';
		if (method === 'GET' && path === '/health') return this.health();
		if (method === 'GET' && path === '/v1/models') return this.models();
		if (method === 'GET' && path === '/v1/internal/status') {
			return json(200, {
				status: this.busy > 0 ? 'generating' : 'idle',
				model_loaded: this.modelLoaded,
			});
		}
		if ((method === 'GET' || method === 'POST') && path === '/v1/internal/unload') {
			this.modelLoaded = false;
			this.editLoaded = false;
			return json(200, { status: 'models unloaded' });
		}
		if (method === 'GET' && path.startsWith('/outputs/')) {
			const file = this.outputs.get(path.slice('/outputs/'.length));
			return file
				? { status: 200, body: file, headers: { 'content-type': 'image/png' } }
				: json(404, { detail: 'Not Found' });
		}
		if (method === 'POST' && path === '/v1/images/generations')
			return await this.generate(request, false);
		if (method === 'POST' && path === '/v1/images/edits') return await this.edit(request, false);
		if (newer && method === 'POST' && path === '/v1/images/async_generate')
			return await this.generate(request, true);
		if (newer && method === 'POST' && path === '/v1/images/async_edit')
			return await this.edit(request, true);
		const task = /^\/v1\/images\/tasks\/([^/]+)$/.exec(path);
		if (newer && method === 'GET' && task) return this.taskStatus(decodeURIComponent(task[1]));
		return json(404, { detail: 'Not Found' });
	}

	private health(): Reply {
		if (this.options.version === 'seed') {
			return json(200, {
				status: 'ok',
				model: 'Tongyi-MAI/Z-Image',
				model_loaded: this.modelLoaded,
			});
		}
		return json(200, {
			status: 'ok',
			t2i_model: 'Tongyi-MAI/Z-Image',
			edit_model: 'Tongyi-MAI/Z-Image-Edit',
			t2i_loaded: this.modelLoaded,
			edit_loaded: this.editLoaded,
		});
	}

	private models(): Reply {
		const created = 1_760_000_000;
		return json(200, {
			object: 'list',
			data: [
				{
					id: 'z-image',
					object: 'model',
					created,
					owned_by: 'tongyi-mai',
					capabilities: ['text-to-image'],
				},
				{
					id: 'z-image-edit',
					object: 'model',
					created,
					owned_by: 'tongyi-mai',
					capabilities: ['image-to-image'],
				},
			],
		});
	}

	/** Loads the model on first use, then "generates" for a while; answers what the real server would. */
	private async work(edit: boolean): Promise<string | undefined> {
		if (this.failLoads > 0) {
			this.failLoads--;
			return 'Model loading failed: CUDA out of memory while loading Tongyi-MAI/Z-Image';
		}
		this.busy++;
		try {
			const loaded = edit ? this.editLoaded : this.modelLoaded;
			if (!loaded) {
				await delay(this.options.loadMs);
				if (edit) this.editLoaded = true;
				else this.modelLoaded = true;
			}
			await delay(this.options.generateMs);
		} finally {
			this.busy--;
		}
		return undefined;
	}

	private results(
		width: number,
		height: number,
		count: number,
		format: string,
	): Array<{ url?: string; b64_json?: string }> {
		return Array.from({ length: count }, () => {
			const png = makePng(width, height, ++this.counter);
			if (format === 'b64_json') return { b64_json: png.toString('base64') };
			const name = `img_${Date.now()}_${this.counter}.png`;
			this.outputs.set(name, png);
			return { url: `/outputs/${name}` };
		});
	}

	/** The real server silently rounds sizes down to multiples of 32. */
	private size(text: string | undefined, fallback: { width: number; height: number }) {
		const match = /^(\d+)x(\d+)$/.exec(text ?? '');
		if (!match) return fallback;
		return {
			width: Number(match[1]) - (Number(match[1]) % 32),
			height: Number(match[2]) - (Number(match[2]) % 32),
		};
	}

	private async finish(
		asyncTask: boolean,
		edit: boolean,
		produce: () => Array<{ url?: string; b64_json?: string }>,
	): Promise<Reply> {
		if (!asyncTask) {
			const failure = await this.work(edit);
			if (failure) return json(500, { detail: failure });
			return json(200, { created: Math.floor(Date.now() / 1000), data: produce() });
		}
		const id = `task_${++this.counter}_${Date.now().toString(36)}`;
		const task: AsyncTask = { id, done: false };
		this.tasks.set(id, task);
		void this.work(edit).then((failure) => {
			task.done = true;
			if (failure) task.error = failure;
			else task.data = produce();
		});
		return json(200, { task_id: id, status: 'processing' });
	}

	private async generate(request: RecordedRequest, asyncTask: boolean): Promise<Reply> {
		const body = request.json as Record<string, unknown> | undefined;
		if (!body || typeof body.prompt !== 'string' || !body.prompt) {
			return json(422, {
				detail: [{ loc: ['body', 'prompt'], msg: 'field required', type: 'value_error.missing' }],
			});
		}
		const { width, height } = this.size(body.size as string | undefined, {
			width: 1024,
			height: 1024,
		});
		const count = Number(body.n ?? 1);
		const format = String(body.response_format ?? 'url');
		return await this.finish(asyncTask, false, () => this.results(width, height, count, format));
	}

	private async edit(request: RecordedRequest, asyncTask: boolean): Promise<Reply> {
		const image = request.files?.find((file) => file.field === 'image');
		const prompt = request.fields?.prompt?.[0];
		if (!image || !prompt) {
			const loc = !image ? 'image' : 'prompt';
			return json(422, {
				detail: [{ loc: ['body', loc], msg: 'field required', type: 'value_error.missing' }],
			});
		}
		const input = sniffImage(image.data);
		const fallback = { width: input?.width ?? 1024, height: input?.height ?? 1024 };
		const { width, height } = this.size(request.fields?.size?.[0], fallback);
		const format = request.fields?.response_format?.[0] ?? 'url';
		return await this.finish(asyncTask, true, () => this.results(width, height, 1, format));
	}

	private taskStatus(id: string): Reply {
		const task = this.tasks.get(id);
		if (!task) return json(200, { status: 'failed', error: `task ${id} not found` });
		if (!task.done) return json(200, { status: 'processing' });
		if (task.error) return json(200, { status: 'failed', error: task.error });
		return json(200, { status: 'completed', data: task.data });
	}
}
