import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSettled, type Instance } from '../../../src/core/instance.js';
import type { LedgerLine } from '../../../src/metering/ledger/ledger.js';
import { eventually, simProvider, startTestPlane, type TestPlane } from '../../support/control-plane.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../support/databases.js';

/** The ledger as a running control plane builds it: from the controller's own events, priced from the catalog. */
describe.each(DIALECTS)('usage ledger of a running control plane on %s', (dialect) => {
  let tdb: TestDatabase;
  let t: TestPlane;
  const json = <T = Instance>(r: { body: string }) => JSON.parse(r.body) as T;

  beforeAll(async () => {
    tdb = await createTestDatabase(dialect);
    t = await startTestPlane(
      tdb,
      [simProvider('private'), { name: 'aws-sim', type: 'sim', rateLimit: { perSecond: null, burst: 1 }, config: { flavors: { catalog: { provider: 'aws' } } } }],
      { controller: { pollMs: 50 } },
    );
  });
  afterAll(async () => {
    await t?.close();
    await tdb?.dispose();
  });

  async function settled(id: string, phase: string): Promise<Instance> {
    return eventually(async () => {
      const i = json(await t.app.inject({ method: 'GET', url: `/v1/instances/${id}` }));
      return isSettled(i) && i.status.phase === phase ? i : null;
    });
  }

  async function linesOf(id: string, from: string): Promise<LedgerLine[]> {
    const out: LedgerLine[] = [];
    for await (const page of t.cp.ledger.lines({ from, to: new Date(Date.now() + 1000).toISOString() })) out.push(...page.filter((l) => l.instanceId === id));
    return out;
  }

  it('a private instance run then stopped: a running line at its configured price, then a stopped line at none', async () => {
    const from = new Date(Date.now() - 1000).toISOString();
    const r = await t.app.inject({ method: 'POST', url: '/v1/instances', payload: { name: 'ledger-1', provider: 'private', region: 'r1', flavor: 'large', labels: { team: 'search' } } });
    const id = json(r).id;
    await settled(id, 'Running');
    await new Promise((res) => setTimeout(res, 200));
    expect((await t.app.inject({ method: 'POST', url: `/v1/instances/${id}/stop` })).statusCode).toBe(202);
    await settled(id, 'Stopped');

    const lines = await linesOf(id, from);
    expect(lines.map((l) => [l.state, l.unitPriceMicros, l.open])).toEqual([
      ['running', 80_000, false],
      ['stopped', 0, true],
    ]);
    const [running] = lines;
    expect(running).toMatchObject({ provider: 'private', priceKey: 'private', region: 'r1', flavor: 'large', kind: 'vm', project: 'default', labels: { team: 'search' }, name: 'ledger-1' });
    expect(running!.durationMs).toBeGreaterThanOrEqual(150);
    expect(running!.costMicros).toBe(Math.floor((running!.durationMs * 80_000 * 2 + 3_600_000) / 7_200_000));
  });

  it('a simulated public cloud instance is billed at that cloud’s list price from the catalog', async () => {
    const from = new Date(Date.now() - 1000).toISOString();
    const r = await t.app.inject({ method: 'POST', url: '/v1/instances', payload: { name: 'ledger-2', provider: 'aws-sim', region: 'ap-northeast-2', flavor: 'm6i.large' } });
    const id = json(r).id;
    await settled(id, 'Running');
    const lines = await linesOf(id, from);
    expect(lines).toEqual([expect.objectContaining({ state: 'running', provider: 'aws-sim', priceKey: 'aws', unitPriceMicros: 118_000, open: true, priceNote: null })]);
  });
});
