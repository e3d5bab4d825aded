/**
 * The HTTP base every provider simulator shares: a real server on 127.0.0.1 (ephemeral
 * port) that records each request with its parsed JSON or multipart body, and a fault
 * plan that makes the next N matching requests answer something else.
 */
/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals -- a test HTTP server, never shipped; its timers are unref()ed, which sleep() cannot do */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface UploadedFile {
	field: string;
	fileName: string;
	mimeType: string;
	data: Buffer;
}

export interface RecordedRequest {
	method: string;
	path: string;
	query: URLSearchParams;
	headers: Record<string, string | string[] | undefined>;
	raw: Buffer;
	json?: unknown;
	fields?: Record<string, string[]>;
	files?: UploadedFile[];
	at: number;
	/** Body bytes the server wrote for a streamed fault, and when the client hung up on it. */
	sent?: number;
	hungUpAt?: number;
}

export interface Reply {
	status: number;
	body?: unknown;
	headers?: Record<string, string>;
}

/** What a planned fault does instead of the real answer. */
export type Fault =
	| { kind: 'reply'; reply: Reply }
	| { kind: 'reset' }
	/** Headers and half of the real answer's body, then the connection is cut. */
	| { kind: 'truncate' }
	| { kind: 'hang' }
	/** The real answer is worked out (the provider does the work, and bills it), then the connection is cut instead. */
	| { kind: 'lose' }
	| { kind: 'delay'; ms: number }
	/**
	 * A hostile body: `chunk` bytes every `everyMs`, with no Content-Length, until `totalBytes`
	 * (endless when absent) or the client hangs up; `head` goes first (e.g. a PNG signature).
	 */
	| {
			kind: 'stream';
			status?: number;
			headers?: Record<string, string>;
			head?: Buffer;
			chunk: number;
			everyMs: number;
			totalBytes?: number;
	  };

interface PlannedFault {
	method?: string;
	path: RegExp;
	remaining: number;
	fault: Fault;
}

/** A pause that never keeps the test process alive on its own. */
export const delay = (ms: number) =>
	new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export type Handler = (request: RecordedRequest) => Promise<Reply> | Reply;

/** Splits a multipart/form-data body into text fields and files. */
export function parseMultipart(
	raw: Buffer,
	contentType: string,
): { fields: Record<string, string[]>; files: UploadedFile[] } {
	const match = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
	if (!match) throw new Error('multipart body without boundary');
	const boundary = Buffer.from(`--${match[1] ?? match[2]}`);
	const fields: Record<string, string[]> = {};
	const files: UploadedFile[] = [];
	let start = raw.indexOf(boundary);
	while (start !== -1) {
		const next = raw.indexOf(boundary, start + boundary.length);
		if (next === -1) break;
		// A part: CRLF, headers, CRLF CRLF, content, CRLF, then the next boundary.
		const part = raw.subarray(start + boundary.length + 2, next - 2);
		const split = part.indexOf('\r\n\r\n');
		if (split !== -1) {
			const head = part.subarray(0, split).toString('utf8');
			const content = part.subarray(split + 4);
			const name = /name="([^"]*)"/i.exec(head)?.[1] ?? '';
			const fileName = /filename="([^"]*)"/i.exec(head)?.[1];
			const type =
				/content-type:\s*([^\r\n]+)/i.exec(head)?.[1]?.trim() ?? 'application/octet-stream';
			if (fileName !== undefined)
				files.push({ field: name, fileName, mimeType: type, data: Buffer.from(content) });
			else (fields[name] ??= []).push(content.toString('utf8'));
		}
		start = next;
	}
	return { fields, files };
}

export class SimulatorServer {
	readonly requests: RecordedRequest[] = [];
	private server?: Server;
	private readonly sockets = new Set<Socket>();
	private readonly faults: PlannedFault[] = [];
	private base = '';

	constructor(private readonly handler: Handler) {}

	get url(): string {
		return this.base;
	}

	async start(port = 0): Promise<string> {
		this.server = createServer((req, res) => void this.handle(req, res));
		this.server.on('connection', (socket) => {
			this.sockets.add(socket);
			socket.on('close', () => this.sockets.delete(socket));
		});
		await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
		const { port: bound } = this.server.address() as AddressInfo;
		this.base = `http://127.0.0.1:${bound}`;
		return this.base;
	}

	async stop(): Promise<void> {
		for (const socket of this.sockets) socket.destroy();
		await new Promise<void>((resolve) =>
			this.server ? this.server.close(() => resolve()) : resolve(),
		);
	}

	/** The next `count` requests matching `path` (and `method`) get `fault` instead of the real answer. */
	/** Drops every fault still planned. */
	clearFaults(): void {
		this.faults.length = 0;
	}

	planFault(path: RegExp, count: number, fault: Fault, method?: string): void {
		this.faults.push({ path, remaining: count, fault, method });
	}

	requestsTo(path: RegExp, method?: string): RecordedRequest[] {
		return this.requests.filter((r) => path.test(r.path) && (!method || r.method === method));
	}

	private takeFault(method: string, path: string): Fault | undefined {
		const planned = this.faults.find(
			(f) => f.remaining > 0 && f.path.test(path) && (!f.method || f.method === method),
		);
		if (!planned) return undefined;
		planned.remaining--;
		return planned.fault;
	}

	private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const chunks: Buffer[] = [];
		for await (const chunk of req) chunks.push(chunk as Buffer);
		const raw = Buffer.concat(chunks);
		const url = new URL(req.url ?? '/', this.base);
		const request: RecordedRequest = {
			method: req.method ?? 'GET',
			path: url.pathname,
			query: url.searchParams,
			headers: req.headers,
			raw,
			at: Date.now(),
		};
		const contentType = String(req.headers['content-type'] ?? '');
		try {
			if (contentType.includes('application/json') && raw.length)
				request.json = JSON.parse(raw.toString('utf8'));
			if (contentType.includes('multipart/form-data'))
				Object.assign(request, parseMultipart(raw, contentType));
		} catch {
			// the handler sees an unparsed body and answers like the real API would
		}
		this.requests.push(request);

		const fault = this.takeFault(request.method, request.path);
		if (fault?.kind === 'reset') {
			req.socket.destroy();
			return;
		}
		if (fault?.kind === 'hang') return;
		if (fault?.kind === 'delay') await delay(fault.ms);
		if (fault?.kind === 'stream') {
			await this.stream(request, res, fault);
			return;
		}
		const reply = fault?.kind === 'reply' ? fault.reply : await this.handler(request);
		if (fault?.kind === 'lose') {
			req.socket.destroy();
			return;
		}
		if (fault?.kind === 'truncate') {
			const { headers, body } = this.encode(reply);
			res.writeHead(reply.status, headers);
			res.write(body.subarray(0, Math.floor(body.length / 2)));
			setTimeout(() => res.destroy(), 20).unref();
			return;
		}
		this.send(res, reply);
	}

	private async stream(
		request: RecordedRequest,
		res: ServerResponse,
		fault: Extract<Fault, { kind: 'stream' }>,
	): Promise<void> {
		let open = true;
		res.on('close', () => {
			open = false;
			request.hungUpAt ??= Date.now();
		});
		res.writeHead(fault.status ?? 200, {
			'content-type': 'application/octet-stream',
			...(fault.headers ?? {}),
		});
		request.sent = 0;
		if (fault.head) {
			res.write(fault.head);
			request.sent += fault.head.length;
		}
		const block = Buffer.alloc(fault.chunk, 0x41);
		const total = fault.totalBytes ?? Number.POSITIVE_INFINITY;
		// Bounded in time too, so that a test that goes wrong still ends: at most two minutes.
		const until = Date.now() + 120_000;
		while (open && request.sent < total && Date.now() < until) {
			const ok = res.write(block);
			request.sent += block.length;
			if (!ok)
				await new Promise<void>((resolve) => res.once('drain', resolve).once('close', resolve));
			if (fault.everyMs > 0) await delay(fault.everyMs);
			else await new Promise<void>((resolve) => setImmediate(resolve));
		}
		if (open) res.end();
	}

	private encode(reply: Reply): { headers: Record<string, string>; body: Buffer } {
		const headers: Record<string, string> = { ...(reply.headers ?? {}) };
		let body: Buffer;
		if (Buffer.isBuffer(reply.body)) body = reply.body;
		else if (typeof reply.body === 'string') body = Buffer.from(reply.body);
		else {
			body = Buffer.from(JSON.stringify(reply.body ?? {}));
			headers['content-type'] ??= 'application/json';
		}
		headers['content-length'] = String(body.length);
		return { headers, body };
	}

	private send(res: ServerResponse, reply: Reply): void {
		const { headers, body } = this.encode(reply);
		res.writeHead(reply.status, headers);
		res.end(body);
	}
}

export const json = (status: number, body: unknown, headers?: Record<string, string>): Reply => ({
	status,
	body,
	headers,
});

/** A provider API and the separate host (a CDN) that serves its result files. */
export abstract class ProviderSimulator {
	readonly api = new SimulatorServer((request) => this.route(request));
	readonly cdn = new SimulatorServer((request) => this.serveFile(request));

	protected abstract route(request: RecordedRequest): Promise<Reply> | Reply;
	protected abstract serveFile(request: RecordedRequest): Promise<Reply> | Reply;

	async start(): Promise<this> {
		await this.api.start();
		await this.cdn.start();
		return this;
	}

	async stop(): Promise<void> {
		await this.api.stop();
		await this.cdn.stop();
	}
}
