import type { Dimension } from './dimensions.js';

/**
 * The time grain of a report: idle capacity and shared cost are worked out per bucket of it (each UTC day, each
 * UTC month, or the whole period), so a report by day shows each day's idle capacity and each day's shares.
 */
export type TimeGrain = 'day' | 'month' | 'period';

export interface TimeBucket {
  /** `2026-01-15`, `2026-01`, or '' for the whole period. */
  key: string;
  startMs: number;
  endMs: number;
}

/** The finest time grain among the dimensions (a day lies inside one month). */
export function timeGrainOf(dims: readonly Dimension[]): TimeGrain {
  if (dims.includes('day')) return 'day';
  if (dims.includes('month')) return 'month';
  return 'period';
}

/** The bucket of a day (`2026-01-15`): itself, its month, or '' for the whole period. */
export function bucketOfDay(day: string, grain: TimeGrain): string {
  return grain === 'day' ? day : grain === 'month' ? day.slice(0, 7) : '';
}

/** The buckets of [fromMs, toMs), each clipped to the period. */
export function bucketsOf(fromMs: number, toMs: number, grain: TimeGrain): TimeBucket[] {
  if (toMs <= fromMs) return [];
  if (grain === 'period') return [{ key: '', startMs: fromMs, endMs: toMs }];
  const out: TimeBucket[] = [];
  let start = fromMs;
  while (start < toMs) {
    const d = new Date(start);
    const next = grain === 'day' ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1) : Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    const iso = d.toISOString();
    out.push({ key: grain === 'day' ? iso.slice(0, 10) : iso.slice(0, 7), startMs: start, endMs: Math.min(next, toMs) });
    start = next;
  }
  return out;
}
