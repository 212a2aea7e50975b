import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';

/** Where benchmarks find PostgreSQL (the machine and CI run one with trust auth, database `test`). */
export const BENCH_PG_URL = process.env.TESSERA_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export type BenchDialect = 'sqlite' | 'postgres';

export interface BenchDatabase {
  dialect: BenchDialect;
  /** A fresh temporary directory: the SQLite file, sim state files and the secret key live here. */
  dataDir: string;
  /** For ControlPlane.open: null on SQLite. */
  databaseUrl: string | null;
  /** A PostgreSQL schema of this run's own (undefined on SQLite). */
  schema: string | undefined;
  /** One line for the header, e.g. `SQLite 3.50.2 (better-sqlite3, WAL) in /tmp/…`. */
  description: string;
  dispose(): Promise<void>;
}

/** A database nobody else uses: a new SQLite file, or a new PostgreSQL schema that is dropped afterwards. */
export async function createBenchDatabase(dialect: BenchDialect, label: string): Promise<BenchDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), `tessera-bench-${label}-`));
  const removeDir = () => rmSync(dataDir, { recursive: true, force: true });
  if (dialect === 'sqlite') {
    return {
      dialect,
      dataDir,
      databaseUrl: null,
      schema: undefined,
      description: `SQLite ${sqliteVersion()} (better-sqlite3, WAL, synchronous=NORMAL) in ${dataDir}`,
      dispose: async () => removeDir(),
    };
  }
  const schema = `bench_${label.replace(/[^a-z0-9]/g, '_')}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const version = await withClient(async (c) => (await c.query<{ v: string }>("select current_setting('server_version') as v")).rows[0]?.v ?? '?').catch((e: Error) => {
    removeDir();
    throw new Error(`PostgreSQL is not reachable at ${BENCH_PG_URL} (${e.message}); start it or set TESSERA_BENCH_DATABASE_URL`);
  });
  return {
    dialect,
    dataDir,
    databaseUrl: BENCH_PG_URL,
    schema,
    description: `PostgreSQL ${version} at ${new URL(BENCH_PG_URL).host}, schema ${schema} (dropped afterwards)`,
    dispose: async () => {
      await withClient((c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
      removeDir();
    },
  };
}

/** `--db sqlite`, `--db postgres` or `--db both` (the default) from a benchmark's command line. */
export function dialectsFromArgs(argv: string[] = process.argv.slice(2)): BenchDialect[] {
  const i = argv.indexOf('--db');
  const value = i >= 0 ? argv[i + 1] : 'both';
  if (value === 'sqlite' || value === 'postgres') return [value];
  if (value === 'both') return ['sqlite', 'postgres'];
  throw new Error(`--db must be sqlite, postgres or both, got ${JSON.stringify(value)}`);
}

function sqliteVersion(): string {
  const db = new BetterSqlite3(':memory:');
  try {
    return (db.prepare('select sqlite_version() as v').get() as { v: string }).v;
  } finally {
    db.close();
  }
}

async function withClient<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: BENCH_PG_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
