import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UnsatisfiableError } from '../../../src/core/errors.js';
import { place, type PlaceOptions } from '../../../src/deploy/placement/place.js';
import { offerKey } from '../../../src/deploy/placement/offer-name.js';
import type { Placement, PlacementOffer, PlacementRequest } from '../../../src/deploy/placement/problem.js';
import { bruteForceBest, compareScores, scoreOf, violation, type Score } from './brute-force.js';

const PROVIDERS = ['aws', 'gcp', 'onprem'] as const;

const offerArb: fc.Arbitrary<PlacementOffer> = fc.record({
  provider: fc.constantFrom(...PROVIDERS),
  region: fc.constantFrom('r1', 'r2'),
  flavor: fc.constantFrom('small', 'large'),
  market: fc.constantFrom('on-demand' as const, 'spot' as const),
  vcpus: fc.constantFrom(1, 2, 4),
  // Few distinct prices, so ties (and the preferPrivate tie-break) are common.
  price: fc.integer({ min: 1, max: 12 }).map((n) => n * 10_000),
  priceperf: fc.option(fc.integer({ min: 1, max: 12 }).map((n) => n * 1_000), { nil: null }),
  residency: fc.constantFrom('kr', 'us', undefined),
  available: fc.option(fc.integer({ min: 0, max: 6 }), { nil: null }),
  isPrivate: fc.boolean(),
}).map((r) => ({
  provider: r.provider,
  region: r.region,
  zone: null,
  flavor: r.flavor,
  vcpus: r.vcpus,
  memoryGiB: r.vcpus * 4,
  gpus: 0,
  arch: 'x86_64',
  kind: 'vm' as const,
  market: r.market,
  priceMicrosPerHour: r.price,
  available: r.available,
  priceperfMicrosPerUnit: r.priceperf,
  providerKind: r.isPrivate ? ('private' as const) : ('public' as const),
  ...(r.residency ? { labels: { residency: r.residency } } : {}),
}));

const requestArb: fc.Arbitrary<PlacementRequest> = fc.record(
  {
    replicas: fc.integer({ min: 1, max: 8 }),
    vcpus: fc.constantFrom(1, 2),
    objective: fc.constantFrom('cost' as const, 'priceperf' as const, 'spread' as const),
    spot: fc.boolean(),
    deniedProviders: fc.subarray([...PROVIDERS], { maxLength: 1 }),
    allowedRegions: fc.option(fc.subarray(['r1', 'r2'], { minLength: 1 }), { nil: undefined }),
    residency: fc.option(fc.constant('kr'), { nil: undefined, freq: 4 }),
    maxHourlyMicros: fc.option(fc.integer({ min: 10_000, max: 600_000 }), { nil: undefined }),
    minProviders: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
    maxPerProvider: fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
    quota: fc.option(fc.dictionary(fc.constantFrom(...PROVIDERS), fc.integer({ min: 0, max: 6 })), { nil: undefined }),
    preferPrivate: fc.boolean(),
    spreadBy: fc.constantFrom('provider' as const, 'region' as const),
  },
  { requiredKeys: ['replicas', 'vcpus', 'objective'] },
).map((r) => ({
  replicas: r.replicas,
  shape: { requirements: { vcpus: r.vcpus, memoryGiB: r.vcpus * 4 } },
  objective: r.objective,
  spreadBy: r.spreadBy,
  constraints: {
    spot: r.spot,
    deniedProviders: r.deniedProviders,
    allowedRegions: r.allowedRegions,
    requiredLabels: r.residency ? { residency: r.residency } : undefined,
    maxHourlyMicros: r.maxHourlyMicros,
    minProviders: r.minProviders,
    maxPerProvider: r.maxPerProvider,
    quota: r.quota,
    preferPrivate: r.preferPrivate,
  },
}));

const instanceArb = fc.tuple(requestArb, fc.array(offerArb, { minLength: 1, maxLength: 6 }));

/** Places and turns the answer back into a count per input offer (an offer is identified by object identity). */
async function solve(request: PlacementRequest, offers: PlacementOffer[], options: PlaceOptions): Promise<{ counts: number[]; placement: Placement } | 'unsatisfiable'> {
  try {
    const placement = await place(request, offers, options);
    const counts = offers.map((o) => placement.assignments.find((a) => a.offer === o)?.count ?? 0);
    return { counts, placement };
  } catch (error) {
    if (error instanceof UnsatisfiableError) return 'unsatisfiable';
    throw error;
  }
}

function describeScore(score: Score | null): string {
  return score === null ? 'unsatisfiable' : JSON.stringify(score);
}

/** An instance with replicas already running on some offers, and whether they must stay (keepCurrent). */
const withCurrentArb = instanceArb.chain(([request, offers]) =>
  fc
    .tuple(fc.array(fc.tuple(fc.nat(offers.length - 1), fc.integer({ min: 1, max: 3 })), { maxLength: 3 }), fc.boolean())
    .map(([running, keepCurrent]) => {
      const current = new Map<string, number>();
      for (const [i, n] of running) current.set(offerKey(offers[i]!), n);
      const total = [...current.values()].reduce((a, b) => a + b, 0);
      // keepCurrent is only ever asked with no more running than wanted (see planDeployment).
      return [{ ...request, current, keepCurrent: keepCurrent && total <= request.replicas }, offers] as const;
    }),
);

type Instance = readonly [PlacementRequest, PlacementOffer[]];

/** The exact method equals brute force: the same score (every tie-break included), or unsatisfiable when it is. */
function exactMatchesBruteForce(arb: fc.Arbitrary<Instance>, numRuns: number): Promise<void> {
  return fc.assert(
    fc.asyncProperty(arb, async ([request, offers]) => {
      const best = bruteForceBest(request, offers);
      const result = await solve(request, offers, { method: 'exact' });
      if (result === 'unsatisfiable') {
        expect(describeScore(best)).toBe('unsatisfiable');
        return;
      }
      expect(violation(request, offers, result.counts)).toBeNull();
      expect(describeScore(scoreOf(request, offers, result.counts))).toBe(describeScore(best));
      expect(result.placement.totalMicrosPerHour).toBe(offers.reduce((s, o, i) => s + o.priceMicrosPerHour * result.counts[i]!, 0));
    }),
    { numRuns },
  );
}

/** The fast method is feasible, never better than the optimum, and unsatisfiable only when brute force is. */
function fastFeasibleNeverBetter(arb: fc.Arbitrary<Instance>, numRuns: number): Promise<void> {
  return fc.assert(
    fc.asyncProperty(arb, async ([request, offers]) => {
      const best = bruteForceBest(request, offers);
      const result = await solve(request, offers, { method: 'fast' });
      if (result === 'unsatisfiable') {
        expect(describeScore(best)).toBe('unsatisfiable');
        return;
      }
      expect(best).not.toBeNull();
      expect(violation(request, offers, result.counts)).toBeNull();
      expect(compareScores(scoreOf(request, offers, result.counts), best!)).toBeGreaterThanOrEqual(0);
    }),
    { numRuns },
  );
}

describe('placement against brute force on small random instances', () => {
  it('the exact method reaches the brute-force optimum and is unsatisfiable exactly when brute force finds nothing', () => exactMatchesBruteForce(instanceArb, 400));

  it('the fast method is always feasible, never better than the optimum, and unsatisfiable exactly when brute force finds nothing', () =>
    fastFeasibleNeverBetter(instanceArb, 400));

  it('with replicas already running: the exact method is optimal, then moves as few as any optimal placement; keepCurrent keeps them all', () =>
    exactMatchesBruteForce(withCurrentArb, 300));

  it('with replicas already running, the fast method stays feasible (keepCurrent included) and never beats the optimum', () =>
    fastFeasibleNeverBetter(withCurrentArb, 300));

  it('the fast method is optimal for the cost objective without minProviders (nested limits: cheapest first is exact)', async () => {
    const costOnly = requestArb.map((r) => ({ ...r, objective: 'cost' as const, constraints: { ...r.constraints, minProviders: undefined } }));
    await fc.assert(
      fc.asyncProperty(costOnly, fc.array(offerArb, { minLength: 1, maxLength: 6 }), async (request, offers) => {
        const best = bruteForceBest(request, offers);
        const result = await solve(request, offers, { method: 'fast' });
        if (result === 'unsatisfiable') expect(best).toBeNull();
        else {
          expect(result.placement.explanation.method).toBe('fast');
          expect(describeScore(scoreOf(request, offers, result.counts))).toBe(describeScore(best));
        }
      }),
      { numRuns: 300 },
    );
  });
});
