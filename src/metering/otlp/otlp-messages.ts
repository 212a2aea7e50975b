/**
 * The shape of a decoded ExportMetricsServiceRequest as protobufjs hands it over (field names in lowerCamelCase,
 * as in OTLP/JSON). Both encodings decode into this one shape (see otlp-codec.ts). Only what Tessera reads is
 * typed. Fields that were not sent read as their proto3 default from the prototype (messages as null, lists as an
 * empty list), and an `optional` field that was not sent reads as null.
 *
 * Which member of a oneof was sent is told by the helpers below, not by protobufjs's virtual oneof properties
 * (`value`, `data`): those list the object's keys on every read, too slow for every data point. decode and
 * fromObject set own properties only for what was sent, so presence is an own-property check.
 */

const hasOwn = (o: object, key: string) => Object.prototype.hasOwnProperty.call(o, key);

/** protobufjs's 64-bit integer when the `long` package is present (it is, as its dependency); a number otherwise. */
export interface LongBits {
  low: number;
  high: number;
  unsigned: boolean;
  toNumber(): number;
  toString(): string;
}
export type Int64 = number | LongBits;

/** A 64-bit value as a number: exact up to 2^53, which every count and every millisecond timestamp fits. */
export function int64ToNumber(v: Int64 | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

/**
 * Nanoseconds since the epoch (a fixed64) as whole milliseconds, the resolution rollups keep. Exact: a double holds
 * today's nanoseconds only to 256 ns, so a time on a millisecond boundary would otherwise fall into the one before.
 * With N = high·2^32 + low and 2^32 = 4294·10^6 + 967296, ⌊N/10^6⌋ = 4294·high + ⌊(967296·high + low)/10^6⌋,
 * where every term stays below 2^53.
 */
export function nanosToMillis(v: Int64 | null | undefined): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number') return Math.floor(v / 1e6);
  const high = v.high >>> 0;
  return 4294 * high + Math.floor((967296 * high + (v.low >>> 0)) / 1e6);
}

/** A 64-bit value as an exact key (start times identify series; a number would round below 256 ns). */
export function int64Key(v: Int64 | null | undefined): string {
  if (v === null || v === undefined) return '0';
  return typeof v === 'number' ? String(v) : `${v.high}:${v.low >>> 0}`;
}

export interface AnyValue {
  stringValue: string;
  boolValue: boolean;
  intValue: Int64;
  doubleValue: number;
  arrayValue?: { values: AnyValue[] } | null;
  kvlistValue?: { values: KeyValue[] } | null;
  bytesValue: Uint8Array;
}

export interface KeyValue {
  key: string;
  value?: AnyValue | null;
}

export const AggregationTemporality = { UNSPECIFIED: 0, DELTA: 1, CUMULATIVE: 2 } as const;

/** Flag bit of a data point that carries no value (the series went stale); see DataPointFlags in metrics.proto. */
export const NO_RECORDED_VALUE_FLAG = 1;

export interface NumberDataPoint {
  attributes: KeyValue[];
  startTimeUnixNano: Int64;
  timeUnixNano: Int64;
  asDouble: number;
  asInt: Int64;
  flags: number;
}

export interface HistogramDataPoint {
  attributes: KeyValue[];
  startTimeUnixNano: Int64;
  timeUnixNano: Int64;
  count: Int64;
  sum: number | null;
  bucketCounts: Int64[];
  explicitBounds: number[];
  flags: number;
  min: number | null;
  max: number | null;
}

/** Points of the kinds Tessera does not roll up are only counted (and rejected). */
interface CountedPoints {
  dataPoints: unknown[];
}

export interface Metric {
  name: string;
  unit: string;
  gauge?: { dataPoints: NumberDataPoint[] } | null;
  sum?: { dataPoints: NumberDataPoint[]; aggregationTemporality: number; isMonotonic: boolean } | null;
  histogram?: { dataPoints: HistogramDataPoint[]; aggregationTemporality: number } | null;
  exponentialHistogram?: CountedPoints | null;
  summary?: CountedPoints | null;
}

export interface ScopeMetrics {
  metrics: Metric[];
}

export interface ResourceMetrics {
  resource?: { attributes: KeyValue[] } | null;
  scopeMetrics: ScopeMetrics[];
}

export interface ExportMetricsServiceRequest {
  resourceMetrics: ResourceMetrics[];
}

/** A number point's value (as_double or as_int), or NaN when it has none. */
export function numberValue(p: NumberDataPoint): number {
  if (hasOwn(p, 'asDouble')) return p.asDouble;
  if (hasOwn(p, 'asInt')) return int64ToNumber(p.asInt);
  return NaN;
}

export type MetricData = 'gauge' | 'sum' | 'histogram' | 'exponentialHistogram' | 'summary';

/** Which kind of data a metric carries (its `data` oneof), or undefined when it carries none. */
export function metricData(m: Metric): MetricData | undefined {
  if (m.sum) return 'sum';
  if (m.gauge) return 'gauge';
  if (m.histogram) return 'histogram';
  if (m.exponentialHistogram) return 'exponentialHistogram';
  if (m.summary) return 'summary';
  return undefined;
}

/** Which member of an AnyValue was sent, or undefined for an empty value. */
export function anyValueKind(v: AnyValue): keyof AnyValue | undefined {
  if (hasOwn(v, 'stringValue')) return 'stringValue';
  if (hasOwn(v, 'intValue')) return 'intValue';
  if (hasOwn(v, 'doubleValue')) return 'doubleValue';
  if (hasOwn(v, 'boolValue')) return 'boolValue';
  if (v.arrayValue) return 'arrayValue';
  if (v.kvlistValue) return 'kvlistValue';
  if (hasOwn(v, 'bytesValue')) return 'bytesValue';
  return undefined;
}

/** The data points a metric carries, whatever its kind. */
export function pointsOf(m: Metric): number {
  return (m.sum ?? m.gauge ?? m.histogram ?? m.exponentialHistogram ?? m.summary)?.dataPoints.length ?? 0;
}

/** The data points a ResourceMetrics carries. */
export function pointsOfResource(rm: ResourceMetrics): number {
  let n = 0;
  for (const sm of rm.scopeMetrics) for (const m of sm.metrics) n += pointsOf(m);
  return n;
}
