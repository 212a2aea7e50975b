import { resolve } from 'node:path';
import { InvalidInputError } from '../../core/errors.js';
import { usdToMicros, type Micros } from '../../core/money.js';
import type { InstanceKind } from '../../core/offer.js';
import { loadCatalogRows, type CatalogRow } from './catalog-csv.js';
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

export function buildSimCloud(providerName: string, config: SimConfig): SimCloud {
  const built = Array.isArray(config.flavors)
    ? fromExplicitFlavors(providerName, config.flavors, config.regions ?? [DEFAULT_REGION])
    : fromCatalog(providerName, loadCatalogRows(resolve(config.flavors.catalog.file), config.flavors.catalog.provider), config.regions);
  return { kind: config.kind, images: config.images, ...built };
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
  rows: CatalogRow[],
  regionConfigs: SimRegionConfig[] | undefined,
): Pick<SimCloud, 'regions' | 'flavors'> {
  const flavors = new Map<string, SimFlavor>();
  const pricesByRegion = new Map<string, Map<string, SimPrice>>();
  const zonesByRegion = new Map<string, Set<string>>();
  for (const row of rows) {
    // The catalog has no GPU or architecture columns: its rows are CPU-only x86 types (see SOURCE.md).
    if (!flavors.has(row.instanceType)) {
      flavors.set(row.instanceType, { name: row.instanceType, vcpus: row.vcpus, memoryGiB: row.memoryGiB, gpus: 0, arch: 'x86_64' });
    }
    const prices = pricesByRegion.get(row.region) ?? new Map<string, SimPrice>();
    pricesByRegion.set(row.region, prices);
    if (!prices.has(row.instanceType)) {
      prices.set(row.instanceType, {
        onDemandMicrosPerHour: row.priceMicrosPerHour,
        spotMicrosPerHour: row.spotPriceMicrosPerHour,
        zone: row.zone,
      });
    }
    const zones = zonesByRegion.get(row.region) ?? new Set<string>();
    zonesByRegion.set(row.region, zones);
    if (row.zone) zones.add(row.zone);
  }

  const regions = new Map<string, SimRegion>();
  const configs =
    regionConfigs ??
    [...pricesByRegion.keys()].map((name) => ({ name, zones: [...zonesByRegion.get(name)!], location: null, capacityVcpus: null }));
  for (const r of configs) {
    const prices = pricesByRegion.get(r.name);
    if (!prices) {
      throw new InvalidInputError(
        `sim provider '${providerName}' configures region '${r.name}', which its catalog does not price; ` +
          `catalog regions: ${[...pricesByRegion.keys()].join(', ')}`,
      );
    }
    if (regions.has(r.name)) throw new InvalidInputError(`sim provider '${providerName}' lists region '${r.name}' twice`);
    const zones = r.zones.length > 0 ? r.zones : [...zonesByRegion.get(r.name)!];
    regions.set(r.name, { ...r, zones, prices });
  }
  return { regions, flavors };
}
