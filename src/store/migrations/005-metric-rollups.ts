import type { Kysely } from 'kysely';

/**
 * Hourly rollups of the metrics received over OTLP: one row per instance × metric × hour (never one per point).
 * Writers merge into a row (see src/metering/otlp/rollup-store.ts), so several processes may write the same hour.
 * `hour` and the other times are ISO 8601 UTC strings of one fixed format, so text order is time order.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('metric_rollups')
    .addColumn('instance_id', 'text', (c) => c.notNull())
    .addColumn('metric', 'text', (c) => c.notNull())
    .addColumn('hour', 'text', (c) => c.notNull())
    // The instance's project when the points arrived: reads are narrowed to the caller's projects by it.
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('unit', 'text', (c) => c.notNull())
    .addColumn('count', 'bigint', (c) => c.notNull())
    .addColumn('sum', 'double precision', (c) => c.notNull())
    .addColumn('min', 'double precision')
    .addColumn('max', 'double precision')
    .addColumn('last', 'double precision')
    .addColumn('last_at', 'text')
    // A histogram's bucket layout and counts, as JSON arrays (null for gauges and sums).
    .addColumn('bounds', 'text')
    .addColumn('bucket_counts', 'text')
    .addColumn('unbucketed', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('metric_rollups_pk', ['instance_id', 'metric', 'hour'])
    .execute();
  // Reads by time across instances (a project's last day); reads by instance and metric use the primary key.
  await db.schema.createIndex('metric_rollups_hour').on('metric_rollups').columns(['hour']).execute();
}
