import type { EligibleOffer, FilteredOffers } from './filter.js';
import { isShapeMismatch, providerLimit, spreadGroupOf } from './filter.js';
import type { Assignment, Placement, PlacementExplanation, PlacementRequest, RejectedAlternative } from './problem.js';

const ALTERNATIVES = 5;

/**
 * Turns solver counts into a Placement whose explanation lists the cheapest offers left out, each with the
 * constraint that kept it out: a filter's reason, or — for an eligible offer cheaper (by the objective) than one
 * chosen and with room to spare — the limit that stopped more replicas going there.
 */
export function buildPlacement(
  request: PlacementRequest,
  filtered: FilteredOffers,
  counts: readonly number[],
  method: PlacementExplanation['method'],
): Placement {
  const { eligible, rejected } = filtered;
  const assignments: Assignment[] = [];
  eligible.forEach((e, i) => {
    const count = counts[i]!;
    if (count > 0) assignments.push({ offer: e.offer, count, priceMicrosPerHour: e.price, totalMicrosPerHour: count * e.price });
  });
  assignments.sort((a, b) => a.priceMicrosPerHour - b.priceMicrosPerHour || b.count - a.count);

  const perProvider = new Map<string, number>();
  eligible.forEach((e, i) => perProvider.set(e.provider, (perProvider.get(e.provider) ?? 0) + counts[i]!));
  const perGroup = new Map<string, number>();
  eligible.forEach((e, i) => perGroup.set(spreadGroupOf(request, e), (perGroup.get(spreadGroupOf(request, e)) ?? 0) + counts[i]!));
  const dearestChosen = Math.max(...eligible.map((e, i) => (counts[i]! > 0 ? e.unit : -Infinity)));

  // An offer of another shape was never an alternative (it is only counted): the list shows what policy kept out.
  const alternatives: RejectedAlternative[] = rejected
    .filter((r) => !isShapeMismatch(r.reason))
    .map((r) => ({ offer: r.offer, priceMicrosPerHour: r.offer.priceMicrosPerHour, reason: r.reason }));
  eligible.forEach((e, i) => {
    if (counts[i]! < e.capacity && e.unit < dearestChosen) {
      alternatives.push({ offer: e.offer, priceMicrosPerHour: e.price, reason: whyNotMore(request, e, perProvider, perGroup) });
    }
  });
  alternatives.sort((a, b) => a.priceMicrosPerHour - b.priceMicrosPerHour);

  const rejectedCounts: Record<string, number> = {};
  for (const r of rejected) rejectedCounts[r.reason] = (rejectedCounts[r.reason] ?? 0) + 1;
  return {
    replicas: request.replicas,
    assignments,
    totalMicrosPerHour: assignments.reduce((sum, a) => sum + a.totalMicrosPerHour, 0),
    explanation: { objective: request.objective, method, rejectedAlternatives: alternatives.slice(0, ALTERNATIVES), rejectedCounts },
  };
}

/** The limit that kept an eligible, better-by-the-objective offer from taking more replicas. */
function whyNotMore(request: PlacementRequest, e: EligibleOffer, perProvider: Map<string, number>, perGroup: Map<string, number>): string {
  const c = request.constraints ?? {};
  const onProvider = perProvider.get(e.provider) ?? 0;
  if (onProvider >= providerLimit(c, e.provider)) {
    const quota = c.quota?.[e.provider];
    return quota !== undefined && quota <= (c.maxPerProvider ?? Infinity) ? `quota ${e.provider}=${quota}` : 'maxPerProvider';
  }
  if (request.objective === 'spread') {
    const group = spreadGroupOf(request, e);
    const inGroup = request.spreadBy === 'region' ? (perGroup.get(group) ?? 0) : onProvider;
    return `spread (${group} already carries ${inGroup})`;
  }
  // Filling the better offer first is optimal under the limits alone, so what remains is minProviders (which
  // forces a replica onto a dearer provider) or, for priceperf, the budget (a better-performing offer can cost more).
  if (request.objective === 'cost' || c.maxHourlyMicros === undefined) return 'minProviders';
  return c.minProviders === undefined ? 'over budget' : 'minProviders or over budget';
}
