import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CostAllocator } from '../../../src/metering/allocation/cost-allocator.js';
import { focusCsv } from '../../../src/metering/focus/focus-export.js';
import { FOCUS_COLUMNS } from '../../../src/metering/focus/focus-record.js';
import type { LedgerLine, LedgerQuery } from '../../../src/metering/ledger/ledger.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../support/databases.js';
import { ClockedEstate } from '../allocation/clocked-estate.js';
import { buildJanuaryEstate, JANUARY } from '../allocation/january-estate.js';
import { csvObjects, decimalToMicros, parseCsvStrict } from './strict-csv.js';

/** The columns the FOCUS 1.x export must carry (the task's list), Tessera's own prefixed x_. */
const REQUIRED = [
  'BilledCost', 'EffectiveCost', 'ListCost', 'ListUnitPrice', 'BillingCurrency', 'BillingPeriodStart', 'BillingPeriodEnd',
  'ChargePeriodStart', 'ChargePeriodEnd', 'ChargeCategory', 'ChargeDescription', 'ConsumedQuantity', 'ConsumedUnit',
  'PricingQuantity', 'PricingUnit', 'ProviderName', 'PublisherName', 'InvoiceIssuerName', 'RegionId', 'RegionName',
  'AvailabilityZone', 'ResourceId', 'ResourceName', 'ResourceType', 'ServiceCategory', 'ServiceName', 'SkuId',
  'SubAccountId', 'Tags', 'x_TesseraProvider', 'x_Project', 'x_State', 'x_Simulated',
];
const FOCUS_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

describe.each(DIALECTS)('FOCUS export on %s', (dialect) => {
  let db: TestDatabase;
  let estate: ClockedEstate;
  let text: string;
  let rows: Record<string, string>[];

  async function exportOf(ledger: { lines(q: LedgerQuery): AsyncGenerator<LedgerLine[]> }, projects?: string[]): Promise<string> {
    let out = '';
    for await (const chunk of focusCsv(ledger, { period: JANUARY, projects, simulated: (p) => p === 'aws-sim' })) out += chunk;
    return out;
  }

  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    estate = await ClockedEstate.open(db, '2025-12-31T00:00:00.000Z');
    await buildJanuaryEstate(estate);
    text = await exportOf(estate.ledger);
    rows = csvObjects(text);
  });
  afterAll(async () => {
    await estate?.close();
    await db?.dispose();
  });

  it('parses as strict RFC 4180 CSV and carries every required FOCUS column, and only x_-prefixed ones of its own', async () => {
    const [header] = parseCsvStrict(text);
    expect(header).toEqual([...FOCUS_COLUMNS]);
    for (const c of REQUIRED) expect(header, c).toContain(c);
    const own = header!.filter((c) => !/^[A-Z]/.test(c));
    expect(own.every((c) => c.startsWith('x_'))).toBe(true);
    expect(rows.length).toBe((await estate.allLines(JANUARY.from, JANUARY.to)).length);
  });

  it('its BilledCost adds up, to the micro-dollar, to the cost report’s total of the same period', async () => {
    const billed = rows.reduce((n, r) => n + decimalToMicros(r.BilledCost!), 0);
    const report = await new CostAllocator({ ledger: estate.ledger, costModels: estate.costModels, now: () => estate.nowIso() }).report({
      by: ['provider'],
      period: JANUARY,
      idle: 'none',
      shared: 'none',
    });
    expect(billed).toBe(report.total.costMicros);
    expect(billed).toBeGreaterThan(0);
    for (const r of rows) {
      expect(r.EffectiveCost).toBe(r.BilledCost);
      expect(r.ListCost).toBe(r.BilledCost);
      // ListCost = ListUnitPrice × PricingQuantity, to the rounding of a micro-dollar.
      if (r.ListUnitPrice !== '') expect(Math.abs(decimalToMicros(r.ListUnitPrice!) * Number(r.PricingQuantity) - decimalToMicros(r.ListCost!))).toBeLessThanOrEqual(1);
    }
  });

  it('values follow FOCUS: UTC whole-second times, daily charge periods inside monthly billing periods, allowed categories, plain decimals', () => {
    for (const r of rows) {
      for (const c of ['BillingPeriodStart', 'BillingPeriodEnd', 'ChargePeriodStart', 'ChargePeriodEnd']) expect(r[c], c).toMatch(FOCUS_TIME);
      expect(r.BillingPeriodStart).toBe('2026-01-01T00:00:00Z');
      expect(r.BillingPeriodEnd).toBe('2026-02-01T00:00:00Z');
      expect(Date.parse(r.ChargePeriodEnd!) - Date.parse(r.ChargePeriodStart!)).toBe(86_400_000);
      expect(r.x_UsageStart! >= r.ChargePeriodStart!.replace('Z', '.000Z') && r.x_UsageEnd! <= r.ChargePeriodEnd!.replace('Z', '.000Z')).toBe(true);
      expect(r).toMatchObject({ ChargeCategory: 'Usage', ChargeFrequency: 'Usage-Based', ServiceCategory: 'Compute', BillingCurrency: 'USD', ConsumedUnit: 'Hours', PricingUnit: 'Hours', ChargeClass: '' });
      expect(r.BilledCost).toMatch(/^\d+\.\d{6}$/);
      expect(r.ConsumedQuantity).toMatch(/^\d+(\.\d{1,9})?$/);
      expect(Number(r.ConsumedQuantity)).toBeGreaterThan(0);
      expect(JSON.parse(r.Tags!)).toBeTypeOf('object');
    }
  });

  it('names providers as FOCUS does: the cloud for its list prices (simulations marked), Tessera for private usage', () => {
    const api = rows.find((r) => r.ResourceName === 'api')!;
    expect(api).toMatchObject({ ProviderName: 'Amazon Web Services', PublisherName: 'Amazon Web Services', InvoiceIssuerName: 'Amazon Web Services', ServiceName: 'Amazon Elastic Compute Cloud', x_TesseraProvider: 'aws-sim', x_Simulated: 'true', SubAccountId: 'alpha', PricingCategory: 'Standard', ResourceType: 'Virtual Machine' });
    expect(JSON.parse(api.Tags!)).toEqual({ team: 'api' });
    expect(api.ResourceId).toMatch(/^ext-i-t/);
    const db = rows.find((r) => r.ResourceName === 'db')!;
    expect(db).toMatchObject({ ProviderName: 'Tessera', ServiceName: 'Tessera Compute', x_Simulated: 'false', ResourceType: 'Bare Metal Server', SkuId: 'onprem/r1/large/on-demand' });
    const spot = rows.filter((r) => r.ResourceName === 'batch');
    expect(spot.map((r) => r.PricingCategory)).toEqual(['Dynamic', 'Dynamic']);
    expect(spot[0]!.x_UsageStart).toBe('2026-01-05T12:34:56.789Z');
    const odd = rows.find((r) => r.ResourceName === 'odd')!;
    expect(odd).toMatchObject({ BilledCost: '0.000000', ListUnitPrice: '', ResourceType: 'Container', ConsumedQuantity: '24' });
    expect(odd.x_PriceNote).toMatch(/no catalog price/);
    const stopped = rows.filter((r) => r.x_State === 'stopped');
    expect(stopped.length).toBeGreaterThan(0);
    expect(stopped.every((r) => r.BilledCost === '0.000000')).toBe(true);
  });

  it('a caller who sees one project exports that project only', async () => {
    const alpha = csvObjects(await exportOf(estate.ledger, ['alpha']));
    expect(new Set(alpha.map((r) => r.SubAccountId))).toEqual(new Set(['alpha']));
    expect(alpha).toEqual(rows.filter((r) => r.SubAccountId === 'alpha'));
  });

  it('streams: the header is given before the ledger is read, and each chunk after reading only the pages it needs', async () => {
    let pagesRead = 0;
    const counting = {
      async *lines(q: LedgerQuery): AsyncGenerator<LedgerLine[]> {
        for await (const page of estate.ledger.lines({ ...q, pageSize: 1 })) {
          pagesRead++;
          yield page;
        }
      },
    };
    const chunks = focusCsv(counting, { period: JANUARY, simulated: () => false });
    const first = await chunks.next();
    expect(first.value).toBe(`${FOCUS_COLUMNS.join(',')}\r\n`);
    expect(pagesRead).toBe(0);
    await chunks.next();
    expect(pagesRead).toBe(1);
    await chunks.return(undefined);
  });
});
