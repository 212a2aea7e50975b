import { InvalidInputError } from '../../core/errors.js';
import { formatUsd } from '../../core/money.js';
import type { CatalogPrice } from './catalog-price.js';
import type { ImportedPrice } from './imported-price.js';

/**
 * What an import would change in the catalog, worked out before anything is written so `tessera catalog diff`
 * and `import` answer the same thing. An import speaks for the (provider, region, market) sets it contains:
 * an offer of such a set that the import no longer lists is withdrawn; everything else is left alone, so a
 * price list of one region or of on-demand prices only never touches the others.
 */
export interface CatalogDiff {
  /** Offers with no open period: a first price, or a price again after a withdrawal. */
  added: CatalogPrice[];
  /** Offers whose price (or size) changed: the open period closes and a new one opens at `after.validFrom`. */
  changed: { before: CatalogPrice; after: CatalogPrice }[];
  /** Open periods closed because the import no longer lists the offer. */
  withdrawn: CatalogPrice[];
  /** When the withdrawn periods close. */
  withdrawnAt: string;
  unchanged: number;
  /** Repeated entries for one offer in the import: the first is kept. */
  duplicates: { key: string; kept: string; dropped: string }[];
}

/** The time a first price is valid from when neither the operator nor the source says: it has always been the price. */
export const SINCE_EVER = '1970-01-01T00:00:00.000Z';

export function offerKey(p: { provider: string; region: string; flavor: string; market: string }): string {
  return `${p.provider}/${p.region}/${p.flavor}/${p.market}`;
}

function scopeKey(p: { provider: string; region: string; market: string }): string {
  return `${p.provider}/${p.region}/${p.market}`;
}

export interface DiffInput {
  imported: ImportedPrice[];
  /** The catalog's open periods for the providers the import names. */
  open: CatalogPrice[];
  /** Offers of those providers that had a price once (closed periods): their next period starts now, not "ever". */
  everPriced: Set<string>;
  /** The operator's `--effective` time, if given (ISO 8601). */
  effective: string | null;
  now: string;
  source: string;
}

export function diffCatalog(input: DiffInput): CatalogDiff {
  const { imported, open, everPriced, effective, now, source } = input;
  const openByKey = new Map(open.map((p) => [offerKey(p), p]));
  const seen = new Map<string, ImportedPrice>();
  const diff: CatalogDiff = { added: [], changed: [], withdrawn: [], withdrawnAt: iso(effective ?? now), unchanged: 0, duplicates: [] };
  const scopes = new Set<string>();
  const lateChanges: string[] = [];

  for (const p of imported) {
    const key = offerKey(p);
    scopes.add(scopeKey(p));
    const first = seen.get(key);
    if (first) {
      diff.duplicates.push({ key, kept: describePrice(first), dropped: describePrice(p) });
      continue;
    }
    seen.set(key, p);
    const current = openByKey.get(key);
    if (!current) {
      const validFrom = effective ?? p.effectiveAt ?? (everPriced.has(key) ? now : SINCE_EVER);
      diff.added.push(toCatalogPrice(p, iso(validFrom), source, now));
      continue;
    }
    if (samePrice(current, p)) {
      diff.unchanged++;
      continue;
    }
    const validFrom = iso(effective ?? p.effectiveAt ?? now);
    if (validFrom <= current.validFrom) {
      lateChanges.push(`${key} (new price from ${validFrom}, current period from ${current.validFrom})`);
      continue;
    }
    diff.changed.push({ before: current, after: toCatalogPrice(p, validFrom, source, now) });
  }

  if (lateChanges.length > 0) {
    throw new InvalidInputError(
      `${lateChanges.length} price change(s) would take effect before the period they replace began: ${lateChanges.slice(0, 5).join('; ')}` +
        `${lateChanges.length > 5 ? '; …' : ''}. Give --effective with a later time (a period never starts before the one it follows); nothing was imported`,
    );
  }

  for (const current of open) {
    if (scopes.has(scopeKey(current)) && !seen.has(offerKey(current))) diff.withdrawn.push(current);
  }
  return diff;
}

export function isEmptyDiff(d: CatalogDiff): boolean {
  return d.added.length === 0 && d.changed.length === 0 && d.withdrawn.length === 0;
}

function samePrice(current: CatalogPrice, p: ImportedPrice): boolean {
  return (
    current.priceMicrosPerHour === p.priceMicrosPerHour &&
    current.vcpus === p.vcpus &&
    current.memoryGiB === p.memoryGiB &&
    current.gpus === p.gpus &&
    current.arch === p.arch
  );
}

function toCatalogPrice(p: ImportedPrice, validFrom: string, source: string, importedAt: string): CatalogPrice {
  return {
    provider: p.provider,
    region: p.region,
    zone: p.zone,
    flavor: p.flavor,
    market: p.market,
    vcpus: p.vcpus,
    memoryGiB: p.memoryGiB,
    gpus: p.gpus,
    arch: p.arch,
    priceMicrosPerHour: p.priceMicrosPerHour,
    currency: 'USD',
    validFrom,
    validTo: null,
    source,
    importedAt,
  };
}

function describePrice(p: ImportedPrice): string {
  return `$${formatUsd(p.priceMicrosPerHour)}/h${p.zone ? ` in ${p.zone}` : ''}`;
}

/** One fixed ISO format, so the stored text sorts as time. */
export function iso(time: string): string {
  const t = new Date(time);
  if (Number.isNaN(t.getTime())) throw new InvalidInputError(`"${time}" is not a date or time: write ISO 8601, e.g. 2026-12-01 or 2026-12-01T00:00:00Z`);
  return t.toISOString();
}
