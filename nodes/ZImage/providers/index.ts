import { evolink, odkkk } from './evolink';
import { selfHosted } from './selfHosted';
import { tensorsLab } from './tensorsLab';
import type { ProviderName, ZImageProvider } from './types';

/** Every provider the node offers; adding one is one module plus this line. */
export const PROVIDERS: readonly ZImageProvider[] = [tensorsLab, selfHosted, evolink, odkkk];

export function findProvider(name: string): ZImageProvider | undefined {
	return PROVIDERS.find((provider) => provider.name === (name as ProviderName));
}
