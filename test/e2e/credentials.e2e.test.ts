/**
 * Every credential's Test button, pressed in a real n8n (its REST API, as the editor does):
 * a right key passes, a wrong one fails with a message, and nothing is generated or billed.
 */
/* eslint-disable @n8n/community-nodes/no-restricted-globals -- a test driving a real n8n, never shipped */
import { ensureRuntime, freePort, N8nInstance } from '../../e2e/lib/n8n';
import { startSimulators, type RunningSimulators } from '../../scripts/simulators';

const OWNER = {
	email: 'e2e@zimage.local',
	firstName: 'E',
	lastName: 'Two',
	password: 'ZImage-e2e-1234',
};
const BROWSER_ID = 'zimage-e2e-browser';

let sims: RunningSimulators;
let n8n: N8nInstance;
let stopN8n: () => void;
let cookie = '';
let port: number;

async function rest(
	path: string,
	body: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
	const response = await fetch(`http://127.0.0.1:${port}/rest${path}`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', 'browser-id': BROWSER_ID, cookie },
		body: JSON.stringify(body),
	});
	const setCookie = response.headers.get('set-cookie');
	if (setCookie) cookie = setCookie.split(';')[0];
	const text = await response.text();
	try {
		return { status: response.status, json: JSON.parse(text) as Record<string, unknown> };
	} catch {
		return { status: response.status, json: { text } };
	}
}

async function testCredential(
	type: string,
	data: Record<string, unknown>,
): Promise<{ status: string; message?: string }> {
	// As in the editor: the credential is saved, then tested.
	const name = `test ${type} ${Date.now()}`;
	const created = await rest('/credentials', { name, type, data });
	const id = (created.json.data as { id?: string } | undefined)?.id;
	if (!id) throw new Error(`creating the credential failed: ${JSON.stringify(created.json)}`);
	const answer = await rest('/credentials/test', { credentials: { id, name, type, data } });
	if (answer.status !== 200)
		throw new Error(
			`credential test answered HTTP ${answer.status}: ${JSON.stringify(answer.json)}`,
		);
	return answer.json.data as { status: string; message?: string };
}

beforeAll(async () => {
	const node = ensureRuntime();
	sims = await startSimulators(300);
	n8n = new N8nInstance(node);
	n8n.installPackage();
	// A free port, and start() checks that the n8n answering there is the one it spawned.
	port = await freePort();
	const child = await n8n.start(port);
	stopN8n = () => child.kill('SIGTERM');
	const setup = await rest('/owner/setup', OWNER);
	if (setup.status !== 200) throw new Error(`owner setup failed: ${JSON.stringify(setup.json)}`);
	const login = await rest('/login', { emailOrLdapLoginId: OWNER.email, password: OWNER.password });
	if (login.status !== 200) throw new Error(`login failed: ${JSON.stringify(login.json)}`);
}, 20 * 60_000);

afterAll(async () => {
	stopN8n?.();
	await sims?.stop();
	await new Promise((resolve) => setTimeout(resolve, 1000));
	n8n?.remove();
});

test('TensorsLab: right key OK, wrong key refused, nothing billed', async () => {
	const credits = sims.tensorsLab.credits;
	const base = { baseUrl: sims.tensorsLab.url, authHeaderFormat: 'bearer' };
	expect(
		await testCredential('tensorsLabApi', { ...base, apiKey: sims.tensorsLab.apiKey }),
	).toMatchObject({ status: 'OK' });
	expect(await testCredential('tensorsLabApi', { ...base, apiKey: 'wrong-key-1' })).toMatchObject({
		status: 'Error',
	});
	expect(sims.tensorsLab.tasks.size).toBe(0);
	expect(sims.tensorsLab.credits).toBe(credits);
});

test('Z-Image server: reachable OK, unreachable refused', async () => {
	expect(
		await testCredential('zImageServerApi', {
			baseUrl: sims.selfHosted.url,
			apiKey: '',
			requestTimeoutSeconds: 600,
			ignoreSslIssues: false,
		}),
	).toMatchObject({ status: 'OK' });
	expect(
		await testCredential('zImageServerApi', {
			baseUrl: 'http://127.0.0.1:9',
			apiKey: '',
			requestTimeoutSeconds: 600,
			ignoreSslIssues: false,
		}),
	).toMatchObject({ status: 'Error' });
	expect(sims.selfHosted.imageRequests()).toHaveLength(0);
});

test.each(['evolink', 'odkkk'] as const)(
	'%s: right key OK, wrong key refused with its message, nothing generated',
	async (provider) => {
		const sim = sims[provider];
		const type = `${provider}Api`;
		expect(await testCredential(type, { apiKey: sim.apiKey, baseUrl: sim.url })).toMatchObject({
			status: 'OK',
		});
		const wrong = await testCredential(type, { apiKey: 'wrong-key-2', baseUrl: sim.url });
		expect(wrong).toMatchObject({
			status: 'Error',
			message: `${provider === 'evolink' ? 'Evolink' : 'ODKKK'} rejected the API key`,
		});
		expect(sim.submits()).toHaveLength(0);
	},
);

test('fal.ai: right key OK, a wrong or half key refused with its message, nothing submitted', async () => {
	const sim = sims.fal;
	const base = { baseUrl: sim.url };
	expect(await testCredential('zImageFalApi', { ...base, apiKey: sim.apiKey })).toMatchObject({
		status: 'OK',
	});
	expect(
		await testCredential('zImageFalApi', {
			...base,
			apiKey: 'fa1c0de0-0000-4000-8000-00000000e2e0:ffff',
		}),
	).toMatchObject({
		status: 'Error',
		message: 'fal.ai rejected the API key: No user found for Key ID and Secret',
	});
	expect(
		await testCredential('zImageFalApi', { ...base, apiKey: 'only-the-key-id' }),
	).toMatchObject({
		status: 'Error',
		message:
			"fal.ai rejected the API key: Invalid Key Authorization header format. Expected '<key_id>:<key_secret>'.",
	});
	// Each Test asked for the status of a request that cannot exist, with the key as fal wants it.
	const looks = sim.statusLooks();
	expect(looks.map((r) => r.path)).toEqual(
		Array(3).fill('/fal-ai/z-image/requests/00000000-0000-4000-8000-00006e386e70/status'),
	);
	expect(looks[0].headers.authorization).toBe(`Key ${sim.apiKey}`);
	expect(sim.submits()).toHaveLength(0);
});

test('Replicate: right token OK, wrong token refused, only GET /v1/account asked', async () => {
	const sim = sims.replicate;
	const base = { baseUrl: sim.url };
	const before = sim.api.requests.length;
	expect(await testCredential('zImageReplicateApi', { ...base, apiKey: sim.apiKey })).toMatchObject(
		{ status: 'OK' },
	);
	expect(await testCredential('zImageReplicateApi', { ...base, apiKey: 'r8_wrong-e2e' })).toEqual({
		status: 'Error',
		// n8n 1.x's tester never matches responseCode rules (its error has no response) and says its own words.
		message:
			process.env.ZIMAGE_N8N_LINE === '1'
				? 'Authorization failed - please check your credentials'
				: 'Replicate rejected the API token: check it against replicate.com/account/api-tokens',
	});
	const asked = sim.api.requests.slice(before);
	// n8n's tester may ask more than once for a refused token: every request is the account's.
	expect(asked.length).toBeGreaterThanOrEqual(2);
	expect([...new Set(asked.map((r) => `${r.method} ${r.path}`))]).toEqual(['GET /v1/account']);
	expect(asked[0].headers.authorization).toBe(`Bearer ${sim.apiKey}`);
	expect(sim.creates()).toHaveLength(0);
});

test('Alibaba Cloud Model Studio: right key OK, wrong key refused naming the region, nothing generated', async () => {
	const sim = sims.modelStudio;
	const base = { region: 'custom', baseUrl: sim.url };
	expect(
		await testCredential('zImageModelStudioApi', { ...base, apiKey: sim.apiKey }),
	).toMatchObject({ status: 'OK' });
	expect(await testCredential('zImageModelStudioApi', { ...base, apiKey: 'wrong-key-3' })).toEqual({
		status: 'Error',
		// n8n 1.x's tester never matches responseCode rules (its error has no response) and says its own words.
		message:
			process.env.ZIMAGE_N8N_LINE === '1'
				? 'Authorization failed - please check your credentials'
				: 'Model Studio rejected the API key: check it, and that the Region is the one the key was created in (Singapore and Beijing keys are separate)',
	});
	expect(sim.submits()).toHaveLength(0);
	expect(sim.generated).toHaveLength(0);
});

describe('a base URL with a user name, a query or a fragment is refused by the Test button, before anything is sent', () => {
	const cases: Array<[string, (url: string) => string, RegExp]> = [
		[
			'user and password',
			(url) => url.replace('://', '://admin:hunter2-pass@'),
			/^The Base URL "http:\/\/\*\*\*@127\.0\.0\.1:\d+(\/apiv1)?" must not contain a user name or password \(user:pass@\)\. /,
		],
		['a query string', (url) => `${url}/?token=abc`, /must not contain a query string \(\?…\)/],
		['a fragment', (url) => `${url}#top`, /must not contain a fragment \(#…\)/],
	];
	const types = (): Array<[string, Record<string, unknown>, () => number]> => [
		[
			'tensorsLabApi',
			{ apiKey: sims.tensorsLab.apiKey, baseUrl: sims.tensorsLab.url, authHeaderFormat: 'bearer' },
			() => sims.tensorsLab.api.requests.length,
		],
		[
			'zImageServerApi',
			{
				baseUrl: sims.selfHosted.url,
				apiKey: 'proxy-token-e2e',
				requestTimeoutSeconds: 600,
				ignoreSslIssues: false,
			},
			() => sims.selfHosted.server.requests.length,
		],
		[
			'evolinkApi',
			{ apiKey: sims.evolink.apiKey, baseUrl: sims.evolink.url },
			() => sims.evolink.api.requests.length,
		],
		[
			'odkkkApi',
			{ apiKey: sims.odkkk.apiKey, baseUrl: sims.odkkk.url },
			() => sims.odkkk.api.requests.length,
		],
		[
			'zImageFalApi',
			{ apiKey: sims.fal.apiKey, baseUrl: sims.fal.url },
			() => sims.fal.api.requests.length,
		],
		[
			'zImageModelStudioApi',
			{ apiKey: sims.modelStudio.apiKey, region: 'custom', baseUrl: sims.modelStudio.url },
			() => sims.modelStudio.api.requests.length,
		],
	];

	test.each(cases)('%s', async (_name, make, message) => {
		for (const [type, data, requests] of types()) {
			const before = requests();
			const result = await testCredential(type, { ...data, baseUrl: make(String(data.baseUrl)) });
			expect({ type, ...result }).toMatchObject({
				type,
				status: 'Error',
				message: expect.stringMatching(message),
			});
			expect(result.message).not.toContain('hunter2');
			expect(requests()).toBe(before);
		}
	});

	test('spaces and a trailing slash are trimmed, as a run trims them', async () => {
		for (const [type, data] of types()) {
			expect({
				type,
				...(await testCredential(type, { ...data, baseUrl: ` ${String(data.baseUrl)}/ ` })),
			}).toMatchObject({ type, status: 'OK' });
		}
	});
});
