import type Database from 'better-sqlite3';
import { openStateFile } from '../state-file.js';
import type { BmcPowerState } from './bmc.js';
import type { Allocation, BmcRecord, MachineFacts, PoolMachine } from './machine.js';

/**
 * The bare-metal pool of one provider: a SQLite file the driver owns (`<dataDir>/baremetal/<provider>.db`), like
 * the sim's state. It is the driver's inventory — what machines exist, which are taken, which stopped answering —
 * not Tessera's store. BMC logins are stored sealed (the caller seals them); nothing here sees a password.
 */

interface MachineRow {
  name: string;
  rack: string;
  facts: string;
  bmc: string;
  bmc_address: string;
  sealed_credentials: string;
  enrolled_at: string;
  allocation: string | null;
  allocation_token: string | null;
  unreachable_since: string | null;
  last_error: string | null;
  last_power: BmcPowerState | null;
  last_power_at: string | null;
  last_failure: string | null;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS machines (
    name               TEXT PRIMARY KEY,
    rack               TEXT NOT NULL,
    facts              TEXT NOT NULL,
    bmc                TEXT NOT NULL,
    -- One BMC drives one machine: enrolling the same BMC twice would let two instances share a machine.
    bmc_address        TEXT NOT NULL UNIQUE,
    sealed_credentials TEXT NOT NULL,
    enrolled_at        TEXT NOT NULL,
    allocation         TEXT,
    allocation_token   TEXT,
    unreachable_since  TEXT,
    last_error         TEXT,
    last_power         TEXT,
    last_power_at      TEXT,
    last_failure       TEXT
  ) WITHOUT ROWID;
  -- One allocation per create token is the idempotency guarantee itself; a released machine frees its token.
  CREATE UNIQUE INDEX IF NOT EXISTS machines_allocation_token ON machines(allocation_token) WHERE allocation_token IS NOT NULL;
`;

const COLUMNS =
  'name, rack, facts, bmc, bmc_address, sealed_credentials, enrolled_at, allocation, allocation_token, unreachable_since, last_error, last_power, last_power_at, last_failure';

/** The BMC as one comparable string: protocol, endpoint and system (two systems of one Redfish service are two machines). */
export function bmcAddress(bmc: BmcRecord): string {
  return `${bmc.protocol}:${bmc.endpoint.toLowerCase().replace(/\/+$/, '')}${bmc.systemId ? `#${bmc.systemId}` : ''}`;
}

export class MachinePool {
  private readonly statements;

  private constructor(private readonly db: Database.Database) {
    this.statements = {
      all: db.prepare<[], MachineRow>(`SELECT ${COLUMNS} FROM machines ORDER BY name`),
      byName: db.prepare<[string], MachineRow>(`SELECT ${COLUMNS} FROM machines WHERE name = ?`),
      byToken: db.prepare<[string], MachineRow>(`SELECT ${COLUMNS} FROM machines WHERE allocation_token = ?`),
      byBmc: db.prepare<[string], MachineRow>(`SELECT ${COLUMNS} FROM machines WHERE bmc_address = ?`),
      allocatedCount: db.prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM machines WHERE allocation IS NOT NULL`),
      insert: db.prepare(
        `INSERT INTO machines (${COLUMNS}) VALUES (@name, @rack, @facts, @bmc, @bmc_address, @sealed_credentials, @enrolled_at,
         @allocation, @allocation_token, @unreachable_since, @last_error, @last_power, @last_power_at, @last_failure)`,
      ),
      setAllocation: db.prepare<[{ name: string; allocation: string | null; token: string | null }]>(
        `UPDATE machines SET allocation = @allocation, allocation_token = @token WHERE name = @name`,
      ),
      unreachable: db.prepare<[{ name: string; at: string; error: string }]>(
        // The first failure's time is kept: "unreachable since" is when it stopped answering, not the last try.
        `UPDATE machines SET unreachable_since = COALESCE(unreachable_since, @at), last_error = @error WHERE name = @name`,
      ),
      reachable: db.prepare<[{ name: string; at: string; power: BmcPowerState | null }]>(
        `UPDATE machines SET unreachable_since = NULL, last_error = NULL,
           last_power = COALESCE(@power, last_power), last_power_at = CASE WHEN @power IS NULL THEN last_power_at ELSE @at END
         WHERE name = @name`,
      ),
      failure: db.prepare<[{ name: string; failure: string }]>(`UPDATE machines SET last_failure = @failure WHERE name = @name`),
      remove: db.prepare<[string]>(`DELETE FROM machines WHERE name = ?`),
    };
  }

  /** Opens (creating if needed) the pool file; several Tessera processes sharing a data dir may open it. */
  static open(file: string): MachinePool {
    return new MachinePool(openStateFile(file, SCHEMA));
  }

  /**
   * Runs `fn` holding the write lock (BEGIN IMMEDIATE), so a read-then-allocate cannot interleave with another
   * writer — in this process or another one sharing the file: two creates never get the same machine.
   */
  exclusive<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  all(): PoolMachine[] {
    return this.statements.all.all().map(toMachine);
  }

  get(name: string): PoolMachine | null {
    const row = this.statements.byName.get(name);
    return row ? toMachine(row) : null;
  }

  byToken(token: string): PoolMachine | null {
    const row = this.statements.byToken.get(token);
    return row ? toMachine(row) : null;
  }

  byBmc(bmc: BmcRecord): PoolMachine | null {
    const row = this.statements.byBmc.get(bmcAddress(bmc));
    return row ? toMachine(row) : null;
  }

  allocatedCount(): number {
    return this.statements.allocatedCount.get()!.n;
  }

  insert(m: PoolMachine): void {
    this.statements.insert.run({
      name: m.name,
      rack: m.rack,
      facts: JSON.stringify(m.facts),
      bmc: JSON.stringify(m.bmc),
      bmc_address: bmcAddress(m.bmc),
      sealed_credentials: m.sealedCredentials,
      enrolled_at: m.enrolledAt,
      allocation: m.allocation ? JSON.stringify(m.allocation) : null,
      allocation_token: m.allocation?.token ?? null,
      unreachable_since: m.unreachable?.since ?? null,
      last_error: m.unreachable?.lastError ?? null,
      last_power: m.lastPower?.state ?? null,
      last_power_at: m.lastPower?.at ?? null,
      last_failure: m.lastFailure ? JSON.stringify(m.lastFailure) : null,
    });
  }

  /** Gives the machine to an allocation, or (null) back to the pool. */
  setAllocation(name: string, allocation: Allocation | null): void {
    this.statements.setAllocation.run({ name, allocation: allocation ? JSON.stringify(allocation) : null, token: allocation?.token ?? null });
  }

  /** Changes the machine's allocation only if it is still `allocationId` (compare-and-set); false if it moved on. */
  updateAllocation(name: string, allocationId: string, change: (a: Allocation) => Allocation): boolean {
    return this.exclusive(() => {
      const current = this.get(name)?.allocation;
      if (!current || current.id !== allocationId) return false;
      this.setAllocation(name, change(current));
      return true;
    });
  }

  /** Releases the allocation if it is still `allocationId`. */
  release(name: string, allocationId: string): boolean {
    return this.exclusive(() => {
      const current = this.get(name)?.allocation;
      if (!current || current.id !== allocationId) return false;
      this.setAllocation(name, null);
      return true;
    });
  }

  markUnreachable(name: string, error: string, at: string): void {
    this.statements.unreachable.run({ name, at, error });
  }

  /** The BMC answered; `power` is what it said, when the call was a power read or change. */
  markReachable(name: string, power: BmcPowerState | null, at: string): void {
    this.statements.reachable.run({ name, at, power });
  }

  recordFailure(name: string, failure: NonNullable<PoolMachine['lastFailure']>): void {
    this.statements.failure.run({ name, failure: JSON.stringify(failure) });
  }

  remove(name: string): boolean {
    return this.statements.remove.run(name).changes > 0;
  }

  close(): void {
    this.db.close();
  }
}

function toMachine(row: MachineRow): PoolMachine {
  return {
    name: row.name,
    rack: row.rack,
    facts: JSON.parse(row.facts) as MachineFacts,
    bmc: JSON.parse(row.bmc) as BmcRecord,
    sealedCredentials: row.sealed_credentials,
    enrolledAt: row.enrolled_at,
    allocation: row.allocation ? (JSON.parse(row.allocation) as Allocation) : null,
    unreachable: row.unreachable_since ? { since: row.unreachable_since, lastError: row.last_error ?? '' } : null,
    lastPower: row.last_power ? { state: row.last_power, at: row.last_power_at ?? '' } : null,
    lastFailure: row.last_failure ? (JSON.parse(row.last_failure) as PoolMachine['lastFailure']) : null,
  };
}
