import type { Logger } from 'pino';
import type { OfferCatalog } from '../../compute/offer-catalog.js';
import type { ImportedPrice } from './imported-price.js';
import type { PriceCatalog } from './price-catalog.js';

/**
 * A private provider without a cost model is billed at the prices its own configuration gives its flavors
 * (`priceUsdPerHour`). They are put into the price catalog under the provider's name at start, so they are
 * versioned like every other price: a changed price in tessera.yaml opens a new period at the next start, and
 * usage before it keeps its old price.
 */
export async function syncOfferPrices(prices: PriceCatalog, offers: OfferCatalog, providers: string[], logger: Logger): Promise<void> {
  for (const provider of providers) {
    const imported: ImportedPrice[] = (await offers.forProvider(provider)).map((o) => ({
      provider,
      region: o.region,
      zone: o.zone,
      flavor: o.flavor,
      market: o.market,
      vcpus: o.vcpus,
      memoryGiB: o.memoryGiB,
      gpus: o.gpus,
      arch: o.arch,
      priceMicrosPerHour: o.priceMicrosPerHour,
      effectiveAt: null,
    }));
    // A provider that cannot say its offers right now keeps the prices it had.
    if (imported.length === 0) continue;
    const { diff } = await prices.import(imported, { source: `${provider} configuration` });
    if (diff.added.length + diff.changed.length + diff.withdrawn.length > 0) {
      logger.info({ provider, added: diff.added.length, changed: diff.changed.length, withdrawn: diff.withdrawn.length }, 'provider prices recorded in the price catalog');
    }
  }
}
