import type { ProviderName, ZImageProvider } from '../types';
import { evolink, odkkk } from './evolink';
import { selfHosted } from './selfHosted';
import { tensorsLab } from './tensorsLab';

/** Every provider the node offers: adding one is its module plus one line here. */
export const PROVIDERS: readonly ZImageProvider[] = [tensorsLab, selfHosted, evolink, odkkk];

export function findProvider(
	name: string,
	providers: readonly ZImageProvider[] = PROVIDERS,
): ZImageProvider | undefined {
	return providers.find((provider) => provider.name === (name as ProviderName));
}
