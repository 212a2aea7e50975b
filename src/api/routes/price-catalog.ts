import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { Market } from '../../core/offer.js';
import { CatalogPrice } from '../../metering/catalog/catalog-price.js';
import type { CatalogDiff } from '../../metering/catalog/catalog-diff.js';
import type { FileImportOutcome } from '../../metering/catalog/price-catalog.js';
import type { ControlPlane } from '../control-plane.js';
import { COMMON_ERRORS, itemsOf, pageOf } from '../schemas.js';

/** A published price list can be large (a full AWS EC2 price list is tens of MB): these routes take up to 256 MiB. */
const PRICE_LIST_BODY_LIMIT = 256 * 1024 * 1024;
/** An answer lists at most this many changes and skipped entries; the counts are always complete. */
const SHOWN = 1_000;

const CatalogQuery = z
  .object({
    provider: z.string().max(63).optional(),
    region: z.string().max(63).optional(),
    flavor: z.string().max(63).optional(),
    market: Market.optional(),
    vcpus: z.coerce.number().positive().optional().describe('at least this many vCPUs'),
    memoryGiB: z.coerce.number().positive().optional().describe('at least this much memory (GiB)'),
    at: z.iso.datetime({ offset: true }).or(z.iso.date()).optional().describe('prices in force at this time (default now)'),
    limit: z.coerce.number().int().min(1).max(10_000).default(1_000),
    cursor: z.string().regex(/^\d+$/, { message: 'a cursor is the nextCursor of the previous page' }).optional(),
  })
  .strict();

const HistoryQuery = z
  .object({
    provider: z.string().max(63).optional(),
    region: z.string().max(63).optional(),
    flavor: z.string().max(63).optional(),
    market: Market.optional(),
    limit: z.coerce.number().int().min(1).max(10_000).default(1_000),
  })
  .strict();

const PriceListBody = z
  .object({
    content: z.string().min(1, 'the price list is empty').describe('the file: the public-vms CSV, or an AWS / Azure / GCP published price list (JSON)'),
    source: z.string().min(1).max(255).default('api').describe('names the file in the stored periods and messages'),
    machineTypes: z.string().optional().describe('for a GCP SKU list: the machine types to price (machineTypes.aggregatedList JSON)'),
    effective: z.iso.datetime({ offset: true }).or(z.iso.date()).optional().describe('when the changes take effect (default: the source’s own date, else now)'),
  })
  .strict()
  .meta({ id: 'PriceListImport' });

const Change = z.object({
  change: z.enum(['added', 'changed', 'withdrawn']),
  provider: z.string(),
  region: z.string(),
  flavor: z.string(),
  market: Market,
  fromMicrosPerHour: z.number().int().nullable(),
  toMicrosPerHour: z.number().int().nullable(),
  /** When the change takes effect. */
  at: z.string(),
});

const ImportReport = z
  .object({
    format: z.string(),
    source: z.string(),
    applied: z.boolean(),
    added: z.number().int(),
    changed: z.number().int(),
    withdrawn: z.number().int(),
    unchanged: z.number().int(),
    duplicates: z.number().int(),
    changes: z.array(Change).describe(`the first ${SHOWN} changes`),
    skipped: z.array(z.object({ entry: z.string(), reason: z.string() })).describe(`the first ${SHOWN} entries passed over`),
    skippedCount: z.number().int(),
  })
  .meta({ id: 'CatalogImportReport' });
type ImportReport = z.infer<typeof ImportReport>;

function changesOf(diff: CatalogDiff): z.infer<typeof Change>[] {
  const key = (p: CatalogPrice) => ({ provider: p.provider, region: p.region, flavor: p.flavor, market: p.market });
  return [
    ...diff.added.map((p) => ({ change: 'added' as const, ...key(p), fromMicrosPerHour: null, toMicrosPerHour: p.priceMicrosPerHour, at: p.validFrom })),
    ...diff.changed.map(({ before, after }) => ({
      change: 'changed' as const,
      ...key(after),
      fromMicrosPerHour: before.priceMicrosPerHour,
      toMicrosPerHour: after.priceMicrosPerHour,
      at: after.validFrom,
    })),
    ...diff.withdrawn.map((p) => ({ change: 'withdrawn' as const, ...key(p), fromMicrosPerHour: p.priceMicrosPerHour, toMicrosPerHour: null, at: diff.withdrawnAt })),
  ];
}

function report(source: string, o: FileImportOutcome): ImportReport {
  return {
    format: o.format,
    source,
    applied: o.applied,
    added: o.diff.added.length,
    changed: o.diff.changed.length,
    withdrawn: o.diff.withdrawn.length,
    unchanged: o.diff.unchanged,
    duplicates: o.diff.duplicates.length,
    changes: changesOf(o.diff).slice(0, SHOWN),
    skipped: o.skipped.slice(0, SHOWN),
    skippedCount: o.skipped.length,
  };
}

/** The price catalog (KEMI): list prices with their validity periods, and imports of published price lists. */
export function priceCatalogRoutes(cp: ControlPlane): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/v1/catalog',
      {
        config: { access: 'signed-in' },
        schema: {
          summary: 'List prices in force now (or at a time), cheapest first',
          tags: ['catalog'],
          querystring: CatalogQuery,
          response: { 200: pageOf(CatalogPrice, 'CatalogPriceList'), ...COMMON_ERRORS },
        },
      },
      async (req) => {
        const q = req.query;
        const page = await cp.prices.list({
          provider: q.provider,
          region: q.region,
          flavor: q.flavor,
          market: q.market,
          minVcpus: q.vcpus,
          minMemoryGiB: q.memoryGiB,
          at: q.at,
          limit: q.limit,
          offset: q.cursor === undefined ? 0 : Number(q.cursor),
        });
        return { items: page.items, nextCursor: page.nextOffset === null ? null : String(page.nextOffset) };
      },
    );

    app.get(
      '/v1/catalog/history',
      {
        config: { access: 'signed-in' },
        schema: {
          summary: 'Every validity period of the matching offers’ prices, by offer, oldest first',
          tags: ['catalog'],
          querystring: HistoryQuery,
          response: { 200: itemsOf(CatalogPrice, 'CatalogPriceHistory'), ...COMMON_ERRORS },
        },
      },
      async (req) => {
        const { limit, ...key } = req.query;
        return { items: await cp.prices.history(key, limit) };
      },
    );

    app.post(
      '/v1/catalog/diff',
      {
        bodyLimit: PRICE_LIST_BODY_LIMIT,
        config: { access: 'signed-in' },
        schema: {
          summary: 'What importing a price list would change, without changing anything',
          tags: ['catalog'],
          body: PriceListBody,
          response: { 200: ImportReport, ...COMMON_ERRORS },
        },
      },
      async (req) => report(req.body.source, await cp.prices.importFile(req.body, { effective: req.body.effective, dryRun: true })),
    );

    app.post(
      '/v1/catalog/import',
      {
        bodyLimit: PRICE_LIST_BODY_LIMIT,
        config: { access: 'org-admin', action: 'catalog.import' },
        schema: {
          summary: 'Import a price list: changed prices open new validity periods; the same file twice changes nothing',
          tags: ['catalog'],
          body: PriceListBody,
          response: { 200: ImportReport, ...COMMON_ERRORS },
        },
      },
      async (req) => report(req.body.source, await cp.prices.importFile(req.body, { effective: req.body.effective })),
    );
  };
}
