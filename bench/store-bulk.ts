/**
 * Store.bulkUpsert of 100,000 instance-shaped resources on SQLite, against raw better-sqlite3 prepared inserts
 * of the same rows into the same tables (schema made by Tessera's own migrations, same pragmas) in one
 * transaction. Each run gets a fresh database file; two rounds, alternating, best of each (the machine is shared).
 * Target: rows/s ratio ≥ 0.5.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { newId } from '../src/core/ids.js';
import { INSTANCE_KIND, initialInstanceStatus, type Instance } from '../src/core/instance.js';
import { Store } from '../src/store/store.js';
import { machineFacts } from './lib/machine.js';
import { figure, note, printHeader, printSection, target } from './lib/report.js';

const ROWS = 100_000;
const ROUNDS = 2;

async function main(): Promise<void> {
  printHeader(`store-bulk: ${ROWS.toLocaleString('en-US')} instance-shaped resources into SQLite`, machineFacts('SQLite (better-sqlite3, WAL, synchronous=NORMAL), a fresh file per run'));
  const resources = makeResources(ROWS);
  const labelsPerRow = Object.keys(resources[0]!.labels).length;
  note(`each resource: ~${JSON.stringify(resources[0]).length} bytes of JSON, ${labelsPerRow} labels (so ${(ROWS * labelsPerRow).toLocaleString('en-US')} label rows too)`);

  const best = { raw: Infinity, store: Infinity };
  for (let round = 1; round <= ROUNDS; round++) {
    best.raw = Math.min(best.raw, await inFreshDirectory((dir) => rawInserts(dir, resources)));
    best.store = Math.min(best.store, await inFreshDirectory((dir) => storeBulkUpsert(dir, resources, false)));
  }
  // Information only, so measured once: the suite has a time budget.
  const withEvents = await inFreshDirectory((dir) => storeBulkUpsert(dir, resources, true));

  printSection(`results (best of ${ROUNDS} rounds)`);
  const rate = (seconds: number) => Math.round(ROWS / seconds);
  figure('raw prepared inserts (baseline)', rate(best.raw), 'rows/s', `${best.raw.toFixed(2)} s, one transaction`);
  figure('Store.bulkUpsert', rate(best.store), 'rows/s', `${best.store.toFixed(2)} s, batches of 500, no events`);
  figure('Store.bulkUpsert + one event each', rate(withEvents), 'rows/s', `${withEvents.toFixed(2)} s, as discovery calls it (one run)`);
  target('ratio bulkUpsert / baseline', best.raw / best.store, '≥', 0.5);
  figure('ratio with events / baseline', best.raw / withEvents, '', '(information: the baseline writes no events)');
}

/** What inventory discovery records for a machine it finds: the shape bulkUpsert is written for. */
function makeResources(count: number): Instance[] {
  const at = new Date().toISOString();
  return Array.from({ length: count }, (_, i) => ({
    id: newId('i'),
    kind: INSTANCE_KIND,
    project: 'default',
    name: `legacy-${i}`,
    labels: { team: `team-${i % 20}`, env: i % 3 === 0 ? 'prod' : 'dev' },
    spec: {
      provider: 'inventory-sim',
      region: i % 2 ? 'r1' : 'r2',
      zone: 'r1a',
      flavor: ['small', 'medium', 'large'][i % 3]!,
      requirements: null,
      image: 'ubuntu-24.04',
      market: 'on-demand',
      userData: null,
      powerState: 'on',
      driftPolicy: 'report',
      managed: false,
      reboots: 0,
    },
    status: {
      ...initialInstanceStatus(),
      phase: 'Running',
      externalId: `sim-${i.toString(36).padStart(12, '0')}`,
      addresses: [{ type: 'private', address: `10.0.${(i >> 8) & 255}.${(i & 255) + 1}` }],
      kind: 'vm',
      lastObservedAt: at,
      discovered: true,
      message: 'discovered at inventory-sim; adopt it to manage it',
    },
    generation: 1,
    resourceVersion: 1,
    createdAt: at,
    updatedAt: at,
    deletedAt: null,
  }));
}

async function storeBulkUpsert(dir: string, resources: Instance[], withEvents: boolean): Promise<number> {
  const store = await Store.open({ sqliteFile: join(dir, 'tessera.db') });
  try {
    const event = withEvents ? { type: 'Discovered', reason: 'InventorySync', message: 'found at inventory-sim, not managed by Tessera' } : null;
    const started = performance.now();
    await store.bulkUpsert(resources, event);
    const seconds = (performance.now() - started) / 1000;
    await expectRows(store.connection.sqlite!, resources.length);
    return seconds;
  } finally {
    await store.close();
  }
}

/** The same rows and label rows through prepared statements, JSON encoding included, in one transaction. */
async function rawInserts(dir: string, resources: Instance[]): Promise<number> {
  const file = join(dir, 'tessera.db');
  await (await Store.open({ sqliteFile: file })).close(); // the same tables and indexes, made by the migrations
  const db = new BetterSqlite3(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    const insertResource = db.prepare(
      `INSERT INTO resources (id, kind, project, name, labels, spec, status, generation, resource_version, created_at, updated_at,
       deleted_at, provider, region, phase, external_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insertLabel = db.prepare('INSERT INTO resource_labels (resource_id, key, value) VALUES (?, ?, ?)');
    const started = performance.now();
    db.transaction(() => {
      for (const r of resources) {
        insertResource.run(
          r.id, r.kind, r.project, r.name, JSON.stringify(r.labels), JSON.stringify(r.spec), JSON.stringify(r.status),
          r.generation, r.resourceVersion, r.createdAt, r.updatedAt, r.deletedAt,
          r.spec.provider, r.spec.region, r.status.phase, r.status.externalId,
        );
        for (const [key, value] of Object.entries(r.labels)) insertLabel.run(r.id, key, value);
      }
    })();
    const seconds = (performance.now() - started) / 1000;
    await expectRows(db, resources.length);
    return seconds;
  } finally {
    db.close();
  }
}

async function expectRows(db: BetterSqlite3.Database, expected: number): Promise<void> {
  const { n } = db.prepare('SELECT count(*) AS n FROM resources').get() as { n: number };
  if (n !== expected) throw new Error(`expected ${expected} rows, found ${n}`);
}

async function inFreshDirectory(fn: (dir: string) => Promise<number>): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-bench-bulk-'));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
