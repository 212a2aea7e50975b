import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BudgetView } from '../../../src/metering/budgets/budget.js';
import { BudgetService } from '../../../src/metering/budgets/budget-service.js';
import { BudgetWatcher } from '../../../src/metering/budgets/budget-watcher.js';
import { eventually } from '../../support/control-plane.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../support/databases.js';
import { startCostPlane, type CostPlane } from '../allocation/cost-plane.js';

interface EventView {
  kind: string;
  project: string;
  type: string;
  reason: string;
  message: string;
}

/** PUT/DELETE /v1/projects/{project}/budget and GET /v1/budgets, and the threshold events, through a running control plane. */
describe.each(DIALECTS)('budgets API on %s', (dialect) => {
  let tdb: TestDatabase;
  let p: CostPlane;

  const json = <T>(res: { statusCode: number; body: string }, status = 200): T => {
    expect(res.statusCode, res.body).toBe(status);
    return JSON.parse(res.body) as T;
  };
  const errorOf = (res: { statusCode: number; body: string }, status: number): string => {
    expect(res.statusCode, res.body).toBe(status);
    return (JSON.parse(res.body) as { error: { message: string } }).error.message;
  };

  beforeAll(async () => {
    tdb = await createTestDatabase(dialect);
    p = await startCostPlane(tdb);
  });
  afterAll(async () => {
    await p?.t.close();
    await tdb?.dispose();
  });

  it('only a project’s admins set its budget: a viewer is refused (403), an admin of another project is told it does not exist (404)', async () => {
    expect(errorOf(await p.as.alphaViewer.inject({ method: 'PUT', url: '/v1/projects/alpha/budget', payload: { monthlyUsd: 500 } }), 403)).toMatch(/needs the admin role/);
    const other = errorOf(await p.as.betaAdmin.inject({ method: 'PUT', url: '/v1/projects/alpha/budget', payload: { monthlyUsd: 500 } }), 404);
    expect(other).toMatch(/project "alpha" does not exist, or you hold no role in it/);
    expect(errorOf(await p.t.app.inject({ method: 'PUT', url: '/v1/projects/nowhere/budget', payload: { monthlyUsd: 500 } }), 404)).toMatch(/project "nowhere" does not exist/);
    expect(json<{ items: BudgetView[] }>(await p.t.app.inject({ method: 'GET', url: '/v1/budgets' })).items).toEqual([]);
  });

  it('bad budgets are refused with what to write', async () => {
    const put = (payload: unknown) => p.as.betaAdmin.inject({ method: 'PUT', url: '/v1/projects/beta/budget', payload: payload as Record<string, unknown> });
    expect(errorOf(await put({ monthlyUsd: 'lots' }), 400)).toMatch(/monthlyUsd "lots" is not an amount in USD/);
    expect(errorOf(await put({ monthlyUsd: -5 }), 400)).toMatch(/monthlyUsd must be more than 0, not -5/);
    expect(errorOf(await put({ monthlyUsd: 100, thresholds: [0] }), 400)).toMatch(/a threshold is at least 1/);
    expect(errorOf(await put({ monthlyUsd: 100, thresholds: [50.5] }), 400)).toMatch(/whole percentages/);
    expect(errorOf(await put({ thresholds: [50] }), 400)).toMatch(/monthlyUsd/);
    expect(json<{ items: BudgetView[] }>(await p.t.app.inject({ method: 'GET', url: '/v1/budgets' })).items).toEqual([]);
  });

  it('a project admin sets a budget; viewers of other projects do not see it; its thresholds become events in GET /v1/events', async () => {
    const set = json<BudgetView>(await p.as.betaAdmin.inject({ method: 'PUT', url: '/v1/projects/beta/budget', payload: { monthlyUsd: '1.50' } }));
    // beta's job has run on onprem since November 1st: well past $1.50 this month.
    expect(set).toMatchObject({ project: 'beta', monthlyMicros: 1_500_000, thresholds: [50, 80, 100], crossed: [] });
    expect(set.spentMicros).toBeGreaterThan(1_500_000);
    expect(set.runRateMicrosPerHour).toBeGreaterThan(0);
    expect(set.forecastMicros).toBeGreaterThan(set.spentMicros);
    expect(json<{ items: BudgetView[] }>(await p.as.alphaViewer.inject({ method: 'GET', url: '/v1/budgets' })).items).toEqual([]);

    const watcher = new BudgetWatcher(p.t.cp.store, p.t.cp.ledger, new BudgetService(p.t.cp.store, p.t.cp.ledger), 'test', pino({ level: 'silent' }));
    expect((await watcher.checkOnce()).map((a) => a.crossing.percent)).toEqual([50, 80, 100]);
    expect(await watcher.checkOnce()).toEqual([]);

    const events = json<{ items: EventView[] }>(await p.as.betaAdmin.inject({ method: 'GET', url: '/v1/events?project=beta&kind=Budget&limit=1000' })).items;
    expect(events.every((e) => e.kind === 'Budget')).toBe(true);
    expect(events.map((e) => [e.type, e.reason])).toEqual([
      ['Created', 'Requested'],
      ['BudgetThreshold', '50%'],
      ['BudgetThreshold', '80%'],
      ['BudgetThreshold', '100%'],
    ]);
    expect(events[1]!.message).toMatch(/^project beta has spent \$\d+\.\d+ of its \$1\.50 budget for \d{4}-\d{2} \(\d+\.\d%\), past the 50% threshold; at the current run-rate/);
    const alphaEvents = json<{ items: EventView[] }>(await p.as.alphaViewer.inject({ method: 'GET', url: '/v1/events?limit=1000' })).items;
    expect(alphaEvents.filter((e) => e.kind === 'Budget')).toEqual([]);

    const [listed] = json<{ items: BudgetView[] }>(await p.as.betaAdmin.inject({ method: 'GET', url: '/v1/budgets' })).items;
    expect(listed!.crossed.map((c) => c.percent)).toEqual([50, 80, 100]);
  });

  it('a project admin removes the budget; a viewer cannot; removing one that is not there is a 404', async () => {
    expect(errorOf(await p.as.alphaViewer.inject({ method: 'DELETE', url: '/v1/projects/beta/budget' }), 403)).toMatch(/needs the admin role/);
    expect(json(await p.as.betaAdmin.inject({ method: 'DELETE', url: '/v1/projects/beta/budget' }))).toEqual({ project: 'beta', removed: true });
    expect(json<{ items: BudgetView[] }>(await p.t.app.inject({ method: 'GET', url: '/v1/budgets' })).items).toEqual([]);
    expect(errorOf(await p.as.betaAdmin.inject({ method: 'DELETE', url: '/v1/projects/beta/budget' }), 404)).toMatch(/project "beta" has no budget/);
  });

  it('running in the background, the watcher looks at budgets soon after instances change, without being asked', async () => {
    json(await p.as.betaAdmin.inject({ method: 'PUT', url: '/v1/projects/beta/budget', payload: { monthlyUsd: 2, thresholds: [25] } }));
    const watcher = new BudgetWatcher(p.t.cp.store, p.t.cp.ledger, new BudgetService(p.t.cp.store, p.t.cp.ledger), 'background', pino({ level: 'silent' }));
    watcher.start();
    try {
      // Any instance event will do: here a new instance asked for in beta.
      json(await p.t.app.inject({ method: 'POST', url: '/v1/instances', payload: { name: 'nudge', project: 'beta', provider: 'onprem', region: 'r1', flavor: 'small' } }), 202);
      const events = await eventually(async () => {
        const items = json<{ items: EventView[] }>(await p.as.betaAdmin.inject({ method: 'GET', url: '/v1/events?project=beta&limit=1000' })).items;
        const found = items.filter((e) => e.type === 'BudgetThreshold' && e.reason === '25%');
        return found.length > 0 ? found : null;
      }, 10_000, 'a 25% BudgetThreshold event');
      expect(events).toHaveLength(1);
    } finally {
      await watcher.stop();
    }
  });
});
