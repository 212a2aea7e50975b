import { z } from 'zod';
import type { Micros } from '../../../core/money.js';
import type { FlavorShapes, ImportResult } from '../imported-price.js';
import { jsonNumberToMicros } from './exact-money.js';
import { ImportCollector } from './import-collector.js';
import { asPages, parseInput } from './parse-input.js';

/**
 * Reads the Azure Retail Prices API (`https://prices.azure.com/api/retail/prices`, `{BillingCurrency, Items: […],
 * NextPageLink, Count}`), one page or an array of pages. Kept: Virtual Machines, USD, pay-as-you-go
 * (`Consumption`), per hour, Linux (the Windows meters' productName says "Windows"), the meter's primary region,
 * not Low Priority (retired); a skuName ending " Spot" is the Spot market. Items carry no size, so vCPUs and memory
 * come from `shapes` (what the catalog already knows of each flavor).
 */

export interface AzureRetailPricesOptions {
  /** Sizes of the flavors, e.g. from a catalog imported earlier; an item of an unknown flavor is skipped. */
  shapes: FlavorShapes;
  /** The provider name the prices are for; default `azure`. */
  provider?: string;
}

const Item = z.object({
  currencyCode: z.string(),
  tierMinimumUnits: z.number().optional(),
  retailPrice: z.number(),
  armRegionName: z.string(),
  location: z.string().optional(),
  effectiveStartDate: z.string(),
  meterId: z.string().optional(),
  meterName: z.string().optional(),
  productName: z.string(),
  skuName: z.string(),
  serviceName: z.string(),
  unitOfMeasure: z.string(),
  type: z.string(),
  isPrimaryMeterRegion: z.boolean().optional(),
  armSkuName: z.string(),
});
type Item = z.infer<typeof Item>;

const Page = z.object({
  BillingCurrency: z.string().optional(),
  Items: z.array(z.unknown()),
  NextPageLink: z.string().nullish(),
  Count: z.number().optional(),
});

/** Imports Azure VM pay-as-you-go and Spot Linux prices from Retail Prices API pages (already JSON-parsed). */
export function importAzureRetailPrices(input: unknown, opts: AzureRetailPricesOptions): ImportResult {
  const provider = opts.provider ?? 'azure';
  const collector = new ImportCollector();
  const pages = asPages(input);
  pages.forEach((page, pageIndex) => {
    const where = pages.length > 1 ? `page ${pageIndex + 1} of the Azure retail prices` : 'the Azure retail prices';
    const { Items } = parseInput(Page, page, where);
    Items.forEach((raw, i) => priceItem(parseInput(Item, raw, `${where}, Items[${i}]`), provider, opts.shapes, collector));
  });
  return collector.result();
}

function priceItem(item: Item, provider: string, shapes: FlavorShapes, collector: ImportCollector): void {
  const entry = `Azure meter ${item.meterId ?? '(no meterId)'} (${item.armSkuName || '(no armSkuName)'} ${item.armRegionName || '(no region)'} "${item.skuName}", ${item.productName}, ${item.type})`;
  const skip = (reason: string): void => collector.skip(entry, reason);

  if (item.serviceName !== 'Virtual Machines') return skip(`serviceName "${item.serviceName}" is not Virtual Machines`);
  if (item.type !== 'Consumption') return skip(`price type "${item.type}": only pay-as-you-go (Consumption) is a list price per hour`);
  if (item.currencyCode !== 'USD') return skip(`priced in ${item.currencyCode}, not USD (Microsoft's own prices are the USD ones)`);
  if (item.unitOfMeasure !== '1 Hour') return skip(`unit "${item.unitOfMeasure}" is not "1 Hour"`);
  // Meters are listed again under regions that share them; only the primary region's line is that region's price.
  if (item.isPrimaryMeterRegion === false) return skip('not the primary meter region: the same meter is priced under its primary region');
  if (/\bWindows\b/i.test(item.productName)) return skip('a Windows meter: Tessera imports Linux prices (Windows adds a licence)');
  if (/ Low Priority$/i.test(item.skuName)) return skip('a Low Priority meter: retired, and neither pay-as-you-go nor Spot');
  if ((item.tierMinimumUnits ?? 0) !== 0) return skip(`a volume tier from ${item.tierMinimumUnits} units, not the base price`);
  if (!item.armSkuName) return skip('no armSkuName: the flavor cannot be named');
  if (!item.armRegionName) return skip('no armRegionName: the region cannot be named');
  if (Number.isNaN(Date.parse(item.effectiveStartDate))) return skip(`effectiveStartDate "${item.effectiveStartDate}" is not a date`);

  let price: Micros;
  try {
    price = jsonNumberToMicros(item.retailPrice);
  } catch {
    return skip(`retailPrice ${item.retailPrice} is not a non-negative USD amount`);
  }
  if (price === 0) return skip('retailPrice is 0: not a machine Azure sells at that rate');

  const shape = shapes(provider, item.armSkuName);
  if (!shape) {
    return skip(
      `the size of ${item.armSkuName} is not known (Azure's price list does not carry vCPUs or memory): ` +
        `import a catalog that has this flavor's size first (e.g. the public-vms CSV), then import this file again`,
    );
  }
  collector.add(
    {
      provider,
      region: item.armRegionName,
      zone: null,
      flavor: item.armSkuName,
      market: / Spot$/i.test(item.skuName) ? 'spot' : 'on-demand',
      vcpus: shape.vcpus,
      memoryGiB: shape.memoryGiB,
      gpus: shape.gpus,
      arch: shape.arch,
      priceMicrosPerHour: price,
      effectiveAt: item.effectiveStartDate,
    },
    entry,
  );
}
