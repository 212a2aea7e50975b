import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { copyRollup, gaugeRollup, histogramRollup, mergeRollup, type Rollup } from '../../../src/metering/otlp/rollup.js';

/**
 * The rollup merge against a reference computed from the points directly: however points are grouped (per request,
 * per flush, per process, then into the stored row), the hour row must come out the same.
 */

/** Three bucket layouts: the second is the finest; the first and third differ only in a value. */
const LAYOUTS = [
  [0, 5, 10],
  [1, 2, 4, 8],
  [0, 6, 10],
];
/** The layout an hour keeps among several, by the rule of rollup.ts written out: most bounds, then lowest. */
const PREFERENCE = [1, 0, 2];

interface HistogramPoint {
  /** Index into LAYOUTS, or null for a point without buckets. */
  layout: number | null;
  counts: number[];
  sum: number;
  min: number | null;
  max: number | null;
}

const histogramPoint: fc.Arbitrary<HistogramPoint> = fc.oneof(
  fc.record({ layout: fc.constant(0), counts: fc.array(fc.nat(50), { minLength: 4, maxLength: 4 }) }),
  fc.record({ layout: fc.constant(1), counts: fc.array(fc.nat(50), { minLength: 5, maxLength: 5 }) }),
  fc.record({ layout: fc.constant(2), counts: fc.array(fc.nat(50), { minLength: 4, maxLength: 4 }) }),
  fc.record({ layout: fc.constant(null), counts: fc.array(fc.nat(50), { minLength: 1, maxLength: 1 }) }),
).chain((p) =>
  fc.record({
    layout: fc.constant(p.layout),
    counts: fc.constant(p.counts),
    // Integers, so that sums are exact whatever the order of addition.
    sum: fc.integer({ min: -1000, max: 1000 }),
    min: fc.option(fc.integer({ min: -100, max: 100 })),
    max: fc.option(fc.integer({ min: -100, max: 100 })),
  }),
);

const gaugePoint = fc.record({ value: fc.integer({ min: -1000, max: 1000 }), at: fc.integer({ min: 0, max: 20 }) });

function histogramOf(p: HistogramPoint): Rollup {
  const count = p.counts.reduce((a, b) => a + b, 0);
  return histogramRollup({ count, sum: p.sum, min: p.min, max: p.max, buckets: p.layout === null ? null : { bounds: LAYOUTS[p.layout]!, counts: p.counts } }, 'ms');
}

/** Merges the rollups in order, grouped as `splits` says: the list is cut in two, each half merged, then the halves. */
function foldGrouped(rollups: Rollup[], splits: number[]): Rollup {
  let next = 0;
  const fold = (from: number, to: number): Rollup => {
    if (to - from === 1) return copyRollup(rollups[from]!);
    const cut = from + 1 + ((splits[next++ % splits.length] ?? 0) % (to - from - 1));
    const left = fold(from, cut);
    expect(mergeRollup(left, fold(cut, to))).not.toBe('kind-conflict');
    return left;
  };
  return fold(0, rollups.length);
}

describe('rollup merge', () => {
  it('histograms: count, sum, min, max and buckets as the reference says, one layout kept whatever the order, in any grouping', () => {
    fc.assert(
      fc.property(fc.array(histogramPoint, { minLength: 1, maxLength: 30 }), fc.array(fc.nat(), { minLength: 1, maxLength: 30 }), (points, splits) => {
        const merged = foldGrouped(points.map(histogramOf), splits);
        const kept = PREFERENCE.find((layout) => points.some((p) => p.layout === layout)) ?? null;
        const sameLayout = points.filter((p) => p.layout === kept);
        const count = points.reduce((n, p) => n + p.counts.reduce((a, b) => a + b, 0), 0);
        const mins = points.map((p) => p.min).filter((m) => m !== null);
        const maxes = points.map((p) => p.max).filter((m) => m !== null);
        expect(merged).toMatchObject({
          kind: 'histogram',
          count,
          sum: points.reduce((n, p) => n + p.sum, 0),
          min: mins.length ? Math.min(...mins) : null,
          max: maxes.length ? Math.max(...maxes) : null,
          last: null,
        });
        if (kept === null) {
          expect(merged.buckets).toBeNull();
        } else {
          expect(merged.buckets!.bounds).toEqual(LAYOUTS[kept]);
          expect(merged.buckets!.counts).toEqual(sameLayout[0]!.counts.map((_, i) => sameLayout.reduce((n, p) => n + p.counts[i]!, 0)));
        }
        // Every measurement is either in a bucket or counted as not: nothing is lost.
        expect((merged.buckets?.counts ?? []).reduce((a, b) => a + b, 0) + merged.unbucketed).toBe(count);
      }),
      { numRuns: 500 },
    );
  });

  it('gauges: count, sum, min, max, and the last value is the latest point’s (the later one on a tie), in any grouping', () => {
    fc.assert(
      fc.property(fc.array(gaugePoint, { minLength: 1, maxLength: 30 }), fc.array(fc.nat(), { minLength: 1, maxLength: 30 }), (points, splits) => {
        const merged = foldGrouped(
          points.map((p) => gaugeRollup(p.value, p.at, '')),
          splits,
        );
        const latestAt = Math.max(...points.map((p) => p.at));
        const latest = points.filter((p) => p.at === latestAt).at(-1)!;
        expect(merged).toEqual({
          kind: 'gauge',
          unit: '',
          count: points.length,
          sum: points.reduce((n, p) => n + p.value, 0),
          min: Math.min(...points.map((p) => p.value)),
          max: Math.max(...points.map((p) => p.value)),
          last: latest.value,
          lastAt: latestAt,
          buckets: null,
          unbucketed: 0,
        });
      }),
      { numRuns: 500 },
    );
  });

  it('refuses to merge two types, and leaves the row as it was', () => {
    const row = gaugeRollup(1, 1, '');
    const before = copyRollup(row);
    expect(mergeRollup(row, histogramRollup({ count: 1, sum: 1, min: 1, max: 1, buckets: null }, ''))).toBe('kind-conflict');
    expect(row).toEqual(before);
  });

  it('says when bounds differed, keeping the finer layout whichever came first', () => {
    const coarse = () => histogramOf({ layout: 0, counts: [1, 1, 0, 0], sum: 3, min: 1, max: 2 });
    const fine = () => histogramOf({ layout: 1, counts: [0, 1, 0, 0, 2], sum: 30, min: 2, max: 20 });
    for (const [older, newer] of [
      [coarse(), fine()],
      [fine(), coarse()],
    ]) {
      expect(mergeRollup(older!, newer!)).toBe('bounds-differ');
      expect(older).toMatchObject({ count: 5, unbucketed: 2, buckets: { bounds: LAYOUTS[1], counts: [0, 1, 0, 0, 2] } });
    }
  });
});
