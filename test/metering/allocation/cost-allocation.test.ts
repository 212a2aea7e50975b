import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CostAllocator, type CostReportQuery } from '../../../src/metering/allocation/cost-allocator.js';
import type { CostReport } from '../../../src/metering/allocation/cost-report.js';
import { PLAIN_DIMENSIONS, type Dimension } from '../../../src/metering/allocation/dimensions.js';
import type { LedgerLine } from '../../../src/metering/ledger/ledger.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../support/databases.js';
import { ClockedEstate } from './clocked-estate.js';
import { buildJanuaryEstate, JANUARY } from './january-estate.js';

const ALL_DIMENSIONS: Dimension[] = [...PLAIN_DIMENSIONS, 'label:team', 'label:tessera.io/shared'];

/** The straightforward reference: each line's values for the dimensions, summed per group. */
function referenceRows(lines: LedgerLine[], by: Dimension[]): Map<string, { cost: number; ms: number; unpricedMs: number; lines: number }> {
  const value = (l: LedgerLine, d: Dimension): string | null => {
    if (d.startsWith('label:')) return l.labels[d.slice(6)] ?? null;
    if (d === 'day') return l.start.slice(0, 10);
    if (d === 'month') return l.start.slice(0, 7);
    return (l as unknown as Record<string, string>)[d]!;
  };
  const out = new Map<string, { cost: number; ms: number; unpricedMs: number; lines: number }>();
  for (const l of lines) {
    const key = JSON.stringify(by.map((d) => value(l, d)));
    const row = out.get(key) ?? { cost: 0, ms: 0, unpricedMs: 0, lines: 0 };
    row.cost += l.costMicros;
    row.ms += l.durationMs;
    row.unpricedMs += l.unitPriceMicros === null ? l.durationMs : 0;
    row.lines += 1;
    out.set(key, row);
  }
  return out;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe.each(DIALECTS)('cost allocation on %s', (dialect) => {
  let db: TestDatabase;
  let estate: ClockedEstate;
  let allocator: CostAllocator;
  let lines: LedgerLine[];
  /** The capacity cost of onprem in January, from its two model versions, worked out here by hand. */
  let capacityMicros: number;

  const report = (q: Partial<CostReportQuery>): Promise<CostReport> =>
    allocator.report({ by: ['project'], period: JANUARY, idle: 'none', shared: 'none', ...q });
  const row = (r: CostReport, keys: Record<string, string | null>) => r.rows.find((x) => Object.entries(keys).every(([k, v]) => x.keys[k] === v));

  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    estate = await ClockedEstate.open(db, '2025-12-31T00:00:00.000Z');
    await buildJanuaryEstate(estate);
    allocator = new CostAllocator({ ledger: estate.ledger, costModels: estate.costModels, now: () => estate.nowIso() });
    lines = await estate.allLines(JANUARY.from, JANUARY.to);
    const [v1, v2] = await estate.costModels.history('onprem');
    const fleet = (v: typeof v1) => v!.rates.servers.reduce((n, s) => n + BigInt(s.count) * BigInt(s.costNanosPerHour.total), 0n);
    // v1 (2 servers) for Jan 1–15, 15 × 24 h; v2 (3 servers) from Jan 16, 16 × 24 h: n$, rounded once (half up) to µ$.
    const nanos = 15n * 24n * fleet(v1) + 16n * 24n * fleet(v2);
    capacityMicros = Number((nanos * 2n + 1000n) / 2000n);
  });
  afterAll(async () => {
    await estate?.close();
    await db?.dispose();
  });

  it('the estate gives the ledger what the test needs: several providers, an unpriced line, stopped time, price changes', () => {
    expect(new Set(lines.map((l) => l.provider))).toEqual(new Set(['onprem', 'aws-sim', 'nopricecloud']));
    expect(lines.some((l) => l.unitPriceMicros === null)).toBe(true);
    expect(lines.some((l) => l.state === 'stopped')).toBe(true);
    expect(new Set(lines.filter((l) => l.flavor === 'small' && l.state === 'running').map((l) => l.unitPriceMicros))).toEqual(new Set([20_000, 25_000]));
    expect(capacityMicros).toBeGreaterThan(0);
  });

  it('groups by any combination of dimensions exactly as a straightforward sum of the same lines does', async () => {
    await fc.assert(
      fc.asyncProperty(fc.shuffledSubarray(ALL_DIMENSIONS, { minLength: 1, maxLength: 4 }), async (by) => {
        const r = await report({ by });
        const expected = referenceRows(lines, by);
        expect(r.rows.length).toBe(expected.size);
        for (const x of r.rows) {
          const ref = expected.get(JSON.stringify(by.map((d) => x.keys[d])));
          expect(ref, JSON.stringify(x.keys)).toBeDefined();
          expect(x.usageMicros).toBe(ref!.cost);
          expect(x.costMicros).toBe(ref!.cost);
          expect(x.lines).toBe(ref!.lines);
          expect(x.instanceHours).toBeCloseTo(ref!.ms / 3_600_000, 5);
          expect(x.unpricedHours).toBeCloseTo(ref!.unpricedMs / 3_600_000, 5);
        }
        expect(r.total.costMicros).toBe(sum(lines.map((l) => l.costMicros)));
        expect(r.total.lines).toBe(lines.length);
      }),
      { numRuns: 25 },
    );
  });

  it('rows come sorted by their keys, with the lines the ledger has no price for shown as unpriced hours', async () => {
    const r = await report({ by: ['project', 'provider'] });
    expect(r.rows.map((x) => `${x.keys.project}/${x.keys.provider}`)).toEqual(['alpha/aws-sim', 'alpha/onprem', 'beta/aws-sim', 'beta/onprem', 'gamma/nopricecloud', 'ops/onprem']);
    expect(row(r, { project: 'gamma' })).toMatchObject({ costMicros: 0, unpricedHours: 24, instanceHours: 24 });
    expect(r.unpricedHours).toBe(24);
    expect(r.notes.join('\n')).toMatch(/unpriced: 24 running instance-hours/);
  });

  it('idle=show: onprem’s capacity cost minus what its instances were charged is a row of project (idle)', async () => {
    const r = await report({ by: ['project', 'provider'], idle: 'show' });
    const charged = sum(lines.filter((l) => l.provider === 'onprem').map((l) => l.costMicros));
    const idle = row(r, { project: '(idle)' });
    expect(idle).toMatchObject({ keys: { project: '(idle)', provider: 'onprem' }, usageMicros: 0, idleMicros: capacityMicros - charged, costMicros: capacityMicros - charged, lines: 0 });
    expect(r.total.costMicros).toBe(sum(lines.map((l) => l.costMicros)) + capacityMicros - charged);
    // By provider alone, onprem costs exactly its capacity: what was charged plus what stood idle.
    const byProvider = await report({ by: ['provider'], idle: 'show' });
    expect(row(byProvider, { provider: 'onprem' })!.costMicros).toBe(capacityMicros);
    expect(r.notes.join('\n')).toContain(`idle: onprem capacity cost $`);
  });

  it('idle distributed proportionally: shares add up exactly to the idle amount and each is within 1 µ$ of its exact share', async () => {
    const r = await report({ by: ['project'], idle: 'proportional' });
    const charged = sum(lines.filter((l) => l.provider === 'onprem').map((l) => l.costMicros));
    const idle = capacityMicros - charged;
    expect(row(r, { project: '(idle)' })).toBeUndefined();
    expect(sum(r.rows.map((x) => x.idleMicros))).toBe(idle);
    const weights = new Map<string, number>();
    for (const l of lines.filter((x) => x.provider === 'onprem')) weights.set(l.project, (weights.get(l.project) ?? 0) + l.costMicros);
    const total = sum([...weights.values()]);
    for (const [project, w] of weights) {
      const exact = (idle * w) / total;
      expect(Math.abs(row(r, { project })!.idleMicros - exact)).toBeLessThan(1);
    }
    expect(row(r, { project: 'gamma' })!.idleMicros).toBe(0);
    expect(r.total.costMicros).toBe(sum(lines.map((l) => l.costMicros)) + idle);
  });

  it('idle distributed evenly, by day: every day’s idle is split over the projects that used onprem that day, shares within 1 µ$ of each other', async () => {
    const r = await report({ by: ['project', 'day'], idle: 'even' });
    const perPeriod = await report({ by: ['project'], idle: 'even' });
    // Capacity is rounded so that days add up to the month: the total idle is the same whatever the grain.
    expect(r.total.idleMicros).toBe(perPeriod.total.idleMicros);
    for (const day of new Set(r.rows.map((x) => x.keys.day!))) {
      const users = new Set(lines.filter((l) => l.provider === 'onprem' && l.start.startsWith(day)).map((l) => l.project));
      const shares = r.rows.filter((x) => x.keys.day === day && x.idleMicros !== 0).map((x) => x.idleMicros);
      expect(shares.length).toBe(users.size);
      expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1);
    }
  });

  it('shared=proportional: the shared instance’s cost moves to the other projects by what they were charged; totals and provider figures unchanged', async () => {
    const plain = await report({ by: ['project'] });
    const r = await report({ by: ['project'], shared: 'proportional' });
    const mon = sum(lines.filter((l) => l.name === 'mon').map((l) => l.costMicros));
    expect(row(r, { project: '(shared)' })).toMatchObject({ usageMicros: mon, sharedMicros: -mon, costMicros: 0 });
    expect(row(r, { project: 'ops' })).toBeUndefined();
    expect(sum(r.rows.map((x) => x.sharedMicros))).toBe(0);
    expect(r.total.costMicros).toBe(plain.total.costMicros);
    const others = ['alpha', 'beta', 'gamma'].map((p) => ({ p, w: row(plain, { project: p })!.usageMicros }));
    const total = sum(others.map((o) => o.w));
    for (const { p, w } of others) expect(Math.abs(row(r, { project: p })!.sharedMicros - (mon * w) / total)).toBeLessThan(1);
    const byProvider = await report({ by: ['provider'], shared: 'proportional' });
    const byProviderPlain = await report({ by: ['provider'] });
    expect(byProvider.rows.map((x) => [x.keys.provider, x.costMicros])).toEqual(byProviderPlain.rows.map((x) => [x.keys.provider, x.costMicros]));
  });

  it('shared=show puts the shared instance under project (shared); idle and shared can be distributed together and still add up', async () => {
    const shown = await report({ by: ['project'], shared: 'show' });
    expect(row(shown, { project: '(shared)' })!.costMicros).toBe(sum(lines.filter((l) => l.name === 'mon').map((l) => l.costMicros)));
    const both = await report({ by: ['project', 'label:team'], idle: 'proportional', shared: 'even' });
    const charged = sum(lines.filter((l) => l.provider === 'onprem').map((l) => l.costMicros));
    expect(both.total.costMicros).toBe(sum(lines.map((l) => l.costMicros)) + capacityMicros - charged);
    expect(sum(both.rows.map((x) => x.costMicros))).toBe(both.total.costMicros);
  });

  it('a caller who sees one project gets that project’s rows only: no idle row, but the same shares an admin’s report gives it', async () => {
    const admin = await report({ by: ['project', 'provider'], idle: 'proportional', shared: 'proportional' });
    const viewer = await report({ by: ['project', 'provider'], idle: 'proportional', shared: 'proportional', visibleProjects: ['alpha'] });
    expect(new Set(viewer.rows.map((x) => x.keys.project))).toEqual(new Set(['alpha']));
    expect(viewer.rows).toEqual(admin.rows.filter((x) => x.keys.project === 'alpha'));
    expect(viewer.total.costMicros).toBe(sum(viewer.rows.map((x) => x.costMicros)));
    const shown = await report({ by: ['project'], idle: 'show', visibleProjects: ['alpha'] });
    expect(shown.rows.map((x) => x.keys.project)).toEqual(['alpha']);
    expect(shown.notes.join('\n')).toMatch(/only callers who see every project see it/);
    const none = await report({ by: ['provider'], visibleProjects: [] });
    expect(none.rows).toEqual([]);
    expect(none.total.costMicros).toBe(0);
  });

  it('a period still running ends at now; one in the future is empty', async () => {
    const r = await report({ by: ['project'], period: { from: '2026-01-31T00:00:00.000Z', to: '2026-03-01T00:00:00.000Z' } });
    expect(r.period.to).toBe(estate.nowIso());
    const future = await report({ by: ['project'], idle: 'show', period: { from: '2027-01-01T00:00:00.000Z', to: '2027-02-01T00:00:00.000Z' } });
    expect(future.rows).toEqual([]);
    expect(future.period).toEqual({ from: '2027-01-01T00:00:00.000Z', to: '2027-01-01T00:00:00.000Z' });
  });
});
