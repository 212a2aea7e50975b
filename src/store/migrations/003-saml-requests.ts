import type { Kysely } from 'kysely';

/** AuthnRequest and LogoutRequest ids Tessera sent, until answered or expired: an answer must match one. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('saml_requests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
}
