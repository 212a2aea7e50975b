import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { PriceCatalog } from './price-catalog.js';
import { importPublicVmsCsv } from './public-vms-csv.js';

/** The catalog of real public VM list prices shipped with Tessera (catalog/SOURCE.md says where they come from). */
export function bundledCatalogFile(): string {
  // src/metering/catalog or dist/metering/catalog → the package root.
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  const file = join(root, 'catalog', 'public-vms.csv');
  if (!existsSync(file)) throw new Error(`the bundled price catalog is missing at ${file}: reinstall Tessera`);
  return file;
}

/**
 * A new installation starts with the bundled list prices, so the public-cloud drivers and the demo estate have
 * prices at once. Only an empty catalog is seeded: a restart never puts back prices an operator has replaced.
 */
export async function seedPriceCatalog(catalog: PriceCatalog, logger: Logger): Promise<void> {
  if (!(await catalog.isEmpty())) return;
  const file = bundledCatalogFile();
  try {
    const { diff } = await catalog.import(importPublicVmsCsv(readFileSync(file, 'utf8'), file).prices, { source: 'catalog/public-vms.csv (bundled)' });
    logger.info({ prices: diff.added.length }, 'price catalog seeded from the bundled public list prices');
  } catch (e) {
    // Another server sharing this database seeded it in the meantime; anything else is a real failure.
    if (await catalog.isEmpty()) throw e;
  }
}
