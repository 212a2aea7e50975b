import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoEstate } from '../../src/api/demo-estate.js';
import type { DeploymentPlanView } from '../../src/cli/plan-view.js';
import { residencyOf } from '../../src/deploy/region-residency.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import { startTestPlane, type TestPlane } from '../support/control-plane.js';
import { runCli } from './fixtures-cli.js';

/** The files in examples/ (the README's tour) planned against the demo estate `npm start` serves: they stay valid. */
describe('examples/ against the demo estate', () => {
  let tdb: TestDatabase;
  let t: TestPlane;
  let url: string;
  const example = (name: string) => new URL(`../../examples/${name}`, import.meta.url).pathname;

  beforeAll(async () => {
    tdb = await createTestDatabase('sqlite');
    t = await startTestPlane(tdb, demoEstate(), { background: false });
    url = await t.anonymous.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await t?.close();
    await tdb?.dispose();
  });

  it('deploy.yaml: web stays in Korea on at least two providers; batch spreads by region within its budget', async () => {
    const r = await runCli(['plan', '-f', example('deploy.yaml'), '-o', 'json'], { url });
    expect(r.code, r.stderr).toBe(0);
    const [web, batch] = JSON.parse(r.stdout) as DeploymentPlanView[];
    const offers = web!.placement!.offers;
    expect(offers.reduce((n, o) => n + o.replicas, 0)).toBe(6);
    for (const o of offers) expect(o.provider === 'onprem' || residencyOf(o.provider.replace(/-sim$/, ''), o.region) === 'kr', `${o.provider}/${o.region}`).toBe(true);
    expect(new Set(offers.map((o) => o.provider)).size).toBeGreaterThanOrEqual(2);
    for (const p of new Set(offers.map((o) => o.provider))) expect(offers.filter((o) => o.provider === p).reduce((n, o) => n + o.replicas, 0)).toBeLessThanOrEqual(4);

    const spread = batch!.placement!;
    expect(spread.offers.reduce((n, o) => n + o.replicas, 0)).toBe(8);
    expect(spread.totalMicrosPerHour).toBeLessThanOrEqual(2_000_000);
    const perRegion = new Map<string, number>();
    for (const o of spread.offers) perRegion.set(`${o.provider}/${o.region}`, (perRegion.get(`${o.provider}/${o.region}`) ?? 0) + o.replicas);
    expect(Math.max(...perRegion.values())).toBe(1); // eight regions with room: one replica each

    const text = await runCli(['plan', '-f', example('deploy.yaml')], { url });
    expect(text.stdout).toMatch(/^deployment default\/web \(new\)$/m);
    expect(text.stdout).toMatch(/Plan: 6 to create, 0 to replace, 0 to delete, 0 unchanged\./);
  });

  it('cluster.yaml: four node groups, the control plane on onprem, burst on spot in the public clouds', async () => {
    const r = await runCli(['plan', '-f', example('cluster.yaml'), '-o', 'json'], { url });
    expect(r.code, r.stderr).toBe(0);
    const [plan] = JSON.parse(r.stdout) as { name: string; deployments: DeploymentPlanView[] }[];
    expect(plan!.deployments.map((d) => [d.name, d.summary.create])).toEqual([
      ['shop-k8s-cp-init', 1],
      ['shop-k8s-cp', 2],
      ['shop-k8s-general', 4],
      ['shop-k8s-burst', 2],
    ]);
    for (const d of plan!.deployments.slice(0, 2)) expect(d.placement!.offers.every((o) => o.provider === 'onprem')).toBe(true);
    expect(plan!.deployments[3]!.placement!.offers.every((o) => o.provider !== 'onprem' && o.market === 'spot')).toBe(true);
  });
});
