import { z } from 'zod';
import { Market } from '../../core/offer.js';

/** One validity period of one offer's list price: what a flavor cost per hour in a region and market, from when to when. */
export const CatalogPrice = z
  .object({
    provider: z.string(),
    region: z.string(),
    zone: z.string().nullable(),
    flavor: z.string(),
    market: Market,
    vcpus: z.number(),
    memoryGiB: z.number(),
    gpus: z.number().int(),
    arch: z.string(),
    /** Integer micro-dollars per hour. */
    priceMicrosPerHour: z.number().int(),
    currency: z.literal('USD'),
    /** ISO 8601; inclusive. */
    validFrom: z.string(),
    /** ISO 8601, exclusive; null while the price is in force. */
    validTo: z.string().nullable(),
    /** Where the price came from (file name or format), for the record. */
    source: z.string(),
    importedAt: z.string(),
  })
  .meta({ id: 'CatalogPrice' });
export type CatalogPrice = z.infer<typeof CatalogPrice>;
