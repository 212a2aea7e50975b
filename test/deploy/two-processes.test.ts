import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Instance } from '../../src/core/instance.js';
import type { Deployment } from '../../src/deploy/deployment.js';
import type { SimDriver } from '../../src/providers/sim/driver.js';
import { eventually, simProvider, startTestPlane, type TestPlane } from '../support/control-plane.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';

/**
 * Scale-out: two Tessera processes (two control planes on one PostgreSQL schema and one simulated cloud) run the
 * deployment and instance controllers side by side. Work is shared through the store's leases, so a deployment
 * gets exactly its replicas — never one twice — and when one process stops, the other finishes its work.
 */
describe('a deployment run by two processes on one PostgreSQL', () => {
  let tdb: TestDatabase;
  let a: TestPlane;
  let b: TestPlane;
  const providers = () => [simProvider('shared', { latencyMs: { min: 5, max: 30 } })];
  const json = <T>(r: { body: string }) => JSON.parse(r.body) as T;
  const doc = (replicas: number) => ({ kind: 'Deployment', metadata: { name: 'pair' }, spec: { replicas, template: { requirements: { vcpus: 1, memoryGiB: 2 } }, placement: { objective: 'spread', spreadBy: 'region' } } });
  const live = async (t: TestPlane) =>
    json<{ items: Instance[] }>(await t.app.inject({ method: 'GET', url: `/v1/instances?limit=1000&selector=${encodeURIComponent('tessera.io/deployment=pair')}` })).items.filter((i) => i.deletedAt === null);
  const machines = () => ((b.cp.providers.get('shared')!.inner as SimDriver).simMachines()).filter((m) => m.deletedAt === null);

  beforeAll(async () => {
    tdb = await createTestDatabase('postgres');
    a = await startTestPlane(tdb, providers(), { controller: { pollMs: 50 } });
    b = await startTestPlane(tdb, providers(), { controller: { pollMs: 50 } });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await tdb?.dispose();
  });

  it('applied through one, read through the other: exactly its replicas, each machine once', async () => {
    expect((await a.app.inject({ method: 'PUT', url: '/v1/projects/default/deployments/pair', payload: doc(40) })).statusCode).toBe(201);
    const d = await eventually(async () => {
      const now = json<Deployment>(await b.app.inject({ method: 'GET', url: '/v1/projects/default/deployments/pair' }));
      return now.status.phase === 'Available' ? now : null;
    }, 60_000, 'the deployment to be available');
    expect(d.status.readyReplicas).toBe(40);
    expect(await live(b)).toHaveLength(40);
    expect(machines()).toHaveLength(40);
  });

  it('scaled through the second while the first stops: the second finishes, still no replica twice', async () => {
    expect((await b.app.inject({ method: 'PUT', url: '/v1/projects/default/deployments/pair', payload: doc(70) })).statusCode).toBe(200);
    await a.close();
    await eventually(async () => {
      const now = json<Deployment>(await b.app.inject({ method: 'GET', url: '/v1/projects/default/deployments/pair' }));
      return now.status.phase === 'Available' && now.status.readyReplicas === 70 && now.status.observedGeneration === now.generation;
    }, 60_000, 'the second process to finish the scale-up');
    expect(await live(b)).toHaveLength(70);
    expect(machines()).toHaveLength(70);
    expect(new Set(machines().map((m) => m.labels['tessera.io/id'])).size).toBe(70);
  });
});
