import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/** The first schema. Written once for both dialects; only the event sequence column differs. */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('resources')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('labels', 'text', (c) => c.notNull())
    .addColumn('spec', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('generation', 'integer', (c) => c.notNull())
    .addColumn('resource_version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('deleted_at', 'text')
    .addColumn('provider', 'text')
    .addColumn('region', 'text')
    .addColumn('phase', 'text')
    .addColumn('external_id', 'text')
    .execute();
  // A name is unique per kind and project among resources not yet deleted.
  await db.schema
    .createIndex('resources_live_name')
    .on('resources')
    .columns(['kind', 'project', 'name'])
    .unique()
    .where(sql.ref('deleted_at'), 'is', null)
    .execute();
  await db.schema.createIndex('resources_kind_id').on('resources').columns(['kind', 'id']).execute();
  await db.schema.createIndex('resources_provider_ext').on('resources').columns(['provider', 'external_id']).execute();
  await db.schema.createIndex('resources_kind_phase').on('resources').columns(['kind', 'phase']).execute();

  await db.schema
    .createTable('resource_labels')
    .addColumn('resource_id', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('resource_labels_pk', ['resource_id', 'key'])
    .execute();
  await db.schema.createIndex('resource_labels_kv').on('resource_labels').columns(['key', 'value']).execute();

  await db.schema
    .createTable('events')
    .addColumn('seq', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
      // SQLite's AUTOINCREMENT never reuses a sequence number, even after the newest row is gone.
      dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
    )
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('resource_id', 'text', (c) => c.notNull())
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('resource_version', 'integer')
    .execute();
  await db.schema.createIndex('events_resource').on('events').columns(['resource_id', 'seq']).execute();

  await db.schema
    .createTable('work')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('resource_id', 'text', (c) => c.notNull())
    .addColumn('due_at', 'bigint', (c) => c.notNull())
    .addColumn('holder', 'text')
    .addColumn('lease_expires_at', 'bigint')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('gen', 'integer', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('work_pk', ['kind', 'resource_id'])
    .execute();
  await db.schema.createIndex('work_due').on('work').columns(['kind', 'due_at']).execute();

  await db.schema
    .createTable('leases')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('idempotency_keys')
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('status_code', 'integer', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('idempotency_pk', ['scope', 'key'])
    .execute();

  await db.schema
    .createTable('provider_credentials')
    .addColumn('provider', 'text', (c) => c.primaryKey())
    .addColumn('ciphertext', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
}
