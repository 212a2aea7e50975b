import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BASELINE, CumulativeSeries, REPEAT, type HistogramTotals, type NoIncrease, type SeriesPoint } from '../../../src/metering/otlp/cumulative-series.js';
import type { KeyValue } from '../../../src/metering/otlp/otlp-messages.js';

const LISTENING_SINCE = 1_000_000;
/** Times in these tests are milliseconds; points carry nanoseconds. */
const NS = 1_000_000;

/** A point of a series named by `attributes` (as the decoder hands them over) and a start time in ms. */
function point(start: number, attributes: KeyValue[] = []): SeriesPoint {
  return { attributes, startTimeUnixNano: start * NS };
}

const text = (key: string, value: string): KeyValue => ({ key, value: { stringValue: value } as KeyValue['value'] });
const integer = (key: string, value: number): KeyValue => ({ key, value: { intValue: value } as KeyValue['value'] });

function added(step: number | NoIncrease): number {
  return typeof step === 'number' ? step : 0;
}

/** A step's answer copied out (a histogram increase is only valid until the next step). */
function snapshot(step: HistogramTotals | NoIncrease): HistogramTotals | NoIncrease {
  return typeof step === 'symbol' ? step : structuredClone(step);
}

/**
 * A sender's life: a few series (one counter by route and status code); between exports it counts on some of them;
 * each export lists every series, in an order it may change, with attributes in an order it may change; sometimes
 * it sends an export again, sometimes it restarts (a new start time, every total back to zero).
 */
const SERIES = 3;
const senderLife = fc.array(
  fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        kind: fc.constant('export' as const),
        counts: fc.array(fc.integer({ min: 0, max: 100 }), { minLength: SERIES, maxLength: SERIES }),
        order: fc.shuffledSubarray([0, 1, 2], { minLength: SERIES, maxLength: SERIES }),
        reversed: fc.boolean(),
      }),
    },
    { weight: 1, arbitrary: fc.constant({ kind: 'resend' as const }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'restart' as const }) },
  ),
  { minLength: 1, maxLength: 40 },
);

function seriesAttributes(series: number, reversed: boolean): KeyValue[] {
  const attributes = [text('http.route', `/r${series}`), integer('http.response.status_code', 200 + series)];
  return reversed ? attributes.reverse() : attributes;
}

describe('cumulative series', () => {
  it('the increases of a monotonic counter add up to what it counted, whatever order series and attributes come in, across resent exports and restarts', () => {
    fc.assert(
      fc.property(senderLife, (life) => {
        const sums = new CumulativeSeries(LISTENING_SINCE, () => LISTENING_SINCE).sums('i-1', 'requests');
        let start = LISTENING_SINCE + 1;
        let totals = [0, 0, 0];
        let counted = 0;
        let at = start;
        let lastExport: { at: number; points: { p: SeriesPoint; total: number }[] } | null = null;
        let increases = 0;
        const send = (exported: { at: number; points: { p: SeriesPoint; total: number }[] }) =>
          exported.points.forEach(({ p, total }, position) => (increases += added(sums.step(position, p, exported.at, total, true))));
        for (const step of life) {
          if (step.kind === 'restart') {
            start = at + 1;
            at = start;
            totals = [0, 0, 0];
          } else if (step.kind === 'resend') {
            if (lastExport) send(lastExport);
          } else {
            step.counts.forEach((c, series) => (totals[series]! += c));
            counted += step.counts.reduce((a, b) => a + b, 0);
            at += 10;
            lastExport = { at, points: step.order.map((series) => ({ p: point(start, seriesAttributes(series, step.reversed)), total: totals[series]! })) };
            send(lastExport);
          }
        }
        expect(increases).toBe(counted);
      }),
      { numRuns: 300 },
    );
  });

  it('a series that began before this process listened counts from its first point on; one that began after counts in full', () => {
    const sums = new CumulativeSeries(LISTENING_SINCE).sums('i-1', 'requests');
    expect(sums.step(0, point(LISTENING_SINCE - 5_000), LISTENING_SINCE + 10, 100, true)).toBe(BASELINE);
    expect(sums.step(0, point(LISTENING_SINCE - 5_000), LISTENING_SINCE + 20, 130, true)).toBe(30);
    expect(sums.step(1, point(LISTENING_SINCE + 5), LISTENING_SINCE + 10, 7, true)).toBe(7);
    // An unknown start time (0) cannot be placed after the listening began.
    expect(sums.step(2, point(0), LISTENING_SINCE + 10, 7, true)).toBe(BASELINE);
  });

  it('a monotonic sum that goes down was reset and counts from zero; a non-monotonic one may go down', () => {
    const series = new CumulativeSeries(LISTENING_SINCE);
    const start = LISTENING_SINCE + 1;
    const counter = series.sums('i-1', 'requests');
    const steps = [10, 15, 3, 5].map((v, i) => added(counter.step(0, point(start), start + 10 * (i + 1), v, true)));
    expect(steps).toEqual([10, 5, 3, 2]);
    const updown = series.sums('i-1', 'queue');
    expect([10, 4].map((v, i) => added(updown.step(0, point(start), start + 10 * (i + 1), v, false)))).toEqual([10, -6]);
    expect(counter.step(0, point(start), start + 10, 99, true)).toBe(REPEAT);
    // The string "200" and the integer 200 name different series.
    expect(counter.step(1, point(start, [text('code', '200')]), start + 10, 1, true)).toBe(1);
    expect(counter.step(2, point(start, [integer('code', 200)]), start + 10, 2, true)).toBe(2);
  });

  it('a cumulative histogram becomes the measurements of each interval, with min and max only where the interval holds them', () => {
    const histograms = new CumulativeSeries(LISTENING_SINCE).histograms('i-1', 'latency');
    const start = LISTENING_SINCE + 1;
    const bounds = [0, 10];
    const step = (at: number, totals: HistogramTotals) => snapshot(histograms.step(0, point(start), start + at, totals));
    expect(step(10, { count: 2, sum: 8, min: 3, max: 5, buckets: { bounds, counts: [0, 2, 0] } })).toEqual({ count: 2, sum: 8, min: 3, max: 5, buckets: { bounds, counts: [0, 2, 0] } });
    expect(step(20, { count: 5, sum: 48, min: 3, max: 20, buckets: { bounds, counts: [0, 3, 2] } })).toEqual({ count: 3, sum: 40, min: null, max: 20, buckets: { bounds, counts: [0, 1, 2] } });
    expect(step(25, { count: 6, sum: 49, min: 1, max: 20, buckets: { bounds, counts: [0, 4, 2] } })).toEqual({ count: 1, sum: 1, min: 1, max: null, buckets: { bounds, counts: [0, 1, 0] } });
    // A reset without a new start time: the point is its own interval.
    expect(step(30, { count: 1, sum: 1, min: 1, max: 1, buckets: { bounds, counts: [0, 1, 0] } })).toEqual({ count: 1, sum: 1, min: 1, max: 1, buckets: { bounds, counts: [0, 1, 0] } });
    // New bounds under the same start cannot be told apart from the old ones.
    expect(step(40, { count: 4, sum: 9, min: 1, max: 5, buckets: { bounds: [0, 5, 10], counts: [0, 3, 1, 0] } })).toBe(BASELINE);
    expect(step(50, { count: 5, sum: 12, min: 1, max: 5, buckets: { bounds: [0, 5, 10], counts: [0, 4, 1, 0] } })).toEqual({ count: 1, sum: 3, min: null, max: null, buckets: { bounds: [0, 5, 10], counts: [0, 1, 0, 0] } });
  });

  it('keeps its own copy of a series: the caller may reuse the objects it passed', () => {
    const histograms = new CumulativeSeries(LISTENING_SINCE).histograms('i-1', 'latency');
    const start = LISTENING_SINCE + 1;
    const reused: HistogramTotals = { count: 1, sum: 1, min: 1, max: 1, buckets: { bounds: [5], counts: [1, 0] } };
    histograms.step(0, point(start), start + 10, reused);
    reused.count = 3;
    reused.sum = 9;
    reused.buckets!.counts[1] = 2;
    expect(snapshot(histograms.step(0, point(start), start + 20, reused))).toMatchObject({ count: 2, sum: 8, buckets: { counts: [0, 2] } });
  });

  it('forgets series not received for two hours', () => {
    let now = LISTENING_SINCE;
    const series = new CumulativeSeries(LISTENING_SINCE, () => now);
    series.receivedAt = now;
    series.sums('i-1', 'a').step(0, point(LISTENING_SINCE + 1), LISTENING_SINCE + 10, 1, true);
    now += 3600_000;
    series.receivedAt = now;
    series.sums('i-2', 'b').step(0, point(LISTENING_SINCE + 1), LISTENING_SINCE + 10, 1, true);
    series.sweep();
    expect(series.size).toBe(2);
    now += 1.5 * 3600_000;
    series.sweep();
    expect(series.size).toBe(1);
    // A forgotten series is new again: its next point is a baseline or counts in full, never an increase over stale state.
    expect(series.sums('i-1', 'a').step(0, point(LISTENING_SINCE + 1), LISTENING_SINCE + 20, 5, true)).toBe(5);
  });
});
