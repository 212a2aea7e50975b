import { sql, type Kysely } from 'kysely';

/**
 * The usage ledger: events now carry what their resource was at that moment (`facts`), and the ledger keeps
 * usage segments built from them — an instance's time in one billable state with one set of facts.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('events').addColumn('facts', 'text').execute();
  await db.schema
    .createTable('usage_segments')
    .addColumn('instance_id', 'text', (c) => c.notNull())
    // The event that opened the segment: with the instance, its identity (replaying an event cannot open it twice).
    .addColumn('opened_by_seq', 'bigint', (c) => c.notNull())
    .addColumn('closed_by_seq', 'bigint')
    .addColumn('start_at', 'text', (c) => c.notNull())
    .addColumn('end_at', 'text')
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('price_key', 'text', (c) => c.notNull())
    .addColumn('region', 'text', (c) => c.notNull())
    .addColumn('zone', 'text')
    .addColumn('flavor', 'text', (c) => c.notNull())
    .addColumn('market', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('labels', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text')
    .addPrimaryKeyConstraint('usage_segments_pk', ['instance_id', 'opened_by_seq'])
    .execute();
  // Reports read the segments that overlap a period: those that started before its end and had not ended by its start.
  await db.schema.createIndex('usage_segments_start').on('usage_segments').columns(['start_at']).execute();
  await db.schema.createIndex('usage_segments_open').on('usage_segments').columns(['end_at']).execute();
  // The builder's cursor exists from the start, so two processes' first runs lock the same row (ledger-builder.ts).
  await sql`insert into settings (key, value, updated_at) values ('metering.ledger.cursor', '0', '1970-01-01T00:00:00.000Z')`.execute(db);
}
