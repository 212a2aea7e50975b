import { anyValueKind, int64Key, nanosToMillis, type AnyValue, type Int64, type KeyValue } from './otlp-messages.js';
import { attributesKey } from './attributes.js';
import { sameBounds, type Buckets } from './rollup.js';

/** The first point seen of a series that began before this process was listening: it only becomes the base for the next. */
export const BASELINE = Symbol('baseline');
/** A point no newer than the last one of its series (a retried or reordered export): it adds nothing. */
export const REPEAT = Symbol('repeat');
/** More series than this process keeps (MAX_SERIES): the point is refused. */
export const OVER_LIMIT = Symbol('over-limit');
/** Why a cumulative point adds nothing to its hour. Steps answer with these instead of objects: they run for every point. */
export type NoIncrease = typeof BASELINE | typeof REPEAT | typeof OVER_LIMIT;

export interface HistogramTotals {
  count: number;
  sum: number;
  min: number | null;
  max: number | null;
  buckets: Buckets | null;
}

/** What names a point's series within its instance and metric: its attributes and its start time. */
export interface SeriesPoint {
  attributes: readonly KeyValue[];
  startTimeUnixNano: Int64;
}

/** A series not received for this long is forgotten (exporters send every minute or so). */
const SERIES_TTL_MS = 2 * 3600_000;
const SWEEP_EVERY_MS = 60_000;
/** Bounds the memory one process gives to cumulative series (some hundreds of bytes each). */
export const MAX_SERIES = 200_000;

/**
 * Turns cumulative points into increases, per series: instance, metric, data point attributes and start time. A new
 * start time is a new series, so a restarted sender starts afresh; a monotonic sum that goes down, or a histogram
 * whose count or a bucket does, was reset without a new start time and counts from zero.
 *
 * The first point of a series counts in full only when its start time is not before this process began listening
 * (nothing of it can have been missed); otherwise it is a baseline. The state is this process's memory: after a
 * restart, the increase between the last point before and the first point after is not counted, and a sender must
 * keep sending one series to one process (HTTP keep-alive does; or use delta temporality).
 */
export class CumulativeSeries {
  private readonly groups = new Map<string, SumSeries | HistogramSeries>();
  private lastSweep: number;
  /** Series kept, over all groups. */
  size = 0;
  /** When the request being rolled up arrived (set once per request: a series' last sighting, without a clock read per point). */
  receivedAt: number;

  constructor(
    /** Epoch ms since which this process has received every point sent to it. */
    readonly listeningSince: number,
    /** This server's clock: a series' age is told by when it was last received, not by the sender's clock. */
    readonly now: () => number = Date.now,
  ) {
    this.lastSweep = listeningSince;
    this.receivedAt = listeningSince;
  }

  /** The cumulative sums of one instance's one metric (looked up once per metric of a request, not per point). */
  sums(instanceId: string, metric: string): SumSeries {
    const key = `s\u0001${instanceId}\u0001${metric}`;
    let group = this.groups.get(key);
    if (!group) this.groups.set(key, (group = new SumSeries(this)));
    return group as SumSeries;
  }

  /** The cumulative histograms of one instance's one metric. */
  histograms(instanceId: string, metric: string): HistogramSeries {
    const key = `h\u0001${instanceId}\u0001${metric}`;
    let group = this.groups.get(key);
    if (!group) this.groups.set(key, (group = new HistogramSeries(this)));
    return group as HistogramSeries;
  }

  /** Forgets series not received for two hours; cheap to call often (it sweeps once a minute). */
  sweep(): void {
    const now = this.now();
    if (now - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = now;
    const oldest = now - SERIES_TTL_MS;
    for (const [key, group] of this.groups) {
      this.size -= group.forgetOlderThan(oldest);
      if (group.isEmpty()) this.groups.delete(key);
    }
  }
}

interface SeriesState<T> {
  /** The series' canonical identity (attributes in key order, start time): found by it whatever order they came in. */
  key: string;
  /** The attributes as the sender last listed them, keys and values alternating, and the start time: the fast match. */
  identity: (string | number | boolean)[];
  start: Int64;
  value: T;
  at: number;
  seenAt: number;
}

/**
 * The series of one instance's one metric. Finding a point's series must be cheap (every point of every cumulative
 * metric does it), so a sender's habit is used: it lists its series in the same order at every export. The series
 * found at each position last time is compared with the point (a few string comparisons, nothing allocated); only
 * when that fails is the canonical key built and looked up.
 */
abstract class SeriesGroup<T> {
  private readonly byKey = new Map<string, SeriesState<T>>();
  private byPosition: (SeriesState<T> | undefined)[] = [];

  constructor(protected readonly owner: CumulativeSeries) {}

  /**
   * The series of a point, or undefined for a series not seen (yet, or for two hours). `position` is the point's
   * index among its metric's data points in the request.
   */
  protected find(position: number, p: SeriesPoint): SeriesState<T> | undefined {
    const cached = this.byPosition[position];
    if (cached !== undefined && sameSeries(cached, p)) return cached;
    const found = this.byKey.get(seriesKey(p));
    if (found !== undefined) {
      found.identity = identityOf(p.attributes);
      this.byPosition[position] = found;
    }
    return found;
  }

  /** Starts following a new series; undefined when this process already follows as many as it keeps. */
  protected track(position: number, p: SeriesPoint, value: T, at: number): SeriesState<T> | undefined {
    if (this.owner.size >= MAX_SERIES) return undefined;
    this.owner.size++;
    const state: SeriesState<T> = { key: seriesKey(p), identity: identityOf(p.attributes), start: p.startTimeUnixNano, value, at, seenAt: this.owner.receivedAt };
    this.byKey.set(state.key, state);
    this.byPosition[position] = state;
    return state;
  }

  protected startsInView(p: SeriesPoint): boolean {
    const startMs = nanosToMillis(p.startTimeUnixNano);
    return startMs > 0 && startMs >= this.owner.listeningSince;
  }

  /** Drops the series not received since `oldest`; returns how many. */
  forgetOlderThan(oldest: number): number {
    let dropped = 0;
    for (const [key, state] of this.byKey) {
      if (state.seenAt < oldest) {
        this.byKey.delete(key);
        dropped++;
      }
    }
    if (dropped > 0) this.byPosition = [];
    return dropped;
  }

  isEmpty(): boolean {
    return this.byKey.size === 0;
  }
}

export class SumSeries extends SeriesGroup<number> {
  /** A cumulative sum's point (`at` in epoch ms; `position` its index in its metric): its increase, or why it has none. */
  step(position: number, p: SeriesPoint, at: number, value: number, monotonic: boolean): number | NoIncrease {
    const prev = this.find(position, p);
    if (prev === undefined) {
      if (!this.track(position, p, value, at)) return OVER_LIMIT;
      return this.startsInView(p) ? value : BASELINE;
    }
    if (at <= prev.at) return REPEAT;
    const increase = monotonic && value < prev.value ? value : value - prev.value;
    prev.value = value;
    prev.at = at;
    prev.seenAt = this.owner.receivedAt;
    return increase;
  }
}

export class HistogramSeries extends SeriesGroup<HistogramTotals> {
  /** Where an increase is written: valid until the next step (the caller merges it at once). */
  private readonly increase: HistogramTotals & { buckets: Buckets } = { count: 0, sum: 0, min: null, max: null, buckets: { bounds: [], counts: [] } };

  /**
   * A cumulative histogram's point: the measurements of its interval, with min and max only where the interval
   * holds them, or why there are none. The answer may be `totals` itself or this group's scratch: use it before
   * the next step. `totals` is not kept (the caller may reuse it).
   */
  step(position: number, p: SeriesPoint, at: number, totals: HistogramTotals): HistogramTotals | NoIncrease {
    const prev = this.find(position, p);
    if (prev === undefined) {
      if (!this.track(position, p, copyTotals(totals), at)) return OVER_LIMIT;
      return this.startsInView(p) ? totals : BASELINE;
    }
    if (at <= prev.at) return REPEAT;
    prev.at = at;
    prev.seenAt = this.owner.receivedAt;
    const before = prev.value;
    if (totals.count < before.count) {
      prev.value = copyTotals(totals);
      return totals; // reset without a new start time: the point is its own interval
    }
    const sameLayout = totals.buckets === null ? before.buckets === null : before.buckets !== null && sameBounds(totals.buckets.bounds, before.buckets.bounds);
    if (!sameLayout) {
      // A new bucket layout under the same start time cannot be diffed against the old one.
      prev.value = copyTotals(totals);
      return BASELINE;
    }
    const inc = this.increase;
    if (totals.buckets !== null) {
      const now = totals.buckets.counts;
      const was = before.buckets!.counts;
      if (inc.buckets.counts.length !== now.length) inc.buckets.counts = new Array<number>(now.length);
      for (let i = 0; i < now.length; i++) {
        const d = now[i]! - was[i]!;
        if (d < 0) {
          prev.value = copyTotals(totals);
          return totals; // a bucket went down: a reset
        }
        inc.buckets.counts[i] = d;
      }
      inc.buckets.bounds = before.buckets!.bounds;
      for (let i = 0; i < now.length; i++) was[i] = now[i]!;
    }
    inc.count = totals.count - before.count;
    inc.sum = totals.sum - before.sum;
    // The extremes since the start moved only if this interval holds a new one, and then it is exactly that.
    inc.min = totals.min !== null && (before.min === null || totals.min < before.min) ? totals.min : null;
    inc.max = totals.max !== null && (before.max === null || totals.max > before.max) ? totals.max : null;
    before.count = totals.count;
    before.sum = totals.sum;
    before.min = totals.min;
    before.max = totals.max;
    return totals.buckets === null ? { ...inc, buckets: null } : inc;
  }
}

/** The canonical key of a point's series within its group: attributes in key order, then the start time. */
function seriesKey(p: SeriesPoint): string {
  return attributesKey(p.attributes) + '\u0001' + int64Key(p.startTimeUnixNano);
}

/** The attributes as listed, keys and values alternating; values as themselves where they are scalars. */
function identityOf(attributes: readonly KeyValue[]): (string | number | boolean)[] {
  const identity = new Array<string | number | boolean>(attributes.length * 2);
  for (let i = 0; i < attributes.length; i++) {
    identity[2 * i] = attributes[i]!.key;
    identity[2 * i + 1] = valueIdentity(attributes[i]!.value);
  }
  return identity;
}

/** An attribute value for comparing, without allocating for the usual scalars (a string stays a string, so "5" is not 5). */
function valueIdentity(v: AnyValue | null | undefined): string | number | boolean {
  if (!v) return '\u0004';
  switch (anyValueKind(v)) {
    case 'stringValue':
      return v.stringValue;
    case 'intValue':
      return typeof v.intValue === 'number' ? v.intValue : v.intValue.toNumber();
    case 'doubleValue':
      return v.doubleValue;
    case 'boolValue':
      return v.boolValue;
    default:
      // Lists, maps and bytes: rare as metric attributes; compared by their canonical text.
      return `\u0004${attributesKey([{ key: '', value: v }])}`;
  }
}

function sameSeries(state: SeriesState<unknown>, p: SeriesPoint): boolean {
  const a = state.start;
  const b = p.startTimeUnixNano;
  if (typeof a === 'number' || typeof b === 'number' ? a !== b : a.low !== b.low || a.high !== b.high) return false;
  const identity = state.identity;
  const attributes = p.attributes;
  if (identity.length !== attributes.length * 2) return false;
  for (let i = 0; i < attributes.length; i++) {
    const kv = attributes[i]!;
    if (identity[2 * i] !== kv.key) return false;
    const was = identity[2 * i + 1];
    // Most attribute values are strings: compared without the general path.
    const v = kv.value;
    if (typeof was === 'string' && v && v.stringValue === was && was !== '' && hasOwn(v, 'stringValue')) continue;
    if (was !== valueIdentity(v)) return false;
  }
  return true;
}

function hasOwn(o: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, key);
}

function copyTotals(t: HistogramTotals): HistogramTotals {
  return { ...t, buckets: t.buckets ? { bounds: t.buckets.bounds.slice(), counts: t.buckets.counts.slice() } : null };
}
