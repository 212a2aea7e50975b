import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Store } from '../../src/store/store.js';

/** Where the test PostgreSQL lives (the machine and CI start one: trust auth, database `test`). */
export const TEST_PG_URL = process.env.TESSERA_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export type TestDialect = 'sqlite' | 'postgres';
/** Every store and API test runs on both databases. */
export const DIALECTS: TestDialect[] = ['sqlite', 'postgres'];

export interface TestDatabase {
  dialect: TestDialect;
  /** Options for Store.open / startServer that point at this test's own database. */
  options: { databaseUrl?: string; schema?: string; sqliteFile?: string };
  dataDir: string;
  open(): Promise<Store>;
  dispose(): Promise<void>;
}

/**
 * A fresh database per test file: its own SQLite file, or its own PostgreSQL schema. A PostgreSQL that cannot
 * be reached fails the suite with the reason — never a silent skip.
 */
export async function createTestDatabase(dialect: TestDialect): Promise<TestDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-test-'));
  if (dialect === 'sqlite') {
    const options = { sqliteFile: join(dataDir, 'tessera.db') };
    return {
      dialect,
      options,
      dataDir,
      open: () => Store.open(options),
      dispose: async () => rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  const schema = `t_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const client = new pg.Client({ connectionString: TEST_PG_URL });
  try {
    await client.connect();
    await client.end();
  } catch (e) {
    throw new Error(
      `PostgreSQL is required for the store and API tests and is not reachable at ${TEST_PG_URL}: ${(e as Error).message}. ` +
        'Start it (pg_ctlcluster <version> main start) or set TESSERA_TEST_DATABASE_URL.',
    );
  }
  const options = { databaseUrl: TEST_PG_URL, schema };
  return {
    dialect,
    options,
    dataDir,
    open: () => Store.open(options),
    dispose: async () => {
      const c = new pg.Client({ connectionString: TEST_PG_URL });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await c.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
