/**
 * Evolink's task callbacks (shared/PROVIDERS.md §3): when a task ends, its final task view
 * is POSTed as JSON to the task's callback_url; 10 s per attempt, and a non-2xx answer,
 * a timeout or a network error is retried after 1 s, 2 s and 4 s (4 attempts at most).
 *
 * The simulator never calls a real address: callbacks go out only in test mode, where
 * every connection goes to `resolveTo` (a loopback address) whatever the URL's host name,
 * with the URL's host as TLS SNI and the (self-signed) certificate not checked. Without
 * test mode a callback is recorded as not delivered.
 */
/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals -- a test HTTP client, never shipped; its timers are unref()ed, which sleep() cannot do */
import type { ClientRequest } from 'node:http';
import { request } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';

/** Where callbacks really go in test mode: any host name is "resolved" to `resolveTo`. */
export interface CallbackTestMode {
	/** A loopback IP literal (127.x.x.x or ::1); anything else is refused. */
	resolveTo: string;
	trustSelfSigned: true;
}

export interface CallbackAttempt {
	taskId: string;
	url: string;
	/** 1 for the first try, up to 4; 0 for a callback that was not sent at all. */
	attempt: number;
	/** The HTTP status the callback address answered. */
	status?: number;
	/** Why there is no status: a network error, `timeout`, or why it was not sent. */
	error?: string;
	/** Not sent at all: no test mode, or dropped on purpose (a lost callback). */
	notSent?: 'no test mode' | 'dropped';
	/** When the attempt started (ms since the epoch). */
	at: number;
	/** The start of the answer's body (at most 1000 characters). */
	responseBody?: string;
}

export const CALLBACK_MAX_LENGTH = 2048;
export const CALLBACK_TIMEOUT_MS = 10_000;
export const CALLBACK_RETRY_DELAYS_MS: readonly number[] = [1000, 2000, 4000];

/** Loopback, private, link-local, CGNAT, unspecified or `localhost`: what the API refuses. */
export function isPrivateCallbackHost(hostname: string): boolean {
	const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
	if (host === 'localhost' || host.endsWith('.localhost')) return true;
	const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
	if (v4) {
		const [a, b] = [Number(v4[1]), Number(v4[2])];
		return (
			a === 0 ||
			a === 10 ||
			a === 127 ||
			(a === 100 && b >= 64 && b <= 127) ||
			(a === 169 && b === 254) ||
			(a === 172 && b >= 16 && b <= 31) ||
			(a === 192 && b === 168) ||
			a >= 224
		);
	}
	if (isIP(host) === 6) {
		return (
			host === '::' ||
			host === '::1' ||
			/^f[cd]/.test(host) ||
			/^fe[89ab]/.test(host) ||
			host.startsWith('::ffff:')
		);
	}
	return false;
}

/** Why the API would refuse this callback_url, or undefined when it is acceptable. */
export function callbackUrlProblem(value: unknown): string | undefined {
	if (typeof value !== 'string') return 'callback_url must be a string';
	if (value.length > CALLBACK_MAX_LENGTH)
		return `callback_url must not exceed ${CALLBACK_MAX_LENGTH} characters`;
	let url: URL;
	try {
		url = new URL(value);
	} catch {
		return 'callback_url must be a valid URL';
	}
	if (url.protocol !== 'https:') return 'callback_url must be HTTPS';
	if (!url.hostname || isPrivateCallbackHost(url.hostname))
		return 'callback_url must not point to an internal address';
	return undefined;
}

function isLoopback(address: string): boolean {
	return address === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address);
}

/** One POST over the test-mode transport; rejects on network errors and after `timeoutMs`. */
function post(
	mode: CallbackTestMode,
	url: string,
	body: string | Buffer,
	timeoutMs: number,
	track: Set<ClientRequest>,
): Promise<{ status: number; body: string }> {
	const target = new URL(url);
	const family = isIP(mode.resolveTo);
	const lookup: LookupFunction = (_hostname, options, callback) => {
		if (options.all) callback(null, [{ address: mode.resolveTo, family }]);
		else callback(null, mode.resolveTo, family);
	};
	return new Promise((resolve, reject) => {
		const req = request(
			{
				protocol: 'https:',
				host: target.hostname,
				port: target.port || 443,
				path: `${target.pathname}${target.search}`,
				method: 'POST',
				headers: {
					'content-type': 'application/json',
					'content-length': String(Buffer.byteLength(body)),
					'user-agent': 'evolink-simulator-callback/1.0',
				},
				lookup,
				servername: target.hostname.replace(/^\[|\]$/g, ''),
				rejectUnauthorized: !mode.trustSelfSigned,
				agent: false,
			},
			(res) => {
				const chunks: Buffer[] = [];
				res.on('data', (chunk: Buffer) => chunks.push(chunk));
				res.on('end', () => {
					clearTimeout(timer);
					track.delete(req);
					resolve({
						status: res.statusCode ?? 0,
						body: Buffer.concat(chunks).toString('utf8'),
					});
				});
				res.on('error', fail);
			},
		);
		function fail(error: Error): void {
			clearTimeout(timer);
			track.delete(req);
			reject(error);
		}
		const timer = setTimeout(() => req.destroy(new Error('timeout')), timeoutMs);
		timer.unref();
		track.add(req);
		req.on('error', fail);
		req.end(body);
	});
}

export interface CallbackDispatcherOptions {
	testMode?: CallbackTestMode;
	/** Extra wait between the task's end and the first attempt. */
	delayMs?: number;
	/** Per attempt; 10 s like the API. */
	timeoutMs?: number;
	/** Waits before the retries; 1 s, 2 s, 4 s like the API. */
	retryDelaysMs?: readonly number[];
	/** Lose every callback (not sent, recorded as dropped). */
	dropAll?: boolean;
}

/** Sends callbacks with the API's retries, records every attempt, and cancels all on stop(). */
export class CallbackDispatcher {
	readonly attempts: CallbackAttempt[] = [];
	dropAll: boolean;
	delayMs: number;
	readonly testMode?: CallbackTestMode;
	private readonly timeoutMs: number;
	private readonly retryDelaysMs: readonly number[];
	private dropNext = 0;
	private stopped = false;
	private readonly timers = new Set<NodeJS.Timeout>();
	private readonly inFlight = new Set<ClientRequest>();

	constructor(options: CallbackDispatcherOptions = {}) {
		if (options.testMode && !isLoopback(options.testMode.resolveTo))
			throw new Error(
				`callback test mode resolves only to loopback, not ${options.testMode.resolveTo}`,
			);
		this.testMode = options.testMode;
		this.delayMs = options.delayMs ?? 0;
		this.timeoutMs = options.timeoutMs ?? CALLBACK_TIMEOUT_MS;
		this.retryDelaysMs = options.retryDelaysMs ?? CALLBACK_RETRY_DELAYS_MS;
		this.dropAll = options.dropAll ?? false;
	}

	/** The next `count` callbacks are lost: not sent at all. */
	dropNextCallbacks(count: number): void {
		this.dropNext += count;
	}

	/** Accepts work again after stop() (a simulator started anew). */
	start(): void {
		this.stopped = false;
	}

	/** Runs `fn` after `ms` unless stop() comes first; never keeps the process alive. */
	later(ms: number, fn: () => void): void {
		if (this.stopped) return;
		const timer = setTimeout(
			() => {
				this.timers.delete(timer);
				if (!this.stopped) fn();
			},
			Math.max(0, ms),
		);
		timer.unref();
		this.timers.add(timer);
	}

	/** A task ended: deliver `body` to `url` (after `delayMs`), with the API's retries. */
	dispatch(taskId: string, url: string, body: unknown): void {
		const notSent = (reason: 'no test mode' | 'dropped') =>
			this.attempts.push({
				taskId,
				url,
				attempt: 0,
				notSent: reason,
				error: `not delivered: ${reason}`,
				at: Date.now(),
			});
		if (this.dropAll || this.dropNext > 0) {
			if (!this.dropAll) this.dropNext--;
			notSent('dropped');
			return;
		}
		if (!this.testMode) {
			notSent('no test mode');
			return;
		}
		const payload = JSON.stringify(body);
		this.later(this.delayMs, () => void this.attempt(taskId, url, payload, 1));
	}

	private async attempt(taskId: string, url: string, payload: string, attempt: number) {
		const record: CallbackAttempt = { taskId, url, attempt, at: Date.now() };
		try {
			const answer = await post(this.testMode!, url, payload, this.timeoutMs, this.inFlight);
			record.status = answer.status;
			record.responseBody = answer.body.slice(0, 1000);
		} catch (error) {
			record.error = this.stopped ? 'simulator stopped' : (error as Error).message;
		}
		this.attempts.push(record);
		const ok = record.status !== undefined && record.status >= 200 && record.status < 300;
		const wait = this.retryDelaysMs[attempt - 1];
		if (!ok && wait !== undefined)
			this.later(wait, () => void this.attempt(taskId, url, payload, attempt + 1));
	}

	/** Attempts the callback address answered with a 2xx. */
	delivered(): CallbackAttempt[] {
		return this.attempts.filter((a) => a.status !== undefined && a.status >= 200 && a.status < 300);
	}

	/** A callback nobody's task asked for, over the same transport (test mode only). */
	async sendForged(url: string, body: unknown): Promise<{ status: number; body: string }> {
		if (!this.testMode)
			throw new Error('forged callbacks need the callback test mode: no real address is called');
		const payload = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
		return await post(this.testMode, url, payload, this.timeoutMs, this.inFlight);
	}

	/** Cancels every pending attempt and retry, and aborts those under way. */
	stop(): void {
		this.stopped = true;
		for (const timer of this.timers) clearTimeout(timer);
		this.timers.clear();
		for (const req of this.inFlight) req.destroy(new Error('simulator stopped'));
		this.inFlight.clear();
	}
}
