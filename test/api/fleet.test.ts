import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/fixtures-cli.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases.js';
import { eventually, simProvider, startTestPlane, type TestPlane } from '../support/control-plane.js';

/** The estate counted by kind, as the seed counts it: share virtualised, and of that, share in containers. */
describe.each(DIALECTS)('fleet summary on %s', (dialect) => {
  let tdb: TestDatabase;
  let t: TestPlane;

  beforeAll(async () => {
    tdb = await createTestDatabase(dialect);
    t = await startTestPlane(tdb, [simProvider('racks', { kind: 'baremetal' }), simProvider('kvm', { kind: 'vm' }), simProvider('pods', { kind: 'container' })]);
    const make = async (provider: string, n: number) => {
      for (let i = 0; i < n; i++) {
        const r = await t.app.inject({ method: 'POST', url: '/v1/instances', payload: { name: `${provider}-${i}`, provider, flavor: 'small' } });
        expect(r.statusCode, r.body).toBe(202);
      }
    };
    await make('racks', 1);
    await make('kvm', 2);
    await make('pods', 3);
    await eventually(async () => (await t.cp.store.count('Instance', { phase: 'Running' })) === 6, 20_000, 'all six Running');
  });
  afterAll(async () => {
    await t?.close();
    await tdb?.dispose();
  });

  it('counts machines by kind and provider, with the shares virtualised and in containers', async () => {
    const fleet = JSON.parse((await t.app.inject({ method: 'GET', url: '/v1/fleet' })).body);
    expect(fleet).toMatchObject({
      total: 6,
      managed: 6,
      discovered: 0,
      byKind: { baremetal: 1, vm: 2, container: 3, unknown: 0 },
      byProvider: { racks: { baremetal: 1 }, kvm: { vm: 2 }, pods: { container: 3 } },
      virtualisedShare: 0.8333,
      containerShareOfVirtualised: 0.6,
    });
  });

  it('prices the running estate: annual run-rate, and private cost beside the cheapest comparable public offer', async () => {
    const fleet = JSON.parse((await t.app.inject({ method: 'GET', url: '/v1/fleet' })).body);
    // Six private machines of flavor small ($0.010/h, 1 vCPU, 2 GiB) at their configured price.
    const yearly = 6 * 10_000 * 8_760;
    // The reference: the bundled catalog's cheapest on-demand row with at least 1 vCPU and 2 GiB.
    const csv = readFileSync(new URL('../../catalog/public-vms.csv', import.meta.url), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    const cheapest = Math.min(...csv.filter((c) => Number(c[2]) >= 1 && Number(c[3]) >= 2).map((c) => Math.round(Number(c[6]) * 1e6)));
    expect(fleet.costs).toEqual({
      runningInstances: 6,
      annualRunRateMicros: { private: yearly, public: 0, total: yearly },
      unpricedRunning: 0,
      privateVsPublic: { comparedInstances: 6, privateMicrosPerHour: 10_000, publicMicrosPerHour: cheapest, ratio: Math.round((10_000 / cheapest) * 10_000) / 10_000 },
    });
  });

  it('tessera fleet prints the same', async () => {
    const url = await t.anonymous.listen({ port: 0, host: '127.0.0.1' });
    const run = await runCli(['fleet'], { url });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/virtualised 83\.3 %/);
    expect(run.stdout).toMatch(/in containers 60\.0 %/);
    expect(run.stdout).toMatch(/run-rate a year\s+private \$525\.60\s+public \$0\.00\s+total \$525\.60/);
    expect(run.stdout).toMatch(/private vs public\s+private \$0\.01\/h\s+public \$0\.\d+\/h\s+ratio 0\.\d+\s+6 compared/);
  });
});
