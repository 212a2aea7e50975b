import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Instance } from '../../src/core/instance.js';
import type { Deployment } from '../../src/deploy/deployment.js';
import type { SimDriver } from '../../src/providers/sim/driver.js';
import { eventually, simProvider, startTestPlane, type TestPlane } from '../support/control-plane.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases.js';

/**
 * The deployment controller end to end on simulated providers: placement, failover away from a region that
 * refuses (capacity), self-healing after a machine is deleted behind Tessera's back, scaling and rolling updates.
 */

const FLAVORS = [
  { name: 'small', vcpus: 1, memoryGiB: 2, priceUsdPerHour: '0.010' },
  { name: 'medium', vcpus: 2, memoryGiB: 4, priceUsdPerHour: '0.015' },
];

interface EventView {
  type: string;
  reason: string;
  message: string;
}

function doc(name: string, spec: Record<string, unknown>) {
  return { apiVersion: 'tessera.io/v1', kind: 'Deployment', metadata: { name, project: 'default' }, spec };
}

describe.each(DIALECTS)('deployments on %s', (dialect) => {
  let tdb: TestDatabase;
  let t: TestPlane;
  const json = <T>(r: { body: string }) => JSON.parse(r.body) as T;
  const apply = (d: ReturnType<typeof doc>) => t.app.inject({ method: 'PUT', url: `/v1/projects/default/deployments/${d.metadata.name}`, payload: d });
  const get = async (name: string) => json<Deployment>(await t.app.inject({ method: 'GET', url: `/v1/projects/default/deployments/${name}` }));
  const replicas = async (name: string) =>
    json<{ items: Instance[] }>(await t.app.inject({ method: 'GET', url: `/v1/instances?selector=${encodeURIComponent(`tessera.io/deployment=${name}`)}&limit=1000` })).items;
  const settled = (name: string, check: (d: Deployment) => boolean = () => true, timeoutMs = 30_000) =>
    eventually(async () => {
      const d = await get(name);
      return d.status.phase === 'Available' && d.status.observedGeneration === d.generation && check(d) ? d : null;
    }, timeoutMs, `deployment ${name} to be available`);
  const eventsOf = async (id: string) => json<{ items: EventView[] }>(await t.app.inject({ method: 'GET', url: `/v1/events?resourceId=${id}&limit=1000` })).items;

  beforeAll(async () => {
    tdb = await createTestDatabase(dialect);
    t = await startTestPlane(
      tdb,
      [
        // The cheapest provider: its first region refuses every create (capacity), its second is fine.
        simProvider('cheap', { flavors: FLAVORS, regions: [{ name: 'r1', zones: ['r1a'], failureRates: { capacity: 1 } }, { name: 'r2', zones: ['r2a'] }] }),
        simProvider('other'),
      ],
      { controller: { pollMs: 50 }, discovery: { intervalSeconds: 1, pageSize: 100 } },
    );
  });
  afterAll(async () => {
    await t?.close();
    await tdb?.dispose();
  });

  it('fails over from a region that refuses: converges on the next offers and says why', async () => {
    const r = await apply(doc('web', { replicas: 3, template: { requirements: { vcpus: 2, memoryGiB: 4 } }, strategy: { maxSurge: 1, maxUnavailable: 0 } }));
    expect(r.statusCode, r.body).toBe(201);
    const applied = json<{ plan: { summary: Record<string, number>; changes: { to: { provider: string; region: string } }[] } }>(r);
    // The plan is made before anything is known to fail: every replica on the cheapest offer, cheap/r1.
    expect(applied.plan.summary).toEqual({ create: 3, replace: 0, delete: 0, keep: 0 });
    expect(applied.plan.changes.map((c) => `${c.to.provider}/${c.to.region}`)).toEqual(['cheap/r1', 'cheap/r1', 'cheap/r1']);

    const d = await settled('web', (x) => x.status.readyReplicas === 3);
    const running = (await replicas('web')).filter((i) => i.status.phase === 'Running');
    expect(running.map((i) => `${i.spec.provider}/${i.spec.region}/${i.spec.flavor}`)).toEqual(['cheap/r2/medium', 'cheap/r2/medium', 'cheap/r2/medium']);
    expect(d.status.backoff).toEqual([expect.objectContaining({ provider: 'cheap', region: 'r1', flavor: 'medium', reason: 'Capacity' })]);
    expect(d.status.recentFailures.length).toBeGreaterThanOrEqual(1);
    expect(d.status.recentFailures[0]).toMatchObject({ provider: 'cheap', region: 'r1', reason: 'Capacity', action: 'replaced on cheap/r2/medium' });
    expect(d.status.placement?.offers).toEqual([expect.objectContaining({ provider: 'cheap', region: 'r2', flavor: 'medium', replicas: 3 })]);
    expect(d.status.placement?.rejectedAlternatives).toContainEqual(expect.objectContaining({ provider: 'cheap', region: 'r1', reason: expect.stringContaining('backing off cheap/r1') }));
    const events = await eventsOf(d.id);
    expect(events.some((e) => e.type === 'Backoff' && /cheap\/r1\/medium refused/.test(e.message))).toBe(true);
    expect(events.some((e) => e.type === 'RolloutComplete')).toBe(true);
  });

  it('heals itself: a replica deleted behind Tessera\'s back is replaced without a person, the others stay', async () => {
    const before = (await replicas('web')).filter((i) => i.status.phase === 'Running');
    const victim = before[0]!;
    const sim = t.cp.providers.get('cheap')!.inner as SimDriver;
    expect(sim.externalDelete(victim.status.externalId!)).toBe(true);

    const d = await eventually(async () => {
      const now = await get('web');
      const live = (await replicas('web')).filter((i) => i.status.phase === 'Running');
      return now.status.phase === 'Available' && live.length === 3 && !live.some((i) => i.id === victim.id) ? now : null;
    }, 30_000, 'a replacement for the deleted replica');
    const after = (await replicas('web')).filter((i) => i.status.phase === 'Running');
    // The two healthy replicas were not touched.
    expect(after.filter((i) => before.some((b) => b.id === i.id)).length).toBe(2);
    expect(d.status.recentFailures).toContainEqual(expect.objectContaining({ replica: victim.name, reason: 'DeletedOutside' }));
  });

  it('replaces a replica stopped outside Tessera (a reported drift) instead of leaving it down', async () => {
    const before = (await replicas('web')).filter((i) => i.status.phase === 'Running');
    const victim = before[1]!;
    const sim = t.cp.providers.get('cheap')!.inner as SimDriver;
    sim.externalModify(victim.status.externalId!, { power: 'off' });
    await t.cp.syncInventoryOnce();
    const d = await eventually(async () => {
      const now = await get('web');
      const live = (await replicas('web')).filter((i) => i.status.phase === 'Running' && i.deletedAt === null);
      return now.status.phase === 'Available' && live.length === 3 && !live.some((i) => i.id === victim.id) ? now : null;
    }, 30_000, 'a replacement for the stopped replica');
    expect(d.status.recentFailures).toContainEqual(expect.objectContaining({ replica: victim.name, reason: 'PowerChangedOutside' }));
  });

  it('scales up and down, and rolls a template change out one replica at a time', async () => {
    const base = { template: { requirements: { vcpus: 2, memoryGiB: 4 } }, strategy: { maxSurge: 1, maxUnavailable: 0 } };
    expect((await apply(doc('web', { ...base, replicas: 5 }))).statusCode).toBe(200);
    await settled('web', (x) => x.status.readyReplicas === 5);
    expect((await apply(doc('web', { ...base, replicas: 2 }))).statusCode).toBe(200);
    await settled('web', (x) => x.status.replicas === 2);
    expect((await replicas('web')).filter((i) => i.deletedAt === null)).toHaveLength(2);

    const oldIds = new Set((await replicas('web')).map((i) => i.id));
    const r = await apply(doc('web', { ...base, replicas: 2, template: { ...base.template, image: 'debian-12' } }));
    expect(json<{ plan: { summary: Record<string, number> } }>(r).plan.summary).toEqual({ create: 0, replace: 2, delete: 0, keep: 0 });
    // Never fewer than 2 ready on the way (maxUnavailable 0), never more than 3 replicas (maxSurge 1).
    let minReady = Infinity;
    let maxLive = 0;
    const d = await eventually(async () => {
      const now = await get('web');
      const live = (await replicas('web')).filter((i) => i.deletedAt === null);
      minReady = Math.min(minReady, live.filter((i) => i.status.phase === 'Running').length);
      maxLive = Math.max(maxLive, live.length);
      return now.status.phase === 'Available' && now.status.observedGeneration === now.generation && live.every((i) => i.spec.image === 'debian-12') && live.length === 2 ? now : null;
    }, 30_000, 'the rollout to finish');
    expect(d.status.updatedReplicas).toBe(2);
    expect(minReady).toBeGreaterThanOrEqual(2);
    expect(maxLive).toBeLessThanOrEqual(3);
    expect((await replicas('web')).filter((i) => i.deletedAt === null).some((i) => oldIds.has(i.id))).toBe(false);
  });

  it('OnDelete: a template change replaces nothing running; a replacement gets the new template', async () => {
    const spec = (image: string) => ({ replicas: 2, template: { image, requirements: { vcpus: 1, memoryGiB: 2 } }, strategy: { type: 'OnDelete' }, placement: { providers: { allow: ['other'] } } });
    expect((await apply(doc('keeper', spec('ubuntu-24.04')))).statusCode).toBe(201);
    await settled('keeper', (x) => x.status.readyReplicas === 2);
    const before = (await replicas('keeper')).map((i) => i.id).sort();

    const r = await apply(doc('keeper', spec('debian-12')));
    expect(json<{ plan: { summary: Record<string, number> } }>(r).plan.summary).toEqual({ create: 0, replace: 0, delete: 0, keep: 2 });
    await settled('keeper');
    expect((await replicas('keeper')).map((i) => i.id).sort()).toEqual(before);
    expect((await replicas('keeper')).every((i) => i.spec.image === 'ubuntu-24.04')).toBe(true);

    // A person deletes one: its replacement is made from the template as it is now.
    expect((await t.app.inject({ method: 'DELETE', url: `/v1/instances/${before[0]}` })).statusCode).toBe(202);
    const after = await eventually(async () => {
      const live = (await replicas('keeper')).filter((i) => i.deletedAt === null && i.status.phase === 'Running');
      return live.length === 2 && !live.some((i) => i.id === before[0]) ? live : null;
    }, 30_000, 'a replacement');
    expect(after.map((i) => i.spec.image).sort()).toEqual(['debian-12', 'ubuntu-24.04']);
    await t.app.inject({ method: 'DELETE', url: `/v1/deployments/${(await get('keeper')).id}` });
  });

  it('a change naming a stale resourceVersion is refused with 409 and changes nothing', async () => {
    const d = await get('web');
    const stale = d.resourceVersion - 1;
    const r = await t.app.inject({ method: 'PUT', url: `/v1/projects/default/deployments/web?resourceVersion=${stale}`, payload: doc('web', { ...d.spec, replicas: 9 }) });
    expect(r.statusCode).toBe(409);
    expect(json<{ error: { message: string } }>(r).error.message).toMatch(/has changed since you read it/);
    expect((await get('web')).spec.replicas).toBe(d.spec.replicas);
  });

  it('refuses an unsatisfiable document with 422 naming the constraint, and stores nothing', async () => {
    const r = await apply(doc('too-big', { replicas: 2, template: { requirements: { vcpus: 64, memoryGiB: 512 } } }));
    expect(r.statusCode).toBe(422);
    expect(json<{ error: { message: string } }>(r).error.message).toMatch(/smaller than the requirements/);
    expect((await t.app.inject({ method: 'GET', url: '/v1/projects/default/deployments/too-big' })).statusCode).toBe(404);
  });

  it('/openapi.json has the Deployment and Cluster documents (the same schema the YAML files are read with) and their routes', async () => {
    const api = json<{ paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }> } }>(
      await t.app.inject({ method: 'GET', url: '/openapi.json' }),
    );
    for (const id of ['DeploymentDocument', 'ClusterDocument']) {
      expect(Object.keys(api.components.schemas[id]?.properties ?? {}).sort(), id).toEqual(['apiVersion', 'kind', 'metadata', 'spec']);
    }
    expect(Object.keys(api.components.schemas['PlacementPolicy']?.properties ?? {})).toEqual(
      expect.arrayContaining(['objective', 'spreadBy', 'providers', 'regions', 'kinds', 'labels', 'spot', 'maxHourlyUsd', 'minProviders', 'maxPerProvider', 'quota', 'preferPrivate']),
    );
    expect(Object.keys(api.components.schemas['RolloutStrategy']?.properties ?? {}).sort()).toEqual(['maxSurge', 'maxUnavailable', 'type']);
    expect(api.paths['/v1/deployments:plan']).toHaveProperty('post');
    expect(api.paths['/v1/clusters:plan']).toHaveProperty('post');
    expect(api.paths['/v1/projects/{project}/deployments/{name}']).toHaveProperty('put');
    expect(api.paths['/v1/projects/{project}/clusters/{name}']).toHaveProperty('put');
    expect(api.paths['/v1/deployments/{id}']).toHaveProperty('delete');
  });

  it('deletes a deployment: its replicas first, then it', async () => {
    const d = await get('web');
    const r = await t.app.inject({ method: 'DELETE', url: `/v1/deployments/${d.id}` });
    expect(r.statusCode).toBe(202);
    await eventually(async () => (await replicas('web')).length === 0, 30_000, 'replicas to be gone');
    await eventually(async () => (await t.app.inject({ method: 'GET', url: '/v1/projects/default/deployments/web' })).statusCode === 404, 30_000, 'the deployment to be gone');
  });
});
