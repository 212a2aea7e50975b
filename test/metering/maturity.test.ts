import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assessMaturity, type MaturityEvidence } from '../../src/metering/maturity.js';
import { runCli } from '../cli/fixtures-cli.js';
import { simProvider, startTestPlane, type TestPlane } from '../support/control-plane.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';

/** Evidence of an organisation that meets every criterion; each test takes something away. */
function optimised(): MaturityEvidence {
  return {
    instances: { total: 100, managed: 95, placedFromRequirements: 60 },
    providers: { private: ['onprem', 'bm'], public: ['aws-prod'], simulated: [] },
    creates30d: { total: 40, automated: 30 },
    singleSignOn: true,
    cloudFederation: ['aws'],
    metering: { instanceHours30d: 1000, pricedHours30d: 990, budgets: 2, metricHours30d: 500 },
    pricePerformanceMeasured: 1,
  };
}

describe('Cloud Maturity Model level from evidence', () => {
  it('every criterion met: level 5, nothing next', () => {
    const m = assessMaturity(optimised());
    expect(m).toMatchObject({ level: 5, name: 'optimised (federated)', next: [] });
    expect(m.criteria.every((c) => c.met)).toBe(true);
  });

  it('nothing under management: level 0, and the next step says what is missing', () => {
    const e = optimised();
    e.instances = { total: 0, managed: 0, placedFromRequirements: 0 };
    const m = assessMaturity(e);
    expect(m.level).toBe(0);
    expect(m.next.map((c) => c.criterion)).toEqual(['resources under API management']);
  });

  it('a level counts only when the ones below it hold: no single sign-on caps it at 2 whatever else is met', () => {
    const e = optimised();
    e.singleSignOn = false;
    const m = assessMaturity(e);
    expect(m.level).toBe(2);
    expect(m.next).toEqual([expect.objectContaining({ level: 3, criterion: 'single sign-on with the company identity', met: false, evidence: 'not configured' })]);
  });

  it('unpriced usage keeps it at 3, with the share in the evidence', () => {
    const e = optimised();
    e.metering.pricedHours30d = 900;
    const m = assessMaturity(e);
    expect(m.level).toBe(3);
    expect(m.next[0]!.evidence).toBe('900.0 of 1000.0 instance-hours priced (90.0 %)');
  });

  it('simulated providers are not counted as integrated, and the evidence says so', () => {
    const e = optimised();
    e.providers = { private: [], public: [], simulated: ['aws-sim', 'onprem'] };
    const m = assessMaturity(e);
    expect(m.level).toBe(0);
    expect(m.criteria[0]!.evidence).toBe('0 provider(s) (simulated, not counted: aws-sim, onprem)');
  });
});

describe('GET /v1/maturity and tessera maturity', () => {
  let tdb: TestDatabase;
  let t: TestPlane;

  beforeAll(async () => {
    tdb = await createTestDatabase('sqlite');
    t = await startTestPlane(tdb, [simProvider('demo')], { background: false });
  });
  afterAll(async () => {
    await t?.close();
    await tdb?.dispose();
  });

  it('answers the level with its evidence from the live planes', async () => {
    await t.app.inject({ method: 'POST', url: '/v1/instances', payload: { name: 'm-1', requirements: { vcpus: 1, memoryGiB: 1 } } });
    const r = await t.app.inject({ method: 'GET', url: '/v1/maturity' });
    expect(r.statusCode).toBe(200);
    const m = JSON.parse(r.body);
    expect(m.level).toBe(0); // the only provider is simulated
    expect(m.evidence).toMatchObject({
      instances: { total: 1, managed: 1, placedFromRequirements: 1 },
      providers: { private: [], public: [], simulated: ['demo'] },
      creates30d: { total: 1, automated: 0 },
      singleSignOn: false,
    });
    const url = await t.anonymous.listen({ port: 0, host: '127.0.0.1' });
    const cli = await runCli(['maturity'], { url });
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(/^Cloud Maturity Model level 0: none/);
    expect(cli.stdout).toContain('[ ] 1  at least one real provider integrated: 0 provider(s) (simulated, not counted: demo)');
    expect(cli.stdout).toContain('[x] 1  resources under API management: 1 managed instance(s)');
  });
});
