import { InvalidInputError } from '../../core/errors.js';
import { usdToMicros, type Micros } from '../../core/money.js';
import type { InstanceKind } from '../../core/offer.js';
import type { ListPrice } from '../driver.js';
import type { SimConfig, SimFlavorConfig, SimRegionConfig } from './config.js';

/**
 * What one simulated cloud sells: its regions, flavors and the price of each flavor in each region.
 * Built once from the config, so the driver's calls only look things up.
 */

export interface SimFlavor {
  name: string;
  vcpus: number;
  memoryGiB: number;
  gpus: number;
  arch: string;
}

export interface SimPrice {
  onDemandMicrosPerHour: Micros;
  /** Null: no spot market for this flavor here. */
  spotMicrosPerHour: Micros | null;
  /** The zone a catalog row was priced in; null when the price holds region-wide. */
  zone: string | null;
}

export interface SimRegion {
  name: string;
  zones: string[];
  location: string | null;
  capacityVcpus: number | null;
  /** This region's own refusal rates (SimRegionConfig.failureRates). */
  failureRates?: { capacity: number; quota: number };
  /** By flavor name: only the flavors sold in this region. */
  prices: Map<string, SimPrice>;
}

export interface SimCloud {
  kind: InstanceKind;
  regions: Map<string, SimRegion>;
  flavors: Map<string, SimFlavor>;
  images: string[];
}

const DEFAULT_REGION: SimRegionConfig = { name: 'sim-1', zones: ['sim-1a', 'sim-1b'], location: null, capacityVcpus: null };

/** `catalogPrices`: the price catalog's rows for the cloud a catalog-priced sim sells (unused with explicit flavors). */
export function buildSimCloud(providerName: string, config: SimConfig, catalogPrices: ListPrice[] = []): SimCloud {
  const built = Array.isArray(config.flavors)
    ? fromExplicitFlavors(providerName, config.flavors, config.regions ?? [DEFAULT_REGION])
    : fromCatalog(providerName, catalogPrices, config.regions);
  return { kind: config.kind, images: config.images, ...built };
}

/** Takes the catalog's current prices into a built cloud: the flavors and regions stay, their prices follow the catalog. */
export function repriceSimCloud(cloud: SimCloud, catalogPrices: ListPrice[]): void {
  for (const row of catalogPrices) {
    const price = cloud.regions.get(row.region)?.prices.get(row.flavor);
    if (!price) continue;
    if (row.market === 'on-demand') price.onDemandMicrosPerHour = row.priceMicrosPerHour;
    else price.spotMicrosPerHour = row.priceMicrosPerHour;
  }
}

function fromExplicitFlavors(
  providerName: string,
  flavorConfigs: SimFlavorConfig[],
  regionConfigs: SimRegionConfig[],
): Pick<SimCloud, 'regions' | 'flavors'> {
  const flavors = new Map<string, SimFlavor>();
  const prices = new Map<string, SimPrice>();
  for (const f of flavorConfigs) {
    if (flavors.has(f.name)) throw new InvalidInputError(`sim provider '${providerName}' lists flavor '${f.name}' twice`);
    flavors.set(f.name, { name: f.name, vcpus: f.vcpus, memoryGiB: f.memoryGiB, gpus: f.gpus, arch: f.arch });
    prices.set(f.name, {
      onDemandMicrosPerHour: usdToMicros(String(f.priceUsdPerHour)),
      spotMicrosPerHour: f.spotPriceUsdPerHour === undefined ? null : usdToMicros(String(f.spotPriceUsdPerHour)),
      zone: null,
    });
  }
  const regions = new Map<string, SimRegion>();
  for (const r of regionConfigs) {
    if (regions.has(r.name)) throw new InvalidInputError(`sim provider '${providerName}' lists region '${r.name}' twice`);
    // Explicit flavors are sold everywhere at one price: a private cloud's cost does not vary by site here.
    regions.set(r.name, { ...r, prices: new Map(prices) });
  }
  return { regions, flavors };
}

function fromCatalog(
  providerName: string,
  rows: ListPrice[],
  regionConfigs: SimRegionConfig[] | undefined,
): Pick<SimCloud, 'regions' | 'flavors'> {
  const flavors = new Map<string, SimFlavor>();
  const pricesByRegion = new Map<string, Map<string, SimPrice>>();
  const zonesByRegion = new Map<string, Set<string>>();
  // On-demand rows first: a flavor is sold where it has an on-demand price; a spot row adds its spot market.
  const ordered = [...rows].sort((a, b) => (a.market === b.market ? 0 : a.market === 'on-demand' ? -1 : 1));
  for (const row of ordered) {
    if (!flavors.has(row.flavor)) {
      flavors.set(row.flavor, { name: row.flavor, vcpus: row.vcpus, memoryGiB: row.memoryGiB, gpus: row.gpus, arch: row.arch });
    }
    const prices = pricesByRegion.get(row.region) ?? new Map<string, SimPrice>();
    pricesByRegion.set(row.region, prices);
    const price = prices.get(row.flavor);
    if (row.market === 'on-demand' && !price) {
      prices.set(row.flavor, { onDemandMicrosPerHour: row.priceMicrosPerHour, spotMicrosPerHour: null, zone: row.zone });
    } else if (row.market === 'spot' && price) {
      price.spotMicrosPerHour = row.priceMicrosPerHour;
    }
    const zones = zonesByRegion.get(row.region) ?? new Set<string>();
    zonesByRegion.set(row.region, zones);
    if (row.zone) zones.add(row.zone);
  }
  if (pricesByRegion.size === 0) {
    throw new InvalidInputError(
      `sim provider '${providerName}' sells from the price catalog, which has no prices for it: import some (tessera catalog import catalog/public-vms.csv)`,
    );
  }

  const regions = new Map<string, SimRegion>();
  const configs =
    regionConfigs ??
    [...pricesByRegion.keys()].map((name) => ({ name, zones: [...zonesByRegion.get(name)!], location: null, capacityVcpus: null }));
  for (const r of configs) {
    const prices = pricesByRegion.get(r.name);
    if (!prices) {
      throw new InvalidInputError(
        `sim provider '${providerName}' configures region '${r.name}', which the price catalog does not price; ` +
          `catalog regions: ${[...pricesByRegion.keys()].join(', ')}`,
      );
    }
    if (regions.has(r.name)) throw new InvalidInputError(`sim provider '${providerName}' lists region '${r.name}' twice`);
    const zones = r.zones.length > 0 ? r.zones : [...zonesByRegion.get(r.name)!];
    regions.set(r.name, { ...r, zones, prices });
  }
  return { regions, flavors };
}
