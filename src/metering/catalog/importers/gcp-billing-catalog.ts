import { z } from 'zod';
import type { Micros } from '../../../core/money.js';
import type { Market } from '../../../core/offer.js';
import type { ImportResult } from '../imported-price.js';
import { linearPriceMicros, type Nanos } from './exact-money.js';
import { BillingSku, classifyComputeSku, type ComputeResource } from './gcp-compute-sku.js';
import { archOfFamily, isSharedCoreType, machineFamilyOf, parseGceMachineTypeList, type GceMachineType } from './gce-machine-types.js';
import { ImportCollector } from './import-collector.js';
import { asPages, parseInput } from './parse-input.js';

/**
 * Reads the Cloud Billing Catalog API's Compute Engine SKUs (`services.skus.list`: `{skus: […], nextPageToken}`),
 * one page or an array of pages. GCE prices a predefined machine type as vCPUs × its family's core rate + GiB × its
 * family's RAM rate in its region, so the prices come out per machine type given in `machineTypes` (see
 * gce-machine-types.ts): on demand, and Spot/preemptible as market `spot`.
 */

export interface GcpBillingCatalogOptions {
  /** The machine types to price, with their sizes. */
  machineTypes: readonly GceMachineType[];
  /** The provider name the prices are for; default `gcp`. */
  provider?: string;
}

const Page = z.object({
  skus: z.array(z.unknown()),
  nextPageToken: z.string().optional(),
});

interface HeldRate {
  unitNanos: Nanos;
  effectiveAt: string | null;
  entry: string;
}

const MARKETS: readonly Market[] = ['on-demand', 'spot'];

/** Imports GCE on-demand and Spot prices of the given machine types from Billing Catalog pages (already JSON-parsed). */
export function importGcpBillingCatalog(input: unknown, opts: GcpBillingCatalogOptions): ImportResult {
  const provider = opts.provider ?? 'gcp';
  const machineTypes = parseGceMachineTypeList(opts.machineTypes);
  const collector = new ImportCollector();
  const rates = new RateTable(collector);

  const pages = asPages(input);
  pages.forEach((page, pageIndex) => {
    const where = pages.length > 1 ? `page ${pageIndex + 1} of the GCP billing catalog` : 'the GCP billing catalog';
    const { skus } = parseInput(Page, page, where);
    skus.forEach((raw, i) => {
      const sku = parseInput(BillingSku, raw, `${where}, skus[${i}]`);
      const entry = `GCP sku ${sku.skuId} "${sku.description}"`;
      const rate = classifyComputeSku(sku);
      if ('skip' in rate) return collector.skip(entry, rate.skip);
      for (const region of rate.regions) {
        rates.hold(rate.family, region, rate.market, rate.resource, { unitNanos: rate.unitNanos, effectiveAt: rate.effectiveAt, entry });
      }
    });
  });

  for (const type of machineTypes) priceMachineType(type, provider, rates, collector);
  for (const entry of rates.unusedEntries()) {
    collector.skip(entry, 'no machine type given is of this family (or in this region): add its machine types (e.g. from machineTypes.aggregatedList) to price it');
  }
  return collector.result();
}

function priceMachineType(type: GceMachineType, provider: string, rates: RateTable, collector: ImportCollector): void {
  const entry = `GCE machine type ${type.name}`;
  const family = type.family ?? machineFamilyOf(type.name);
  if (/custom/i.test(type.name)) return collector.skip(entry, 'a custom machine type: priced with the custom SKUs, which are not imported');
  if (isSharedCoreType(type)) return collector.skip(entry, 'a shared-core type: billed for a fraction of a vCPU that its size does not say');
  if ((type.gpus ?? 0) > 0) return collector.skip(entry, `has ${type.gpus} GPU(s): GPUs are priced by their own SKUs, which this importer does not add`);

  const regions = type.regions ?? rates.regionsOf(family);
  if (regions.length === 0) return collector.skip(entry, `the catalog has no vCPU or RAM rate of family ${family} in any region`);

  for (const region of regions) {
    for (const market of MARKETS) {
      const where = `${entry} in ${region} (${market})`;
      const core = rates.get(family, region, market, 'core');
      const ram = rates.get(family, region, market, 'ram');
      if (!core || !ram) {
        const missing = [core ? null : 'vCPU', ram ? null : 'RAM'].filter(Boolean).join(' and ');
        collector.skip(where, `the catalog has no ${market} ${missing} rate of family ${family} in ${region}`);
        continue;
      }
      let price: Micros;
      try {
        price = linearPriceMicros([
          { quantity: type.vcpus, unitNanos: core.unitNanos },
          { quantity: type.memoryGiB, unitNanos: ram.unitNanos },
        ]);
      } catch (e) {
        collector.skip(where, `cannot be priced: ${(e as Error).message}`);
        continue;
      }
      rates.markUsed(core, ram);
      collector.add(
        {
          provider,
          region,
          zone: null,
          flavor: type.name,
          market,
          vcpus: type.vcpus,
          memoryGiB: type.memoryGiB,
          gpus: 0,
          arch: type.arch ?? archOfFamily(family),
          priceMicrosPerHour: price,
          // The machine's price is as new as the newer of the two rates it is made of.
          effectiveAt: later(core.effectiveAt, ram.effectiveAt),
        },
        where,
      );
    }
  }
}

/** Core and RAM rates by family, region and market; a second SKU for the same rate is settled as the collector does. */
class RateTable {
  private readonly rates = new Map<string, HeldRate>();
  private readonly regionsByFamily = new Map<string, Set<string>>();
  private readonly used = new Set<string>();

  constructor(private readonly collector: ImportCollector) {}

  hold(family: string, region: string, market: Market, resource: ComputeResource, rate: HeldRate): void {
    const key = rateKey(family, region, market, resource);
    const regions = this.regionsByFamily.get(family) ?? new Set<string>();
    this.regionsByFamily.set(family, regions.add(region));
    const held = this.rates.get(key);
    if (!held) {
      this.rates.set(key, rate);
      return;
    }
    const newer = later(rate.effectiveAt, held.effectiveAt) !== held.effectiveAt;
    const [kept, dropped] = newer ? [rate, held] : [held, rate];
    this.rates.set(key, kept);
    this.collector.skip(dropped.entry, `another SKU gives the same ${market} ${resource} rate of ${family} in ${region}: ${kept.entry} is used`);
  }

  get(family: string, region: string, market: Market, resource: ComputeResource): HeldRate | undefined {
    return this.rates.get(rateKey(family, region, market, resource));
  }

  regionsOf(family: string): string[] {
    return [...(this.regionsByFamily.get(family) ?? [])].sort();
  }

  markUsed(...rates: HeldRate[]): void {
    for (const r of rates) this.used.add(r.entry);
  }

  /** SKUs that give a rate no machine type was priced with (a SKU only ever dropped as a repeat is reported already). */
  unusedEntries(): string[] {
    const held = new Set([...this.rates.values()].map((r) => r.entry));
    return [...held].filter((e) => !this.used.has(e));
  }
}

function rateKey(family: string, region: string, market: Market, resource: ComputeResource): string {
  return `${family}|${region}|${market}|${resource}`;
}

function later(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return Date.parse(a) >= Date.parse(b) ? a : b;
}
