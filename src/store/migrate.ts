import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import type { Dialect } from './connect.js';
import * as m001 from './migrations/001-initial.js';
import * as m002 from './migrations/002-identity.js';
import * as m003 from './migrations/003-saml-requests.js';
import * as m004 from './migrations/004-price-catalog.js';
import * as m005 from './migrations/005-metric-rollups.js';
import * as m006 from './migrations/006-usage-ledger.js';
import * as m007 from './migrations/007-cost-models.js';

type DialectMigration = { up(db: Kysely<unknown>, dialect: Dialect): Promise<void> };

/** Listed in code, not read from a folder, so the compiled build and the tests run the same list. */
const MIGRATIONS: Record<string, DialectMigration> = {
  '001-initial': m001,
  '002-identity': m002,
  '003-saml-requests': m003,
  '004-price-catalog': m004,
  '005-metric-rollups': m005,
  '006-usage-ledger': m006,
  '007-cost-models': m007,
};

class StaticProvider implements MigrationProvider {
  constructor(private readonly dialect: Dialect) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    const out: Record<string, Migration> = {};
    for (const [name, m] of Object.entries(MIGRATIONS)) out[name] = { up: (db) => m.up(db, this.dialect) };
    return out;
  }
}

/**
 * Brings the schema to the newest version; safe to call from several processes (Kysely locks the migration
 * table). On PostgreSQL the migration tables are looked up in Tessera's own schema: Kysely would otherwise
 * take another schema's migration table in the same database for its own.
 */
export async function migrateToLatest(db: Kysely<unknown>, dialect: Dialect, pgSchema?: string): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: new StaticProvider(dialect),
    ...(dialect === 'postgres' ? { migrationTableSchema: pgSchema ?? 'public' } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    const what = failed ? `migration ${failed.migrationName} failed` : 'migrations failed';
    throw new Error(`${what}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
