import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql, type SqliteDatabase, type SqliteStatement } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

export interface DatabaseOptions {
  /** `postgres://…` to scale out; otherwise SQLite in `sqliteFile`. */
  databaseUrl?: string | null;
  sqliteFile?: string;
  /** PostgreSQL schema to live in (created if missing); tests give each run its own. */
  schema?: string;
  poolSize?: number;
}

export interface Connection {
  db: Kysely<Database>;
  dialect: Dialect;
  /** The raw better-sqlite3 handle when on SQLite (bulk paths and benchmarks use it). */
  sqlite: BetterSqlite3.Database | null;
  close(): Promise<void>;
}

const INT8_OID = 20;
const STATEMENT_TIMEOUT_MS = 30_000;

export async function openDatabase(opts: DatabaseOptions): Promise<Connection> {
  if (opts.databaseUrl) return openPostgres(opts.databaseUrl, opts.schema, opts.poolSize ?? 10);
  if (!opts.sqliteFile) throw new Error('openDatabase needs either databaseUrl or sqliteFile');
  return openSqlite(opts.sqliteFile);
}

function openSqlite(file: string): Connection {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const sqlite = new BetterSqlite3(file);
  try {
    configureSqlite(sqlite);
  } catch (e) {
    sqlite.close();
    if ((e as { code?: string }).code === 'SQLITE_BUSY') {
      throw new Error(
        `${file} is in use by another Tessera server: stop that one, or give this one its own --data-dir (to run several servers on one database, use PostgreSQL)`,
      );
    }
    throw e;
  }
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  return { db, dialect: 'sqlite', sqlite, close: () => db.destroy() };
}

function configureSqlite(sqlite: BetterSqlite3.Database): void {
  // A server that has just exited may still hold the file for a moment.
  sqlite.pragma('busy_timeout = 5000');
  // One server per data directory: the file stays locked by this process until it closes, so a second server
  // is refused instead of writing behind this one's back (the store's row cache relies on being the only
  // writer), and no read pays for the shared-memory locking WAL otherwise needs between processes.
  sqlite.pragma('locking_mode = EXCLUSIVE');
  // WAL lets reads run beside the single writer; NORMAL sync is durable across a process crash (not power loss).
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  // Checkpoint the WAL every ~40 MB rather than every 4 MB: bulk writes (inventory sync) otherwise spend a third
  // of their time checkpointing.
  sqlite.pragma('wal_autocheckpoint = 10000');
  sqlite.pragma('foreign_keys = ON');
  // Exclusive mode locks at the first write: take the lock now, so a second server stops at start.
  sqlite.exec('BEGIN IMMEDIATE; COMMIT');
}

const STATEMENT_CACHE_SIZE = 500;

/**
 * Kysely prepares every query anew, and preparing costs more than running a point read. The same SQL text is
 * prepared once and reused (Kysely runs one statement at a time on this connection, so sharing is safe).
 */
function withStatementCache(sqlite: BetterSqlite3.Database): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    prepare(sqlText: string) {
      let stmt = cache.get(sqlText);
      if (!stmt) {
        stmt = sqlite.prepare(sqlText);
        // Bulk statements (many rows of parameters) vary in length; keep the cache bounded, oldest out first.
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
        cache.set(sqlText, stmt);
      }
      return stmt as unknown as SqliteStatement;
    },
    close: () => {
      cache.clear();
      sqlite.close();
    },
  };
}

async function openPostgres(url: string, schema: string | undefined, poolSize: number): Promise<Connection> {
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new Error(`PostgreSQL schema name ${JSON.stringify(schema)} must be lowercase letters, digits and "_"`);
  }
  if (schema) {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    } finally {
      await admin.end();
    }
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    // Every pooled connection starts in the schema, so no query can run before it is set; and no statement
    // may hold a pooled connection for long, whatever a request asks for.
    options: `-c statement_timeout=${STATEMENT_TIMEOUT_MS}${schema ? ` -c search_path=${schema}` : ''}`,
    // int8 (bigserial seq, epoch-ms times) as numbers: every value we keep fits in 2^53.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
    },
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  // Fail fast with the server's own message if the URL is wrong.
  await sql`select 1`.execute(db);
  return { db, dialect: 'postgres', sqlite: null, close: () => db.destroy() };
}
