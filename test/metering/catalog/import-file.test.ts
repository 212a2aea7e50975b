import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PriceCatalog } from '../../../src/metering/catalog/price-catalog.js';
import { Store } from '../../../src/store/store.js';
import { createTestDatabase, type TestDatabase } from '../../support/databases.js';
import { seededPriceCatalog } from '../../support/price-catalog.js';

/** Each cloud's published format through the catalog's one entry point, onto a catalog seeded as a server's is. */
const sample = (name: string) => readFileSync(new URL(`importers/samples/${name}`, import.meta.url), 'utf8');

describe('importing published price lists into the catalog', () => {
  let db: TestDatabase;
  let store: Store;
  let catalog: PriceCatalog;

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
    store = await Store.open({ ...db.options, now: () => new Date('2026-12-01T00:00:00Z') });
    catalog = await seededPriceCatalog(store);
  });
  afterAll(async () => {
    await store?.close();
    await db?.dispose();
  });

  it('AWS GetProducts pages: the sample repeats the bundled prices, so nothing changes where they overlap', async () => {
    const out = await catalog.importFile({ content: sample('aws-get-products-pages.json'), source: 'aws.json' }, { dryRun: true });
    expect(out.format).toBe('aws-price-list');
    expect(out.skipped.length).toBeGreaterThan(0);
    expect(out.skipped.every((s) => s.reason.length > 10)).toBe(true);
    const m6i = [...out.diff.added, ...out.diff.changed.map((c) => c.after)].find((p) => p.flavor === 'm6i.large' && p.region === 'ap-northeast-2');
    expect(m6i).toBeUndefined(); // unchanged: 0.118 in both
    expect(out.diff.unchanged).toBeGreaterThan(0);
  });

  it('Azure Retail Prices: sizes come from the flavors the catalog already knows', async () => {
    const out = await catalog.importFile({ content: sample('azure-retail-prices-pages.json'), source: 'azure.json' }, {});
    expect(out.format).toBe('azure-retail-prices');
    const korea = await catalog.list({ provider: 'azure', region: 'koreacentral', flavor: 'Standard_D2s_v5', market: 'on-demand' });
    expect(korea.items).toEqual([expect.objectContaining({ vcpus: 2, memoryGiB: 8, source: 'azure.json' })]);
    // Effective dates from the source are kept as the start of each period.
    expect(korea.items[0]!.validFrom).not.toBe('2026-12-01T00:00:00.000Z');
  });

  it('GCP Billing Catalog SKUs: without a machine type list, the GCP machine types the catalog knows are priced', async () => {
    const out = await catalog.importFile({ content: sample('gcp-billing-catalog-pages.json'), source: 'gcp.json' }, { dryRun: true });
    expect(out.format).toBe('gcp-billing-catalog');
    // The sample's rates reproduce the bundled n2-standard-2 prices exactly: known there, so unchanged.
    const touched = [...out.diff.added, ...out.diff.changed.map((c) => c.after)];
    expect(touched.find((p) => p.flavor === 'n2-standard-2' && p.region === 'us-central1')).toBeUndefined();
    expect(out.diff.unchanged).toBeGreaterThan(0);
    const withTypes = await catalog.importFile(
      { content: sample('gcp-billing-catalog-pages.json'), source: 'gcp.json', machineTypes: sample('gce-machine-types-aggregated.json') },
      { dryRun: true },
    );
    expect(withTypes.format).toBe('gcp-billing-catalog');
  });

  it('a machine type list alone holds no prices: refused with what to do instead', async () => {
    await expect(catalog.importFile({ content: sample('gce-machine-types-aggregated.json'), source: 'types.json' }, {})).rejects.toThrow(
      /holds no prices: import a Cloud Billing Catalog SKU list and give this file as its --machine-types/,
    );
  });
});
