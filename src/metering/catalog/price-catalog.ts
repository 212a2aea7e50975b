import type { Selectable } from 'kysely';
import { ConflictError, InvalidInputError } from '../../core/errors.js';
import type { Market } from '../../core/offer.js';
import type { ListPrice } from '../../providers/driver.js';
import type { CatalogPricesTable } from '../../store/schema.js';
import type { Store } from '../../store/store.js';
import { diffCatalog, iso, isEmptyDiff, offerKey, type CatalogDiff } from './catalog-diff.js';
import type { CatalogPrice } from './catalog-price.js';
import type { FlavorShapes, ImportedPrice, ImportResult } from './imported-price.js';
import type { PriceFileFormat } from './importers/detect-format.js';
import { readPriceList, type PriceListInput } from './read-price-list.js';

export interface CatalogQuery {
  provider?: string;
  /** Only these providers (with `provider`, both apply). */
  providers?: string[];
  region?: string;
  flavor?: string;
  market?: Market;
  /** At least this many vCPUs / GiB of memory. */
  minVcpus?: number;
  minMemoryGiB?: number;
  /** Prices in force at this time (ISO 8601); default now. */
  at?: string;
  limit?: number;
  /** Rows to skip: the position in the price order where the previous page ended. */
  offset?: number;
}

export interface ImportOptions {
  /** Names the source in each stored period (a file name or the format). */
  source: string;
  /** When changes take effect (ISO 8601); default: the source's own date, else now. */
  effective?: string | null;
  /** Work out the diff only. */
  dryRun?: boolean;
}

export interface ImportOutcome {
  diff: CatalogDiff;
  applied: boolean;
}

export interface FileImportOutcome extends ImportOutcome {
  format: PriceFileFormat;
  skipped: ImportResult['skipped'];
}

const DEFAULT_LIMIT = 1_000;
const MAX_LIMIT = 10_000;
const INSERT_BATCH = 500;

/**
 * Tessera's price catalog (KEMI): list prices of every offer with their validity periods. Importers read published
 * price lists; this keeps the history so that usage is priced with the price of its day, and answers the drivers'
 * `listPrices` and the API's queries.
 */
export class PriceCatalog {
  constructor(private readonly store: Store) {}

  /** Applies an import (or, with dryRun, only says what it would change). Importing the same prices twice changes nothing. */
  async import(prices: ImportedPrice[], opts: ImportOptions): Promise<ImportOutcome> {
    const providers = [...new Set(prices.map((p) => p.provider))];
    const now = this.store.nowIso();
    const effective = opts.effective ? iso(opts.effective) : null;
    return this.store.db.transaction().execute(async (tx) => {
      if (providers.length === 0) return { diff: diffCatalog({ imported: [], open: [], everPriced: new Set(), effective, now, source: opts.source }), applied: false };
      const [open, everPriced] = await Promise.all([
        tx
          .selectFrom('catalog_prices')
          .selectAll()
          .where('provider', 'in', providers)
          .where('valid_to', 'is', null)
          .execute()
          .then((rows) => rows.map(fromRow)),
        tx
          .selectFrom('catalog_prices')
          .select(['provider', 'region', 'flavor', 'market'])
          .distinct()
          .where('provider', 'in', providers)
          .where('valid_to', 'is not', null)
          .execute()
          .then((rows) => new Set(rows.map(offerKey))),
      ]);
      const diff = diffCatalog({ imported: prices, open, everPriced, effective, now, source: opts.source });
      if (opts.dryRun || isEmptyDiff(diff)) return { diff, applied: false };

      for (const { before, after } of diff.changed) await closePeriod(tx, before, after.validFrom);
      for (const p of diff.withdrawn) await closePeriod(tx, p, diff.withdrawnAt > p.validFrom ? diff.withdrawnAt : p.validFrom);
      const inserts = [...diff.added, ...diff.changed.map((c) => c.after)].map(toRow);
      for (let i = 0; i < inserts.length; i += INSERT_BATCH) {
        await tx.insertInto('catalog_prices').values(inserts.slice(i, i + INSERT_BATCH)).execute();
      }
      return { diff, applied: true };
    });
  }

  /** Reads a published price list of any supported format and imports it (or, with dryRun, diffs it). */
  async importFile(input: PriceListInput, opts: Omit<ImportOptions, 'source'>): Promise<FileImportOutcome> {
    const shapes = await this.flavorShapes();
    const gcp = await this.knownFlavors('gcp');
    const read = readPriceList(input, { shapes, gceMachineTypes: () => gcp });
    if (read.prices.length === 0) {
      const why = read.skipped.slice(0, 3).map((s) => `${s.entry}: ${s.reason}`).join('; ');
      throw new InvalidInputError(`${input.source} (${read.format}) holds no price Tessera can use${why ? ` (${why}${read.skipped.length > 3 ? '; …' : ''})` : ''}; nothing was imported`);
    }
    const outcome = await this.import(read.prices, { ...opts, source: input.source });
    return { ...outcome, format: read.format, skipped: read.skipped };
  }

  /** Prices in force at `q.at` (default now), cheapest first; ties in a stable name order. */
  async list(q: CatalogQuery = {}): Promise<{ items: CatalogPrice[]; nextOffset: number | null }> {
    const limit = Math.min(q.limit ?? DEFAULT_LIMIT, MAX_LIMIT);
    const offset = q.offset ?? 0;
    let query = this.store.db.selectFrom('catalog_prices').selectAll();
    if (q.at === undefined) {
      query = query.where('valid_to', 'is', null);
    } else {
      const at = iso(q.at);
      query = query.where('valid_from', '<=', at).where((eb) => eb.or([eb('valid_to', 'is', null), eb('valid_to', '>', at)]));
    }
    if (q.provider) query = query.where('provider', '=', q.provider);
    if (q.providers) query = query.where('provider', 'in', q.providers.length > 0 ? q.providers : ['']);
    if (q.region) query = query.where('region', '=', q.region);
    if (q.flavor) query = query.where('flavor', '=', q.flavor);
    if (q.market) query = query.where('market', '=', q.market);
    if (q.minVcpus !== undefined) query = query.where('vcpus', '>=', q.minVcpus);
    if (q.minMemoryGiB !== undefined) query = query.where('memory_gib', '>=', q.minMemoryGiB);
    const rows = await query
      .orderBy('price_micros')
      .orderBy('provider')
      .orderBy('region')
      .orderBy('flavor')
      .orderBy('market')
      .limit(limit + 1)
      .offset(offset)
      .execute();
    const more = rows.length > limit;
    return { items: rows.slice(0, limit).map(fromRow), nextOffset: more ? offset + limit : null };
  }

  /** Every validity period of the offers matching `key` (all of them when it names none), by offer, oldest first. */
  async history(key: Partial<{ provider: string; region: string; flavor: string; market: Market }>, limit = MAX_LIMIT): Promise<CatalogPrice[]> {
    let query = this.store.db.selectFrom('catalog_prices').selectAll();
    if (key.provider) query = query.where('provider', '=', key.provider);
    if (key.region) query = query.where('region', '=', key.region);
    if (key.flavor) query = query.where('flavor', '=', key.flavor);
    if (key.market) query = query.where('market', '=', key.market);
    const rows = await query.orderBy('provider').orderBy('region').orderBy('flavor').orderBy('market').orderBy('valid_from').limit(limit).execute();
    return rows.map(fromRow);
  }

  /** The price of one offer in force at `at`, or null when the catalog had none then. */
  async priceAt(key: { provider: string; region: string; flavor: string; market: Market }, at: string): Promise<CatalogPrice | null> {
    const t = iso(at);
    const row = await this.store.db
      .selectFrom('catalog_prices')
      .selectAll()
      .where('provider', '=', key.provider)
      .where('region', '=', key.region)
      .where('flavor', '=', key.flavor)
      .where('market', '=', key.market)
      .where('valid_from', '<=', t)
      .where((eb) => eb.or([eb('valid_to', 'is', null), eb('valid_to', '>', t)]))
      .executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  /** Today's prices of one cloud, for its driver's offers (DriverContext.listPrices). */
  async listPrices(provider: string): Promise<ListPrice[]> {
    const rows = await this.store.db.selectFrom('catalog_prices').selectAll().where('provider', '=', provider).where('valid_to', 'is', null).execute();
    return rows.map(fromRow).map(({ region, zone, flavor, market, vcpus, memoryGiB, gpus, arch, priceMicrosPerHour }) => ({
      region,
      zone,
      flavor,
      market,
      vcpus,
      memoryGiB,
      gpus,
      arch,
      priceMicrosPerHour,
    }));
  }

  async isEmpty(): Promise<boolean> {
    return (await this.store.db.selectFrom('catalog_prices').select('provider').limit(1).executeTakeFirst()) === undefined;
  }

  /** The flavors of one provider the catalog has ever priced, with their sizes. */
  async knownFlavors(provider: string): Promise<{ name: string; vcpus: number; memoryGiB: number; gpus: number; arch: string }[]> {
    const rows = await this.store.db
      .selectFrom('catalog_prices')
      .select(['flavor', 'vcpus', 'memory_gib', 'gpus', 'arch'])
      .distinct()
      .where('provider', '=', provider)
      .execute();
    const byName = new Map(rows.map((r) => [r.flavor, { name: r.flavor, vcpus: Number(r.vcpus), memoryGiB: Number(r.memory_gib), gpus: r.gpus, arch: r.arch }]));
    return [...byName.values()];
  }

  /**
   * Sizes of the flavors the catalog knows, for price lists that do not carry them (Azure's, GCP's): the first
   * import (the public-vms CSV, say) teaches the catalog what a `Standard_D2s_v5` is.
   */
  async flavorShapes(): Promise<FlavorShapes> {
    const rows = await this.store.db
      .selectFrom('catalog_prices')
      .select(['provider', 'flavor', 'vcpus', 'memory_gib', 'gpus', 'arch'])
      .distinct()
      .execute();
    const shapes = new Map(rows.map((r) => [`${r.provider}/${r.flavor}`, { vcpus: Number(r.vcpus), memoryGiB: Number(r.memory_gib), gpus: r.gpus, arch: r.arch }]));
    return (provider, flavor) => shapes.get(`${provider}/${flavor}`);
  }
}

type Tx = Parameters<Parameters<ReturnType<Store['db']['transaction']>['execute']>[0]>[0];

async function closePeriod(tx: Tx, p: CatalogPrice, at: string): Promise<void> {
  const done = await tx
    .updateTable('catalog_prices')
    .set({ valid_to: at })
    .where('provider', '=', p.provider)
    .where('region', '=', p.region)
    .where('flavor', '=', p.flavor)
    .where('market', '=', p.market)
    .where('valid_from', '=', p.validFrom)
    .where('valid_to', 'is', null)
    .executeTakeFirst();
  // Another import closed it between our read and this write: the diff is stale, so the whole import is undone.
  if (Number(done.numUpdatedRows) !== 1) {
    throw new ConflictError(`the price of ${offerKey(p)} changed while this import ran: run the import again`);
  }
}

function fromRow(r: Selectable<CatalogPricesTable>): CatalogPrice {
  return {
    provider: r.provider,
    region: r.region,
    zone: r.zone,
    flavor: r.flavor,
    market: r.market as Market,
    vcpus: Number(r.vcpus),
    memoryGiB: Number(r.memory_gib),
    gpus: r.gpus,
    arch: r.arch,
    priceMicrosPerHour: Number(r.price_micros),
    currency: 'USD',
    validFrom: r.valid_from,
    validTo: r.valid_to,
    source: r.source,
    importedAt: r.imported_at,
  };
}

function toRow(p: CatalogPrice): CatalogPricesTable {
  return {
    provider: p.provider,
    region: p.region,
    flavor: p.flavor,
    market: p.market,
    valid_from: p.validFrom,
    valid_to: p.validTo,
    zone: p.zone,
    vcpus: p.vcpus,
    memory_gib: p.memoryGiB,
    gpus: p.gpus,
    arch: p.arch,
    price_micros: p.priceMicrosPerHour,
    currency: p.currency,
    source: p.source,
    imported_at: p.importedAt,
  };
}
