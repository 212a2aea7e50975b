import type Database from 'better-sqlite3';
import { openStateFile } from '../state-file.js';
import type { Market } from '../../core/offer.js';
import { newMachineId } from './machine-id.js';

/**
 * The simulated cloud's own record of its machines, in one SQLite file per sim provider.
 *
 * Every mutation is written through before the call that made it returns: crash tests kill Tessera at random
 * moments and then count machines at the provider, so a create reported as done must already be on disk.
 * WAL with synchronous=NORMAL makes a commit survive the death of the process (the power-loss durability of FULL
 * is not needed for a simulation, and its fsync per create would cap the converge benchmark's request rate).
 */

export type PowerIntent = 'on' | 'off';

export interface SimMachine {
  /** `sim-` followed by random base36: the provider's id. */
  externalId: string;
  /** Tessera's create token; null for machines made outside Tessera. Immutable, like EC2's ClientToken. */
  token: string | null;
  name: string;
  region: string;
  zone: string | null;
  flavor: string;
  /** Kept per machine so capacity accounting stays right if the flavor table in the config changes. */
  vcpus: number;
  image: string;
  market: Market;
  labels: Record<string, string>;
  /** Epoch milliseconds, as are the other instants. */
  createdAt: number;
  power: PowerIntent;
  /** Until this instant the machine is still booting (power on) or shutting down (power off). */
  transitionUntil: number;
  deletedAt: number | null;
}

export type NewMachine = Omit<SimMachine, 'externalId' | 'deletedAt'>;

/** What may change on a live machine (power actions, or edits made outside Tessera). */
export type MachinePatch = Partial<
  Pick<SimMachine, 'name' | 'zone' | 'flavor' | 'vcpus' | 'image' | 'labels' | 'power' | 'transitionUntil'>
>;

interface MachineRow {
  external_id: string;
  token: string | null;
  name: string;
  region: string;
  zone: string | null;
  flavor: string;
  vcpus: number;
  image: string;
  market: Market;
  labels: string;
  created_at: number;
  power: PowerIntent;
  transition_until: number;
  deleted_at: number | null;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS machines (
    external_id      TEXT PRIMARY KEY,
    token            TEXT,
    name             TEXT NOT NULL,
    region           TEXT NOT NULL,
    zone             TEXT,
    flavor           TEXT NOT NULL,
    vcpus            REAL NOT NULL,
    image            TEXT NOT NULL,
    market           TEXT NOT NULL,
    labels           TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    power            TEXT NOT NULL,
    transition_until INTEGER NOT NULL,
    deleted_at       INTEGER
  ) WITHOUT ROWID;
  -- One live machine per token is the idempotency guarantee itself; a deleted machine frees its token.
  -- Machines made outside Tessera have no token and stay out of the index (100k seeded ones would double its cost).
  CREATE UNIQUE INDEX IF NOT EXISTS machines_live_token ON machines(token) WHERE deleted_at IS NULL AND token IS NOT NULL;
  -- Kept in step with machines inside the same transactions, so a capacity check never scans the machines.
  CREATE TABLE IF NOT EXISTS region_usage (
    region TEXT PRIMARY KEY,
    vcpus  REAL NOT NULL
  ) WITHOUT ROWID;
`;

const COLUMNS =
  'external_id, token, name, region, zone, flavor, vcpus, image, market, labels, created_at, power, transition_until, deleted_at';

export class SimState {
  private readonly statements;

  private constructor(private readonly db: Database.Database) {
    this.statements = {
      byId: db.prepare<[string], MachineRow>(`SELECT ${COLUMNS} FROM machines WHERE external_id = ?`),
      liveByToken: db.prepare<[string], MachineRow>(`SELECT ${COLUMNS} FROM machines WHERE token = ? AND deleted_at IS NULL`),
      insert: db.prepare(
        `INSERT INTO machines (${COLUMNS}) VALUES (@external_id, @token, @name, @region, @zone, @flavor, @vcpus, @image,
         @market, @labels, @created_at, @power, @transition_until, NULL)`,
      ),
      update: db.prepare(
        `UPDATE machines SET name = @name, zone = @zone, flavor = @flavor, vcpus = @vcpus, image = @image, labels = @labels,
         power = @power, transition_until = @transition_until WHERE external_id = @external_id`,
      ),
      markDeleted: db.prepare<[number, string]>(`UPDATE machines SET deleted_at = ? WHERE external_id = ? AND deleted_at IS NULL`),
      addUsage: db.prepare<[{ region: string; vcpus: number }]>(
        `INSERT INTO region_usage (region, vcpus) VALUES (@region, @vcpus)
         ON CONFLICT (region) DO UPDATE SET vcpus = vcpus + excluded.vcpus`,
      ),
      usage: db.prepare<[string], { vcpus: number }>(`SELECT vcpus FROM region_usage WHERE region = ?`),
      allUsage: db.prepare<[], { region: string; vcpus: number }>(`SELECT region, vcpus FROM region_usage`),
      // Keyset paging on the primary key: each page is one index range scan, however many machines there are.
      livePage: db.prepare<[string, number], MachineRow>(
        `SELECT ${COLUMNS} FROM machines WHERE external_id > ? AND deleted_at IS NULL ORDER BY external_id LIMIT ?`,
      ),
      all: db.prepare<[], MachineRow>(`SELECT ${COLUMNS} FROM machines ORDER BY external_id`),
      counts: db.prepare<[], { live: number; deleted: number }>(
        `SELECT COALESCE(SUM(deleted_at IS NULL), 0) AS live, COALESCE(SUM(deleted_at IS NOT NULL), 0) AS deleted FROM machines`,
      ),
    };
  }

  /** Opens (creating if needed) the state file; several processes may open the same file. */
  static open(file: string): SimState {
    return new SimState(openStateFile(file, SCHEMA));
  }

  /** Runs `fn` holding the write lock, so a check-then-insert cannot interleave with another writer. */
  exclusive<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  findLive(externalId: string): SimMachine | null {
    const row = this.statements.byId.get(externalId);
    return row && row.deleted_at === null ? toMachine(row) : null;
  }

  findLiveByToken(token: string): SimMachine | null {
    const row = this.statements.liveByToken.get(token);
    return row ? toMachine(row) : null;
  }

  /** Records a new machine and returns it with its new provider id. */
  insert(machine: NewMachine): SimMachine {
    return this.db.transaction(() => {
      const externalId = newMachineId();
      this.statements.insert.run(toRow(externalId, machine));
      this.statements.addUsage.run({ region: machine.region, vcpus: machine.vcpus });
      return { ...machine, externalId, deletedAt: null };
    })();
  }

  /** Records many machines in one transaction (bulk seeding for tests and benchmarks); returns how many. */
  insertMany(machines: Iterable<NewMachine>): number {
    return this.db.transaction(() => {
      const addedVcpus = new Map<string, number>();
      let count = 0;
      for (const machine of machines) {
        this.statements.insert.run(toRow(newMachineId(), machine));
        addedVcpus.set(machine.region, (addedVcpus.get(machine.region) ?? 0) + machine.vcpus);
        count++;
      }
      for (const [region, vcpus] of addedVcpus) this.statements.addUsage.run({ region, vcpus });
      return count;
    })();
  }

  /** Applies `patch` to a live machine; false when there is none. */
  update(externalId: string, patch: MachinePatch): boolean {
    return this.db.transaction(() => {
      const current = this.findLive(externalId);
      if (!current) return false;
      const next = { ...current, ...patch };
      this.statements.update.run(toRow(externalId, next));
      if (next.vcpus !== current.vcpus) this.statements.addUsage.run({ region: current.region, vcpus: next.vcpus - current.vcpus });
      return true;
    })();
  }

  /** Marks a live machine deleted and frees its capacity; false when there was no live machine. */
  markDeleted(externalId: string, at: number): boolean {
    return this.db.transaction(() => {
      const current = this.findLive(externalId);
      if (!current) return false;
      this.statements.markDeleted.run(at, externalId);
      this.statements.addUsage.run({ region: current.region, vcpus: -current.vcpus });
      return true;
    })();
  }

  usedVcpus(region: string): number {
    return this.statements.usage.get(region)?.vcpus ?? 0;
  }

  usedVcpusByRegion(): Map<string, number> {
    return new Map(this.statements.allUsage.all().map((r) => [r.region, r.vcpus]));
  }

  /** Up to `limit` live machines whose ids sort after `afterExternalId` (null: from the start). */
  livePage(afterExternalId: string | null, limit: number): SimMachine[] {
    return this.statements.livePage.all(afterExternalId ?? '', limit).map(toMachine);
  }

  /** Every machine ever recorded, deleted ones included (a test hook: it loads them all). */
  allMachines(): SimMachine[] {
    return this.statements.all.all().map(toMachine);
  }

  counts(): { live: number; deleted: number } {
    return this.statements.counts.get()!;
  }

  close(): void {
    this.db.close();
  }
}

function toRow(externalId: string, m: NewMachine): Omit<MachineRow, 'deleted_at'> {
  return {
    external_id: externalId,
    token: m.token,
    name: m.name,
    region: m.region,
    zone: m.zone,
    flavor: m.flavor,
    vcpus: m.vcpus,
    image: m.image,
    market: m.market,
    labels: JSON.stringify(m.labels),
    created_at: m.createdAt,
    power: m.power,
    transition_until: m.transitionUntil,
  };
}

function toMachine(row: MachineRow): SimMachine {
  return {
    externalId: row.external_id,
    token: row.token,
    name: row.name,
    region: row.region,
    zone: row.zone,
    flavor: row.flavor,
    vcpus: row.vcpus,
    image: row.image,
    market: row.market,
    labels: JSON.parse(row.labels) as Record<string, string>,
    createdAt: row.created_at,
    power: row.power,
    transitionUntil: row.transition_until,
    deletedAt: row.deleted_at,
  };
}
