import { readFileSync } from 'node:fs';
import { InvalidInputError } from '../../core/errors.js';
import { usdToMicros, type Micros } from '../../core/money.js';

/**
 * Reads the public VM price catalog format (shared/catalog/public-vms.csv):
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

const COLUMNS = [
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

/** Reads a catalog file and keeps the rows of one provider; a provider with no rows is a configuration error. */
export function loadCatalogRows(file: string, provider: string): CatalogRow[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new InvalidInputError(`cannot read catalog ${file}: ${(e as Error).message}`);
  }
  const all = parseCatalogCsv(text, file);
  const rows = all.filter((r) => r.provider === provider);
  if (rows.length === 0) {
    const known = [...new Set(all.map((r) => r.provider))].join(', ');
    throw new InvalidInputError(`catalog ${file} has no rows for provider '${provider}'; it has: ${known}`);
  }
  return rows;
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
