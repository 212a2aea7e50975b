import type { protos } from '@google-cloud/compute';
import type { Market, Offer } from '../../core/offer.js';
import type { ListPrice } from '../driver.js';

type MachineType = protos.google.cloud.compute.v1.IMachineType;

/**
 * Offers of a `gcp` provider: the machine types the API lists in each configured zone, each in the on-demand and
 * spot markets, priced from Tessera's catalog (`listPrices('gcp')`). The API says what exists where; the catalog
 * says what it costs. A machine type without a price in a market is left out of that market: an offer needs one.
 */
export interface ZoneMachineTypes {
  region: string;
  zone: string;
  machineTypes: MachineType[];
}

const MARKETS: Market[] = ['on-demand', 'spot'];

export function buildOffers(provider: string, zones: ZoneMachineTypes[], prices: ListPrice[]): Offer[] {
  const byZone = new Map<string, ListPrice>();
  const byRegion = new Map<string, ListPrice>();
  for (const p of prices) {
    if (p.zone !== null) byZone.set(`${p.zone}|${p.flavor}|${p.market}`, p);
    else byRegion.set(`${p.region}|${p.flavor}|${p.market}`, p);
  }
  const offers: Offer[] = [];
  for (const { region, zone, machineTypes } of zones) {
    for (const t of machineTypes) {
      const flavor = t.name ?? '';
      for (const market of MARKETS) {
        // A zone's own price, where the catalog has one, wins over the region's.
        const price = byZone.get(`${zone}|${flavor}|${market}`) ?? byRegion.get(`${region}|${flavor}|${market}`);
        if (!price) continue;
        offers.push({
          provider,
          region,
          zone,
          flavor,
          vcpus: t.guestCpus ?? price.vcpus,
          memoryGiB: t.memoryMb ? round(t.memoryMb / 1024) : price.memoryGiB,
          gpus: (t.accelerators ?? []).reduce((n, a) => n + (a.guestAcceleratorCount ?? 0), 0) || price.gpus,
          arch: archOf(t.architecture) ?? price.arch,
          kind: 'vm',
          market,
          priceMicrosPerHour: price.priceMicrosPerHour,
          available: null,
        });
      }
    }
  }
  return offers;
}

function archOf(architecture: string | null | undefined): string | null {
  if (architecture === 'ARM64') return 'arm64';
  if (architecture === 'X86_64') return 'x86_64';
  return null;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
