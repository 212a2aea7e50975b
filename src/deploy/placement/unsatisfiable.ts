import { UnsatisfiableError } from '../../core/errors.js';
import { formatUsd } from '../../core/money.js';
import type { EligibleOffer, FilteredOffers } from './filter.js';
import { providerLimit } from './filter.js';
import { offerName } from './offer-name.js';
import type { PlacementRequest } from './problem.js';

const LISTED_OFFERS = 4;

/**
 * The 422 for a request no placement satisfies, naming the constraints that bind: what the filters removed,
 * how many replicas fit in the capacity and quota left, how many the budget would pay for, how many providers
 * minProviders lacks — or, when each holds alone, that they conflict together.
 */
export function unsatisfiable(request: PlacementRequest, filtered: FilteredOffers): UnsatisfiableError {
  const c = request.constraints ?? {};
  const { eligible, rejected } = filtered;
  const removed = countBy(rejected.map((r) => r.reason));
  const causes: string[] = [];

  const fit = capacityFit(request, eligible);
  if (fit.replicas < request.replicas) causes.push(`only ${fit.replicas} replicas fit${fit.pieces.length ? `: ${fit.pieces.join(', ')}` : ''}`);

  const budgetAllows = c.maxHourlyMicros === undefined ? null : replicasWithinBudget(request, eligible, c.maxHourlyMicros);
  if (budgetAllows !== null && budgetAllows < Math.min(request.replicas, fit.replicas)) {
    causes.push(`maxHourlyMicros ${c.maxHourlyMicros} (${formatUsd(c.maxHourlyMicros!)} USD/h) would allow ${budgetAllows}`);
  }

  const providers = [...new Set(eligible.filter((e) => providerLimit(c, e.provider) > 0).map((e) => e.provider))].sort();
  if ((c.minProviders ?? 0) > providers.length) {
    causes.push(`minProviders ${c.minProviders} but only ${providers.length} provider(s) have eligible offers${providers.length ? ` (${providers.join(', ')})` : ''}`);
  }

  if (causes.length === 0) {
    const together = [
      c.maxHourlyMicros !== undefined && `maxHourlyMicros ${c.maxHourlyMicros}`,
      c.minProviders !== undefined && `minProviders ${c.minProviders}`,
      c.maxPerProvider !== undefined && `maxPerProvider ${c.maxPerProvider}`,
      c.quota !== undefined && 'quota',
      'offer capacity',
    ].filter((x): x is string => typeof x === 'string');
    causes.push(`each constraint holds alone but together they admit no placement: ${together.join(', ')}`);
  }
  const filters = Object.entries(removed)
    .sort((a, b) => b[1] - a[1])
    .map(([reason, n]) => `${reason} removed ${n} offer${n === 1 ? '' : 's'}`);

  const message =
    `cannot place ${request.replicas} replicas: ${[...causes, ...filters].join('; ')}. ` +
    'Relax one of these constraints, or add capacity or offers.';
  return new UnsatisfiableError(message, {
    replicas: request.replicas,
    replicasThatFit: fit.replicas,
    replicasWithinBudget: budgetAllows,
    eligibleOffers: eligible.length,
    rejectedCounts: removed,
  });
}

/** How many replicas the offers' capacity and the per-provider limits hold, and the pieces that make it up. */
function capacityFit(request: PlacementRequest, eligible: readonly EligibleOffer[]): { replicas: number; pieces: string[] } {
  const c = request.constraints;
  const byProvider = new Map<string, EligibleOffer[]>();
  for (const e of eligible) byProvider.set(e.provider, [...(byProvider.get(e.provider) ?? []), e]);
  let replicas = 0;
  const pieces: string[] = [];
  const capacityPieces: { n: number; text: string }[] = [];
  for (const [p, offers] of [...byProvider].sort((a, b) => a[0].localeCompare(b[0]))) {
    const room = offers.reduce((sum, e) => sum + e.capacity, 0);
    const limit = providerLimit(c, p);
    if (limit < room) {
      const quota = c?.quota?.[p];
      pieces.push(`${limit} on ${p} (${quota === limit ? `quota ${p}=${quota}` : `maxPerProvider ${c?.maxPerProvider}`})`);
      replicas += limit;
    } else {
      replicas += room;
      for (const e of offers) if (e.capacity > 0) capacityPieces.push({ n: e.capacity, text: `capacity ${e.capacity} on ${offerName(e.offer)}` });
    }
  }
  capacityPieces.sort((a, b) => b.n - a.n);
  const listed = capacityPieces.slice(0, LISTED_OFFERS).map((x) => x.text);
  if (capacityPieces.length > LISTED_OFFERS) listed.push(`and ${capacityPieces.length - LISTED_OFFERS} more offers`);
  return { replicas: Math.min(replicas, request.replicas), pieces: [...listed, ...pieces] };
}

/**
 * The most replicas the budget pays for: filling the cheapest offers first under every capacity and provider
 * limit is the cheapest way to place any number of replicas, so it counts exactly (minProviders aside).
 */
function replicasWithinBudget(request: PlacementRequest, eligible: readonly EligibleOffer[], budget: number): number {
  const left = new Map<string, number>();
  for (const e of eligible) left.set(e.provider, providerLimit(request.constraints, e.provider));
  let spent = 0;
  let placed = 0;
  for (const e of [...eligible].sort((a, b) => a.price - b.price)) {
    const room = Math.min(e.capacity, left.get(e.provider)!, request.replicas - placed);
    const affordable = e.price === 0 ? room : Math.min(room, Math.floor((budget - spent) / e.price));
    if (affordable <= 0) continue;
    placed += affordable;
    spent += affordable * e.price;
    left.set(e.provider, left.get(e.provider)! - affordable);
  }
  return placed;
}

function countBy(items: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[item] = (counts[item] ?? 0) + 1;
  return counts;
}
