/** The fake provider's API on 127.0.0.1: jobs that finish after `jobMs`, PNG results on a CDN. */
import { makePng } from '../simulators/images';
import { json, ProviderSimulator, type RecordedRequest, type Reply } from '../simulators/server';

export class FakeSimulator extends ProviderSimulator {
	readonly jobs = new Map<string, { createdMs: number }>();
	private counter = 0;

	constructor(
		readonly apiKey = 'fake-dummy-key-0000',
		readonly jobMs = 100,
	) {
		super();
	}

	get url(): string {
		return this.api.url;
	}

	protected route(request: RecordedRequest): Promise<Reply> | Reply {
		return this.reply(request);
	}

	/** The API's answer to a request. */
	protected reply(request: RecordedRequest): Reply {
		if (request.headers['x-fake-key'] !== this.apiKey) return json(401, { error: 'bad key' });
		if (request.method === 'GET' && request.path === '/me') return json(200, { ok: true });
		if (request.method === 'POST' && request.path === '/jobs') {
			const id = `job${++this.counter}`;
			this.jobs.set(id, { createdMs: Date.now() });
			return json(200, { id });
		}
		const match = /^\/jobs\/([^/]+)$/.exec(request.path);
		const job = match ? this.jobs.get(decodeURIComponent(match[1])) : undefined;
		if (!match || !job) return json(404, { error: 'no such job' });
		const done = Date.now() - job.createdMs >= this.jobMs;
		return json(200, {
			id: match[1],
			status: done ? 'done' : 'running',
			images: done ? [`${this.cdn.url}/img/${match[1]}.png`] : [],
		});
	}

	protected serveFile(): Reply {
		return { status: 200, body: makePng(64, 64), headers: { 'content-type': 'image/png' } };
	}
}
