import { readFileSync } from 'node:fs';
import { bundledCatalogFile } from '../../src/metering/catalog/bundled-catalog.js';
import { PriceCatalog } from '../../src/metering/catalog/price-catalog.js';
import { importPublicVmsCsv } from '../../src/metering/catalog/public-vms-csv.js';
import type { Store } from '../../src/store/store.js';

/** A real price catalog in `store`, holding the bundled public list prices (as a fresh server's does). */
export async function seededPriceCatalog(store: Store): Promise<PriceCatalog> {
  const catalog = new PriceCatalog(store);
  const file = bundledCatalogFile();
  await catalog.import(importPublicVmsCsv(readFileSync(file, 'utf8'), file).prices, { source: 'bundled' });
  return catalog;
}
