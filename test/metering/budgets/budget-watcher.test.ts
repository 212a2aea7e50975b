import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUDGET_KIND, THRESHOLD_EVENT } from '../../../src/metering/budgets/budget.js';
import { BudgetService } from '../../../src/metering/budgets/budget-service.js';
import { BudgetWatcher } from '../../../src/metering/budgets/budget-watcher.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../support/databases.js';
import { ClockedEstate } from '../allocation/clocked-estate.js';

/**
 * Budgets against month-to-date cost on a clock the test moves. Project alpha runs one onprem `large` at $0.08/h
 * from March 1st: its $10 budget reaches 50% ($5) after 62.5 h, 80% ($8) after 100 h, 100% after 125 h.
 */
describe.each(DIALECTS)('budgets on %s', (dialect) => {
  let db: TestDatabase;
  let estate: ClockedEstate;
  let budgets: BudgetService;
  let watcher: BudgetWatcher;
  /** A second watcher, as a second Tessera process would run. */
  let other: BudgetWatcher;

  const thresholdEvents = async () =>
    (await estate.store.listEvents({ kind: BUDGET_KIND, limit: 1000 })).filter((e) => e.type === THRESHOLD_EVENT).map((e) => ({ project: e.project, reason: e.reason, at: e.at, message: e.message }));

  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    estate = await ClockedEstate.open(db, '2026-02-20T00:00:00.000Z');
    await estate.price('onprem', 'r1', 'large', 0.08);
    await estate.price('onprem', 'r1', 'small', 0.01);
    budgets = new BudgetService(estate.store, estate.ledger);
    const logger = pino({ level: 'silent' });
    watcher = new BudgetWatcher(estate.store, estate.ledger, budgets, 'process-1', logger);
    other = new BudgetWatcher(estate.store, estate.ledger, budgets, 'process-2', logger);
    estate.at('2026-03-01T00:00:00.000Z');
    await estate.run({ name: 'app', project: 'alpha', provider: 'onprem', flavor: 'large' });
    // beta spends too, with a budget far away: it must never cross anything.
    await estate.run({ name: 'tiny', project: 'beta', provider: 'onprem', flavor: 'small' });
    await budgets.set('alpha', { monthlyUsd: '10' });
    await budgets.set('beta', { monthlyUsd: 1000, thresholds: [90, 50] });
  });
  afterAll(async () => {
    await estate?.close();
    await db?.dispose();
  });

  it('a budget is stored with its thresholds sorted; list shows spend, run-rate and the forecast to month end', async () => {
    estate.at('2026-03-03T14:00:00.000Z');
    const [alpha, beta] = await budgets.list();
    expect(alpha).toMatchObject({ project: 'alpha', monthlyMicros: 10_000_000, thresholds: [50, 80, 100], month: '2026-03', spentMicros: 62 * 80_000, runRateMicrosPerHour: 80_000, crossed: [] });
    // 62 h spent; 28 days and 10 h left in March at $0.08/h.
    expect(alpha!.forecastMicros).toBe(62 * 80_000 + (28 * 24 + 10) * 80_000);
    expect(alpha!.percentSpent).toBe(49.6);
    expect(beta).toMatchObject({ project: 'beta', thresholds: [50, 90] });
    expect(await watcher.checkOnce()).toEqual([]);
    expect(await thresholdEvents()).toEqual([]);
  });

  it('crossing 50%, 80% and 100% writes one BudgetThreshold event each, with the figures, and never again that month', async () => {
    estate.at('2026-03-03T14:30:00.000Z'); // 62.5 h: exactly $5.00, 50% reached
    expect((await watcher.checkOnce()).map((a) => a.crossing.percent)).toEqual([50]);
    expect(await watcher.checkOnce()).toEqual([]);
    estate.at('2026-03-05T04:00:00.000Z'); // 100 h: $8.00
    expect((await watcher.checkOnce()).map((a) => a.crossing.percent)).toEqual([80]);
    estate.at('2026-03-06T09:00:00.000Z'); // 129 h: $10.32
    expect((await watcher.checkOnce()).map((a) => a.crossing.percent)).toEqual([100]);
    estate.at('2026-03-20T00:00:00.000Z');
    expect(await watcher.checkOnce()).toEqual([]);

    const events = await thresholdEvents();
    expect(events.map((e) => [e.project, e.reason, e.at])).toEqual([
      ['alpha', '50%', '2026-03-03T14:30:00.000Z'],
      ['alpha', '80%', '2026-03-05T04:00:00.000Z'],
      ['alpha', '100%', '2026-03-06T09:00:00.000Z'],
    ]);
    expect(events[0]!.message).toBe(
      'project alpha has spent $5.00 of its $10.00 budget for 2026-03 (50.0%), past the 50% threshold; ' +
        'at the current run-rate ($0.08/h) it will have spent $59.52 by the end of the month',
    );
    const [alpha] = await budgets.list(['alpha']);
    expect(alpha!.crossed.map((c) => [c.percent, c.spentMicros])).toEqual([
      [50, 5_000_000],
      [80, 8_000_000],
      [100, 10_320_000],
    ]);
  });

  it('a new month starts over: each threshold is written again, once, when reached in it', async () => {
    estate.at('2026-04-01T10:00:00.000Z');
    expect(await watcher.checkOnce()).toEqual([]);
    expect((await budgets.list(['alpha']))[0]).toMatchObject({ month: '2026-04', spentMicros: 800_000, crossed: [] });
    estate.at('2026-04-03T14:30:00.000Z');
    expect((await watcher.checkOnce()).map((a) => `${a.project} ${a.crossing.percent}%`)).toEqual(['alpha 50%']);
    expect(await watcher.checkOnce()).toEqual([]);
    expect((await thresholdEvents()).map((e) => `${e.reason} ${e.at.slice(0, 10)}`)).toEqual(['50% 2026-03-03', '80% 2026-03-05', '100% 2026-03-06', '50% 2026-04-03']);
  });

  it('two processes checking at the same moment write each threshold once', async () => {
    estate.at('2026-04-05T04:00:00.000Z');
    const [a, b] = await Promise.all([watcher.checkOnce(), other.checkOnce()]);
    expect([...a, ...b].map((x) => x.crossing.percent)).toEqual([80]);
    expect((await thresholdEvents()).filter((e) => e.reason === '80%' && e.at.startsWith('2026-04'))).toHaveLength(1);
  });

  it('raising the budget forgets the thresholds no longer reached (they can be crossed again); lowering it crosses them at once', async () => {
    estate.at('2026-04-06T00:00:00.000Z'); // 120 h: $9.60
    const raised = await budgets.set('alpha', { monthlyUsd: '15' });
    // $9.60 of $15 is 64%: 50% still holds, 80% does not.
    expect(raised.crossed.map((c) => c.percent)).toEqual([50]);
    expect(await watcher.checkOnce()).toEqual([]);
    const lowered = await budgets.set('alpha', { monthlyUsd: 9, thresholds: [50, 80, 100, 105] });
    expect(lowered.crossed.map((c) => c.percent)).toEqual([50]);
    expect((await watcher.checkOnce()).map((a) => a.crossing.percent)).toEqual([80, 100, 105]);
  });

  it('a removed budget is watched no more; bad amounts are refused with what to write', async () => {
    await budgets.remove('alpha');
    estate.at('2026-05-10T00:00:00.000Z');
    expect(await watcher.checkOnce()).toEqual([]);
    expect((await budgets.list()).map((b) => b.project)).toEqual(['beta']);
    await expect(budgets.remove('alpha')).rejects.toThrow(/project "alpha" has no budget: set one with PUT \/v1\/projects\/alpha\/budget/);
    await expect(budgets.set('alpha', { monthlyUsd: 'ten' })).rejects.toThrow(/monthlyUsd "ten" is not an amount in USD with at most 6 decimals: give a number such as 500/);
    await expect(budgets.set('alpha', { monthlyUsd: 0 })).rejects.toThrow(/must be more than 0/);
    await expect(budgets.set('alpha', { monthlyUsd: '1.0000001' })).rejects.toThrow(/monthlyUsd "1.0000001" is not an amount in USD with at most 6 decimals/);
    // Set again after removal: a new budget, nothing crossed yet.
    expect((await budgets.set('alpha', { monthlyUsd: '100' })).crossed).toEqual([]);
  });
});
