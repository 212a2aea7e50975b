import { InvalidInputError } from '../../core/errors.js';
import { solveFast } from './fast.js';
import { buildPlacement } from './explain.js';
import { filterOffers } from './filter.js';
import { loadHighs } from './highs-solver.js';
import { solveExact } from './milp.js';
import type { Placement, PlacementOffer, PlacementRequest } from './problem.js';
import { unsatisfiable } from './unsatisfiable.js';

export interface PlaceOptions {
  /**
   * `exact`: the MILP through HiGHS, proven optimal. `fast`: water-filling with repairs (no proof).
   * `auto` (default): exact while the model is small enough to prove quickly, fast beyond.
   */
  method?: 'auto' | 'exact' | 'fast';
  /** Wall-clock limit for one HiGHS solve; past it the fast answer is used (default 10 s). */
  exactTimeLimitSeconds?: number;
}

/** Above this many eligible offers `auto` uses the fast method (HiGHS solve times measured in bench/placement.ts). */
export const AUTO_EXACT_MAX_OFFERS = 300;

/**
 * Assigns every replica of the request to an offer, minimising the objective under capacity, quota, budget and
 * spread constraints. Throws UnsatisfiableError (422) naming the binding constraints when nothing satisfies them.
 */
export async function place(request: PlacementRequest, offers: readonly PlacementOffer[], options: PlaceOptions = {}): Promise<Placement> {
  validate(request);
  const filtered = filterOffers(request, offers);
  if (filtered.eligible.length === 0) throw unsatisfiable(request, filtered);
  const method = options.method ?? 'auto';
  const exactFirst = method === 'exact' || (method === 'auto' && filtered.eligible.length <= AUTO_EXACT_MAX_OFFERS);

  if (!exactFirst) {
    const counts = solveFast(request, filtered.eligible);
    if (counts !== null) return buildPlacement(request, filtered, counts, 'fast');
  }
  // The exact solver is also the judge when the fast method finds nothing: only it can prove there is nothing.
  const outcome = solveExact(await loadHighs(), request, filtered.eligible, options.exactTimeLimitSeconds ?? 10);
  if (outcome.status === 'optimal') return buildPlacement(request, filtered, outcome.counts, 'exact');
  if (outcome.status === 'infeasible') throw unsatisfiable(request, filtered);
  const fallback = solveFast(request, filtered.eligible);
  if (fallback !== null) return buildPlacement(request, filtered, fallback, 'fast');
  throw new Error(`placement undecided: ${outcome.reason}, and the fast method found no placement`);
}

function validate(request: PlacementRequest): void {
  const c = request.constraints ?? {};
  const problems: string[] = [];
  if (!Number.isInteger(request.replicas) || request.replicas < 1) problems.push(`replicas must be a positive integer, got ${request.replicas}`);
  for (const [name, value] of [
    ['maxHourlyMicros', c.maxHourlyMicros],
    ['minProviders', c.minProviders],
    ['maxPerProvider', c.maxPerProvider],
    ...Object.entries(c.quota ?? {}).map(([p, q]) => [`quota.${p}`, q] as const),
  ] as const) {
    if (value !== undefined && (!Number.isInteger(value) || value < 0)) problems.push(`${name} must be a non-negative integer, got ${value}`);
  }
  if (problems.length > 0) throw new InvalidInputError(`invalid placement request: ${problems.join('; ')}`);
}
