import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSettled, type Instance } from '../../src/core/instance.js';
import type { SimDriver } from '../../src/providers/sim/driver.js';
import { eventually, simProvider, startTestPlane, type TestPlane } from '../support/control-plane.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases.js';

/** Eager failover: an instance placed from requirements moves to the next-cheapest offer when one refuses it. */

interface EventView {
  type: string;
  reason: string;
  message: string;
}

const CHEAP_FLAVORS = [
  { name: 'small', vcpus: 1, memoryGiB: 2, priceUsdPerHour: '0.004' },
  { name: 'medium', vcpus: 2, memoryGiB: 4, priceUsdPerHour: '0.005' },
];

describe.each(DIALECTS)('failover on %s', (dialect) => {
  let tdb: TestDatabase;
  let t: TestPlane;
  const json = <T = Instance>(r: { body: string }) => JSON.parse(r.body) as T;
  const post = (payload: object) => t.app.inject({ method: 'POST', url: '/v1/instances', payload });
  const instance = async (id: string) => json(await t.app.inject({ method: 'GET', url: `/v1/instances/${id}` }));
  const eventsOf = async (id: string) => json<{ items: EventView[] }>(await t.app.inject({ method: 'GET', url: `/v1/events?resourceId=${id}&limit=1000` })).items;
  const settled = (id: string, timeoutMs = 20_000) => eventually(async () => {
    const i = await instance(id);
    return isSettled(i) && (i.status.phase === 'Running' || i.status.phase === 'Failed') ? i : null;
  }, timeoutMs, `${id} to settle`);

  beforeAll(async () => {
    tdb = await createTestDatabase(dialect);
    t = await startTestPlane(
      tdb,
      [
        // The cheapest provider, out of capacity in both its regions.
        simProvider('full', { flavors: CHEAP_FLAVORS, failureRates: { capacity: 1 } }),
        simProvider('roomy'),
      ],
      { controller: { pollMs: 50 } },
    );
  });
  afterAll(async () => {
    await t?.close();
    await tdb?.dispose();
  });

  it('requirements only: refused in both regions of the cheapest provider, it runs on the next-cheapest offer and its events say why', async () => {
    const r = await post({ name: 'needs-room', requirements: { vcpus: 2, memoryGiB: 4 } });
    expect(r.statusCode).toBe(202);
    const created = json(r);
    expect(created.spec).toMatchObject({ provider: 'full', flavor: 'medium' });

    const done = await settled(created.id);
    expect(done.status.phase).toBe('Running');
    expect(done.spec).toMatchObject({ provider: 'roomy', flavor: 'medium', constraints: { provider: null, region: null, zone: null } });
    expect(done.status.placementFailures?.map((f) => [f.provider, f.region, f.errorClass, f.code])).toEqual([
      ['full', 'r1', 'Capacity', 'InsufficientInstanceCapacity'],
      ['full', 'r2', 'Capacity', 'InsufficientInstanceCapacity'],
    ]);
    expect(done.status.scheduling?.reason).toMatch(/^re-placed after full\/r2\/medium refused it: cheapest on-demand offer/);
    expect(done.status.scheduling?.priceMicrosPerHour).toBe(20_000);

    const replaced = (await eventsOf(created.id)).filter((e) => e.type === 'Replaced');
    expect(replaced).toHaveLength(2);
    expect(replaced[0]!.message).toMatch(/^full\/r1\/medium refused it \(Capacity, InsufficientInstanceCapacity: .*\); re-placed on full\/r2\/medium at \$0\.005\/h/);
    expect(replaced[1]!.message).toMatch(/re-placed on roomy\/r1\/medium at \$0\.02\/h, the cheapest matching offer outside the regions that refused it/);

    const full = t.cp.providers.get('full')!.inner as SimDriver;
    const roomy = t.cp.providers.get('roomy')!.inner as SimDriver;
    expect(full.simState().liveMachines).toBe(0);
    expect(roomy.simState().liveMachines).toBe(1);
  });

  it('stays within what the request fixed: a pinned provider with no room left fails, naming every refusal', async () => {
    const r = await post({ name: 'only-full', provider: 'full', requirements: { vcpus: 1, memoryGiB: 2 } });
    expect(r.statusCode).toBe(202);
    const done = await settled(json(r).id);
    expect(done.status.phase).toBe('Failed');
    expect(done.spec.provider).toBe('full');
    // The last refusal (r2) is the error itself; the ones before it are listed.
    expect(done.status.message).toMatch(/no capacity for small in r2 .* no matching offer is left \(refused before: full\/r1\/small: InsufficientInstanceCapacity\)/);
  });

  it('a named flavor is never moved: it waits for room where it was asked for, then fails', async () => {
    const r = await post({ name: 'pinned-flavor', provider: 'full', flavor: 'medium' });
    const done = await settled(json(r).id);
    expect(done.status.phase).toBe('Failed');
    expect(done.spec).toMatchObject({ provider: 'full', region: 'r1', flavor: 'medium' });
    expect((await eventsOf(done.id)).some((e) => e.type === 'Replaced')).toBe(false);
  });
});
