import type { CatalogPrice } from '../catalog/catalog-price.js';
import type { PriceCatalog } from '../catalog/price-catalog.js';
import type { PublicComparison } from './cost-model-view.js';

const PAGE = 200;
/** Cheap private prices come first in price order; past this many rows the search gives up (answering null). */
const MAX_SCANNED = 20_000;

/** Which catalog prices are public list prices: not a cost model's, nor a provider priced by one. */
export type IsPublicPrice = (p: CatalogPrice) => boolean;

/**
 * "Private vs public": for each shape, the cheapest on-demand public price in force with at least as many vCPUs,
 * GiB and GPUs, and the private price's ratio to it. Shapes repeat across regions, so each is looked up once.
 */
export class PublicComparisons {
  private readonly found = new Map<string, Promise<CatalogPrice | null>>();

  constructor(
    private readonly prices: PriceCatalog,
    private readonly isPublic: IsPublicPrice,
  ) {}

  async compare(shape: { vcpus: number; memoryGiB: number; gpus: number }, privateMicrosPerHour: number): Promise<PublicComparison | null> {
    const key = `${shape.vcpus}/${shape.memoryGiB}/${shape.gpus}`;
    let lookup = this.found.get(key);
    if (!lookup) {
      lookup = this.cheapest(shape);
      this.found.set(key, lookup);
    }
    const p = await lookup;
    if (!p) return null;
    return {
      provider: p.provider,
      region: p.region,
      flavor: p.flavor,
      vcpus: p.vcpus,
      memoryGiB: p.memoryGiB,
      priceMicrosPerHour: p.priceMicrosPerHour,
      // A display ratio, not money: one rounding to 3 decimals.
      ratio: Math.round((privateMicrosPerHour / p.priceMicrosPerHour) * 1000) / 1000,
    };
  }

  private async cheapest(shape: { vcpus: number; memoryGiB: number; gpus: number }): Promise<CatalogPrice | null> {
    for (let offset = 0; offset < MAX_SCANNED; offset += PAGE) {
      const page = await this.prices.list({ minVcpus: shape.vcpus, minMemoryGiB: shape.memoryGiB, market: 'on-demand', limit: PAGE, offset });
      const hit = page.items.find((p) => p.gpus >= shape.gpus && p.priceMicrosPerHour > 0 && this.isPublic(p));
      if (hit) return hit;
      if (page.nextOffset === null) return null;
    }
    return null;
  }
}
