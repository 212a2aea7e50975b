import type { ProviderConfig } from '../providers/registry.js';

/** Driver types that are a public cloud: billed at that cloud's list prices in the catalog. */
export const PUBLIC_CLOUDS: ReadonlySet<string> = new Set(['aws', 'azure', 'gcp']);

/**
 * Whose catalog prices usage on a configured provider is billed at: a public cloud's driver (and a simulation of
 * one, which sells at its cloud's prices) at that cloud's list prices (`aws-prod` → `aws`); a private provider at
 * its own name's prices (its cost model's, or the prices its configuration gives).
 */
export function priceKeysOf(configs: ProviderConfig[]): (provider: string) => string {
  const keys = new Map<string, string>();
  for (const p of configs) {
    const simulatedCloud = (p.config?.flavors as { catalog?: { provider?: unknown } } | undefined)?.catalog?.provider;
    if (PUBLIC_CLOUDS.has(p.type)) keys.set(p.name, p.type);
    else if (p.type === 'sim' && typeof simulatedCloud === 'string') keys.set(p.name, simulatedCloud);
    else keys.set(p.name, p.name);
  }
  // A provider no longer configured keeps being billed under its own name.
  return (provider) => keys.get(provider) ?? provider;
}

/**
 * The providers billed at the prices their own configuration gives (no public price list, no cost model): their
 * offers' prices are recorded in the catalog under their name (catalog/offer-prices.ts). A provider that takes
 * a public cloud's name is never among them, so its offers can never overwrite that cloud's list prices.
 */
export function billedAtOwnPrices(configs: (ProviderConfig & { costModel?: unknown })[]): string[] {
  const keyOf = priceKeysOf(configs);
  return configs.filter((p) => keyOf(p.name) === p.name && !PUBLIC_CLOUDS.has(p.name) && p.costModel === undefined).map((p) => p.name);
}
