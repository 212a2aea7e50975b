import type { Kysely } from 'kysely';

/**
 * The price catalog: one row per price validity period of an offer (provider × region × flavor × market).
 * A price change closes the open period (`valid_to`) and opens a new one, so a past bill is priced with the
 * price of its day. Times are ISO 8601 UTC strings of one fixed format, so text order is time order.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('catalog_prices')
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('region', 'text', (c) => c.notNull())
    .addColumn('flavor', 'text', (c) => c.notNull())
    .addColumn('market', 'text', (c) => c.notNull())
    .addColumn('valid_from', 'text', (c) => c.notNull())
    .addColumn('valid_to', 'text')
    .addColumn('zone', 'text')
    .addColumn('vcpus', 'double precision', (c) => c.notNull())
    .addColumn('memory_gib', 'double precision', (c) => c.notNull())
    .addColumn('gpus', 'integer', (c) => c.notNull())
    .addColumn('arch', 'text', (c) => c.notNull())
    // Micro-dollars per hour; an integer column holds up to $2,147/h, far above any VM's list price.
    .addColumn('price_micros', 'integer', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('imported_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('catalog_prices_pk', ['provider', 'region', 'flavor', 'market', 'valid_from'])
    .execute();
  // Most reads want the prices in force now (open periods) or at one time, by provider.
  await db.schema.createIndex('catalog_prices_open').on('catalog_prices').columns(['valid_to', 'provider']).execute();
}
