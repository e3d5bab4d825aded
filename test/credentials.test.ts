import { runCredentialTest } from './harness';
import { TensorsLabSimulator } from './simulators/tensorsLab';

describe('TensorsLab credential Test button', () => {
	let sim: TensorsLabSimulator;
	beforeAll(async () => {
		sim = await new TensorsLabSimulator().start();
	});
	afterAll(async () => {
		await sim.stop();
	});

	test('a right key passes, and nothing is created or billed', async () => {
		const credits = sim.credits;
		const answer = await runCredentialTest('tensorsLabApi', {
			apiKey: sim.apiKey,
			baseUrl: sim.url,
			authHeaderFormat: 'bearer',
		});
		expect(answer.statusCode).toBe(200);
		expect(sim.api.requests.at(-1)?.path).toBe('/v1/images/infobytaskid');
		expect(sim.api.requests.at(-1)?.headers.authorization).toBe(`Bearer ${sim.apiKey}`);
		expect(sim.tasks.size).toBe(0);
		expect(sim.credits).toBe(credits);
	});

	test('a wrong key is told apart (HTTP 401, which n8n shows as a failed test)', async () => {
		const answer = await runCredentialTest('tensorsLabApi', {
			apiKey: 'nope-nope',
			baseUrl: sim.url,
			authHeaderFormat: 'bearer',
		});
		expect(answer.statusCode).toBe(401);
	});

	test('the raw header form sends the bare key', async () => {
		await runCredentialTest('tensorsLabApi', {
			apiKey: sim.apiKey,
			baseUrl: sim.url,
			authHeaderFormat: 'raw',
		});
		expect(sim.api.requests.at(-1)?.headers.authorization).toBe(sim.apiKey);
	});
});
