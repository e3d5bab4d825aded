import type { IDataObject } from 'n8n-workflow';

import type { ProviderCall } from '../types';
import { asObject } from '../validation';

/** A boolean field, or undefined when the server does not send it. */
const flag = (value: unknown) => (typeof value === 'boolean' ? value : undefined);

/**
 * Reachable, model(s) loaded, busy or idle: `GET /health` (classic `model_loaded`, or newer
 * `t2i_loaded`/`edit_loaded`) and `GET /v1/internal/status` (where the server has it).
 */
export async function selfHostedHealth(call: ProviderCall): Promise<IDataObject> {
	const health =
		asObject((await call.request({ method: 'GET', path: '/health' }, 'check')).body) ?? {};
	const statusAnswer = await call.request({ method: 'GET', path: '/v1/internal/status' }, 'probe');
	const status = statusAnswer.statusCode === 200 ? asObject(statusAnswer.body) : undefined;
	const t2iLoaded = flag(health.t2i_loaded);
	const editLoaded = flag(health.edit_loaded);
	const classicLoaded = flag(health.model_loaded);
	const modelLoaded =
		classicLoaded ??
		(t2iLoaded === undefined && editLoaded === undefined ? undefined : !!(t2iLoaded || editLoaded));
	const result: IDataObject = {
		reachable: true,
		keyAccepted: true,
		baseUrl: call.baseUrl,
		status: health.status as string,
		modelLoaded,
		textToImageModel: (health.t2i_model ?? health.model) as string | undefined,
		textToImageLoaded: t2iLoaded ?? classicLoaded,
		editModel: health.edit_model as string | undefined,
		editLoaded,
		busy: status ? status.status === 'generating' : undefined,
		serverStatus: status?.status as string | undefined,
		raw: { health, status: status ?? null } as IDataObject,
	};
	for (const key of Object.keys(result)) if (result[key] === undefined) delete result[key];
	return result;
}
