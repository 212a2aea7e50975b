import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CostReport } from '../../../src/metering/allocation/cost-report.js';
import type { CatalogPrice } from '../../../src/metering/catalog/catalog-price.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../support/databases.js';
import { TEST_ADMIN_TOKEN } from '../../support/test-token.js';
import { csvObjects, decimalToMicros, parseCsvStrict } from '../focus/strict-csv.js';
import { startCostPlane, type CostPlane } from './cost-plane.js';

const JAN = 'from=2026-01-01&to=2026-02-01';

/** GET /v1/cost/report and /v1/cost/export through the HTTP API of a running control plane, with its access rules. */
describe.each(DIALECTS)('cost report and FOCUS export API on %s', (dialect) => {
  let tdb: TestDatabase;
  let p: CostPlane;
  let largeMicros: number;

  const json = <T>(res: { statusCode: number; body: string }, status = 200): T => {
    expect(res.statusCode, res.body).toBe(status);
    return JSON.parse(res.body) as T;
  };
  const row = (r: CostReport, keys: Record<string, string>) => r.rows.find((x) => Object.entries(keys).every(([k, v]) => x.keys[k] === v));

  beforeAll(async () => {
    tdb = await createTestDatabase(dialect);
    p = await startCostPlane(tdb);
    const prices = json<{ items: CatalogPrice[] }>(await p.t.app.inject({ method: 'GET', url: '/v1/catalog?provider=onprem&flavor=large&region=r1' }));
    largeMicros = prices.items[0]!.priceMicrosPerHour;
  });
  afterAll(async () => {
    await p?.t.close();
    await tdb?.dispose();
  });

  it('an organisation admin sees every project, priced at the cost model’s and the cloud’s prices, with onprem’s idle capacity', async () => {
    const r = json<CostReport>(await p.t.app.inject({ method: 'GET', url: `/v1/cost/report?by=project,provider&${JAN}` }));
    expect(r.period).toEqual({ from: '2026-01-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z' });
    expect(row(r, { project: 'alpha', provider: 'aws-sim' })).toMatchObject({ usageMicros: 24 * 118_000, instanceHours: 24, lines: 1 });
    expect(row(r, { project: 'alpha', provider: 'onprem' })).toMatchObject({ usageMicros: 240 * largeMicros, instanceHours: 240, lines: 10 });
    const idle = row(r, { project: '(idle)', provider: 'onprem' })!;
    expect(idle.idleMicros).toBeGreaterThan(0);
    expect(r.rows.reduce((n, x) => n + x.costMicros, 0)).toBe(r.total.costMicros);
    expect(r.total.idleMicros).toBe(idle.idleMicros);
  });

  it('a viewer of alpha sees alpha’s costs only: no other project, no idle row, the same share of idle an admin’s report gives alpha', async () => {
    const mine = json<CostReport>(await p.as.alphaViewer.inject({ method: 'GET', url: `/v1/cost/report?by=project,provider&${JAN}` }));
    expect(new Set(mine.rows.map((x) => x.keys.project))).toEqual(new Set(['alpha']));
    expect(mine.notes.join(' ')).toMatch(/only callers who see every project see it/);
    const asked = json<CostReport>(await p.as.alphaViewer.inject({ method: 'GET', url: `/v1/cost/report?by=project&${JAN}&idle=proportional&shared=even` }));
    const admin = json<CostReport>(await p.t.app.inject({ method: 'GET', url: `/v1/cost/report?by=project&${JAN}&idle=proportional&shared=even` }));
    expect(asked.rows).toEqual([row(admin, { project: 'alpha' })]);
    expect(asked.rows[0]!.idleMicros).toBeGreaterThan(0);
    expect(asked.rows[0]!.sharedMicros).toBeGreaterThan(0);
    // Even by provider, beta's usage stays out of alpha's view.
    const byProvider = json<CostReport>(await p.as.alphaViewer.inject({ method: 'GET', url: `/v1/cost/report?by=provider&${JAN}&idle=none` }));
    expect(row(byProvider, { provider: 'onprem' })!.usageMicros).toBe(240 * largeMicros);
  });

  it('answers a bare GET (this month so far), and bad input with 400 saying what to write', async () => {
    const bare = json<CostReport>(await p.as.alphaViewer.inject({ method: 'GET', url: '/v1/cost/report' }));
    expect(bare.by).toEqual(['project']);
    expect(bare.period.from).toMatch(/^\d{4}-\d{2}-01T00:00:00.000Z$/);
    const cases: [string, RegExp][] = [
      ['by=colour', /cannot group by "colour": use project, provider/],
      ['from=last-week', /from="last-week" is not a date or time: use ISO 8601/],
      ['from=2026-02-01&to=2026-01-01', /the period is empty/],
      ['idle=sometimes', /idle/],
      ['unknown=1', /unknown|unrecognized/i],
    ];
    for (const [query, message] of cases) {
      const res = await p.t.app.inject({ method: 'GET', url: `/v1/cost/report?${query}` });
      expect(res.statusCode, query).toBe(400);
      expect(JSON.parse(res.body).error.message, query).toMatch(message);
    }
  });

  it('the FOCUS export is streamed (chunked), parses as CSV, and its BilledCost adds up to the report’s total', async () => {
    // Over a real socket: inject would hide the transfer encoding. The server closes with the plane (afterAll).
    const url = await p.t.anonymous.listen({ port: 0, host: '127.0.0.1' });
    const res = await fetch(`${url}/v1/cost/export?format=focus&${JAN}`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('transfer-encoding')).toBe('chunked');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="tessera-focus-2026-01-01-2026-02-01.csv"');
    const text = await res.text();
    parseCsvStrict(text);
    const rows = csvObjects(text);
    const report = json<CostReport>(await p.t.app.inject({ method: 'GET', url: `/v1/cost/report?by=project&${JAN}&idle=none` }));
    expect(rows.reduce((n, r) => n + decimalToMicros(r.BilledCost!), 0)).toBe(report.total.costMicros);
    expect(rows.find((r) => r.ResourceName === 'api')).toMatchObject({ ProviderName: 'Amazon Web Services', x_Simulated: 'true', RegionId: 'ap-northeast-2', ListUnitPrice: '0.118000' });
    expect(rows.find((r) => r.ResourceName === 'web')).toMatchObject({ ProviderName: 'Tessera', x_Simulated: 'true', SubAccountId: 'alpha' });
  });

  it('a viewer exports their project only; a bad period is refused before anything is streamed', async () => {
    const res = await p.as.alphaViewer.inject({ method: 'GET', url: `/v1/cost/export?${JAN}` });
    expect(res.statusCode).toBe(200);
    expect(new Set(csvObjects(res.body).map((r) => r.SubAccountId))).toEqual(new Set(['alpha']));
    const bad = await p.as.alphaViewer.inject({ method: 'GET', url: '/v1/cost/export?from=2026-13-01' });
    expect(bad.statusCode).toBe(400);
    expect(JSON.parse(bad.body).error.message).toMatch(/is not a date or time/);
    expect((await p.as.alphaViewer.inject({ method: 'GET', url: '/v1/cost/export?format=parquet' })).statusCode).toBe(400);
    expect((await p.t.anonymous.inject({ method: 'GET', url: `/v1/cost/export?${JAN}` })).statusCode).toBe(401);
  });
});
