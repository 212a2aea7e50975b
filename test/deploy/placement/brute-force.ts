import type { PlacementOffer, PlacementRequest } from '../../../src/deploy/placement/problem.js';

/**
 * A reference written without the optimiser's code: it enumerates every way to share the replicas among the
 * offers, checks each against every constraint from scratch, and keeps the best by the documented objective.
 */

/** The objective as a tuple compared left to right: lower is better. */
export type Score = number[];

export function scoreOf(request: PlacementRequest, offers: readonly PlacementOffer[], counts: readonly number[]): Score {
  let price = 0;
  let priceperf = 0;
  let onPrivate = 0;
  // Spread evens out providers, or each provider's regions.
  const perGroup = new Map<string, number>();
  offers.forEach((o, i) => {
    const n = counts[i]!;
    price += n * o.priceMicrosPerHour;
    priceperf += n * (o.priceperfMicrosPerUnit ?? 0);
    if (o.providerKind === 'private') onPrivate += n;
    const group = request.spreadBy === 'region' ? `${o.provider}/${o.region}` : o.provider;
    perGroup.set(group, (perGroup.get(group) ?? 0) + n);
  });
  const primary = request.objective === 'cost' ? [price] : request.objective === 'priceperf' ? [priceperf] : [Math.max(...perGroup.values()), price];
  // Replicas already running that this placement moves: the next tie-break, before preferPrivate.
  const moved = request.current ? [offers.reduce((sum, o, i) => sum + Math.max(0, currentOf(request, o) - counts[i]!), 0)] : [];
  // Last, the smaller machines (vCPUs, then memory).
  const size = offers.reduce((sum, o, i) => sum + (o.vcpus * 1_000_000 + o.memoryGiB) * counts[i]!, 0);
  return request.constraints?.preferPrivate ? [...primary, ...moved, -onPrivate, size] : [...primary, ...moved, size];
}

export function compareScores(a: Score, b: Score): number {
  for (let k = 0; k < Math.max(a.length, b.length); k++) {
    const d = (a[k] ?? 0) - (b[k] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Replicas already running on an offer (request.current, keyed as the optimiser documents: provider, region, flavor, market). */
export function currentOf(request: PlacementRequest, o: PlacementOffer): number {
  return request.current?.get([o.provider, o.region, o.flavor, o.market].join('\u0000')) ?? 0;
}

/** Every constraint, checked directly on the raw offers; the first broken one is returned, or null. */
export function violation(request: PlacementRequest, offers: readonly PlacementOffer[], counts: readonly number[]): string | null {
  const c = request.constraints ?? {};
  if (counts.reduce((s, n) => s + n, 0) !== request.replicas) return 'not every replica placed';
  const perProvider = new Map<string, number>();
  let price = 0;
  for (const [i, o] of offers.entries()) {
    const n = counts[i]!;
    const rejected = offerRejection(request, o);
    // keepCurrent holds running replicas where policy still allows them; elsewhere they must move.
    // (An offer where quota is 0, or one replica alone is over budget, allows none.)
    const allowsAny = rejected === null && c.quota?.[o.provider] !== 0 && (c.maxHourlyMicros === undefined || o.priceMicrosPerHour <= c.maxHourlyMicros);
    if (request.keepCurrent && allowsAny && n < currentOf(request, o)) return 'moved a running replica';
    if (n === 0) continue;
    if (n < 0 || !Number.isInteger(n)) return 'bad count';
    if (o.available !== null && n > o.available + currentOf(request, o)) return 'capacity';
    if (rejected) return rejected;
    perProvider.set(o.provider, (perProvider.get(o.provider) ?? 0) + n);
    price += n * o.priceMicrosPerHour;
  }
  for (const [p, n] of perProvider) {
    if (c.quota?.[p] !== undefined && n > c.quota[p]!) return 'quota';
    if (c.maxPerProvider !== undefined && n > c.maxPerProvider) return 'maxPerProvider';
  }
  if (c.maxHourlyMicros !== undefined && price > c.maxHourlyMicros) return 'budget';
  if (perProvider.size < (c.minProviders ?? 0)) return 'minProviders';
  return null;
}

/** Why no replica may go to this offer whatever the others hold, or null. */
function offerRejection(request: PlacementRequest, o: PlacementOffer): string | null {
  const c = request.constraints ?? {};
  if (c.deniedProviders?.includes(o.provider)) return 'denied provider';
  if (c.allowedProviders && !c.allowedProviders.includes(o.provider)) return 'provider not allowed';
  if (c.deniedRegions?.includes(o.region)) return 'denied region';
  if (c.allowedRegions && !c.allowedRegions.includes(o.region)) return 'region not allowed';
  if (c.allowedKinds && !c.allowedKinds.includes(o.kind)) return 'kind';
  for (const [k, v] of Object.entries(c.requiredLabels ?? {})) if (o.labels?.[k] !== v) return 'label';
  if (o.market === 'spot' && !c.spot) return 'spot';
  const shape = request.shape;
  if ('flavor' in shape ? o.flavor !== shape.flavor : o.vcpus < shape.requirements.vcpus || o.memoryGiB < shape.requirements.memoryGiB) return 'shape';
  if (request.objective === 'priceperf' && (o.priceperfMicrosPerUnit ?? null) === null) return 'unmeasured';
  return null;
}

/** The best feasible score over every assignment, or null when none is feasible. */
export function bruteForceBest(request: PlacementRequest, offers: readonly PlacementOffer[]): Score | null {
  let best: Score | null = null;
  const counts = new Array<number>(offers.length).fill(0);
  const visit = (i: number, left: number): void => {
    if (i === offers.length - 1 || offers.length === 0) {
      if (offers.length === 0) return;
      counts[i] = left;
      if (violation(request, offers, counts) === null) {
        const score = scoreOf(request, offers, counts);
        if (best === null || compareScores(score, best) < 0) best = score;
      }
      return;
    }
    for (let n = 0; n <= left; n++) {
      counts[i] = n;
      visit(i + 1, left - n);
    }
  };
  visit(0, request.replicas);
  return best;
}
