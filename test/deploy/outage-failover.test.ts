import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Instance } from '../../src/core/instance.js';
import type { Deployment } from '../../src/deploy/deployment.js';
import { eventually, simProvider, startTestPlane, type TestPlane } from '../support/control-plane.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';

/**
 * A provider that answers (its offers list fine) but fails every create with a retryable error — an outage of
 * its compute API. The compute controller keeps retrying with backoff; after failoverAfterSeconds the deployment
 * gives up on that region, backs it off and places the replicas elsewhere.
 */
describe('failover from a provider whose creates keep failing', () => {
  let tdb: TestDatabase;
  let t: TestPlane;
  const json = <T>(r: { body: string }) => JSON.parse(r.body) as T;

  beforeAll(async () => {
    tdb = await createTestDatabase('sqlite');
    t = await startTestPlane(
      tdb,
      [
        simProvider('down', { flavors: [{ name: 'small', vcpus: 1, memoryGiB: 2, priceUsdPerHour: '0.001' }], failureRates: { retryable: 1 } }),
        simProvider('up'),
        // Refuses every create as invalid (a template no provider can run), dearer than the others.
        simProvider('strict', { flavors: [{ name: 'big', vcpus: 8, memoryGiB: 32, priceUsdPerHour: '0.5' }], failureRates: { invalid: 1 } }),
      ],
      { controller: { pollMs: 50 } },
    );
  });
  afterAll(async () => {
    await t?.close();
    await tdb?.dispose();
  });

  it('re-places the replicas after failoverAfterSeconds and says why; a passing error alone moves nothing', async () => {
    const doc = {
      kind: 'Deployment',
      metadata: { name: 'patient' },
      spec: { replicas: 2, template: { requirements: { vcpus: 1, memoryGiB: 2 } }, placement: { failoverAfterSeconds: 2 } },
    };
    const r = await t.app.inject({ method: 'PUT', url: '/v1/projects/default/deployments/patient', payload: doc });
    expect(r.statusCode, r.body).toBe(201);
    // The cheapest offer is the failing provider's: that is where the plan puts them.
    expect(json<{ plan: { changes: { to: { provider: string } }[] } }>(r).plan.changes.map((c) => c.to.provider)).toEqual(['down', 'down']);

    // Within the first second the replicas are still waiting on their provider's retries, not moved.
    await new Promise((resolve) => setTimeout(resolve, 700));
    const early = json<Deployment>(await t.app.inject({ method: 'GET', url: '/v1/projects/default/deployments/patient' }));
    expect(early.status.recentFailures).toEqual([]);

    const d = await eventually(async () => {
      const now = json<Deployment>(await t.app.inject({ method: 'GET', url: '/v1/projects/default/deployments/patient' }));
      return now.status.phase === 'Available' ? now : null;
    }, 30_000, 'the deployment to be available elsewhere');
    const running = json<{ items: Instance[] }>(await t.app.inject({ method: 'GET', url: `/v1/instances?selector=${encodeURIComponent('tessera.io/deployment=patient')}` })).items.filter(
      (i) => i.status.phase === 'Running' && i.deletedAt === null,
    );
    expect(running.map((i) => i.spec.provider)).toEqual(['up', 'up']);
    expect(d.status.backoff.map((b) => [b.provider, b.flavor, b.reason])).toContainEqual(['down', null, 'Retryable']);
    expect(d.status.recentFailures[0]!.message).toMatch(/failing for \d+ s/);
  });

  it('three replicas failing as invalid stop the replacements until the template changes, and say so', async () => {
    const doc = { kind: 'Deployment', metadata: { name: 'hopeless' }, spec: { replicas: 2, template: { flavor: 'big' } } };
    expect((await t.app.inject({ method: 'PUT', url: '/v1/projects/default/deployments/hopeless', payload: doc })).statusCode).toBe(201);
    const d = await eventually(async () => {
      const now = json<Deployment>(await t.app.inject({ method: 'GET', url: '/v1/projects/default/deployments/hopeless' }));
      return now.status.conditions.some((c) => c.type === 'Progressing' && c.reason === 'TemplateFailing') ? now : null;
    }, 30_000, 'the deployment to give up on its template');
    expect(d.status.phase).toBe('Degraded');
    expect(d.status.recentFailures.filter((f) => f.reason === 'Invalid').length).toBeGreaterThanOrEqual(3);
    // No new replica is made meanwhile.
    const made = async () => json<{ items: Instance[] }>(await t.app.inject({ method: 'GET', url: `/v1/instances?selector=${encodeURIComponent('tessera.io/deployment=hopeless')}` })).items;
    const seen = new Set((await made()).map((i) => i.id));
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await made()).filter((i) => !seen.has(i.id))).toEqual([]);
  });
});
