import type { Highs } from 'highs';
import type { EligibleOffer } from './filter.js';
import { providerLimit, sizeOf, spreadGroupOf } from './filter.js';
import type { PlacementRequest } from './problem.js';

/**
 * The placement as a mixed-integer program over offers (not replicas), written in CPLEX LP text for HiGHS:
 *
 *   x_i ∈ ℤ, 0 ≤ x_i ≤ capacity_i       replicas on eligible offer i
 *   Σ x_i = R                             every replica placed
 *   Σ_{i∈p} x_i ≤ min(quota_p, maxPerProvider)
 *   Σ price_i·x_i ≤ maxHourlyMicros       budget
 *   y_p ∈ {0,1}, Σ_{i∈p} x_i ≥ y_p, Σ y_p ≥ minProviders     (a provider counts only if it carries a replica)
 *   z ≥ Σ_{i∈p} x_i                       (spread: z is the largest number on one provider)
 *
 * The objective is lexicographic and solved in stages, each optimum pinned as a constraint for the next:
 * cost/priceperf → Σ unit_i·x_i; spread → z, then Σ price_i·x_i; with replicas already running (`current`) a
 * stage minimises the ones moved, Σ d_i with d_i ≥ current_i − x_i; with preferPrivate a last stage maximises the
 * replicas on private offers; a last stage prefers smaller machines (vCPUs, then memory). Every stage value is recomputed exactly from the integer solution before pinning.
 */

export type MilpOutcome =
  | { status: 'optimal'; counts: number[] }
  | { status: 'infeasible' }
  | { status: 'unproven'; reason: string };

interface LinearTerm {
  coefficient: number;
  variable: string;
}

/** Solves the placement exactly. `counts[i]` is the number of replicas on `eligible[i]`. */
export function solveExact(highs: Highs, request: PlacementRequest, eligible: readonly EligibleOffer[], timeLimitSeconds = 30): MilpOutcome {
  const model = buildModel(request, eligible);
  const pinned: string[] = [];
  let counts: number[] | undefined;
  for (const [stage, objective] of model.stages.entries()) {
    const lp = model.text(objective, pinned, true);
    const solution = highs.solve(lp, { mip_rel_gap: 0, time_limit: timeLimitSeconds, output_flag: false });
    if (solution.Status === 'Infeasible') {
      if (stage === 0) return { status: 'infeasible' };
      return { status: 'unproven', reason: `HiGHS called stage ${stage + 1} infeasible after stage 1 was solved` };
    }
    if (solution.Status !== 'Optimal') return { status: 'unproven', reason: `HiGHS stopped with status '${solution.Status}'` };
    counts = eligible.map((_, i) => Math.round(solution.Columns[`x${i}`]?.Primal ?? 0));
    const value = valueOf(request, objective, counts, eligible);
    pinned.push(`${terms(objective)} <= ${value}`);
  }
  return { status: 'optimal', counts: counts ?? [] };
}

/**
 * The LP relaxation's optimum of the first objective (integrality dropped): a lower bound on any placement's
 * objective, used to measure a fast answer's gap when the MILP itself is too slow. Null when the LP is infeasible.
 */
export function relaxationBound(highs: Highs, request: PlacementRequest, eligible: readonly EligibleOffer[]): number | null {
  const model = buildModel(request, eligible);
  const solution = highs.solve(model.text(model.stages[0]!, [], false), { output_flag: false });
  return solution.Status === 'Optimal' ? solution.ObjectiveValue : null;
}

function buildModel(request: PlacementRequest, eligible: readonly EligibleOffer[]) {
  const c = request.constraints ?? {};
  const providers = [...new Set(eligible.map((e) => e.provider))];
  const byProvider = providers.map((p) => eligible.flatMap((e, i) => (e.provider === p ? [`x${i}`] : [])));
  const groups = [...new Set(eligible.map((e) => spreadGroupOf(request, e)))];
  const byGroup = groups.map((g) => eligible.flatMap((e, i) => (spreadGroupOf(request, e) === g ? [`x${i}`] : [])));
  const sumOf = (variables: string[]): LinearTerm[] => variables.map((variable) => ({ coefficient: 1, variable }));
  const spread = request.objective === 'spread';
  const useY = (c.minProviders ?? 0) > 1;

  const rows: string[] = [];
  rows.push(`${terms(sumOf(eligible.map((_, i) => `x${i}`)))} = ${request.replicas}`);
  providers.forEach((p, k) => {
    const limit = providerLimit(c, p);
    if (limit < request.replicas) rows.push(`${terms(sumOf(byProvider[k]!))} <= ${limit}`);
    if (useY) rows.push(`${terms([...sumOf(byProvider[k]!), { coefficient: -1, variable: `y${k}` }])} >= 0`);
  });
  // z is at least the replicas in every spread group (a provider, or a provider's region).
  if (spread) byGroup.forEach((xs) => rows.push(`${terms([...sumOf(xs), { coefficient: -1, variable: 'z' }])} <= 0`));
  if (c.maxHourlyMicros !== undefined) {
    rows.push(`${terms(eligible.map((e, i) => ({ coefficient: e.price, variable: `x${i}` })))} <= ${c.maxHourlyMicros}`);
  }
  if (useY) rows.push(`${terms(sumOf(providers.map((_, k) => `y${k}`)))} >= ${c.minProviders}`);
  const running = eligible.flatMap((e, i) => (e.current > 0 ? [i] : []));
  for (const i of running) rows.push(`${terms([{ coefficient: 1, variable: `x${i}` }, { coefficient: 1, variable: `d${i}` }])} >= ${eligible[i]!.current}`);

  const stages: LinearTerm[][] = [];
  const priceTerms = eligible.map((e, i) => ({ coefficient: e.price, variable: `x${i}` }));
  if (spread) stages.push([{ coefficient: 1, variable: 'z' }], priceTerms);
  else stages.push(eligible.map((e, i) => ({ coefficient: e.unit, variable: `x${i}` })));
  if (running.length > 0) stages.push(running.map((i) => ({ coefficient: 1, variable: `d${i}` })));
  if (c.preferPrivate && eligible.some((e) => e.isPrivate)) {
    stages.push(eligible.flatMap((e, i) => (e.isPrivate ? [{ coefficient: -1, variable: `x${i}` }] : [])));
  }
  // Last, between placements equal in everything above: the smaller machines. Offers of one region share its
  // room (a host's free vCPUs), so the smaller flavor leaves more for the rest.
  if (new Set(eligible.map(sizeOf)).size > 1) stages.push(eligible.map((e, i) => ({ coefficient: sizeOf(e), variable: `x${i}` })));

  const bounds = eligible.map((e, i) => ` ${request.keepCurrent ? Math.min(e.current, e.capacity) : 0} <= x${i} <= ${e.capacity}`);
  if (spread) bounds.push(` 0 <= z <= ${request.replicas}`);
  const generals = eligible.map((_, i) => `x${i}`);
  if (spread) generals.push('z');
  const binaries = useY ? providers.map((_, k) => `y${k}`) : [];

  const text = (objective: LinearTerm[], pinned: string[], integer: boolean): string =>
    [
      'Minimize',
      ` obj: ${terms(objective)}`,
      'Subject To',
      ...[...rows, ...pinned].map((row, r) => ` c${r}: ${row}`),
      'Bounds',
      ...bounds,
      ...(integer ? ['General', ...wrap(generals)] : []),
      ...(integer && binaries.length > 0 ? ['Binary', ...wrap(binaries)] : []),
      // Relaxed, y is continuous in [0, 1].
      ...(!integer && binaries.length > 0 ? binaries.map((y) => ` 0 <= ${y} <= 1`) : []),
      'End',
    ].join('\n');
  return { stages, text };
}

/** `3 x0 + 4 x1 - x2`, wrapped onto several lines: the LP format reader limits line length. */
function terms(linear: readonly LinearTerm[]): string {
  if (linear.length === 0) return '0 x0';
  const parts = linear.map((t, k) => {
    const sign = t.coefficient < 0 ? '-' : k === 0 ? '' : '+';
    return `${sign} ${Math.abs(t.coefficient)} ${t.variable}`;
  });
  return wrap(parts).join('\n');
}

function wrap(items: string[], perLine = 8): string[] {
  const lines: string[] = [];
  for (let k = 0; k < items.length; k += perLine) lines.push(` ${items.slice(k, k + perLine).join(' ')}`);
  return lines;
}

function valueOf(request: PlacementRequest, objective: readonly LinearTerm[], counts: readonly number[], eligible: readonly EligibleOffer[]): number {
  let value = 0;
  for (const t of objective) {
    const i = Number(t.variable.slice(1));
    if (t.variable === 'z') value += t.coefficient * largestGroupCount(request, counts, eligible);
    else if (t.variable.startsWith('d')) value += t.coefficient * Math.max(0, eligible[i]!.current - counts[i]!);
    else value += t.coefficient * counts[i]!;
  }
  return value;
}

function largestGroupCount(request: PlacementRequest, counts: readonly number[], eligible: readonly EligibleOffer[]): number {
  const perGroup = new Map<string, number>();
  eligible.forEach((e, i) => perGroup.set(spreadGroupOf(request, e), (perGroup.get(spreadGroupOf(request, e)) ?? 0) + counts[i]!));
  return Math.max(0, ...perGroup.values());
}
