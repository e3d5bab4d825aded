/**
 * A TLS-terminating reverse proxy in front of a local HTTP server, as n8n runs in
 * production (WEBHOOK_URL is the proxy's public https address): HTTPS on 127.0.0.1 with a
 * self-signed certificate for `hostName` (made with the openssl CLI at start), every
 * request forwarded to http://127.0.0.1:<upstreamPort> with its body streamed both ways,
 * and a log of method, path and status.
 */
/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-dangerous-functions, @n8n/community-nodes/require-node-api-error -- the e2e driver of a real n8n (processes, files, ports), never shipped; the n8n Cloud sandbox rules are for the nodes */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { type IncomingHttpHeaders, request as httpRequest } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TlsFront {
	port: number;
	/** `https://<hostName>:<port>/`; the host name must be made to resolve to 127.0.0.1. */
	url: string;
	requests: Array<{ method: string; path: string; status: number }>;
	stop(): Promise<void>;
}

/** Headers of one hop that a proxy does not pass on. */
const HOP_BY_HOP = new Set([
	'connection',
	'keep-alive',
	'proxy-connection',
	'proxy-authenticate',
	'proxy-authorization',
	'te',
	'trailer',
	'transfer-encoding',
	'upgrade',
]);

function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
	const kept: IncomingHttpHeaders = {};
	for (const [name, value] of Object.entries(headers))
		if (!HOP_BY_HOP.has(name) && value !== undefined) kept[name] = value;
	return kept;
}

/** A key and a self-signed certificate for `hostName`, valid two days. */
function selfSigned(hostName: string): { key: Buffer; cert: Buffer } {
	if (!/^[a-z0-9.-]+$/i.test(hostName)) throw new Error(`not a host name: ${hostName}`);
	const dir = mkdtempSync(join(tmpdir(), 'zimage-tls-'));
	try {
		const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
		// prettier-ignore
		const args = ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert,
			'-days', '2', '-subj', `/CN=${hostName}`, '-addext', `subjectAltName=DNS:${hostName}`];
		try {
			execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
		} catch (error) {
			const e = error as NodeJS.ErrnoException & { stderr?: Buffer };
			if (e.code === 'ENOENT')
				throw new Error(
					'startTlsFront needs the openssl command line tool to make its certificate; install openssl (e.g. apt-get install openssl)',
				);
			throw new Error(`openssl could not make a certificate: ${e.stderr?.toString() ?? e.message}`);
		}
		return { key: readFileSync(key), cert: readFileSync(cert) };
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

export async function startTlsFront(
	/** Or a function giving it, for an upstream that starts after its front (its WEBHOOK_URL is the front's). */
	upstreamPort: number | (() => number),
	hostName = 'n8n.zimage.test',
): Promise<TlsFront> {
	const requests: TlsFront['requests'] = [];
	const sockets = new Set<Socket>();
	const server = createServer(selfSigned(hostName), (req, res) => {
		const method = req.method ?? 'GET';
		const path = req.url ?? '/';
		const headers = endToEnd(req.headers);
		const client = req.socket.remoteAddress ?? '127.0.0.1';
		headers['x-forwarded-for'] = req.headers['x-forwarded-for']
			? `${String(req.headers['x-forwarded-for'])}, ${client}`
			: client;
		headers['x-forwarded-proto'] = 'https';
		headers['x-forwarded-host'] = req.headers.host ?? hostName;
		const upstream = httpRequest(
			{
				host: '127.0.0.1',
				port: typeof upstreamPort === 'number' ? upstreamPort : upstreamPort(),
				method,
				path,
				headers,
				agent: false,
			},
			(answer) => {
				const status = answer.statusCode ?? 502;
				requests.push({ method, path, status });
				res.writeHead(status, answer.statusMessage, endToEnd(answer.headers));
				answer.pipe(res);
				answer.on('error', () => res.destroy());
			},
		);
		upstream.on('error', () => {
			if (res.headersSent) {
				res.destroy();
				return;
			}
			requests.push({ method, path, status: 502 });
			res.writeHead(502, { 'content-type': 'text/plain' });
			res.end('Bad Gateway');
		});
		// The client hung up before the answer was complete: so does the proxy upstream.
		res.on('close', () => {
			if (!res.writableFinished) upstream.destroy();
		});
		req.pipe(upstream);
	});
	server.on('connection', (socket: Socket) => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
	});
	// TLS handshakes that fail (a client that does not trust the certificate) are not errors here.
	server.on('tlsClientError', () => undefined);
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			server.off('error', reject);
			resolve();
		});
	});
	const { port } = server.address() as AddressInfo;
	return {
		port,
		url: `https://${hostName}:${port}/`,
		requests,
		stop: async () => {
			for (const socket of sockets) socket.destroy();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		},
	};
}
