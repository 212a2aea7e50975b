import { InvalidInputError } from '../../core/errors.js';
import { usdToMicros, type Micros } from '../../core/money.js';
import type { ImportResult } from './imported-price.js';

/**
 * Reads the public VM price catalog format (catalog/public-vms.csv, see its SOURCE.md):
 * `provider,instance_type,vcpus,memory_gib,region,zone,price_usd_hour,spot_price_usd_hour`.
 * The format has no quoting and no commas inside values, so a split per line is a complete parser.
 */

export interface CatalogRow {
  provider: string;
  instanceType: string;
  vcpus: number;
  memoryGiB: number;
  region: string;
  /** Empty in the source for providers without zones (Azure). */
  zone: string | null;
  priceMicrosPerHour: Micros;
  /** Null where the provider sells no spot capacity for this type. */
  spotPriceMicrosPerHour: Micros | null;
}

/** The header of the format; `detect-format` recognises a file by it. */
export const COLUMNS = [
  'provider',
  'instance_type',
  'vcpus',
  'memory_gib',
  'region',
  'zone',
  'price_usd_hour',
  'spot_price_usd_hour',
] as const;
type Column = (typeof COLUMNS)[number];

/** Parses catalog text; `source` names the file in error messages. Columns are found by header, in any order. */
export function parseCatalogCsv(text: string, source: string): CatalogRow[] {
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').split(',').map((h) => h.trim());
  const indexOf = {} as Record<Column, number>;
  for (const column of COLUMNS) {
    const index = header.indexOf(column);
    if (index < 0) {
      throw new InvalidInputError(`catalog ${source} has no '${column}' column; expected the columns ${COLUMNS.join(',')}`);
    }
    indexOf[column] = index;
  }

  const rows: CatalogRow[] = [];
  for (let lineNo = 2; lineNo <= lines.length; lineNo++) {
    const line = lines[lineNo - 1]!;
    if (line.trim() === '') continue;
    const cells = line.split(',');
    const cell = (column: Column): string => (cells[indexOf[column]] ?? '').trim();
    const where = `catalog ${source} line ${lineNo}`;
    rows.push({
      provider: required(cell('provider'), 'provider', where),
      instanceType: required(cell('instance_type'), 'instance_type', where),
      vcpus: positiveNumber(cell('vcpus'), 'vcpus', where),
      memoryGiB: positiveNumber(cell('memory_gib'), 'memory_gib', where),
      region: required(cell('region'), 'region', where),
      zone: cell('zone') || null,
      priceMicrosPerHour: price(required(cell('price_usd_hour'), 'price_usd_hour', where), where),
      spotPriceMicrosPerHour: cell('spot_price_usd_hour') ? price(cell('spot_price_usd_hour'), where) : null,
    });
  }
  return rows;
}

/**
 * The rows as catalog prices: one on-demand price per row and a spot price where the row has one. The file has no
 * GPU or architecture columns: its rows are CPU-only x86 types (SOURCE.md), and it says nothing of when prices
 * took effect.
 */
export function importPublicVmsCsv(text: string, source: string): ImportResult {
  const prices: ImportResult['prices'] = [];
  for (const row of parseCatalogCsv(text, source)) {
    const base = {
      provider: row.provider,
      region: row.region,
      zone: row.zone,
      flavor: row.instanceType,
      vcpus: row.vcpus,
      memoryGiB: row.memoryGiB,
      gpus: 0,
      arch: 'x86_64',
      effectiveAt: null,
    };
    prices.push({ ...base, market: 'on-demand', priceMicrosPerHour: row.priceMicrosPerHour });
    if (row.spotPriceMicrosPerHour !== null) prices.push({ ...base, market: 'spot', priceMicrosPerHour: row.spotPriceMicrosPerHour });
  }
  return { prices, skipped: [] };
}

function required(value: string, column: Column, where: string): string {
  if (value === '') throw new InvalidInputError(`${where}: '${column}' is empty`);
  return value;
}

function positiveNumber(value: string, column: Column, where: string): number {
  const n = Number(value);
  if (value === '' || !Number.isFinite(n) || n <= 0) {
    throw new InvalidInputError(`${where}: '${column}' must be a positive number, got ${JSON.stringify(value)}`);
  }
  return n;
}

function price(value: string, where: string): Micros {
  try {
    return usdToMicros(value);
  } catch {
    throw new InvalidInputError(`${where}: price ${JSON.stringify(value)} is not a non-negative decimal USD amount`);
  }
}
