const HOUR_MS = 3600_000;

/** The start (epoch ms) of the hour `t` falls in: the hour a point is rolled up into. */
export function hourOf(t: number): number {
  return t - (((t % HOUR_MS) + HOUR_MS) % HOUR_MS);
}

/** An hour as it is stored and shown, e.g. 2026-11-27T05:00:00.000Z. */
export function hourIso(hourMs: number): string {
  return new Date(hourMs).toISOString();
}

/** The three metric types Tessera rolls up. */
export type RollupKind = 'gauge' | 'sum' | 'histogram';

/** A histogram's bucket layout (upper bounds; the last bucket is unbounded) and the measurements in each bucket. */
export interface Buckets {
  bounds: number[];
  counts: number[];
}

/**
 * One instance's one metric over one hour, summed up. The same shape holds a single point, the points of a few
 * seconds in memory, and a stored hour row: they are all combined with `mergeRollup`.
 *
 * - gauge: count = points, sum/min/max of the values, last = the latest value.
 * - sum: count = points, sum = the increase over the hour (cumulative points turned into increases), min/max of
 *   the increases, last = the latest value as sent (for a cumulative sum, its running total).
 * - histogram: count and sum of the measurements, min/max where the sender gave them, and buckets added up while
 *   the bounds agree. An hour that receives several bucket layouts keeps one (see `preferredLayout`); the
 *   measurements of the others are counted in `unbucketed`, so that sum(buckets.counts) + unbucketed = count.
 */
export interface Rollup {
  kind: RollupKind;
  unit: string;
  count: number;
  sum: number;
  min: number | null;
  max: number | null;
  last: number | null;
  /** Epoch ms of the point that gave `last`; the later one wins when rollups are merged. */
  lastAt: number | null;
  buckets: Buckets | null;
  unbucketed: number;
}

export type MergeOutcome =
  /** Combined. */
  | 'merged'
  /** Combined, but the histogram bounds differed: the measurements of the layout not kept went to `unbucketed`. */
  | 'bounds-differ'
  /** Not combined: one metric name with two types. */
  | 'kind-conflict';

/**
 * Adds `b` (the newer) into `a`, in place; `b` is neither changed nor kept (buckets `a` adopts are copied).
 * Associative, so any grouping of points (per request, per flush, per process) gives the same hour row; and
 * commutative but for `last` between points of the same millisecond (the newer wins) and the unit (the first given
 * stays).
 */
export function mergeRollup(a: Rollup, b: Rollup): MergeOutcome {
  if (a.kind !== b.kind) return 'kind-conflict';
  if (a.unit === '') a.unit = b.unit;
  a.count += b.count;
  a.sum += b.sum;
  if (b.min !== null && (a.min === null || b.min < a.min)) a.min = b.min;
  if (b.max !== null && (a.max === null || b.max > a.max)) a.max = b.max;
  if (b.lastAt !== null && (a.lastAt === null || b.lastAt >= a.lastAt)) {
    a.last = b.last;
    a.lastAt = b.lastAt;
  }
  a.unbucketed += b.unbucketed;
  if (b.buckets === null) return 'merged';
  if (a.buckets === null) {
    a.buckets = { bounds: b.buckets.bounds.slice(), counts: b.buckets.counts.slice() };
    return 'merged';
  }
  if (!sameBounds(a.buckets.bounds, b.buckets.bounds)) {
    // The kept layout depends on the layouts alone, never on which came first: so the merge stays associative.
    const keepB = preferredLayout(b.buckets.bounds, a.buckets.bounds);
    const dropped = keepB ? a.buckets : b.buckets;
    for (const c of dropped.counts) a.unbucketed += c;
    if (keepB) a.buckets = { bounds: b.buckets.bounds.slice(), counts: b.buckets.counts.slice() };
    return 'bounds-differ';
  }
  const counts = a.buckets.counts;
  for (let i = 0; i < counts.length; i++) counts[i]! += b.buckets.counts[i]!;
  return 'merged';
}

/** A copy that merging into cannot change `r`. */
export function copyRollup(r: Rollup): Rollup {
  return { ...r, buckets: r.buckets ? { bounds: r.buckets.bounds.slice(), counts: r.buckets.counts.slice() } : null };
}

/**
 * Of two bucket layouts, whether `x` is the one an hour keeps: the finer (more bounds), then the one whose bounds
 * are lower at the first difference. A total order, so that the kept layout is the same whatever the arrival order.
 */
export function preferredLayout(x: readonly number[], y: readonly number[]): boolean {
  if (x.length !== y.length) return x.length > y.length;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! < y[i]!;
  return false;
}

export function sameBounds(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A rollup to fill in: one per walk of a request, reused for each point (a point's rollup is merged, never kept). */
export function blankRollup(): Rollup {
  return { kind: 'gauge', unit: '', count: 0, sum: 0, min: null, max: null, last: null, lastAt: null, buckets: null, unbucketed: 0 };
}

/** Sets every field of `into` (in place: the hot path allocates nothing per point). */
function set(
  into: Rollup,
  kind: RollupKind,
  unit: string,
  count: number,
  sum: number,
  min: number | null,
  max: number | null,
  last: number | null,
  lastAt: number | null,
  buckets: Buckets | null,
): Rollup {
  into.kind = kind;
  into.unit = unit;
  into.count = count;
  into.sum = sum;
  into.min = min;
  into.max = max;
  into.last = last;
  into.lastAt = lastAt;
  into.buckets = buckets;
  into.unbucketed = kind === 'histogram' && buckets === null ? count : 0;
  return into;
}

/** One gauge reading. */
export function gaugeRollup(value: number, at: number, unit: string, into = blankRollup()): Rollup {
  return set(into, 'gauge', unit, 1, value, value, value, value, at, null);
}

/**
 * One point of a sum: `increase` since the previous point of its series (null when it cannot be known: the first
 * point of a series that began before Tessera was listening), and the value as sent.
 */
export function sumRollup(increase: number | null, sent: number, at: number, unit: string, into = blankRollup()): Rollup {
  if (increase === null) return set(into, 'sum', unit, 0, 0, null, null, sent, at, null);
  return set(into, 'sum', unit, 1, increase, increase, increase, sent, at, null);
}

/**
 * One histogram point's measurements (already those of its own interval when it was cumulative). Its buckets are
 * referenced, not copied: a rollup that keeps them (a new hour row, a merge that adopts them) copies them.
 */
export function histogramRollup(h: { count: number; sum: number; min: number | null; max: number | null; buckets: Buckets | null }, unit: string, into = blankRollup()): Rollup {
  return set(into, 'histogram', unit, h.count, h.sum, h.min, h.max, null, null, h.buckets);
}
