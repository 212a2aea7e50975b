import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../src/core/errors.js';
import { SINCE_EVER } from '../../../src/metering/catalog/catalog-diff.js';
import type { ImportedPrice } from '../../../src/metering/catalog/imported-price.js';
import { PriceCatalog } from '../../../src/metering/catalog/price-catalog.js';
import { importPublicVmsCsv } from '../../../src/metering/catalog/public-vms-csv.js';
import { Store } from '../../../src/store/store.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../support/databases.js';

const CATALOG_FILE = new URL('../../../catalog/public-vms.csv', import.meta.url).pathname;
const csvText = readFileSync(CATALOG_FILE, 'utf8');

/** The CSV read the plainest way, as a reference for what the catalog must answer. */
function referenceRows(): { provider: string; flavor: string; vcpus: number; memoryGiB: number; region: string; onDemand: string; spot: string }[] {
  return csvText
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => {
      const [provider, flavor, vcpus, memoryGiB, region, , onDemand, spot] = line.split(',');
      return { provider: provider!, flavor: flavor!, vcpus: Number(vcpus), memoryGiB: Number(memoryGiB), region: region!, onDemand: onDemand!, spot: spot! };
    });
}

const price = (over: Partial<ImportedPrice>): ImportedPrice => ({
  provider: 'acme',
  region: 'r1',
  zone: null,
  flavor: 'f1',
  market: 'on-demand',
  vcpus: 2,
  memoryGiB: 8,
  gpus: 0,
  arch: 'x86_64',
  priceMicrosPerHour: 100_000,
  effectiveAt: null,
  ...over,
});

describe.each(DIALECTS)('price catalog on %s', (dialect) => {
  let db: TestDatabase;
  let store: Store;
  let catalog: PriceCatalog;
  let clock = Date.parse('2026-11-01T00:00:00Z');

  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    store = await Store.open({ ...db.options, now: () => new Date(clock) });
    catalog = new PriceCatalog(store);
  });
  afterAll(async () => {
    await store?.close();
    await db?.dispose();
  });

  it('imports the public CSV, and importing the same file again changes nothing', async () => {
    const imported = importPublicVmsCsv(csvText, 'public-vms.csv').prices;
    const first = await catalog.import(imported, { source: 'public-vms.csv' });
    expect(first.applied).toBe(true);
    expect(first.diff.added).toHaveLength(imported.length);
    expect(first.diff.added.every((p) => p.validFrom === SINCE_EVER && p.validTo === null)).toBe(true);

    clock += 3600_000;
    const again = await catalog.import(imported, { source: 'public-vms.csv' });
    expect(again.applied).toBe(false);
    expect(again.diff).toMatchObject({ added: [], changed: [], withdrawn: [], unchanged: imported.length });
    const all = await catalog.list({ limit: 10_000 });
    expect(all.items).toHaveLength(imported.length);
  });

  it('lists the real rows of a region with at least the asked size, cheapest first', async () => {
    const { items } = await catalog.list({ region: 'ap-northeast-2', minVcpus: 2, minMemoryGiB: 8 });
    const expected = referenceRows()
      .filter((r) => r.region === 'ap-northeast-2' && r.vcpus >= 2 && r.memoryGiB >= 8)
      .flatMap((r) => [
        { flavor: r.flavor, market: 'on-demand', usd: r.onDemand },
        ...(r.spot ? [{ flavor: r.flavor, market: 'spot', usd: r.spot }] : []),
      ]);
    expect(items).toHaveLength(expected.length);
    const prices = items.map((i) => i.priceMicrosPerHour);
    expect(prices).toEqual([...prices].sort((a, b) => a - b));
    for (const e of expected) {
      const row = items.find((i) => i.flavor === e.flavor && i.market === e.market)!;
      expect(row.priceMicrosPerHour).toBe(Math.round(Number(e.usd) * 1_000_000));
      expect(row.provider).toBe('aws');
    }
  });

  it('opens a new validity period when a price changes; the old price still answers for its own days', async () => {
    const key = { provider: 'aws', region: 'us-east-1', flavor: 'm6i.large', market: 'on-demand' as const };
    const [before] = await catalog.history(key);
    expect(before!.priceMicrosPerHour).toBe(96_000);
    clock = Date.parse('2026-12-01T00:00:00Z');
    const outcome = await catalog.import([price({ ...key, vcpus: 2, memoryGiB: 8, priceMicrosPerHour: 91_000 })], { source: 'price-cut' });
    expect(outcome.diff.changed).toHaveLength(1);
    // The import speaks for aws/us-east-1 on-demand only: its other offers there are withdrawn, nothing else moves.
    const usEastOnDemand = referenceRows().filter((r) => r.provider === 'aws' && r.region === 'us-east-1').length;
    expect(outcome.diff.withdrawn).toHaveLength(usEastOnDemand - 1);
    expect(outcome.diff.withdrawn.every((p) => p.provider === 'aws' && p.region === 'us-east-1' && p.market === 'on-demand')).toBe(true);

    const history = await catalog.history(key);
    expect(history.map((p) => [p.validFrom, p.validTo, p.priceMicrosPerHour])).toEqual([
      [SINCE_EVER, '2026-12-01T00:00:00.000Z', 96_000],
      ['2026-12-01T00:00:00.000Z', null, 91_000],
    ]);
    expect((await catalog.priceAt(key, '2026-11-15T12:00:00Z'))!.priceMicrosPerHour).toBe(96_000);
    expect((await catalog.priceAt(key, '2026-12-01T00:00:00Z'))!.priceMicrosPerHour).toBe(91_000);
    expect((await catalog.priceAt({ ...key, flavor: 'c6i.large' }, '2026-12-02T00:00:00Z'))).toBeNull();
    expect((await catalog.priceAt({ ...key, flavor: 'c6i.large' }, '2026-11-20T00:00:00Z'))!.priceMicrosPerHour).toBe(85_000);
    expect((await catalog.list({ provider: 'aws', region: 'us-east-1', market: 'spot' })).items.length).toBe(usEastOnDemand);
    expect((await catalog.list({ provider: 'aws', region: 'us-east-1', at: '2026-11-20T00:00:00Z', market: 'on-demand' })).items.length).toBe(usEastOnDemand);
  });

  it('brings a withdrawn offer back from the time of its import, not from ever', async () => {
    clock = Date.parse('2026-12-10T00:00:00Z');
    const key = { provider: 'aws', region: 'us-east-1', flavor: 'c6i.large', market: 'on-demand' as const };
    const { diff } = await catalog.import(
      [price({ provider: 'aws', region: 'us-east-1', flavor: 'm6i.large', priceMicrosPerHour: 91_000 }), price({ ...key, vcpus: 2, memoryGiB: 4, priceMicrosPerHour: 85_000 })],
      { source: 'back' },
    );
    expect(diff.added.map((p) => [p.flavor, p.validFrom])).toEqual([['c6i.large', '2026-12-10T00:00:00.000Z']]);
    expect(diff.unchanged).toBe(1);
  });

  it('a dry run says what would change and changes nothing', async () => {
    const key = { provider: 'acme', region: 'r1', flavor: 'f1', market: 'on-demand' as const };
    const outcome = await catalog.import([price({})], { source: 'dry', dryRun: true });
    expect(outcome).toMatchObject({ applied: false, diff: { added: [expect.objectContaining(key)] } });
    expect(await catalog.history(key)).toEqual([]);
  });

  it('refuses a change that would start before the period it replaces, and imports none of the file', async () => {
    clock = Date.parse('2027-01-01T00:00:00Z');
    await catalog.import([price({ region: 'r2' })], { source: 'first', effective: '2026-12-15' });
    const attempt = catalog.import(
      [price({ region: 'r2', priceMicrosPerHour: 120_000 }), price({ region: 'r3' })],
      { source: 'late', effective: '2026-12-01' },
    );
    await expect(attempt).rejects.toThrow(InvalidInputError);
    await expect(attempt).rejects.toThrow(/before the period they replace began: acme\/r2\/f1\/on-demand .*Give --effective/);
    expect(await catalog.history({ provider: 'acme', region: 'r3', flavor: 'f1', market: 'on-demand' })).toEqual([]);
    expect((await catalog.history({ provider: 'acme', region: 'r2', flavor: 'f1', market: 'on-demand' })).map((p) => p.priceMicrosPerHour)).toEqual([100_000]);
  });

  it('keeps the first of repeated entries for one offer and reports the rest', async () => {
    const { diff } = await catalog.import([price({ region: 'r4', zone: 'a' }), price({ region: 'r4', zone: 'b', priceMicrosPerHour: 99_000 })], { source: 'dups' });
    expect(diff.added).toHaveLength(1);
    expect(diff.duplicates).toEqual([{ key: 'acme/r4/f1/on-demand', kept: '$0.10/h in a', dropped: '$0.099/h in b' }]);
  });

  it('answers the drivers with the prices in force now, and the importers with known flavor sizes', async () => {
    const aws = await catalog.listPrices('aws');
    expect(aws.find((p) => p.flavor === 'm6i.large' && p.region === 'us-east-1' && p.market === 'on-demand')!.priceMicrosPerHour).toBe(91_000);
    expect(aws.some((p) => p.flavor === 'm6i.xlarge' && p.region === 'us-east-1' && p.market === 'on-demand')).toBe(false);
    const shapes = await catalog.flavorShapes();
    expect(shapes('azure', 'Standard_D2s_v5')).toEqual({ vcpus: 2, memoryGiB: 8, gpus: 0, arch: 'x86_64' });
    expect(shapes('azure', 'Standard_Nope')).toBeUndefined();
  });
});
