import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SINCE_EVER } from '../../../src/metering/catalog/catalog-diff.js';
import type { CatalogPrice } from '../../../src/metering/catalog/catalog-price.js';
import type { CostModelInput } from '../../../src/metering/cost-model/cost-model-config.js';
import type { CostModelApplyOutcome, CostModelView } from '../../../src/metering/cost-model/cost-model-view.js';
import type { ProviderConfig } from '../../../src/providers/registry.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../support/databases.js';
import { signedIn, simProvider, startTestPlane, type TestPlane } from '../../support/control-plane.js';
import { HAND_EXAMPLE } from './hand-example.js';

/** One server-hour is 1.49 USD (see cost-model-arithmetic.test.ts for the steps). */
const MODEL_A: CostModelInput = HAND_EXAMPLE;
/** Electricity doubles: power 0.09 → 0.18 USD/h, a server-hour 1.49 → 1.58. */
const MODEL_B: CostModelInput = { ...MODEL_A, electricityUsdPerKwh: 0.24 };

/**
 * Flavor prices under each model: vCPU-hour = 10 × 0.6 × S / 480, GiB-hour = 10 × 0.4 × S / 1920 for a
 * server-hour S; A: 0.018625 and 0.0031041666…; B: 0.01975 and 0.0032916666….
 *   small (1 vCPU, 2 GiB):   A 0.0248333… → 24,833   B 0.0263333… → 26,333
 *   medium (2 vCPU, 4 GiB):  A 0.0496666… → 49,667   B 0.0526666… → 52,667
 *   large (4 vCPU, 16 GiB):  A 0.1241666… → 124,167  B 0.1316666… → 131,667
 */
const PRICES_A = { small: 24_833, medium: 49_667, large: 124_167 };
const PRICES_B = { small: 26_333, medium: 52_667, large: 131_667 };

const vmCloud = (model: CostModelInput): ProviderConfig => simProvider('dc', {}, { costModel: model as Record<string, unknown> });
/** Bare metal: every flavor is sold as the one server type that fits it, at 1.49 / 0.75 = 1.98666… → 1,986,667 µ$ an hour. */
const metal = (): ProviderConfig =>
  simProvider(
    'metal',
    {
      kind: 'baremetal',
      regions: [{ name: 'dc1', zones: ['rack-1'] }],
      flavors: [
        { name: 'bm.half', vcpus: 32, memoryGiB: 128, priceUsdPerHour: '1' },
        { name: 'bm.full', vcpus: 64, memoryGiB: 256, priceUsdPerHour: '2' },
        { name: 'bm.big', vcpus: 128, memoryGiB: 1024, priceUsdPerHour: '4' },
      ],
    },
    { costModel: MODEL_A as Record<string, unknown> },
  );

const ok = <T>(res: { statusCode: number; body: string }, status = 200): T => {
  expect(res.statusCode, res.body).toBe(status);
  return JSON.parse(res.body) as T;
};

const byFlavor = (rows: CatalogPrice[]) => rows.map((p) => `${p.region}/${p.flavor} ${p.priceMicrosPerHour} ${p.validFrom} ${p.validTo ?? 'open'} ${p.source}`);

describe.each(DIALECTS)('cost model versions on %s', (dialect) => {
  let tdb: TestDatabase;
  let t: TestPlane | undefined;
  let firstHistory: CatalogPrice[];

  const start = async (providers: ProviderConfig[]) => {
    await t?.close();
    t = await startTestPlane(tdb, providers, { background: false });
    return t;
  };

  beforeAll(async () => {
    tdb = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await t?.close();
    await tdb?.dispose();
  });

  it('a first start records version 1 and imports every region × flavor under the provider’s own name, in force since ever', async () => {
    const { cp } = await start([vmCloud(MODEL_A), metal()]);
    firstHistory = await cp.prices.history({ provider: 'dc' });
    const expected = (['r1', 'r2'] as const).flatMap((r) =>
      Object.entries(PRICES_A).map(([flavor, micros]) => `${r}/${flavor} ${micros} ${SINCE_EVER} open cost model`),
    );
    expect(byFlavor(firstHistory).sort()).toEqual(expected.sort());
    // Only the on-demand market is priced (the sim's medium also has a spot offer).
    expect(firstHistory.every((p) => p.market === 'on-demand')).toBe(true);

    const versions = await cp.costModels.versions.history('dc');
    expect(versions).toHaveLength(1);
    expect(versions[0]).toMatchObject({ provider: 'dc', validFrom: SINCE_EVER, validTo: null });
    expect(versions[0]!.rates).toMatchObject({ vcpuHourNanos: 18_625_000, gibHourNanos: 3_104_167 });

    // Bare metal: the server-hour of the server type that fits; a flavor no server can serve stays unpriced.
    expect(byFlavor(await cp.prices.history({ provider: 'metal' })).sort()).toEqual([
      `dc1/bm.full 1986667 ${SINCE_EVER} open cost model`,
      `dc1/bm.half 1986667 ${SINCE_EVER} open cost model`,
    ]);
  });

  it('a restart with an unchanged model adds no version and no catalog period; applying it again changes nothing either', async () => {
    const { cp, app } = await start([vmCloud(MODEL_A), metal()]);
    expect(await cp.prices.history({ provider: 'dc' })).toEqual(firstHistory);
    expect(await cp.costModels.versions.history('dc')).toHaveLength(1);

    const again = ok<CostModelApplyOutcome>(await app.inject({ method: 'POST', url: '/v1/cost/models/dc/apply' }));
    expect(again).toMatchObject({ provider: 'dc', newVersion: false, catalog: { added: 0, changed: 0, withdrawn: 0, unchanged: 6 }, unpriced: [], note: null });
    const metalAgain = ok<CostModelApplyOutcome>(await app.inject({ method: 'POST', url: '/v1/cost/models/metal/apply' }));
    expect(metalAgain.unpriced).toEqual([{ region: 'dc1', flavor: 'bm.big', reason: expect.stringContaining('no server type of the cost model has 128 vCPUs, 1024 GiB') }]);
    expect(await cp.prices.history({ provider: 'dc' })).toEqual(firstHistory);
  });

  it('a changed model opens a new version and new catalog periods at one moment; usage before it keeps the old price', async () => {
    const { cp } = await start([vmCloud(MODEL_B), metal()]);
    const versions = await cp.costModels.versions.history('dc');
    expect(versions).toHaveLength(2);
    const changedAt = versions[1]!.validFrom;
    expect(versions[0]).toMatchObject({ validFrom: SINCE_EVER, validTo: changedAt });
    expect(versions[1]).toMatchObject({ validTo: null, rates: { vcpuHourNanos: 19_750_000, gibHourNanos: 3_291_667 } });
    expect(versions[1]!.inputs.electricityUsdPerKwh).toBe(0.24);
    expect(versions[0]!.inputs.electricityUsdPerKwh).toBe(0.12);

    const history = await cp.prices.history({ provider: 'dc', region: 'r1' });
    expect(byFlavor(history)).toEqual(
      ['large', 'medium', 'small'].flatMap((f) => [
        `r1/${f} ${PRICES_A[f as keyof typeof PRICES_A]} ${SINCE_EVER} ${changedAt} cost model`,
        `r1/${f} ${PRICES_B[f as keyof typeof PRICES_B]} ${changedAt} open cost model`,
      ]),
    );
    const before = new Date(Date.parse(changedAt) - 1).toISOString();
    expect((await cp.prices.priceAt({ provider: 'dc', region: 'r2', flavor: 'large', market: 'on-demand' }, before))?.priceMicrosPerHour).toBe(PRICES_A.large);
    expect((await cp.prices.priceAt({ provider: 'dc', region: 'r2', flavor: 'large', market: 'on-demand' }, changedAt))?.priceMicrosPerHour).toBe(PRICES_B.large);
    // The other provider's model did not change: nothing new there.
    expect(await cp.costModels.versions.history('metal')).toHaveLength(1);
  });

  it('shows models to anyone signed in; only an organisation admin may apply one; unknown providers get a 404 saying what to do', async () => {
    const { app, anonymous } = await start([vmCloud(MODEL_B), metal()]);
    const list = ok<{ items: CostModelView[] }>(await app.inject('/v1/cost/models'));
    expect(list.items.map((m) => m.provider)).toEqual(['dc', 'metal']);
    const dc = ok<CostModelView>(await app.inject('/v1/cost/models/dc'));
    expect(dc).toMatchObject({ provider: 'dc', configured: true, current: { validTo: null, rates: { vcpuHourNanos: 19_750_000 } } });
    expect(dc.versions.map((v) => v.inputs.electricityUsdPerKwh)).toEqual([0.12, 0.24]);
    expect(dc.current.rates.servers[0]!.costNanosPerHour).toEqual({
      hardware: 500_000_000,
      power: 180_000_000,
      space: 400_000_000,
      network: 100_000_000,
      support: 200_000_000,
      people: 200_000_000,
      total: 1_580_000_000,
    });
    expect(dc.flavors.filter((f) => f.region === 'r1').map((f) => [f.flavor, f.kind, f.priceMicrosPerHour])).toEqual([
      ['small', 'vm', PRICES_B.small],
      ['medium', 'vm', PRICES_B.medium],
      ['large', 'vm', PRICES_B.large],
    ]);

    ok(await app.inject({ method: 'POST', url: '/v1/service-accounts', payload: { name: 'viewer-sa' } }), 201);
    ok(await app.inject({ method: 'PUT', url: '/v1/projects/default/members/viewer-sa', payload: { role: 'viewer' } }));
    const token = ok<{ secret: string }>(await app.inject({ method: 'POST', url: '/v1/tokens', payload: { name: 'viewer-cli', principal: 'viewer-sa' } }), 201).secret;
    const viewer = signedIn(anonymous, token);
    expect((await viewer.inject('/v1/cost/models/dc')).statusCode).toBe(200);
    const refused = await viewer.inject({ method: 'POST', url: '/v1/cost/models/dc/apply' });
    expect(refused.statusCode).toBe(403);
    expect((await anonymous.inject('/v1/cost/models')).statusCode).toBe(401);

    const unknown = await app.inject('/v1/cost/models/nope');
    expect(unknown.statusCode).toBe(404);
    expect(JSON.parse(unknown.body).error.message).toBe('provider "nope" has no cost model; these have one: dc, metal');
    const notConfigured = await app.inject({ method: 'POST', url: '/v1/cost/models/nope/apply' });
    expect(notConfigured.statusCode).toBe(404);
    expect(JSON.parse(notConfigured.body).error.message).toMatch(/provider "nope" has no cost model: add a costModel block to it in tessera.yaml and restart \(providers with one: dc, metal\)/);
  });

  it('refuses a cost model for a provider named like a cloud whose list prices the catalog holds, and changes nothing', async () => {
    await t?.close();
    t = undefined;
    const before = (await (async () => {
      const s = await tdb.open();
      try {
        return await s.db.selectFrom('catalog_prices').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      } finally {
        await s.close();
      }
    })()).n;
    await expect(startTestPlane(tdb, [simProvider('aws', {}, { costModel: MODEL_A as Record<string, unknown> })], { background: false })).rejects.toThrow(
      /the price catalog holds list prices for "aws" \(from catalog\/public-vms\.csv \(bundled\)\); its cost model would replace them\. Give the private provider another name in tessera\.yaml/,
    );
    const s = await tdb.open();
    try {
      const after = await s.db.selectFrom('catalog_prices').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      expect(Number(after.n)).toBe(Number(before));
      expect(await s.db.selectFrom('cost_models').select('provider').where('provider', '=', 'aws').execute()).toEqual([]);
    } finally {
      await s.close();
    }
  });
});
