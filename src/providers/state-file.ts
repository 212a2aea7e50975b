import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

/**
 * Opens (creating if needed) a driver's own SQLite state file — the sim's machines, the bare-metal pool — with
 * `schema` applied. Several Tessera processes sharing a data dir may open the same file: WAL lets them read
 * beside a writer, and one may hold the write lock for a moment.
 */
export function openStateFile(file: string, schema: string): Database.Database {
  mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.exec(schema);
  return db;
}
