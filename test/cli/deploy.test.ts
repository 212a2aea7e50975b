import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deployment } from '../../src/deploy/deployment.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import { simProvider, startTestPlane, type TestPlane } from '../support/control-plane.js';
import { runCli } from './fixtures-cli.js';

/**
 * `tessera plan | apply --wait | get | delete -f` against a real API server over two simulated providers, one of
 * whose regions refuses every create for capacity: the apply converges elsewhere and `get -o yaml` says why.
 */
const FILE = `# two documents, as a team keeps its services in one file
apiVersion: tessera.io/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 3
  template:
    image: ubuntu-24.04
    requirements: {vcpus: 2, memoryGiB: 4}
    labels: {tier: front}
  placement:
    objective: cost
  strategy: {maxSurge: 1, maxUnavailable: 0}
---
apiVersion: tessera.io/v1
kind: Deployment
metadata:
  name: batch
spec:
  replicas: 2
  template:
    flavor: small
  placement:
    objective: spread
    providers: {allow: [cheap, other]}
`;

describe('tessera plan, apply, get and delete -f', () => {
  let tdb: TestDatabase;
  let t: TestPlane;
  let url: string;
  let dir: string;
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  beforeAll(async () => {
    tdb = await createTestDatabase('sqlite');
    t = await startTestPlane(
      tdb,
      [
        simProvider('cheap', {
          flavors: [
            { name: 'small', vcpus: 1, memoryGiB: 2, priceUsdPerHour: '0.005' },
            { name: 'medium', vcpus: 2, memoryGiB: 4, priceUsdPerHour: '0.012' },
          ],
          regions: [{ name: 'r1', zones: ['r1a'], failureRates: { capacity: 1 } }, { name: 'r2', zones: ['r2a'] }],
        }),
        simProvider('other'),
      ],
      { controller: { pollMs: 50 } },
    );
    url = await t.anonymous.listen({ port: 0, host: '127.0.0.1' });
    dir = mkdtempSync(join(tmpdir(), 'tessera-deploy-cli-'));
  });
  afterAll(async () => {
    await t?.close();
    await tdb?.dispose();
  });

  it('plan prints a Terraform-like plan per document and changes nothing', async () => {
    const r = await runCli(['plan', '-f', file('deploy.yaml', FILE)], { url });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('deployment default/web (new)');
    expect(r.stdout).toMatch(/\+ create\s+\(new replica\)\s+cheap\/r1\/medium\s+\$0\.012\/h\s+scale up/);
    // 3 × $0.012 = $0.036/h; × 730 h = $26.28 a month.
    expect(r.stdout).toContain('Plan: 3 to create, 0 to replace, 0 to delete, 0 unchanged. $0.00/h → $0.036/h (+$26.28 a month)');
    // Spread puts one replica on each provider; the cheapest offer of the other is passed over with the reason.
    expect(r.stdout).toContain('deployment default/batch (new)');
    expect(r.stdout).toMatch(/placement \(spread, proven optimal\): 1 × cheap\/r1\/small at \$0\.005\/h, 1 × other\/r1\/small at \$0\.01\/h/);
    const list = await runCli(['get', 'deployments', '-o', 'json'], { url });
    expect(JSON.parse(list.stdout)).toEqual([]);

    const json = await runCli(['plan', '-f', join(dir, 'deploy.yaml'), '-o', 'json'], { url });
    const plans = JSON.parse(json.stdout) as { name: string; summary: Record<string, number>; monthlyDeltaMicros: number }[];
    expect(plans.map((p) => [p.name, p.summary.create, p.monthlyDeltaMicros])).toEqual([
      ['web', 3, 26_280_000],
      ['batch', 2, (5_000 + 10_000) * 730],
    ]);
  });

  it('apply --wait converges around the refusing region; get -o yaml shows why', async () => {
    const r = await runCli(['apply', '-f', join(dir, 'deploy.yaml'), '--wait', '--timeout', '60'], { url });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('deployment default/web created');
    expect(r.stdout).toContain('deployment default/batch created');
    expect(r.stderr).toMatch(/deployment default\/web: Available, 3\/3 ready/);

    const y = await runCli(['get', 'deployment', 'web', '-o', 'yaml'], { url });
    expect(y.code).toBe(0);
    const d = parseYaml(y.stdout) as Deployment;
    expect(d.status.phase).toBe('Available');
    expect(d.status.placement?.offers).toEqual([expect.objectContaining({ provider: 'cheap', region: 'r2', flavor: 'medium', replicas: 3 })]);
    expect(d.status.backoff[0]).toMatchObject({ provider: 'cheap', region: 'r1', reason: 'Capacity' });
    expect(d.status.backoff[0]!.message).toMatch(/no capacity for medium in r1/);
    expect(d.status.recentFailures[0]).toMatchObject({ provider: 'cheap', region: 'r1', reason: 'Capacity', action: 'replaced on cheap/r2/medium' });
    expect(d.status.conditions.find((c) => c.type === 'ReplicaFailure')).toMatchObject({ status: 'False', reason: 'Recovered' });

    const table = await runCli(['get', 'deployments'], { url });
    expect(table.stdout).toMatch(/web\s+default\s+3\/3\s+3\s+Available\s+0\.036\s+3×cheap\/r2/);
    const detail = await runCli(['get', 'deployment', 'web'], { url });
    expect(detail.stdout).toMatch(/avoiding\s+cheap\/r1\/medium until .*Capacity/);
    expect(detail.stdout.match(/replica web-[a-z0-9]{5}\s+Running on cheap\/r2\/medium/g)).toHaveLength(3);

    // What each deployment costs comes with its replicas' label.
    const cost = await runCli(['cost', 'report', '--by', 'label:tessera.io/deployment', '-o', 'json'], { url });
    expect(cost.code, cost.stderr).toBe(0);
    const rows = (JSON.parse(cost.stdout) as { rows: { keys: Record<string, string | null>; instanceHours: number }[] }).rows;
    expect(rows.map((r) => r.keys['label:tessera.io/deployment']).sort()).toEqual(['batch', 'web']);

    // Applying the same file again changes nothing.
    const again = await runCli(['plan', '-f', join(dir, 'deploy.yaml')], { url });
    expect(again.stdout).toContain('Plan: 0 to create, 0 to replace, 0 to delete, 3 unchanged. $0.036/h → $0.036/h (+$0.00 a month)');
  });

  it('bad documents: a clear error naming the document or the field, and nothing applied', async () => {
    const missing = await runCli(['plan', '-f', join(dir, 'none.yaml')], { url });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read the file .*none\.yaml: ENOENT/);
    const kind = await runCli(['apply', '-f', file('bad-kind.yaml', 'kind: Pod\nmetadata: {name: x}\n')], { url });
    expect(kind.code).toBe(2);
    expect(kind.stderr).toContain('bad-kind.yaml#1 has kind "Pod": use one of Deployment, Cluster');
    const field = await runCli(['apply', '-f', file('bad-field.yaml', 'kind: Deployment\nmetadata: {name: typo}\nspec: {replicas: 1, template: {flavor: small}, placment: {}}\n')], { url });
    expect(field.code).toBe(1);
    expect(field.stderr).toMatch(/placment/);
    const both = await runCli(['apply', '-f', file('bad-shape.yaml', 'kind: Deployment\nmetadata: {name: both}\nspec: {replicas: 1, template: {flavor: small, requirements: {vcpus: 1, memoryGiB: 1}}}\n')], { url });
    expect(both.code).toBe(1);
    expect(both.stderr).toMatch(/exactly one of "flavor".*or "requirements"/);
    const none = await runCli(['get', 'deployments', '-o', 'json'], { url });
    expect((JSON.parse(none.stdout) as { name: string }[]).map((x) => x.name).sort()).toEqual(['batch', 'web']);
  });

  it('delete -f --wait removes the deployments and their replicas', async () => {
    const r = await runCli(['delete', '-f', join(dir, 'deploy.yaml'), '--wait', '--timeout', '60'], { url });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('deployment default/web deleted');
    const list = await runCli(['get', 'deployments', '-o', 'json'], { url });
    expect(JSON.parse(list.stdout)).toEqual([]);
    const instances = JSON.parse((await runCli(['instance', 'list', '-o', 'json'], { url })).stdout) as unknown[];
    expect(instances).toEqual([]);
  });
});
