/**
 * Starts the bundled provider simulators on 127.0.0.1 and keeps them running until
 * stopped (Ctrl+C): for the demo, `npm run dev` and trying the node by hand.
 * Prints one JSON line with each simulator's base URL and test key.
 */
/* eslint-disable @n8n/community-nodes/no-restricted-globals -- a development script run by Node, never shipped; the n8n Cloud sandbox rules are for the nodes */
import { EvolinkSimulator } from '../test/simulators/evolink';
import { FalSimulator } from '../test/simulators/fal';
import { ModelStudioSimulator } from '../test/simulators/modelStudio';
import { ReplicateSimulator } from '../test/simulators/replicate';
import { TensorsLabSimulator } from '../test/simulators/tensorsLab';
import { ZImageServerSimulator } from '../test/simulators/zImageServer';

export interface RunningSimulators {
	tensorsLab: TensorsLabSimulator;
	selfHosted: ZImageServerSimulator;
	evolink: EvolinkSimulator;
	odkkk: EvolinkSimulator;
	fal: FalSimulator;
	modelStudio: ModelStudioSimulator;
	replicate: ReplicateSimulator;
	stop(): Promise<void>;
}

/** Every simulator, with task times a person watching would find realistic but short. */
export async function startSimulators(taskMs = 1500): Promise<RunningSimulators> {
	const tensorsLab = await new TensorsLabSimulator({ queueMs: 200, processMs: taskMs }).start();
	const selfHosted = await new ZImageServerSimulator({ loadMs: 500, generateMs: taskMs }).start();
	const evolink = await new EvolinkSimulator({ flavor: 'evolink', taskMs }).start();
	const odkkk = await new EvolinkSimulator({ flavor: 'odkkk', taskMs, format: 'webp' }).start();
	// An account that runs four requests at once: more wait in fal's queue.
	// The base model runs longer (28 steps to turbo's 8; at least 10 s here): the submit, look up,
	// then cancel example finds it still running however slow the machine.
	const fal = await new FalSimulator({
		taskMs,
		endpointMs: { base: Math.max(10_000, taskMs * 4) },
		maxRunning: 4,
	}).start();
	const modelStudio = await new ModelStudioSimulator({ taskMs }).start();
	const replicate = await new ReplicateSimulator({ taskMs }).start();
	const all = { tensorsLab, selfHosted, evolink, odkkk, fal, modelStudio, replicate };
	return {
		...all,
		async stop() {
			await Promise.all(Object.values(all).map(async (sim) => await sim.stop()));
		},
	};
}

/** The credentials (n8n import format) that point the example workflows at the simulators. */
export function simulatorCredentials(sims: RunningSimulators) {
	return [
		{
			id: 'zimage-tensorslab',
			name: 'TensorsLab account',
			type: 'tensorsLabApi',
			data: {
				apiKey: sims.tensorsLab.apiKey,
				baseUrl: sims.tensorsLab.url,
				authHeaderFormat: 'bearer',
			},
		},
		{
			id: 'zimage-server',
			name: 'Z-Image Server',
			type: 'zImageServerApi',
			data: {
				baseUrl: sims.selfHosted.url,
				apiKey: '',
				requestTimeoutSeconds: 600,
				ignoreSslIssues: false,
			},
		},
		{
			id: 'zimage-evolink',
			name: 'Evolink account',
			type: 'evolinkApi',
			data: { apiKey: sims.evolink.apiKey, baseUrl: sims.evolink.url },
		},
		{
			id: 'zimage-odkkk',
			name: 'ODKKK account',
			type: 'odkkkApi',
			data: { apiKey: sims.odkkk.apiKey, baseUrl: sims.odkkk.url },
		},
		{
			id: 'zimage-fal',
			name: 'fal.ai account',
			type: 'zImageFalApi',
			data: { apiKey: sims.fal.apiKey, baseUrl: sims.fal.url },
		},
		{
			id: 'zimage-modelstudio',
			name: 'Model Studio account',
			type: 'zImageModelStudioApi',
			data: { apiKey: sims.modelStudio.apiKey, region: 'custom', baseUrl: sims.modelStudio.url },
		},
		{
			id: 'zimage-replicate',
			name: 'Replicate account',
			type: 'zImageReplicateApi',
			data: { apiKey: sims.replicate.apiKey, baseUrl: sims.replicate.url },
		},
	];
}

if (require.main === module) {
	void (async () => {
		const sims = await startSimulators();
		process.stdout.write(`${JSON.stringify(simulatorCredentials(sims))}\n`);
		const stop = () => void sims.stop().then(() => process.exit(0));
		process.on('SIGINT', stop);
		process.on('SIGTERM', stop);
	})();
}
