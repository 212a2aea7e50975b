import { describe, expect, it } from 'vitest';
import { InvalidInputError, UnsatisfiableError } from '../../../src/core/errors.js';
import { place } from '../../../src/deploy/placement/place.js';
import { offerKey } from '../../../src/deploy/placement/offer-name.js';
import type { PlacementConstraints, PlacementOffer, PlacementRequest } from '../../../src/deploy/placement/problem.js';

function offer(provider: string, flavor: string, price: number, extra: Partial<PlacementOffer> = {}): PlacementOffer {
  return {
    provider,
    region: 'ap-northeast-2',
    zone: null,
    flavor,
    vcpus: 2,
    memoryGiB: 8,
    gpus: 0,
    arch: 'x86_64',
    kind: 'vm',
    market: 'on-demand',
    priceMicrosPerHour: price,
    available: null,
    providerKind: provider === 'onprem' ? 'private' : 'public',
    labels: { residency: 'kr' },
    ...extra,
  };
}

function request(replicas: number, constraints: PlacementConstraints = {}, objective: PlacementRequest['objective'] = 'cost'): PlacementRequest {
  return { replicas, shape: { requirements: { vcpus: 2, memoryGiB: 8 } }, objective, constraints };
}

/** The one eligible offer everything else is compared against. */
const chosen = offer('aws', 'm6i.large', 96_000);

async function reasonFor(rejected: PlacementOffer, constraints: PlacementConstraints, objective: PlacementRequest['objective'] = 'cost'): Promise<string | undefined> {
  const placement = await place(request(2, constraints, objective), [chosen, rejected]);
  return placement.explanation.rejectedAlternatives.find((a) => a.offer === rejected)?.reason;
}

describe('explanations name the constraint that rejected each cheaper alternative', () => {
  const cheap = (extra: Partial<PlacementOffer> = {}, provider = 'gcp') => offer(provider, 'e2-standard-2', 50_000, extra);

  it.each([
    ['denied provider', cheap(), { deniedProviders: ['gcp'] }],
    ['provider not allowed', cheap(), { allowedProviders: ['aws'] }],
    ['denied region', cheap({ region: 'us-east-1' }), { deniedRegions: ['us-east-1'] }],
    ['region not allowed', cheap({ region: 'us-east-1' }), { allowedRegions: ['ap-northeast-2'] }],
    ['kind container not allowed', cheap({ kind: 'container' }), { allowedKinds: ['vm'] }],
    ['residency≠kr', cheap({ labels: { residency: 'us' } }), { requiredLabels: { residency: 'kr' } }],
    ['spot not allowed', cheap({ market: 'spot' }), {}],
    ['no capacity', cheap({ available: 0 }), {}],
    ['quota gcp=0', cheap(), { quota: { gcp: 0 } }],
    ['over budget', offer('gcp', 'huge', 500_000), { maxHourlyMicros: 400_000 }],
  ] as const)('%s', async (reason, rejected, constraints) => {
    expect(await reasonFor(rejected, constraints)).toBe(reason);
  });

  it('an offer of another shape is counted, never listed as an alternative (it was not one)', async () => {
    const small = cheap({ vcpus: 1 });
    const placement = await place(request(2), [chosen, small]);
    expect(placement.explanation.rejectedAlternatives).toEqual([]);
    expect(placement.explanation.rejectedCounts).toEqual({ 'smaller than the requirements': 1 });
  });

  it('a region being backed off keeps the replicas it runs but takes no more, and says why', async () => {
    const seoul = cheap({ region: 'ap-northeast-2' });
    const avoid = [{ provider: 'gcp', region: 'ap-northeast-2', reason: 'backing off gcp/ap-northeast-2 (Capacity)' }];
    const fresh = await place(request(3, { avoid }), [chosen, seoul]);
    expect(fresh.assignments.map((a) => [a.offer.provider, a.count])).toEqual([['aws', 3]]);
    expect(fresh.explanation.rejectedAlternatives.map((a) => a.reason)).toEqual(['backing off gcp/ap-northeast-2 (Capacity)']);
    const running = new Map([[offerKey(seoul), 2]]);
    const kept = await place({ ...request(3, { avoid }), current: running }, [chosen, seoul]);
    expect(kept.assignments.map((a) => [a.offer.provider, a.count])).toEqual([['gcp', 2], ['aws', 1]]);
  });

  it('current replicas: among equally cheap placements the one that moves none wins; keepCurrent pins them', async () => {
    const a = offer('aws', 'm6i.large', 96_000, { region: 'us-east-1' });
    const b = offer('aws', 'm6i.large', 96_000, { region: 'eu-west-1' });
    const dear = offer('azure', 'D2s_v5', 120_000);
    const current = new Map([[offerKey(b), 2]]);
    for (const method of ['exact', 'fast'] as const) {
      const p = await place({ ...request(3), current }, [a, b, dear], { method });
      expect(p.assignments.map((x) => [x.offer.region, x.count]), method).toEqual([['eu-west-1', 3]]);
      // Pinned on the dearer offer, the replicas stay; only the third goes to the cheapest.
      const pinned = await place({ ...request(3), current: new Map([[offerKey(dear), 2]]), keepCurrent: true }, [a, b, dear], { method });
      expect(pinned.assignments.map((x) => [x.offer.provider, x.count]).sort(), method).toEqual([['aws', 1], ['azure', 2]]);
      expect(pinned.totalMicrosPerHour, method).toBe(96_000 + 2 * 120_000);
    }
  });

  it('spread by region evens out each provider\'s regions, not just the providers', async () => {
    const east = offer('aws', 'm6i.large', 96_000, { region: 'us-east-1' });
    const west = offer('aws', 'm6i.large', 96_000, { region: 'eu-west-1' });
    const seoul = offer('gcp', 'e2-standard-2', 96_000);
    for (const method of ['exact', 'fast'] as const) {
      const byRegion = await place({ ...request(6, {}, 'spread'), spreadBy: 'region' }, [east, west, seoul], { method });
      expect(byRegion.assignments.map((a) => a.count), method).toEqual([2, 2, 2]);
      const byProvider = await place({ ...request(6, {}, 'spread'), spreadBy: 'provider' }, [east, west, seoul], { method });
      const perProvider = (p: string) => byProvider.assignments.filter((a) => a.offer.provider === p).reduce((n, a) => n + a.count, 0);
      expect([perProvider('aws'), perProvider('gcp')], method).toEqual([3, 3]);
    }
  });

  it('maxPerProvider: the cheaper offer took what its provider may carry, the rest went elsewhere', async () => {
    const gcp = cheap();
    const placement = await place(request(3, { maxPerProvider: 2 }), [chosen, gcp]);
    expect(placement.assignments.map((a) => [a.offer.provider, a.count, a.priceMicrosPerHour])).toEqual([
      ['gcp', 2, 50_000],
      ['aws', 1, 96_000],
    ]);
    expect(placement.explanation.rejectedAlternatives).toEqual([{ offer: gcp, priceMicrosPerHour: 50_000, reason: 'maxPerProvider' }]);
  });

  it('quota below maxPerProvider is named as the quota', async () => {
    const gcp = cheap();
    const placement = await place(request(3, { maxPerProvider: 5, quota: { gcp: 1 } }), [chosen, gcp]);
    expect(placement.explanation.rejectedAlternatives.map((a) => a.reason)).toEqual(['quota gcp=1']);
  });

  it('minProviders: a second provider carries one replica although the first had room', async () => {
    const gcp = cheap();
    const placement = await place(request(4, { minProviders: 2 }), [chosen, gcp]);
    expect(placement.assignments.map((a) => [a.offer.provider, a.count])).toEqual([
      ['gcp', 3],
      ['aws', 1],
    ]);
    expect(placement.explanation.rejectedAlternatives.map((a) => a.reason)).toEqual(['minProviders']);
  });

  it('lists at most five alternatives, cheapest first, and counts every filtered offer by reason', async () => {
    const others = [1, 2, 3, 4, 5, 6, 7].map((k) => offer('gcp', `t${k}`, k * 1_000, { labels: { residency: 'us' } }));
    const placement = await place(request(1, { requiredLabels: { residency: 'kr' } }), [chosen, ...others]);
    expect(placement.explanation.rejectedAlternatives.map((a) => a.priceMicrosPerHour)).toEqual([1_000, 2_000, 3_000, 4_000, 5_000]);
    expect(placement.explanation.rejectedCounts).toEqual({ 'residency≠kr': 7 });
    expect(placement.assignments).toEqual([{ offer: chosen, count: 1, priceMicrosPerHour: 96_000, totalMicrosPerHour: 96_000 }]);
  });
});

describe('objectives and the preferPrivate tie-break', () => {
  it('preferPrivate picks private hardware at an equal price, and never a dearer one', async () => {
    const onprem = offer('onprem', 'rack-2c8g', 96_000);
    const tie = await place(request(2, { preferPrivate: true }), [chosen, onprem]);
    expect(tie.assignments.map((a) => a.offer.provider)).toEqual(['onprem']);
    const dearer = offer('onprem', 'rack-2c8g', 96_001);
    const cheaper = await place(request(2, { preferPrivate: true }), [chosen, dearer]);
    expect(cheaper.assignments.map((a) => a.offer.provider)).toEqual(['aws']);
  });

  it('spread keeps the largest share per provider as small as possible, then minimises cost', async () => {
    const offers = [chosen, offer('gcp', 'a', 10_000), offer('azure', 'b', 200_000), offer('gcp', 'c', 20_000)];
    const placement = await place(request(6, {}, 'spread'), offers);
    expect(placement.assignments.map((a) => [a.offer.provider, a.offer.flavor, a.count])).toEqual([
      ['gcp', 'a', 2],
      ['aws', 'm6i.large', 2],
      ['azure', 'b', 2],
    ]);
  });

  it('priceperf excludes unmeasured offers and chooses the cheapest unit of work', async () => {
    const fastButDear = offer('gcp', 'c3', 200_000, { priceperfMicrosPerUnit: 10 });
    const unmeasured = offer('azure', 'd2', 10_000, { priceperfMicrosPerUnit: null });
    const placement = await place(request(2, {}, 'priceperf'), [{ ...chosen, priceperfMicrosPerUnit: 30 }, fastButDear, unmeasured]);
    expect(placement.assignments.map((a) => a.offer.flavor)).toEqual(['c3']);
    expect(placement.explanation.rejectedAlternatives.find((a) => a.offer === unmeasured)?.reason).toBe('priceperf unmeasured');
  });
});

describe('unsatisfiable requests are a 422 naming the binding constraints', () => {
  async function failure(req: PlacementRequest, offers: PlacementOffer[]): Promise<UnsatisfiableError> {
    const error = await place(req, offers).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsatisfiableError);
    return error as UnsatisfiableError;
  }

  it('capacity, residency filtering and budget, with figures', async () => {
    const offers = [
      offer('aws', 'm6i.large', 100_000, { available: 4 }),
      offer('gcp', 'n2-standard-2', 110_000, { available: 2 }),
      ...[1, 2, 3].map((k) => offer('azure', `D${k}`, 10_000, { labels: { residency: 'us' } })),
    ];
    const error = await failure(request(10, { requiredLabels: { residency: 'kr' }, maxHourlyMicros: 300_000 }), offers);
    expect(error.status).toBe(422);
    expect(error.message).toBe(
      'cannot place 10 replicas: only 6 replicas fit: capacity 4 on aws/ap-northeast-2/m6i.large, capacity 2 on gcp/ap-northeast-2/n2-standard-2; ' +
        'maxHourlyMicros 300000 (0.30 USD/h) would allow 3; residency≠kr removed 3 offers. ' +
        'Relax one of these constraints, or add capacity or offers.',
    );
    expect(error.details).toMatchObject({ replicas: 10, replicasThatFit: 6, replicasWithinBudget: 3 });
  });

  it('quota and maxPerProvider limits are named per provider', async () => {
    const error = await failure(request(5, { maxPerProvider: 2, quota: { gcp: 1 } }), [chosen, offer('gcp', 'n2', 90_000)]);
    expect(error.message).toContain('only 3 replicas fit: 2 on aws (maxPerProvider 2), 1 on gcp (quota gcp=1)');
  });

  it('minProviders beyond the providers left', async () => {
    const error = await failure(request(2, { minProviders: 3 }), [chosen, offer('gcp', 'n2', 90_000)]);
    expect(error.message).toContain('minProviders 3 but only 2 provider(s) have eligible offers (aws, gcp)');
  });

  it('constraints that hold alone but conflict together', async () => {
    // Budget allows 2 on the cheap provider, minProviders forces one onto the dear one.
    const error = await failure(request(2, { minProviders: 2, maxHourlyMicros: 150_000 }), [offer('gcp', 'n2', 50_000), offer('aws', 'big', 120_000)]);
    expect(error.message).toContain('each constraint holds alone but together they admit no placement: maxHourlyMicros 150000, minProviders 2, offer capacity');
  });

  it('an empty offer list after filtering says what removed them', async () => {
    const error = await failure(request(1, { deniedProviders: ['aws'] }), [chosen]);
    expect(error.message).toBe('cannot place 1 replicas: only 0 replicas fit; denied provider removed 1 offer. Relax one of these constraints, or add capacity or offers.');
  });

  it('a malformed request is a 400, not a 422', async () => {
    await expect(place(request(0), [chosen])).rejects.toBeInstanceOf(InvalidInputError);
    await expect(place(request(2, { maxPerProvider: -1 }), [chosen])).rejects.toThrow('maxPerProvider must be a non-negative integer, got -1');
  });
});
