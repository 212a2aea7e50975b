import { InvalidInputError } from '../../core/errors.js';
import type { Store } from '../../store/store.js';
import { hourIso, hourOf } from './rollup.js';

/** How an instance's hour rows of one metric add up to the work it did. */
export type WorkAggregation = 'count' | 'sum' | 'last' | 'max';

export interface WorkDoneQuery {
  instanceIds: readonly string[];
  metric: string;
  /**
   * `sum`: the total of the values (a counter's increase, e.g. requests served); `count`: how many points or
   * measurements (a histogram's requests); `max`: the largest value; `last`: the latest value sent.
   */
  aggregation: WorkAggregation;
  /** The hours that begin in [from rounded down to the hour, to) are counted, each in full. */
  from: Date | string;
  to: Date | string;
}

export interface WorkDone {
  instanceId: string;
  /** null when the instance sent nothing in the period (or, for max and last, nothing with a value). */
  total: number | null;
  /** Hours of the period with a row for this instance and metric. */
  hoursCovered: number;
}

const BATCH = 500;

/**
 * The work each instance did in a period by one metric, from the stored hourly rollups (what a process has received
 * but not yet flushed is not in them: OtlpMetering.workDone flushes first). One answer per asked instance, in order.
 */
export async function workDone(store: Store, q: WorkDoneQuery): Promise<WorkDone[]> {
  const from = epochMs(q.from);
  const to = epochMs(q.to);
  if (Number.isNaN(from) || Number.isNaN(to)) throw new InvalidInputError('from and to must be ISO 8601 times such as 2026-11-27T05:00:00Z', { from: q.from, to: q.to });
  if (to <= from) throw new InvalidInputError('to must be after from');
  const totals = new Map<string, { total: number | null; lastAt: string; hours: number }>();
  const ids = [...new Set(q.instanceIds)];
  for (let i = 0; i < ids.length; i += BATCH) {
    const rows = await store.db
      .selectFrom('metric_rollups')
      .select(['instance_id', 'hour', 'count', 'sum', 'max', 'last', 'last_at'])
      .where('instance_id', 'in', ids.slice(i, i + BATCH))
      .where('metric', '=', q.metric)
      .where('hour', '>=', hourIso(hourOf(from)))
      .where('hour', '<', new Date(to).toISOString())
      .execute();
    for (const row of rows) {
      const t = totals.get(row.instance_id) ?? { total: null, lastAt: '', hours: 0 };
      t.hours++;
      const value = valueOf(q.aggregation, row);
      if (value !== null) {
        if (q.aggregation === 'last') {
          if (row.last_at !== null && row.last_at >= t.lastAt) {
            t.total = value;
            t.lastAt = row.last_at;
          }
        } else if (q.aggregation === 'max') t.total = t.total === null ? value : Math.max(t.total, value);
        else t.total = (t.total ?? 0) + value;
      }
      totals.set(row.instance_id, t);
    }
  }
  return q.instanceIds.map((instanceId) => {
    const t = totals.get(instanceId);
    return { instanceId, total: t?.total ?? null, hoursCovered: t?.hours ?? 0 };
  });
}

function epochMs(t: Date | string): number {
  return t instanceof Date ? t.getTime() : Date.parse(t);
}

function valueOf(aggregation: WorkAggregation, row: { count: number; sum: number; max: number | null; last: number | null }): number | null {
  switch (aggregation) {
    case 'count':
      return Number(row.count);
    case 'sum':
      return Number(row.sum);
    case 'max':
      return row.max === null ? null : Number(row.max);
    case 'last':
      return row.last === null ? null : Number(row.last);
  }
}
