import { sql, type Kysely } from 'kysely';

/**
 * Versions of each private provider's cost model (src/metering/cost-model): the inputs from tessera.yaml and the
 * rates derived from them, with the period each was in force, so a past month can be explained with the model
 * of its day. A change closes the open version (`valid_to`) and opens the next; an unchanged start adds nothing.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('cost_models')
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('valid_from', 'text', (c) => c.notNull())
    .addColumn('valid_to', 'text')
    // JSON: the validated costModel block, and the derived rates (nano-dollars per hour) with the CPU/memory split.
    .addColumn('inputs', 'text', (c) => c.notNull())
    .addColumn('rates', 'text', (c) => c.notNull())
    .addColumn('recorded_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('cost_models_pk', ['provider', 'valid_from'])
    .execute();
  // At most one version in force per provider, even when several Tessera processes start at once: the second
  // insert fails, and its process finds the version the first one opened.
  await db.schema.createIndex('cost_models_open').on('cost_models').column('provider').unique().where(sql.ref('valid_to'), 'is', null).execute();
}
