import { sql, type Selectable } from 'kysely';
import { InvalidInputError } from '../../core/errors.js';
import type { MetricRollupsTable } from '../../store/schema.js';
import type { Store } from '../../store/store.js';
import { hourIso, hourOf, mergeRollup, type Rollup, type RollupKind } from './rollup.js';
import type { RollupCell } from './rollup-buffer.js';

/** Arbitrary constant: the advisory lock that makes flushes of several processes take turns on PostgreSQL. */
const FLUSH_LOCK = 0x7e55e4b;
/** Rows per statement: 16 columns × 500 stays far below SQLite's bound on parameters per statement. */
const BATCH = 500;

/**
 * Merges cells into their stored hour rows, in one transaction: rows are read, merged in memory with the same
 * `mergeRollup` that merges points, and written back. On PostgreSQL the flushes of all processes take turns under
 * an advisory lock held to commit, so two processes writing one hour row never lose each other's points.
 * Returns the rows written and the cells that could not be merged (a metric stored with another type).
 */
export async function writeRollups(store: Store, cells: readonly RollupCell[]): Promise<{ rows: number; conflicts: RollupCell[] }> {
  const conflicts: RollupCell[] = [];
  let rows = 0;
  const now = store.nowIso();
  await store.db.transaction().execute(async (tx) => {
    if (store.dialect === 'postgres') await sql`select pg_advisory_xact_lock(${FLUSH_LOCK})`.execute(tx);
    for (let i = 0; i < cells.length; i += BATCH) {
      const batch = cells.slice(i, i + BATCH);
      const stored = await tx
        .selectFrom('metric_rollups')
        .selectAll()
        .where('instance_id', 'in', unique(batch.map((c) => c.instanceId)))
        .where('metric', 'in', unique(batch.map((c) => c.metric)))
        .where('hour', 'in', unique(batch.map((c) => hourIso(c.hour))))
        .execute();
      const byKey = new Map(stored.map((r) => [`${r.instance_id}\u0000${r.metric}\u0000${r.hour}`, r]));
      const values: MetricRollupsTable[] = [];
      for (const cell of batch) {
        const hour = hourIso(cell.hour);
        const row = byKey.get(`${cell.instanceId}\u0000${cell.metric}\u0000${hour}`);
        let rollup = cell.rollup;
        if (row) {
          rollup = rollupOfRow(row);
          if (mergeRollup(rollup, cell.rollup) === 'kind-conflict') {
            conflicts.push(cell);
            continue;
          }
        }
        values.push(rowOf(cell.instanceId, row?.project ?? cell.project, cell.metric, hour, rollup, now));
      }
      if (values.length === 0) continue;
      await tx
        .insertInto('metric_rollups')
        .values(values)
        .onConflict((oc) =>
          oc.columns(['instance_id', 'metric', 'hour']).doUpdateSet((eb) => ({
            unit: eb.ref('excluded.unit'),
            count: eb.ref('excluded.count'),
            sum: eb.ref('excluded.sum'),
            min: eb.ref('excluded.min'),
            max: eb.ref('excluded.max'),
            last: eb.ref('excluded.last'),
            last_at: eb.ref('excluded.last_at'),
            bounds: eb.ref('excluded.bounds'),
            bucket_counts: eb.ref('excluded.bucket_counts'),
            unbucketed: eb.ref('excluded.unbucketed'),
            updated_at: eb.ref('excluded.updated_at'),
          })),
        )
        .execute();
      rows += values.length;
    }
  });
  return { rows, conflicts };
}

/** One stored hour row as the API shows it. */
export interface RollupRow {
  instanceId: string;
  project: string;
  metric: string;
  /** The hour's start (ISO 8601 UTC). */
  hour: string;
  kind: RollupKind;
  unit: string;
  count: number;
  sum: number;
  min: number | null;
  max: number | null;
  last: number | null;
  lastAt: string | null;
  buckets: { bounds: number[]; counts: number[] } | null;
  unbucketed: number;
  updatedAt: string;
}

export interface RollupQuery {
  /** Only these projects; undefined: every project. */
  projects?: string[];
  instanceId?: string;
  metric?: string;
  /** Hours that begin at or after the hour this falls in. */
  from?: string;
  /** Hours that begin before this. */
  to?: string;
  limit: number;
  cursor?: string | null;
}

/** Hour rows, by instance, metric and hour, a page at a time. */
export async function listRollups(store: Store, q: RollupQuery): Promise<{ items: RollupRow[]; nextCursor: string | null }> {
  let query = store.db.selectFrom('metric_rollups').selectAll();
  if (q.projects !== undefined) query = q.projects.length === 0 ? query.where(sql<boolean>`1 = 0`) : query.where('project', 'in', q.projects);
  if (q.instanceId !== undefined) query = query.where('instance_id', '=', q.instanceId);
  if (q.metric !== undefined) query = query.where('metric', '=', q.metric);
  if (q.from !== undefined) query = query.where('hour', '>=', hourIso(hourOf(Date.parse(q.from))));
  if (q.to !== undefined) query = query.where('hour', '<', new Date(Date.parse(q.to)).toISOString());
  if (q.cursor) {
    const after = decodeCursor(q.cursor);
    query = query.where((eb) => eb(eb.refTuple('instance_id', 'metric', 'hour'), '>', eb.tuple(after[0], after[1], after[2])));
  }
  const rows = await query.orderBy('instance_id').orderBy('metric').orderBy('hour').limit(q.limit + 1).execute();
  const items = rows.slice(0, q.limit).map(viewOf);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > q.limit && last ? encodeCursor([last.instanceId, last.metric, last.hour]) : null };
}

export function rollupOfRow(row: Selectable<MetricRollupsTable>): Rollup {
  const bounds = row.bounds === null ? null : (JSON.parse(row.bounds) as number[]);
  const counts = row.bucket_counts === null ? null : (JSON.parse(row.bucket_counts) as number[]);
  return {
    kind: row.kind as RollupKind,
    unit: row.unit,
    count: Number(row.count),
    sum: Number(row.sum),
    min: numberOrNull(row.min),
    max: numberOrNull(row.max),
    last: numberOrNull(row.last),
    lastAt: row.last_at === null ? null : Date.parse(row.last_at),
    buckets: bounds && counts ? { bounds, counts } : null,
    unbucketed: Number(row.unbucketed),
  };
}

function rowOf(instanceId: string, project: string, metric: string, hour: string, r: Rollup, now: string): MetricRollupsTable {
  return {
    instance_id: instanceId,
    metric,
    hour,
    project,
    kind: r.kind,
    unit: r.unit,
    count: r.count,
    sum: r.sum,
    min: r.min,
    max: r.max,
    last: r.last,
    last_at: r.lastAt === null ? null : new Date(r.lastAt).toISOString(),
    bounds: r.buckets ? JSON.stringify(r.buckets.bounds) : null,
    bucket_counts: r.buckets ? JSON.stringify(r.buckets.counts) : null,
    unbucketed: r.unbucketed,
    updated_at: now,
  };
}

function viewOf(row: Selectable<MetricRollupsTable>): RollupRow {
  const r = rollupOfRow(row);
  return {
    instanceId: row.instance_id,
    project: row.project,
    metric: row.metric,
    hour: row.hour,
    kind: r.kind,
    unit: r.unit,
    count: r.count,
    sum: r.sum,
    min: r.min,
    max: r.max,
    last: r.last,
    lastAt: row.last_at,
    buckets: r.buckets,
    unbucketed: r.unbucketed,
    updatedAt: row.updated_at,
  };
}

function numberOrNull(v: number | null): number | null {
  return v === null ? null : Number(v);
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}

function encodeCursor(key: [string, string, string]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

function decodeCursor(cursor: string): [string, string, string] {
  try {
    const key: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(key) && key.length === 3 && key.every((k) => typeof k === 'string')) return key as [string, string, string];
  } catch {
    // answered below
  }
  throw new InvalidInputError('the cursor is not one this server issued: pass nextCursor from the previous page unchanged', { field: 'cursor' });
}
