import type { INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import type { NodeContext, ProviderName } from './types';

/**
 * From this node version on, every provider's own parameter is stored under a name of its own
 * (`evolinkModel`, not `model`). n8n's editor switches provider through the Credential select
 * without clearing the old provider's values: under a shared name, TensorsLab's Model "zimage"
 * stayed behind as Evolink's Model and failed the first run. Version 1 keeps its plain names,
 * so that saved workflows keep meaning what they meant.
 */
export const SCOPED_NAMES_FROM_VERSION = 2;

/** Parameters several providers share with one definition (providers/waitMode.fields.ts): never scoped. */
export const SHARED_PARAMETERS: readonly string[] = ['waitMode', 'callbackFallback'];

/** `model` of Evolink → `evolinkModel`. */
export function scopedName(provider: ProviderName, name: string): string {
	return `${provider}${name.charAt(0).toUpperCase()}${name.slice(1)}`;
}

/** A provider's own parameters under the names of one version, and where each is stored. */
export interface ParameterNaming {
	/** The fields as the node describes them: plain names for version 1 where the provider had them, scoped names otherwise. */
	describe(fields: INodeProperties[]): INodeProperties[];
	/** The name a parameter is stored under in the running node's version. */
	of(ctx: NodeContext, name: string): string;
}

function renameDisplayKeys(
	conditions: Record<string, unknown> | undefined,
	rename: (name: string) => string,
): Record<string, unknown> | undefined {
	if (!conditions) return undefined;
	return Object.fromEntries(Object.entries(conditions).map(([key, value]) => [rename(key), value]));
}

/** The fields with their names, and the sibling fields their display conditions name, scoped. */
function scopeFields(provider: ProviderName, fields: INodeProperties[]): INodeProperties[] {
	const own = new Set(
		fields.map((field) => field.name).filter((name) => !SHARED_PARAMETERS.includes(name)),
	);
	const rename = (name: string) => (own.has(name) ? scopedName(provider, name) : name);
	return fields.map((field) => {
		const scoped: INodeProperties = { ...field, name: rename(field.name) };
		if (field.displayOptions) {
			scoped.displayOptions = {
				...field.displayOptions,
				show: renameDisplayKeys(field.displayOptions.show, rename) as never,
				hide: renameDisplayKeys(field.displayOptions.hide, rename) as never,
			};
			if (!field.displayOptions.show) delete scoped.displayOptions.show;
			if (!field.displayOptions.hide) delete scoped.displayOptions.hide;
		}
		return scoped;
	});
}

const FIRST_SCOPED = [{ _cnd: { gte: SCOPED_NAMES_FROM_VERSION } }];

/**
 * How a provider's parameters are named. `plainInVersion1`: the provider was in node version 1
 * with plain names, kept there; a provider added later has scoped names in every version.
 */
export function parameterNaming(provider: ProviderName, plainInVersion1: boolean): ParameterNaming {
	return {
		describe(fields) {
			const scoped = scopeFields(provider, fields);
			if (!plainInVersion1) return scoped;
			// Each field's version 1 copy next to its version 2 one: both versions keep the fields' order.
			return fields.flatMap((field, index) =>
				SHARED_PARAMETERS.includes(field.name)
					? [field]
					: [
							...updateDisplayOptions({ show: { '@version': [1] } }, [field]),
							...updateDisplayOptions({ show: { '@version': FIRST_SCOPED } }, [scoped[index]]),
						],
			);
		},
		of(ctx, name) {
			if (SHARED_PARAMETERS.includes(name)) return name;
			const plain = plainInVersion1 && ctx.getNode().typeVersion < SCOPED_NAMES_FROM_VERSION;
			return plain ? name : scopedName(provider, name);
		},
	};
}
