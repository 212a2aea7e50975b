import type { EligibleOffer } from './filter.js';
import { providerLimit, sizeOf, spreadGroupOf } from './filter.js';
import type { PlacementRequest } from './problem.js';

/**
 * The fast method for large cases: water-filling in objective order, with repairs for the spread objective and
 * minProviders. Without minProviders (and, for priceperf, without a budget) the per-offer and per-provider limits
 * nest, and filling the cheapest offer first is then optimal; the repairs are heuristics whose gap the
 * placement bench measures against HiGHS.
 *
 * Returns the replica count per eligible offer, or null when this method finds no placement (which does not
 * prove there is none: the caller asks the exact solver).
 */
export function solveFast(request: PlacementRequest, eligible: readonly EligibleOffer[]): number[] | null {
  return request.objective === 'spread' ? spreadFill(request, eligible) : objectiveFill(request, eligible);
}

/** Cheapest-first water-filling under every limit, repaired for minProviders; checked against the budget. */
function objectiveFill(request: PlacementRequest, eligible: readonly EligibleOffer[]): number[] | null {
  const caps = { provider: providerLimits(request, eligible, Infinity) };
  const fillBy = (key: (e: EligibleOffer) => number) => withMinProviders(request, eligible, fillOrder(request, eligible, key), caps);
  const counts = fillBy((e) => e.unit);
  if (counts === null || withinBudget(request, eligible, counts)) return counts;
  // Over budget, where the best per unit of work is not the cheapest per hour (priceperf): a Lagrangian fill.
  // Each offer is ranked by unit + λ·price; the smallest λ whose fill keeps to the budget is taken (binary search,
  // the price term growing with λ), which is the LP optimum up to the replicas of one offer.
  if (request.objective !== 'priceperf') return null;
  const affordable = (lambda: number) => {
    const c = fillBy((e) => e.unit + lambda * e.price);
    return c !== null && withinBudget(request, eligible, c) ? c : null;
  };
  let high = 1e-9;
  while (affordable(high) === null) {
    high *= 4;
    if (high > 1e12) return null; // even the cheapest fill breaks the budget
  }
  let low = 0;
  for (let step = 0; step < 40 && high - low > high * 1e-9; step++) {
    const mid = (low + high) / 2;
    if (affordable(mid) !== null) high = mid;
    else low = mid;
  }
  return affordable(high);
}

/**
 * Spread: the smallest cap z on any one provider that still holds every replica (water-filling over the
 * providers' room), then the cheapest fill under that cap; z is raised only as far as the budget needs.
 */
function spreadFill(request: PlacementRequest, eligible: readonly EligibleOffer[]): number[] | null {
  const order = fillOrder(request, eligible, (e) => e.price);
  const byRegion = request.spreadBy === 'region';
  const groupOf = (e: EligibleOffer) => spreadGroupOf(request, e);
  const room = new Map<string, number>();
  for (const e of eligible) room.set(groupOf(e), (room.get(groupOf(e)) ?? 0) + e.capacity);
  for (const e of eligible) room.set(groupOf(e), Math.min(room.get(groupOf(e))!, providerLimit(request.constraints, e.provider)));
  const holds = (z: number) => [...room.values()].reduce((sum, r) => sum + Math.min(r, z), 0) >= request.replicas;
  if (!holds(request.replicas)) return null;
  const smallestZ = lowestPassing(1, request.replicas, holds);
  // Spread by provider caps the providers' limits at z; by region, each region is capped at z within them.
  const fillAt = (z: number) =>
    withMinProviders(request, eligible, order, byRegion ? { provider: providerLimits(request, eligible, Infinity), group: { of: groupOf, cap: z } } : { provider: providerLimits(request, eligible, z) });
  // A higher cap lets more replicas onto the cheapest provider, so the cost only falls as z rises.
  const affordable = (z: number) => {
    const counts = fillAt(z);
    return counts !== null && withinBudget(request, eligible, counts);
  };
  if (affordable(smallestZ)) return fillAt(smallestZ);
  if (!affordable(request.replicas)) return null;
  return fillAt(lowestPassing(smallestZ, request.replicas, affordable));
}

/**
 * Fills cheapest first. When that uses fewer than minProviders providers, one replica is pinned on the best offer
 * of each of minProviders providers — those already used first, then unused ones in order of their best offer —
 * and the rest is refilled around the pins.
 */
function withMinProviders(
  request: PlacementRequest,
  eligible: readonly EligibleOffer[],
  order: readonly number[],
  caps: Caps,
): number[] | null {
  const keep = request.keepCurrent === true;
  const limits = caps.provider;
  const counts = fill(request.replicas, eligible, order, caps, [], keep);
  const needed = request.constraints?.minProviders ?? 0;
  if (counts === null || providersUsed(eligible, counts).size >= needed) return counts;
  if (needed > request.replicas) return null;
  const used = providersUsed(eligible, counts);
  const bestOffer = new Map<string, number>();
  for (const i of order) {
    const p = eligible[i]!.provider;
    if (!bestOffer.has(p) && (limits.get(p) ?? 0) >= 1) bestOffer.set(p, i);
  }
  const ranked = [...bestOffer.keys()].sort((a, b) => Number(used.has(b)) - Number(used.has(a)));
  if (ranked.length < needed) return null;
  return fill(request.replicas, eligible, order, caps, ranked.slice(0, needed).map((p) => bestOffer.get(p)!), keep);
}

/** What a fill may put where: per provider (quota, maxPerProvider, spread's cap) and, spreading by region, per region. */
interface Caps {
  provider: Map<string, number>;
  group?: { of: (e: EligibleOffer) => string; cap: number };
}

function fill(
  replicas: number,
  eligible: readonly EligibleOffer[],
  order: readonly number[],
  caps: Caps,
  forced: readonly number[],
  keep: boolean,
): number[] | null {
  const counts = new Array<number>(eligible.length).fill(0);
  const left = new Map(caps.provider);
  const groupLeft = new Map<string, number>();
  const roomInGroup = (e: EligibleOffer) => (caps.group ? (groupLeft.get(caps.group.of(e)) ?? caps.group.cap) : Infinity);
  let remaining = replicas;
  const put = (i: number, n: number) => {
    const e = eligible[i]!;
    counts[i]! += n;
    left.set(e.provider, left.get(e.provider)! - n);
    if (caps.group) groupLeft.set(caps.group.of(e), roomInGroup(e) - n);
    remaining -= n;
  };
  // keepCurrent: the running replicas stay, before anything else is placed.
  if (keep) {
    eligible.forEach((e, i) => e.current > 0 && put(i, Math.min(e.current, e.capacity)));
    // The running replicas alone break a provider's limit: not this method's to resolve (the exact one proves it).
    if ([...left.values(), ...groupLeft.values()].some((n) => n < 0) || remaining < 0) return null;
  }
  for (const i of forced) if (counts[i]! === 0) put(i, 1);
  for (const i of order) {
    if (remaining === 0) break;
    const e = eligible[i]!;
    const n = Math.min(e.capacity - counts[i]!, left.get(e.provider)!, roomInGroup(e), remaining);
    if (n > 0) put(i, n);
  }
  return remaining === 0 ? counts : null;
}

/** Offer indices by the given key, then price, then where replicas already run, then (with preferPrivate) private first, then smaller machines, then input order. */
function fillOrder(request: PlacementRequest, eligible: readonly EligibleOffer[], key: (e: EligibleOffer) => number): number[] {
  const preferPrivate = request.constraints?.preferPrivate === true;
  return eligible
    .map((_, i) => i)
    .sort((a, b) => {
      const ea = eligible[a]!;
      const eb = eligible[b]!;
      return key(ea) - key(eb) || ea.price - eb.price || eb.current - ea.current || (preferPrivate ? Number(eb.isPrivate) - Number(ea.isPrivate) : 0) || sizeOf(ea) - sizeOf(eb) || a - b;
    });
}

function providerLimits(request: PlacementRequest, eligible: readonly EligibleOffer[], cap: number): Map<string, number> {
  const limits = new Map<string, number>();
  for (const e of eligible) limits.set(e.provider, Math.min(cap, providerLimit(request.constraints, e.provider)));
  return limits;
}

function providersUsed(eligible: readonly EligibleOffer[], counts: readonly number[]): Set<string> {
  return new Set(eligible.flatMap((e, i) => (counts[i]! > 0 ? [e.provider] : [])));
}

function withinBudget(request: PlacementRequest, eligible: readonly EligibleOffer[], counts: readonly number[]): boolean {
  const budget = request.constraints?.maxHourlyMicros;
  return budget === undefined || counts.reduce((sum, n, i) => sum + n * eligible[i]!.price, 0) <= budget;
}

/** The lowest integer in [low, high] for which a monotone predicate holds (it must hold at high). */
function lowestPassing(low: number, high: number, passes: (n: number) => boolean): number {
  while (low < high) {
    const mid = Math.floor((low + high) / 2);
    if (passes(mid)) high = mid;
    else low = mid + 1;
  }
  return low;
}
