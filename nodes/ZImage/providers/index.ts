import type { ProviderName, ZImageProvider } from '../types';
import { evolink, odkkk } from './evolink';
import { fal } from './fal';
import { modelStudio } from './modelStudio';
import { replicate } from './replicate';
import { selfHosted } from './selfHosted';
import { tensorsLab } from './tensorsLab';

const registry: ZImageProvider[] = [
	tensorsLab,
	selfHosted,
	evolink,
	odkkk,
	fal,
	modelStudio,
	replicate,
];

/** Every provider the node offers, in the order of its Provider dropdown: adding one is its module plus one line here. */
export const PROVIDERS: readonly ZImageProvider[] = registry;

/**
 * Adds a provider to the node built afterwards: how the test suite's fake provider goes
 * through the same path as a real one.
 */
export function registerProvider(provider: ZImageProvider): void {
	if (!registry.includes(provider)) registry.push(provider);
}

export function findProvider(
	name: string,
	providers: readonly ZImageProvider[] = PROVIDERS,
): ZImageProvider | undefined {
	return providers.find((provider) => provider.name === (name as ProviderName));
}
