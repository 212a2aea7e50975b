import type { ResourceSku } from '@azure/arm-compute';
import type { Market, Offer, Region } from '../../core/offer.js';
import type { ListPrice } from '../driver.js';
import { tesseraZone } from './names.js';

/**
 * What can be had where: the subscription's VM sizes per location (the Resource SKUs API, which also says which
 * zones a size is in and where the subscription may not use it) joined with list prices from Tessera's catalog.
 * Azure's API says which sizes exist, the catalog what they cost; a size without a price is left out.
 */

/** A VM size usable in one location: the zones it may be placed in (none: a location without zones). */
export interface LocationSize {
  location: string;
  name: string;
  vcpus: number;
  memoryGiB: number;
  gpus: number;
  arch: string;
  zones: string[];
  spot: boolean;
}

/** The VM sizes of `skus` usable in `location`, restrictions applied. */
export function sizesIn(location: string, skus: ResourceSku[]): LocationSize[] {
  const out: LocationSize[] = [];
  for (const sku of skus) {
    if (sku.resourceType !== 'virtualMachines' || !sku.name) continue;
    const info = sku.locationInfo?.find((l) => l.location?.toLowerCase() === location);
    if (!info && !sku.locations?.some((l) => l.toLowerCase() === location)) continue;
    const restrictions = sku.restrictions ?? [];
    if (restrictions.some((r) => r.type === 'Location' && (r.values ?? []).some((v) => v.toLowerCase() === location))) continue;
    const blockedZones = new Set(
      restrictions.filter((r) => r.type === 'Zone' && (r.restrictionInfo?.locations ?? r.values ?? []).some((v) => v.toLowerCase() === location)).flatMap((r) => r.restrictionInfo?.zones ?? []),
    );
    const allZones = info?.zones ?? [];
    const zones = allZones.filter((z) => !blockedZones.has(z)).sort();
    // Every zone of a zonal size blocked: not usable here at all.
    if (allZones.length > 0 && zones.length === 0) continue;
    const capability = (name: string) => sku.capabilities?.find((c) => c.name === name)?.value;
    out.push({
      location,
      name: sku.name,
      vcpus: Number(capability('vCPUs') ?? 0),
      memoryGiB: Number(capability('MemoryGB') ?? 0),
      gpus: Number(capability('GPUs') ?? 0),
      arch: capability('CpuArchitectureType')?.toLowerCase() === 'arm64' ? 'arm64' : 'x86_64',
      zones,
      spot: capability('LowPriorityCapable')?.toLowerCase() === 'true',
    });
  }
  return out;
}

/** One offer per size × market × zone (or one per location when the size has no zones there) that has a price. */
export function offersOf(provider: string, sizes: LocationSize[], prices: ListPrice[]): Offer[] {
  const priceOf = new Map<string, number>();
  for (const p of prices) priceOf.set(priceKey(p.region, p.flavor, p.market), p.priceMicrosPerHour);
  const offers: Offer[] = [];
  for (const size of sizes) {
    const markets: Market[] = size.spot ? ['on-demand', 'spot'] : ['on-demand'];
    for (const market of markets) {
      const price = priceOf.get(priceKey(size.location, size.name, market));
      if (price === undefined) continue;
      const zones: (string | null)[] = size.zones.length > 0 ? size.zones.map((z) => tesseraZone(size.location, z)) : [null];
      for (const zone of zones) {
        offers.push({
          provider,
          region: size.location,
          zone,
          flavor: size.name,
          vcpus: size.vcpus,
          memoryGiB: size.memoryGiB,
          gpus: size.gpus,
          arch: size.arch,
          kind: 'vm',
          market,
          priceMicrosPerHour: price,
          // Azure does not say how many more fit; an allocation failure is the only answer.
          available: null,
        });
      }
    }
  }
  return offers;
}

export function regionsOf(provider: string, locations: string[], sizes: LocationSize[]): Region[] {
  return locations.map((location) => {
    const zones = new Set(sizes.filter((s) => s.location === location).flatMap((s) => s.zones));
    return { provider, name: location, zones: [...zones].sort().map((z) => tesseraZone(location, z)), location: null };
  });
}

/** Azure size names are case-insensitive (`Standard_D2s_v5` and `standard_d2s_v5` are one size). */
function priceKey(region: string, flavor: string, market: Market): string {
  return `${region.toLowerCase()}|${flavor.toLowerCase()}|${market}`;
}
