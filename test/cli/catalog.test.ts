import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogPrice } from '../../src/metering/catalog/catalog-price.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import { simProvider, startTestPlane, type TestPlane } from '../support/control-plane.js';
import { runCli } from './fixtures-cli.js';

const CATALOG_FILE = new URL('../../catalog/public-vms.csv', import.meta.url).pathname;
const csv = readFileSync(CATALOG_FILE, 'utf8');
/** Prices in the bundled file: one on-demand price per row, plus a spot price where the row has one. */
const PRICES = csv
  .trim()
  .split('\n')
  .slice(1)
  .reduce((n, line) => n + (line.split(',')[7] ? 2 : 1), 0);

/** `tessera catalog` against a real API server whose catalog was seeded from the bundled CSV at start. */
describe('tessera catalog list, import, diff and history', () => {
  let tdb: TestDatabase;
  let t: TestPlane;
  let url: string;
  let dir: string;

  beforeAll(async () => {
    tdb = await createTestDatabase('sqlite');
    t = await startTestPlane(tdb, [simProvider('catalog-sim')], { background: false });
    url = await t.anonymous.listen({ port: 0, host: '127.0.0.1' });
    dir = mkdtempSync(join(tmpdir(), 'tessera-catalog-cli-'));
  });
  afterAll(async () => {
    await t?.close();
    await tdb?.dispose();
  });

  it('list --vcpus 2 --memory 8 --region ap-northeast-2 -o json: the real catalog rows of that region, cheapest first', async () => {
    const r = await runCli(['catalog', 'list', '--vcpus', '2', '--memory', '8', '--region', 'ap-northeast-2', '-o', 'json'], { url });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as CatalogPrice[];
    // The reference: the CSV's rows for the region with at least 2 vCPU and 8 GiB, each on demand and (if priced) on spot.
    const expected = csv
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(','))
      .filter((c) => c[4] === 'ap-northeast-2' && Number(c[2]) >= 2 && Number(c[3]) >= 8)
      .flatMap((c) => [
        `${c[1]} on-demand ${Math.round(Number(c[6]) * 1e6)}`,
        ...(c[7] ? [`${c[1]} spot ${Math.round(Number(c[7]) * 1e6)}`] : []),
      ]);
    expect(rows.map((p) => `${p.flavor} ${p.market} ${p.priceMicrosPerHour}`).sort()).toEqual(expected.sort());
    const prices = rows.map((p) => p.priceMicrosPerHour);
    expect(prices).toEqual([...prices].sort((a, b) => a - b));
    expect(rows[0]).toMatchObject({ provider: 'aws', region: 'ap-northeast-2', currency: 'USD', validTo: null });

    const table = await runCli(['catalog', 'list', '--region', 'ap-northeast-2', '--flavor', 'm6i.large', '--market', 'on-demand'], { url });
    expect(table.stdout).toMatch(/aws\s+ap-northeast-2\s+m6i\.large\s+2\s+8 GiB\s+on-demand\s+\$0\.118\/h\s+\$86\.14\s+\(first import\)/);
  });

  it('importing the bundled file again changes nothing', async () => {
    const r = await runCli(['catalog', 'import', CATALOG_FILE, '-o', 'json'], { url });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ format: 'public-vms-csv', applied: false, added: 0, changed: 0, withdrawn: 0, unchanged: PRICES });
    const text = await runCli(['catalog', 'import', CATALOG_FILE], { url });
    expect(text.stdout).toContain(`No changes in public-vms.csv (public-vms-csv): 0 added, 0 changed, 0 withdrawn, ${PRICES} unchanged.`);
  });

  it('a price change: diff shows it and changes nothing; import opens a new validity period; history shows both', async () => {
    const changed = join(dir, 'public-vms-dec.csv');
    writeFileSync(changed, csv.replace('aws,m6i.large,2.0,8.0,ap-northeast-2,apne2-az1,0.118,', 'aws,m6i.large,2.0,8.0,ap-northeast-2,apne2-az1,0.121,'));

    const diff = await runCli(['catalog', 'diff', changed, '--effective', '2026-12-01'], { url });
    expect(diff.code).toBe(0);
    expect(diff.stdout).toContain('~ aws/ap-northeast-2/m6i.large on-demand  $0.118/h → $0.121/h  from 2026-12-01T00:00:00.000Z');
    expect(diff.stdout).toContain(`Would import public-vms-dec.csv (public-vms-csv): 0 added, 1 changed, 0 withdrawn, ${PRICES - 1} unchanged.`);
    const still = await runCli(['catalog', 'list', '--region', 'ap-northeast-2', '--flavor', 'm6i.large', '--market', 'on-demand', '-o', 'json'], { url });
    expect((JSON.parse(still.stdout) as CatalogPrice[])[0]!.priceMicrosPerHour).toBe(118_000);

    const done = await runCli(['catalog', 'import', changed, '--effective', '2026-12-01', '-o', 'json'], { url });
    expect(JSON.parse(done.stdout)).toMatchObject({ applied: true, changed: 1, unchanged: PRICES - 1 });

    const history = await runCli(['catalog', 'history', 'aws', 'ap-northeast-2', 'm6i.large', '-o', 'json'], { url });
    const periods = JSON.parse(history.stdout) as CatalogPrice[];
    expect(periods.map((p) => [p.validFrom, p.validTo, p.priceMicrosPerHour, p.source])).toEqual([
      ['1970-01-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z', 118_000, 'catalog/public-vms.csv (bundled)'],
      ['2026-12-01T00:00:00.000Z', null, 121_000, 'public-vms-dec.csv'],
    ]);
    const before = await runCli(['catalog', 'list', '--flavor', 'm6i.large', '--region', 'ap-northeast-2', '--market', 'on-demand', '--at', '2026-11-15', '-o', 'json'], { url });
    expect((JSON.parse(before.stdout) as CatalogPrice[])[0]!.priceMicrosPerHour).toBe(118_000);

    // The same file again: nothing more.
    const again = await runCli(['catalog', 'import', changed, '-o', 'json'], { url });
    expect(JSON.parse(again.stdout)).toMatchObject({ applied: false, changed: 0 });
  });

  it('a file of no known format is refused with what was expected, and the catalog is unchanged', async () => {
    const bad = join(dir, 'notes.txt');
    writeFileSync(bad, 'these are not prices\n');
    const r = await runCli(['catalog', 'import', bad], { url });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/notes\.txt/);
    expect(r.stderr).toMatch(/provider and instance_type|AWS|Azure/);
    const missing = await runCli(['catalog', 'import', join(dir, 'nope.csv')], { url });
    expect(missing.stderr).toMatch(/cannot read .*nope\.csv: ENOENT/);
    const count = await runCli(['catalog', 'list', '--limit', '10000', '-o', 'json'], { url });
    const rows = JSON.parse(count.stdout) as CatalogPrice[];
    expect(rows.filter((p) => ['aws', 'azure', 'gcp'].includes(p.provider)).length).toBe(PRICES);
    // The private sim's own configured prices are in the catalog too, under its name.
    expect(rows.filter((p) => p.provider === 'catalog-sim').length).toBeGreaterThan(0);
  });
});
