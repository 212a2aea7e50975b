import { attributeResource, type Attribution } from './attribution.js';
import { BASELINE, MAX_SERIES, OVER_LIMIT, REPEAT, type CumulativeSeries, type HistogramSeries, type HistogramTotals, type SumSeries } from './cumulative-series.js';
import type { IndexedInstance, InstanceIndex } from './instance-index.js';
import {
  AggregationTemporality,
  int64ToNumber,
  metricData,
  nanosToMillis,
  NO_RECORDED_VALUE_FLAG,
  numberValue,
  pointsOf,
  pointsOfResource,
  type ExportMetricsServiceRequest,
  type HistogramDataPoint,
  type Metric,
  type NumberDataPoint,
} from './otlp-messages.js';
import { RejectionTally, type RejectionReason } from './rejection.js';
import { blankRollup, gaugeRollup, histogramRollup, hourOf, sumRollup, type Buckets, type Rollup } from './rollup.js';
import type { RollupBuffer } from './rollup-buffer.js';

/** What one request did. */
export interface IngestOutcome {
  /** Data points in the request. */
  points: number;
  /** Points taken (rolled up, or a cumulative baseline, repeat or staleness marker that adds nothing). */
  accepted: number;
  rejections: RejectionTally;
  /** Histogram points whose bounds differed from others of their hour (which keeps one layout; see rollup.ts). */
  unbucketedHistogramPoints: number;
}

/** Where points go: the buffer of hour rows, and the state that turns cumulative points into increases. */
export interface RollupTarget {
  buffer: RollupBuffer;
  series: CumulativeSeries;
}

/** A point stamped further ahead of this server's clock than this is refused (it would open a future hour). */
const MAX_AHEAD_MS = 3600_000;
const MAX_METRIC_NAME = 255;

/** The instance each ResourceMetrics of the request belongs to, or why none does. */
export function attributeRequest(request: ExportMetricsServiceRequest, projects: ReadonlySet<string> | null, index: InstanceIndex): Attribution[] {
  return request.resourceMetrics.map((rm) => attributeResource(rm.resource?.attributes, projects, index));
}

/**
 * Rolls a decoded request's points into the buffer, resource by resource as attributed. Synchronous: one request's
 * points land in the buffer together, never interleaved with another's or split by a flush.
 */
export function rollUpRequest(request: ExportMetricsServiceRequest, attributions: readonly Attribution[], into: RollupTarget, now: number): IngestOutcome {
  const walk = new RequestWalk(into, now);
  into.series.receivedAt = now;
  const resources = request.resourceMetrics;
  for (let i = 0; i < resources.length; i++) {
    const rm = resources[i]!;
    const a = attributions[i]!;
    if (a.instance === null) {
      const n = pointsOfResource(rm);
      walk.out.points += n;
      walk.out.rejections.add(a.reason, a.identity, a.detail, n);
      continue;
    }
    for (const sm of rm.scopeMetrics) for (const m of sm.metrics) walk.metric(a.instance, m);
  }
  return walk.out;
}

class RequestWalk {
  readonly out: IngestOutcome = { points: 0, accepted: 0, rejections: new RejectionTally(), unbucketedHistogramPoints: 0 };
  /** Each point's rollup is built here and merged into its cell: nothing is allocated per point for it. */
  private readonly point = blankRollup();
  /** Each histogram point's totals are read into this, and its buckets into `buckets` (the counts array reused). */
  private readonly totals: HistogramTotals = { count: 0, sum: 0, min: null, max: null, buckets: null };
  private readonly buckets: Buckets = { bounds: [], counts: [] };
  /** The cumulative series of the current metric's instance and metric, looked up once per metric. */
  private sums: SumSeries | null = null;
  private histograms: HistogramSeries | null = null;

  constructor(
    private readonly into: RollupTarget,
    private readonly now: number,
  ) {}

  metric(inst: IndexedInstance, m: Metric): void {
    const n = pointsOf(m);
    this.out.points += n;
    if (n === 0) return;
    if (m.name === '' || m.name.length > MAX_METRIC_NAME) {
      return this.refuse(inst, m, 'invalid-point', `a metric needs a name of 1 to ${MAX_METRIC_NAME} characters`, n);
    }
    const data = metricData(m);
    switch (data) {
      case 'gauge':
        for (const p of m.gauge!.dataPoints) this.gaugePoint(inst, m, p);
        return;
      case 'sum': {
        const { aggregationTemporality: temporality, isMonotonic, dataPoints } = m.sum!;
        if (!isKnownTemporality(temporality)) return this.refuse(inst, m, 'invalid-point', TEMPORALITY_REQUIRED, n);
        const cumulative = temporality === AggregationTemporality.CUMULATIVE;
        if (cumulative) this.sums = this.into.series.sums(inst.id, m.name);
        for (let i = 0; i < dataPoints.length; i++) this.sumPoint(inst, m, dataPoints[i]!, i, cumulative, isMonotonic);
        return;
      }
      case 'histogram': {
        const { aggregationTemporality: temporality, dataPoints } = m.histogram!;
        if (!isKnownTemporality(temporality)) return this.refuse(inst, m, 'invalid-point', TEMPORALITY_REQUIRED, n);
        const cumulative = temporality === AggregationTemporality.CUMULATIVE;
        if (cumulative) this.histograms = this.into.series.histograms(inst.id, m.name);
        for (let i = 0; i < dataPoints.length; i++) this.histogramPoint(inst, m, dataPoints[i]!, i, cumulative);
        return;
      }
      default:
        return this.refuse(inst, m, 'unsupported-type', `${data === 'summary' ? 'summaries' : 'exponential histograms'} are not rolled up: send a sum, gauge or explicit-bucket histogram`, n);
    }
  }

  private gaugePoint(inst: IndexedInstance, m: Metric, p: NumberDataPoint): void {
    if (p.flags & NO_RECORDED_VALUE_FLAG) return void this.out.accepted++;
    const value = numberValue(p);
    const at = nanosToMillis(p.timeUnixNano);
    const problem = Number.isFinite(value) ? this.timeProblem(at) : NO_VALUE;
    if (problem) return this.refuse(inst, m, 'invalid-point', problem, 1);
    this.add(inst, m, at, gaugeRollup(value, at, m.unit, this.point));
  }

  private sumPoint(inst: IndexedInstance, m: Metric, p: NumberDataPoint, position: number, cumulative: boolean, monotonic: boolean): void {
    if (p.flags & NO_RECORDED_VALUE_FLAG) return void this.out.accepted++;
    const value = numberValue(p);
    const at = nanosToMillis(p.timeUnixNano);
    const problem = Number.isFinite(value) ? this.timeProblem(at) : NO_VALUE;
    if (problem) return this.refuse(inst, m, 'invalid-point', problem, 1);
    if (!cumulative) return this.add(inst, m, at, sumRollup(value, value, at, m.unit, this.point));
    const step = this.sums!.step(position, p, at, value, monotonic);
    if (typeof step === 'number') return this.add(inst, m, at, sumRollup(step, value, at, m.unit, this.point));
    if (step === BASELINE) return this.add(inst, m, at, sumRollup(null, value, at, m.unit, this.point));
    if (step === REPEAT) return void this.out.accepted++;
    this.refuse(inst, m, 'series-limit', SERIES_LIMIT, 1);
  }

  private histogramPoint(inst: IndexedInstance, m: Metric, p: HistogramDataPoint, position: number, cumulative: boolean): void {
    if (p.flags & NO_RECORDED_VALUE_FLAG) return void this.out.accepted++;
    const at = nanosToMillis(p.timeUnixNano);
    const problem = readHistogram(p, this.totals, this.buckets) ?? this.timeProblem(at);
    if (problem) return this.refuse(inst, m, 'invalid-point', problem, 1);
    const totals = this.totals;
    if (!cumulative) return this.add(inst, m, at, histogramRollup(totals, m.unit, this.point));
    const step = this.histograms!.step(position, p, at, totals);
    if (step === BASELINE || step === REPEAT) return void this.out.accepted++;
    if (step === OVER_LIMIT) return this.refuse(inst, m, 'series-limit', SERIES_LIMIT, 1);
    this.add(inst, m, at, histogramRollup(step, m.unit, this.point));
  }

  private add(inst: IndexedInstance, m: Metric, at: number, rollup: Rollup): void {
    const hour = hourOf(at);
    const outcome = this.into.buffer.add(inst.id, inst.project, m.name, hour, rollup);
    if (outcome === 'kind-conflict') {
      const held = this.into.buffer.kindOf(inst.id, m.name, hour);
      return this.refuse(inst, m, 'type-conflict', `this hour it is already a ${held} for this instance, and this point is a ${rollup.kind}: give different instruments different names`, 1);
    }
    this.out.accepted++;
    if (outcome === 'bounds-differ') this.out.unbucketedHistogramPoints++;
  }

  private timeProblem(at: number): string | null {
    if (at <= 0) return 'time_unix_nano is missing';
    if (at > this.now + MAX_AHEAD_MS) return `time_unix_nano ${new Date(at).toISOString()} is more than an hour ahead of Tessera's clock: check the sender's clock`;
    return null;
  }

  private refuse(inst: IndexedInstance, m: Metric, reason: RejectionReason, detail: string, points: number): void {
    this.out.rejections.add(reason, `instance=${inst.id}`, `metric ${JSON.stringify(m.name.slice(0, MAX_METRIC_NAME))}: ${detail}`, points);
  }
}

const TEMPORALITY_REQUIRED = 'aggregation_temporality must be DELTA (1) or CUMULATIVE (2)';
const NO_VALUE = 'the data point has no finite value (as_double or as_int)';
const SERIES_LIMIT = `this Tessera process already follows ${MAX_SERIES.toLocaleString('en-US')} cumulative series: send delta temporality (OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=delta) or fewer attribute combinations`;

function isKnownTemporality(t: number): boolean {
  return t === AggregationTemporality.DELTA || t === AggregationTemporality.CUMULATIVE;
}

/** Reads a histogram point into `into` (its buckets into `buckets`); returns what is wrong with it, or null. */
function readHistogram(p: HistogramDataPoint, into: HistogramTotals, buckets: Buckets): string | null {
  const count = int64ToNumber(p.count);
  const sum = p.sum ?? 0; // optional in OTLP (a histogram of negative values may leave it out)
  if (!Number.isFinite(sum)) return 'the histogram sum is not finite';
  const min = p.min ?? null;
  const max = p.max ?? null;
  if ((min !== null && !Number.isFinite(min)) || (max !== null && !Number.isFinite(max))) return 'the histogram min or max is not finite';
  into.count = count;
  into.sum = sum;
  into.min = min;
  into.max = max;
  const bounds = p.explicitBounds;
  const n = p.bucketCounts.length;
  if (n === 0) {
    into.buckets = null;
    return bounds.length > 0 ? 'explicit_bounds without bucket_counts' : null;
  }
  if (n !== bounds.length + 1) return `${n} bucket_counts for ${bounds.length} explicit_bounds: there must be one more count than bounds`;
  for (let i = 0; i < bounds.length; i++) {
    if (!Number.isFinite(bounds[i]!) || (i > 0 && bounds[i]! <= bounds[i - 1]!)) return 'explicit_bounds must be finite and increasing';
  }
  if (buckets.counts.length !== n) buckets.counts = new Array<number>(n);
  let inBuckets = 0;
  for (let i = 0; i < n; i++) inBuckets += buckets.counts[i] = int64ToNumber(p.bucketCounts[i]);
  if (inBuckets !== count) return `count ${count} is not the sum of bucket_counts (${inBuckets})`;
  buckets.bounds = bounds;
  into.buckets = buckets;
  return null;
}
