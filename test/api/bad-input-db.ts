import pg from 'pg';
import { createTestDatabase, TEST_PG_URL, type TestDatabase, type TestDialect } from '../support/databases.js';

/**
 * A test database for the bad-input suite that does not depend on what other test runs hold in the same
 * PostgreSQL.
 *
 * Why: src/store/migrate.ts builds Kysely's Migrator without `migrationTableSchema`, and Kysely then asks "does
 * kysely_migration_lock exist?" across *every* schema of the database. While any other run's schema holds
 * those tables (another test file running at the same time, or a schema a crashed run left behind), a fresh
 * schema gets none and migration fails with `relation "kysely_migration_lock" does not exist`. That is a
 * src/ bug, reported separately; this suite is about bad input, so it creates the two bookkeeping tables in its
 * own schema first (exactly the shape Kysely would create), and Kysely then finds and uses them.
 */
export async function createBadInputDatabase(dialect: TestDialect): Promise<TestDatabase> {
  const tdb = await createTestDatabase(dialect);
  if (dialect !== 'postgres') return tdb;
  const schema = tdb.options.schema!;
  const c = new pg.Client({ connectionString: TEST_PG_URL });
  await c.connect();
  try {
    await c.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await c.query(`CREATE TABLE IF NOT EXISTS "${schema}".kysely_migration (name varchar(255) NOT NULL PRIMARY KEY, timestamp varchar(255) NOT NULL)`);
    await c.query(`CREATE TABLE IF NOT EXISTS "${schema}".kysely_migration_lock (id varchar(255) NOT NULL PRIMARY KEY, is_locked integer NOT NULL DEFAULT 0)`);
  } finally {
    await c.end();
  }
  return tdb;
}
