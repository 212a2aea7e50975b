import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Instance } from '../../src/core/instance.js';
import type { Deployment } from '../../src/deploy/deployment.js';
import { eventually, startTestPlane, type TestPlane } from '../support/control-plane.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import { dockerProvider, startDockerd, type PrivateDockerd } from '../support/dockerd.js';

/**
 * Self-healing on a real engine: a deployment's container removed with `docker rm -f` behind Tessera's back is
 * noticed by the periodic inventory sync and replaced by the deployment controller, with no one asking.
 */
describe('a deployment on docker heals itself after docker rm -f', () => {
  let dockerd: PrivateDockerd;
  let tdb: TestDatabase;
  let t: TestPlane;

  beforeAll(async () => {
    [dockerd, tdb] = await Promise.all([startDockerd(), createTestDatabase('sqlite')]);
    t = await startTestPlane(
      tdb,
      [dockerProvider(dockerd)],
      { controller: { pollMs: 100 }, discovery: { intervalSeconds: 1, pageSize: 100 } },
    );
  }, 120_000);

  afterAll(async () => {
    await t?.close();
    await tdb?.dispose();
    await dockerd?.stop();
  }, 120_000);

  const json = <T>(r: { body: string }) => JSON.parse(r.body) as T;
  const running = async () =>
    json<{ items: Instance[] }>(await t.app.inject({ method: 'GET', url: `/v1/instances?selector=${encodeURIComponent('tessera.io/deployment=workers')}` })).items.filter(
      (i) => i.status.phase === 'Running' && i.deletedAt === null,
    );
  const containers = async () => (await dockerd.docker(['ps', '-q', '--no-trunc', '--filter', 'label=tessera.io/id'])).split('\n').filter(Boolean).sort();

  it('replaces the removed container', async () => {
    const doc = {
      kind: 'Deployment',
      metadata: { name: 'workers' },
      spec: { replicas: 2, template: { image: dockerd.image, requirements: { vcpus: 0.5, memoryGiB: 0.25 } } },
    };
    const r = await t.app.inject({ method: 'PUT', url: '/v1/projects/default/deployments/workers', payload: doc });
    expect(r.statusCode, r.body).toBe(201);
    const first = await eventually(async () => {
      const now = await running();
      return now.length === 2 ? now : null;
    }, 60_000, 'two running containers');
    expect((await containers()).sort()).toEqual(first.map((i) => i.status.externalId).sort());

    const victim = first[0]!;
    await dockerd.docker(['rm', '-f', victim.status.externalId!]);

    const healed = await eventually(async () => {
      const now = await running();
      return now.length === 2 && !now.some((i) => i.id === victim.id) ? now : null;
    }, 60_000, 'a replacement container');
    expect(healed.some((i) => i.id === first[1]!.id)).toBe(true);
    expect(await containers()).toEqual(healed.map((i) => i.status.externalId).sort());
    const d = json<Deployment>(await t.app.inject({ method: 'GET', url: '/v1/projects/default/deployments/workers' }));
    expect(d.status.recentFailures).toContainEqual(expect.objectContaining({ replica: victim.name, reason: 'DeletedOutside', action: expect.stringMatching(/^replaced on docker-local\/local\//) }));
  }, 120_000);
});
