import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOtlpReceiver, type RunningOtlpReceiver } from '../../src/api/otlp-receiver.js';
import { isSettled, type Instance } from '../../src/core/instance.js';
import { eventually, simProvider, startTestPlane, TEST_ADMIN_TOKEN, type TestPlane } from '../support/control-plane.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases.js';
import { ExportResultCode, sdkClient } from './otlp/otel-sdk.js';

interface Report {
  project: string;
  name: string;
  unit: string;
  rows: {
    provider: string;
    flavor: string;
    costMicros: number;
    work: number;
    costPerUnitMicros: number | null;
    unitsPerUsd: number | null;
    sample: { instances: number; instanceHours: number; hoursWithMetrics: number; instancesWithoutMetrics: number };
  }[];
}

/**
 * Price-performance end to end: two web servers on different flavors report the requests they served through the
 * official OpenTelemetry SDK; the ledger knows what they cost; /v1/priceperf says what one request costs on each.
 */
describe.each(DIALECTS)('price-performance on %s', (dialect) => {
  let tdb: TestDatabase;
  let t: TestPlane;
  let receiver: RunningOtlpReceiver;
  const json = <T = Instance>(r: { body: string }) => JSON.parse(r.body) as T;

  beforeAll(async () => {
    tdb = await createTestDatabase(dialect);
    t = await startTestPlane(tdb, [simProvider('plain')], { controller: { pollMs: 50 } });
    receiver = (await startOtlpReceiver(t.cp, { host: '127.0.0.1', port: 0 }))!;
  });
  afterAll(async () => {
    await receiver?.close();
    await t?.close();
    await tdb?.dispose();
  });

  async function running(name: string, flavor: string, labels: Record<string, string>): Promise<Instance> {
    const r = await t.app.inject({ method: 'POST', url: '/v1/instances', payload: { name, provider: 'plain', region: 'r1', flavor, labels } });
    expect(r.statusCode, r.body).toBe(202);
    const id = json(r).id;
    return eventually(async () => {
      const i = json(await t.app.inject({ method: 'GET', url: `/v1/instances/${id}` }));
      return isSettled(i) && i.status.phase === 'Running' ? i : null;
    });
  }

  it('cost per request on each flavor, with its sample; instances outside the selector and without metrics are told apart', async () => {
    const small = await running('web-small', 'small', { app: 'web' });
    const large = await running('web-large', 'large', { app: 'web' });
    const quiet = await running('web-quiet', 'medium', { app: 'web' });
    await running('batch-1', 'small', { app: 'batch' });

    // Each server counts the requests it served, as an instrumented HTTP server would.
    for (const [inst, served] of [[small, 1_000], [large, 20_000]] as const) {
      const client = sdkClient({ url: receiver.url, token: TEST_ADMIN_TOKEN, encoding: 'protobuf', resource: { 'tessera.instance.id': inst.id, 'service.name': 'web' } });
      client.meter.createCounter('http.server.requests').add(served, { 'http.route': '/' });
      expect((await client.export()).code).toBe(ExportResultCode.SUCCESS);
      await client.shutdown();
    }
    await new Promise((r) => setTimeout(r, 300)); // some running time to pay for

    const put = await t.app.inject({
      method: 'PUT',
      url: '/v1/projects/default/work-units/requests',
      payload: { selector: 'app=web', metric: 'http.server.requests', aggregation: 'sum', unit: 'request' },
    });
    expect(put.statusCode, put.body).toBe(200);
    const bad = await t.app.inject({ method: 'PUT', url: '/v1/projects/default/work-units/broken', payload: { selector: 'app in web', metric: 'x', aggregation: 'sum' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toMatch(/not a label selector: write e\.g\. app=web/);

    const from = new Date(Date.now() - 3600_000).toISOString();
    const r = await t.app.inject({ method: 'GET', url: `/v1/priceperf?project=default&unit=requests&from=${from}` });
    expect(r.statusCode, r.body).toBe(200);
    const [report] = json<{ items: Report[] }>(r).items;
    expect(report).toMatchObject({ project: 'default', name: 'requests', unit: 'request' });
    const byFlavor = new Map(report!.rows.map((row) => [row.flavor, row]));
    expect([...byFlavor.keys()].sort()).toEqual(['large', 'medium', 'small']); // batch-1 is not app=web

    for (const [flavor, served] of [['small', 1_000], ['large', 20_000]] as const) {
      const row = byFlavor.get(flavor)!;
      expect(row.work).toBe(served);
      expect(row.costMicros).toBeGreaterThan(0);
      expect(row.costPerUnitMicros).toBeCloseTo(row.costMicros / served, 5);
      expect(row.sample).toMatchObject({ instances: 1, hoursWithMetrics: 1, instancesWithoutMetrics: 0 });
      expect(row.sample.instanceHours).toBeGreaterThan(0);
    }
    // The quiet server sent nothing: it is in the sample as such, with no figure made up for it, and sorts last.
    expect(byFlavor.get('medium')).toMatchObject({ work: 0, costPerUnitMicros: null, unitsPerUsd: null, sample: { instances: 1, instancesWithoutMetrics: 1 } });
    expect(report!.rows.at(-1)!.flavor).toBe('medium');
    void quiet;
  });

  it('a deployment with objective priceperf goes where a request is cheapest, not where an hour is', async () => {
    const plan = async (placement: Record<string, unknown>) =>
      t.app.inject({
        method: 'POST',
        url: '/v1/deployments:plan',
        payload: { kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 2, template: { requirements: { vcpus: 1, memoryGiB: 2 } }, placement } },
      });
    interface PlanBody {
      placement: { objective: string; offers: { region: string; flavor: string; replicas: number }[]; rejectedAlternatives: { region: string; flavor: string; reason: string }[] };
    }
    // By the hour the small flavor is cheapest ($0.01 against $0.08)...
    const byCost = json<PlanBody>(await plan({ objective: 'cost' }));
    expect(byCost.placement.offers.map((o) => o.flavor)).toEqual(['small']);
    // ...but a large server served 20 times the requests for 8 times the price: a request costs less there.
    const r = await plan({ objective: 'priceperf', workUnit: 'requests' });
    expect(r.statusCode, r.body).toBe(200);
    const byWork = json<PlanBody>(r);
    expect(byWork.placement.offers).toEqual([expect.objectContaining({ region: 'r1', flavor: 'large', replicas: 2 })]);
    // Offers with no measurement are never guessed at.
    expect(byWork.placement.rejectedAlternatives).toContainEqual(expect.objectContaining({ region: 'r1', flavor: 'medium', reason: 'priceperf unmeasured' }));

    const missing = await plan({ objective: 'priceperf', workUnit: 'nope' });
    expect(missing.statusCode).toBe(400);
    expect(json<{ error: { message: string } }>(missing).error.message).toMatch(/placement.workUnit "nope" is not a work unit of project default: declare it first/);
    const none = await plan({ objective: 'priceperf' });
    expect(none.statusCode).toBe(400);
    expect(none.body).toMatch(/objective \\"priceperf\\" needs \\"workUnit\\"/);
  });
});
