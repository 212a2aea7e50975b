import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSettled, type Instance } from '../../src/core/instance.js';
import { Ec2Double, EXAMPLE_ACCESS_KEY } from '../doubles/ec2/server.js';
import { eventually, simProvider, startTestPlane, type TestPlane } from '../support/control-plane.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';

/**
 * Failover against a public cloud's wire double: the aws driver (official SDK) behind the control plane, EC2
 * answering InsufficientInstanceCapacity for every launch in one region, prices from the seeded catalog.
 */

const AMI = 'ami-0a1b2c3d4e5f60718';

interface EventView {
  type: string;
  reason: string;
  message: string;
}

describe('failover on capacity errors from the EC2 double', () => {
  let tdb: TestDatabase;
  let t: TestPlane;
  let ec2: Ec2Double;
  const json = <T = Instance>(r: { body: string }) => JSON.parse(r.body) as T;
  const instance = async (id: string) => json(await t.app.inject({ method: 'GET', url: `/v1/instances/${id}` }));

  beforeAll(async () => {
    ec2 = await Ec2Double.start({ transitionMs: 100 });
    ec2.faults.capacityIn('us-east-1');
    tdb = await createTestDatabase('sqlite');
    t = await startTestPlane(
      tdb,
      [
        {
          name: 'aws',
          type: 'aws',
          config: {
            endpoint: ec2.url,
            regions: [{ name: 'us-east-1' }, { name: 'eu-west-1' }],
            images: [{ name: 'ubuntu-24.04', amis: { 'us-east-1': AMI, 'eu-west-1': AMI } }],
            maxAttempts: 2,
          },
        },
        // A private cloud dearer than either AWS region: the last resort.
        simProvider('private', { flavors: [{ name: 'std.2x8', vcpus: 2, memoryGiB: 8, priceUsdPerHour: '0.2' }] }),
      ],
      { controller: { pollMs: 100 }, credentials: { aws: { ...EXAMPLE_ACCESS_KEY } } },
    );
  });
  afterAll(async () => {
    await t?.close();
    await tdb?.dispose();
    await ec2?.close();
  });

  it('an instance naming only requirements lands in the next-cheapest region, and its events say why', async () => {
    const r = await t.app.inject({ method: 'POST', url: '/v1/instances', payload: { name: 'web-1', requirements: { vcpus: 2, memoryGiB: 8 } } });
    expect(r.statusCode).toBe(202);
    const created = json(r);
    // The catalog's cheapest offer with 2 vCPU / 8 GiB among the types EC2 lists: m6i.large in us-east-1 ($0.096/h).
    expect(created.spec).toMatchObject({ provider: 'aws', region: 'us-east-1', flavor: 'm6i.large' });
    expect(created.status.scheduling?.priceMicrosPerHour).toBe(96_000);

    const done = await eventually(async () => {
      const i = await instance(created.id);
      return isSettled(i) && (i.status.phase === 'Running' || i.status.phase === 'Failed') ? i : null;
    }, 30_000);
    expect(done.status.phase).toBe('Running');
    expect(done.spec).toMatchObject({ provider: 'aws', region: 'eu-west-1', flavor: 'm6i.large' });
    expect(done.status.scheduling?.priceMicrosPerHour).toBe(107_000);

    const events = json<{ items: EventView[] }>(await t.app.inject({ method: 'GET', url: `/v1/events?resourceId=${created.id}&limit=1000` })).items;
    const replaced = events.filter((e) => e.type === 'Replaced');
    expect(replaced).toHaveLength(1);
    expect(replaced[0]!.reason).toBe('Capacity');
    expect(replaced[0]!.message).toMatch(/^aws\/us-east-1\/m6i\.large refused it \(Capacity, InsufficientInstanceCapacity: .*\); re-placed on aws\/eu-west-1\/m6i\.large at \$0\.107\/h/);

    // At the provider: one instance, in eu-west-1, carrying the instance's Tessera id; nothing in us-east-1.
    expect(ec2.instances('us-east-1').filter((i) => i.state !== 'terminated')).toEqual([]);
    const live = ec2.instances('eu-west-1').filter((i) => i.state !== 'terminated');
    expect(live).toHaveLength(1);
    expect(live[0]!.tags['tessera.io/id']).toBe(created.id);
  });
});
