import { EventEmitter } from 'node:events';
import { sql, type CompiledQuery, type ExpressionBuilder, type Kysely, type Selectable, type Transaction } from 'kysely';
import { ConflictError, InvalidInputError, NotFoundError } from '../core/errors.js';
import type { Resource } from '../core/resource.js';
import type { LabelRequirement } from '../core/selector.js';
import { openDatabase, type Connection, type DatabaseOptions, type Dialect } from './connect.js';
import { migrateToLatest } from './migrate.js';
import { RowCache } from './row-cache.js';
import { decodeCursor, encodeCursor, encodeRow, fromRow, toRow } from './rows.js';
import type { Database, EventsTable, ResourcesTable } from './schema.js';

export interface StoredEvent {
  seq: number;
  at: string;
  kind: string;
  resourceId: string;
  project: string;
  type: string;
  reason: string;
  message: string;
  resourceVersion: number | null;
  /** What the resource was at that moment, as its kind's facts function says (null for kinds without one). */
  facts: Record<string, unknown> | null;
}

/**
 * Turns a resource into the facts its events carry, so that a reader of the log (the metering ledger) knows what
 * the resource was at each event without the resource's history.
 */
export type EventFacts = (r: Resource) => object;

/** What a write says happened; appended to the event log in the same transaction as the write. */
export interface EventInput {
  type: string;
  reason: string;
  message: string;
}

export interface ListQuery {
  project?: string | string[];
  provider?: string;
  region?: string;
  phase?: string | string[];
  name?: string;
  selector?: LabelRequirement[];
  /** Include resources that are fully deleted (phase Deleted). */
  includeDeleted?: boolean;
  limit?: number;
  cursor?: string | null;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface WriteOptions {
  /** Also (re)schedule the resource for its controller, due at this epoch-ms time. */
  reconcileAt?: number;
}

export interface ClaimedWork {
  kind: string;
  resourceId: string;
  attempts: number;
  gen: number;
}

export type IdempotencyClaim =
  | { state: 'new' }
  | { state: 'in-progress' }
  | { state: 'mismatch' }
  | { state: 'replay'; statusCode: number; body: string };

type Tx = Kysely<Database> | Transaction<Database>;

/** A request runs for well under this; an older in-progress reservation was left by a process that died. */
const STALE_RESERVATION_MS = 10_000;

/** Rows kept in memory for reads by id on SQLite (a few MB: rows are a few kB at most). */
const ROW_CACHE_CAPACITY = 10_000;

/** Bulk writes smaller than this never trigger a statistics refresh of their own. */
const ANALYZE_MIN_ROWS = 2_000;

/** Arbitrary constant: the advisory lock that orders event inserts on PostgreSQL. */
const EVENT_ORDER_LOCK = 0x7e55e4a;

/**
 * The store: resources with optimistic concurrency, the append-only event log, the controller work queue
 * with leases, idempotency records and encrypted credentials — one query layer over SQLite and PostgreSQL.
 */
export class Store {
  /** Emits 'events' (StoredEvent[]) after each commit in this process; other processes poll the log. */
  readonly notifier = new EventEmitter();

  private constructor(
    readonly connection: Connection,
    private readonly now: () => Date,
  ) {
    this.notifier.setMaxListeners(0);
    this.getById = connection.db.selectFrom('resources').selectAll().where('kind', '=', '').where('id', '=', '').compile();
    // SQLite is held in exclusive mode by this process (see connect.ts), so every write passes through here.
    this.rowCache = connection.dialect === 'sqlite' ? new RowCache(ROW_CACHE_CAPACITY) : null;
  }

  private readonly rowCache: RowCache | null;

  /** The hottest read of all (every GET by id, every reconcile): built and compiled once, run with new values. */
  private readonly getById: CompiledQuery;

  static async open(opts: DatabaseOptions & { now?: () => Date }): Promise<Store> {
    const connection = await openDatabase(opts);
    await migrateToLatest(connection.db as Kysely<unknown>, connection.dialect, opts.schema);
    return new Store(connection, opts.now ?? (() => new Date()));
  }

  get db(): Kysely<Database> {
    return this.connection.db;
  }

  get dialect(): Dialect {
    return this.connection.dialect;
  }

  async close(): Promise<void> {
    this.notifier.removeAllListeners();
    await this.connection.close();
  }

  nowIso(): string {
    return this.now().toISOString();
  }

  // ---------------------------------------------------------------- resources

  /** Inserts a new resource (resourceVersion 1, generation 1) and its event. A taken name → ConflictError. */
  async create<S, St>(
    r: Omit<Resource<S, St>, 'generation' | 'resourceVersion' | 'createdAt' | 'updatedAt' | 'deletedAt'>,
    event: EventInput,
    opts: WriteOptions = {},
  ): Promise<Resource<S, St>> {
    const at = this.nowIso();
    const full: Resource<S, St> = { ...r, generation: 1, resourceVersion: 1, createdAt: at, updatedAt: at, deletedAt: null };
    const events: StoredEvent[] = [];
    try {
      await this.db.transaction().execute(async (tx) => {
        await tx.insertInto('resources').values(toRow(full)).execute();
        await this.writeLabels(tx, full.id, full.labels, false);
        if (opts.reconcileAt !== undefined) await this.upsertWork(tx, full.kind, [full.id], opts.reconcileAt);
        events.push(await this.appendEvent(tx, full, event));
      });
    } catch (e) {
      if (isUniqueViolation(e)) {
        throw new ConflictError(
          `a ${r.kind} named "${r.name}" already exists in project "${r.project}": choose another name or delete that one first`,
          { name: r.name, project: r.project },
        );
      }
      throw e;
    }
    this.notify(events);
    return full;
  }


  async get<S, St>(kind: string, id: string): Promise<Resource<S, St> | null> {
    const row = await this.getRow(kind, id);
    return row ? fromRow<S, St>(row) : null;
  }

  /** A resource already encoded as JSON (for answering a read), with its project (for deciding who may see it). */
  async getEncoded(kind: string, id: string): Promise<{ project: string; json: string } | null> {
    const row = await this.getRow(kind, id);
    return row ? { project: row.project, json: encodeRow(row) } : null;
  }

  /**
   * The encoded resource if its row is in memory right now, without a promise: the hot path of a read by id.
   * Undefined means "not cached" (ask getEncoded), never "does not exist".
   */
  cachedEncoded(kind: string, id: string): { project: string; json: string } | undefined {
    const row = this.rowCache?.get(kind, id);
    return row ? { project: row.project, json: encodeRow(row) } : undefined;
  }

  private async getRow(kind: string, id: string): Promise<ResourcesTable | undefined> {
    const cached = this.rowCache?.get(kind, id);
    if (cached) return cached;
    const readStartedAt = this.rowCache?.epoch() ?? 0;
    const { rows } = await this.db.executeQuery<ResourcesTable>({ ...this.getById, parameters: [kind, id] });
    const row = rows[0];
    if (row) this.rowCache?.fill(kind, id, row, readStartedAt);
    return row;
  }

  async mustGet<S, St>(kind: string, id: string): Promise<Resource<S, St>> {
    const r = await this.get<S, St>(kind, id);
    if (!r) throw new NotFoundError(`${kind} ${id} does not exist: check the id (list them with GET /v1/${kind.toLowerCase()}s)`);
    return r;
  }

  async list<S, St>(kind: string, q: ListQuery = {}): Promise<Page<Resource<S, St>>> {
    const limit = Math.min(Math.max(q.limit ?? 100, 1), 1000);
    let query = this.db.selectFrom('resources as r').selectAll('r').where('r.kind', '=', kind);
    if (q.project !== undefined) {
      const projects = Array.isArray(q.project) ? q.project : [q.project];
      query = projects.length === 0 ? query.where(sql<boolean>`1 = 0`) : query.where('r.project', 'in', projects);
    }
    if (q.provider !== undefined) query = query.where('r.provider', '=', q.provider);
    if (q.region !== undefined) query = query.where('r.region', '=', q.region);
    if (q.name !== undefined) query = query.where('r.name', '=', q.name);
    if (q.phase !== undefined) {
      const phases = Array.isArray(q.phase) ? q.phase : [q.phase];
      query = query.where('r.phase', 'in', phases);
    } else if (!q.includeDeleted) {
      query = query.where((eb) => eb.or([eb('r.phase', 'is', null), eb('r.phase', '!=', 'Deleted')]));
    }
    for (const req of q.selector ?? []) query = query.where((eb) => labelCondition(eb, req));
    if (q.cursor) {
      const after = decodeCursor(q.cursor);
      if (after === null) {
        throw new InvalidInputError('the cursor is not one this server issued: pass nextCursor from the previous page unchanged', {
          field: 'cursor',
        });
      }
      query = query.where('r.id', '>', after);
    }
    const rows = await query.orderBy('r.id').limit(limit + 1).execute();
    const items = rows.slice(0, limit).map((row) => fromRow<S, St>(row));
    const nextCursor = rows.length > limit ? encodeCursor(items[items.length - 1]!.id) : null;
    return { items, nextCursor };
  }

  /** Ids of the resources of a kind in the given phases (for periodic re-checks). */
  async idsInPhases(kind: string, phases: string[]): Promise<string[]> {
    const rows = await this.db.selectFrom('resources').select('id').where('kind', '=', kind).where('phase', 'in', phases).execute();
    return rows.map((r) => r.id);
  }

  async count(kind: string, q: Pick<ListQuery, 'provider' | 'phase'> = {}): Promise<number> {
    let query = this.db.selectFrom('resources').select((eb) => eb.fn.countAll().as('n')).where('kind', '=', kind);
    if (q.provider !== undefined) query = query.where('provider', '=', q.provider);
    if (q.phase !== undefined) query = query.where('phase', 'in', Array.isArray(q.phase) ? q.phase : [q.phase]);
    else query = query.where('phase', '!=', 'Deleted');
    const row = await query.executeTakeFirstOrThrow();
    // count() is a string on PostgreSQL and a number on SQLite.
    return Number(row.n);
  }

  /**
   * Read–modify–write with optimistic concurrency. With `expectedVersion`, a resource that has moved on is a
   * ConflictError (the client's stale write). Without it (controllers), a lost race re-reads and re-applies
   * `mutate`, since controllers compute their change from the latest state anyway.
   * `mutate` returns the new resource, or null for "no change". `spec` changes bump `generation`.
   */
  async update<S, St>(
    kind: string,
    id: string,
    mutate: (current: Resource<S, St>) => Resource<S, St> | null,
    opts: WriteOptions & {
      expectedVersion?: number;
      /** What happened, appended in the same transaction; several when one write means several things. */
      event?: (before: Resource<S, St>, after: Resource<S, St>) => EventInput | EventInput[] | null;
    } = {},
  ): Promise<Resource<S, St>> {
    for (let attempt = 0; ; attempt++) {
      const current = await this.mustGet<S, St>(kind, id);
      if (opts.expectedVersion !== undefined && current.resourceVersion !== opts.expectedVersion) {
        throw staleWrite(kind, id, opts.expectedVersion, current.resourceVersion);
      }
      const next = mutate(structuredClone(current));
      if (next === null) return current;
      const specChanged = JSON.stringify(next.spec) !== JSON.stringify(current.spec);
      const written: Resource<S, St> = {
        ...next,
        id: current.id,
        kind: current.kind,
        createdAt: current.createdAt,
        generation: current.generation + (specChanged ? 1 : 0),
        resourceVersion: current.resourceVersion + 1,
        updatedAt: this.nowIso(),
      };
      const said = opts.event?.(current, written) ?? [];
      const toAppend = Array.isArray(said) ? said : [said];
      const events: StoredEvent[] = [];
      const ok = await this.db.transaction().execute(async (tx) => {
        this.rowCache?.invalidate(kind, id);
        const { id: _id, kind: _kind, created_at: _c, ...cols } = toRow(written);
        const res = await tx
          .updateTable('resources')
          .set(cols)
          .where('id', '=', id)
          .where('resource_version', '=', current.resourceVersion)
          .executeTakeFirst();
        if (Number(res.numUpdatedRows) !== 1) return false;
        if (JSON.stringify(written.labels) !== JSON.stringify(current.labels)) {
          await this.writeLabels(tx, id, written.labels, true);
        }
        if (opts.reconcileAt !== undefined) await this.upsertWork(tx, kind, [id], opts.reconcileAt);
        for (const e of toAppend) events.push(await this.appendEvent(tx, written, e));
        return true;
      });
      if (ok) {
        this.notify(events);
        return written;
      }
      if (opts.expectedVersion !== undefined) {
        const latest = await this.mustGet<S, St>(kind, id);
        throw staleWrite(kind, id, opts.expectedVersion, latest.resourceVersion);
      }
      if (attempt > 50) throw new ConflictError(`${kind} ${id} is being written too often to update; try again`);
    }
  }

  /**
   * Inserts or replaces many resources in one transaction (inventory discovery). Events are one per
   * resource; labels are rewritten. Existing rows are overwritten unconditionally: callers pass only rows they own.
   */
  async bulkUpsert(resources: Resource[], event: EventInput | null, opts: { batchSize?: number } = {}): Promise<void> {
    const batchSize = opts.batchSize ?? 500;
    const events: StoredEvent[] = [];
    // One transaction for the call: a commit costs more than a 500-row statement. Statements stay at 500 rows
    // (SQLite's bound on parameters per statement).
    await this.db.transaction().execute(async (tx) => {
      for (let i = 0; i < resources.length; i += batchSize) {
        const batch = resources.slice(i, i + batchSize);
        for (const r of batch) this.rowCache?.invalidate(r.kind, r.id);
        await tx
          .insertInto('resources')
          .values(batch.map(toRow))
          .onConflict((oc) =>
            oc.column('id').doUpdateSet((eb) => ({
              labels: eb.ref('excluded.labels'),
              spec: eb.ref('excluded.spec'),
              status: eb.ref('excluded.status'),
              generation: eb('resources.generation', '+', 1),
              // Versions only move forward, whatever the caller's copy said: watchers and writers rely on it.
              resource_version: eb('resources.resource_version', '+', 1),
              updated_at: eb.ref('excluded.updated_at'),
              deleted_at: eb.ref('excluded.deleted_at'),
              provider: eb.ref('excluded.provider'),
              region: eb.ref('excluded.region'),
              phase: eb.ref('excluded.phase'),
              external_id: eb.ref('excluded.external_id'),
            })),
          )
          .execute();
        const ids = batch.map((r) => r.id);
        await tx.deleteFrom('resource_labels').where('resource_id', 'in', ids).execute();
        const labelRows = batch.flatMap((r) => Object.entries(r.labels).map(([key, value]) => ({ resource_id: r.id, key, value })));
        for (let j = 0; j < labelRows.length; j += 1000) {
          await tx.insertInto('resource_labels').values(labelRows.slice(j, j + 1000)).execute();
        }
        if (event) events.push(...(await this.appendEvents(tx, batch, event)));
      }
    });
    this.notify(events);
    await this.refreshPlannerStatistics(resources.length);
  }

  /**
   * PostgreSQL plans from table statistics that autovacuum refreshes only about once a minute. After bulk
   * writes have doubled the resources since the last refresh (an inventory sync of a new provider), they are
   * refreshed at once: with stale ones the planner takes a 100,000-row table for a small one and scans it for
   * every page of the next sync (≈ 45 ms instead of 4 ms a page here).
   */
  private async refreshPlannerStatistics(rowsWritten: number): Promise<void> {
    if (this.dialect !== 'postgres') return;
    this.rowsSinceAnalyze += rowsWritten;
    if (this.rowsSinceAnalyze < Math.max(ANALYZE_MIN_ROWS, this.rowsAtAnalyze)) return;
    this.rowsAtAnalyze += this.rowsSinceAnalyze;
    this.rowsSinceAnalyze = 0;
    await sql`analyze resources`.execute(this.db);
  }

  private rowsSinceAnalyze = 0;
  private rowsAtAnalyze = 0;

  private async writeLabels(tx: Tx, id: string, labels: Record<string, string>, replace: boolean): Promise<void> {
    if (replace) await tx.deleteFrom('resource_labels').where('resource_id', '=', id).execute();
    const rows = Object.entries(labels).map(([key, value]) => ({ resource_id: id, key, value }));
    if (rows.length > 0) await tx.insertInto('resource_labels').values(rows).execute();
  }

  // ---------------------------------------------------------------- events

  private async lockEventOrder(tx: Tx): Promise<void> {
    // On PostgreSQL a sequence value is taken before commit, so a reader polling `seq > last` could skip a row
    // that commits late. Holding this lock until commit makes sequence order equal commit order.
    if (this.dialect === 'postgres') await sql`select pg_advisory_xact_lock(${EVENT_ORDER_LOCK})`.execute(tx);
  }

  private async appendEvent(tx: Tx, r: Resource, e: EventInput): Promise<StoredEvent> {
    const [event] = await this.appendEvents(tx, [r], e);
    return event!;
  }

  private readonly eventFacts = new Map<string, EventFacts>();

  /** Every event of a resource of `kind` carries `facts(resource)` from now on. */
  recordEventFacts(kind: string, facts: EventFacts): void {
    this.eventFacts.set(kind, facts);
  }

  private async appendEvents(tx: Tx, rs: Resource[], e: EventInput): Promise<StoredEvent[]> {
    await this.lockEventOrder(tx);
    const at = this.nowIso();
    const rows = rs.map((r) => ({
      facts: this.eventFacts.has(r.kind) ? JSON.stringify(this.eventFacts.get(r.kind)!(r)) : null,
      at,
      kind: r.kind,
      resource_id: r.id,
      project: r.project,
      type: e.type,
      reason: e.reason,
      message: e.message.slice(0, 2000),
      resource_version: r.resourceVersion,
    }));
    const out: StoredEvent[] = [];
    for (let i = 0; i < rows.length; i += 500) {
      const inserted = await tx.insertInto('events').values(rows.slice(i, i + 500)).returningAll().execute();
      out.push(...inserted.map(toEvent));
    }
    return out;
  }

  async listEvents(q: { after?: number; kind?: string; resourceId?: string; project?: string | string[]; limit?: number }): Promise<StoredEvent[]> {
    let query = this.db.selectFrom('events').selectAll();
    if (q.after !== undefined) query = query.where('seq', '>', q.after);
    if (q.kind !== undefined) query = query.where('kind', '=', q.kind);
    if (q.resourceId !== undefined) query = query.where('resource_id', '=', q.resourceId);
    if (q.project !== undefined) query = query.where('project', 'in', Array.isArray(q.project) ? q.project : [q.project]);
    const rows = await query.orderBy('seq').limit(Math.min(Math.max(q.limit ?? 100, 1), 1000)).execute();
    return rows.map(toEvent);
  }

  async latestEventSeq(): Promise<number> {
    const row = await this.db.selectFrom('events').select((eb) => eb.fn.max('seq').as('seq')).executeTakeFirst();
    return Number(row?.seq ?? 0);
  }

  private notify(events: StoredEvent[]): void {
    if (events.length > 0) this.notifier.emit('events', events);
  }

  // ---------------------------------------------------------------- controller work queue (leases)

  /** Schedules resources for their controller; an earlier due time wins over a later one already queued. */
  async enqueue(kind: string, ids: string[], dueAt: number): Promise<void> {
    for (let i = 0; i < ids.length; i += 500) await this.upsertWork(this.db, kind, ids.slice(i, i + 500), dueAt);
  }

  /** Schedules only the resources that have no work item at all (leaves retries on their backoff schedule). */
  async enqueueMissing(kind: string, ids: string[], dueAt: number): Promise<void> {
    for (let i = 0; i < ids.length; i += 500) {
      await this.db
        .insertInto('work')
        .values(ids.slice(i, i + 500).map((resource_id) => ({ kind, resource_id, due_at: dueAt, holder: null, lease_expires_at: null, attempts: 0, gen: 0 })))
        .onConflict((oc) => oc.columns(['kind', 'resource_id']).doNothing())
        .execute();
    }
  }

  private async upsertWork(tx: Tx, kind: string, ids: string[], dueAt: number): Promise<void> {
    if (ids.length === 0) return;
    await tx
      .insertInto('work')
      .values(ids.map((resource_id) => ({ kind, resource_id, due_at: dueAt, holder: null, lease_expires_at: null, attempts: 0, gen: 0 })))
      .onConflict((oc) =>
        oc.columns(['kind', 'resource_id']).doUpdateSet((eb) => ({
          due_at: sql<number>`case when ${eb.ref('work.due_at')} < ${eb.ref('excluded.due_at')} then ${eb.ref('work.due_at')} else ${eb.ref('excluded.due_at')} end`,
          attempts: 0,
          gen: eb('work.gen', '+', 1),
        })),
      )
      .execute();
  }

  /**
   * Claims up to `limit` due items not leased by a live holder. On PostgreSQL rows are locked with
   * FOR UPDATE SKIP LOCKED so concurrent processes claim disjoint sets; SQLite has one writer at a time.
   */
  async claimWork(kind: string, holder: string, limit: number, leaseMs: number): Promise<ClaimedWork[]> {
    const now = Date.now();
    return this.db.transaction().execute(async (tx) => {
      let candidates = tx
        .selectFrom('work')
        .select(['resource_id'])
        .where('kind', '=', kind)
        .where('due_at', '<=', now)
        .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<', now)]))
        .orderBy('due_at')
        .limit(limit);
      if (this.dialect === 'postgres') candidates = candidates.forUpdate().skipLocked();
      const ids = (await candidates.execute()).map((r) => r.resource_id);
      if (ids.length === 0) return [];
      const rows = await tx
        .updateTable('work')
        .set({ holder, lease_expires_at: now + leaseMs })
        .where('kind', '=', kind)
        .where('resource_id', 'in', ids)
        .returning(['resource_id', 'attempts', 'gen'])
        .execute();
      return rows.map((r) => ({ kind, resourceId: r.resource_id, attempts: Number(r.attempts), gen: Number(r.gen) }));
    });
  }

  /**
   * Ends a claim. `next` re-schedules (a retry with backoff or a later re-check); null removes the item. Either
   * way, if the item was enqueued again while we held it (its gen moved on), that newer request wins: the item
   * stays, due as the enqueue asked.
   */
  async finishWork(claim: ClaimedWork, holder: string, next: { dueAt: number; failed: boolean } | null): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      if (next === null) {
        await tx
          .deleteFrom('work')
          .where('kind', '=', claim.kind)
          .where('resource_id', '=', claim.resourceId)
          .where('holder', '=', holder)
          .where('gen', '=', claim.gen)
          .execute();
      }
      await tx
        .updateTable('work')
        .set((eb) => ({
          holder: null,
          lease_expires_at: null,
          due_at: next ? eb.case().when('gen', '=', claim.gen).then(next.dueAt).else(eb.ref('due_at')).end() : eb.ref('due_at'),
          attempts: next?.failed ? eb('attempts', '+', 1) : 0,
        }))
        .where('kind', '=', claim.kind)
        .where('resource_id', '=', claim.resourceId)
        .where('holder', '=', holder)
        .execute();
    });
  }

  /** On graceful shutdown: hands this process's claims back at once instead of waiting for their expiry. */
  async releaseWork(holder: string): Promise<void> {
    await this.db.updateTable('work').set({ holder: null, lease_expires_at: null }).where('holder', '=', holder).execute();
  }

  /** Extends this holder's claim on items it is still working on. */
  async renewWork(kind: string, holder: string, ids: string[], leaseMs: number): Promise<void> {
    if (ids.length === 0) return;
    await this.db
      .updateTable('work')
      .set({ lease_expires_at: Date.now() + leaseMs })
      .where('kind', '=', kind)
      .where('holder', '=', holder)
      .where('resource_id', 'in', ids)
      .execute();
  }

  // ---------------------------------------------------------------- named leases (singleton jobs)

  /** Takes or renews a named lease (e.g. one discovery sync per provider across processes). */
  async tryLease(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    const res = await this.db
      .insertInto('leases')
      .values({ name, holder, expires_at: now + ttlMs })
      .onConflict((oc) =>
        oc
          .column('name')
          .doUpdateSet({ holder, expires_at: now + ttlMs })
          .where((eb) => eb.or([eb('leases.holder', '=', holder), eb('leases.expires_at', '<', now)])),
      )
      .executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  // ---------------------------------------------------------------- idempotency keys

  /**
   * Reserves an Idempotency-Key before the request runs (status 0 = in progress), so two copies of one request
   * racing on two processes cannot both act. Returns what the caller should do.
   */
  async claimIdempotent(scope: string, key: string, requestHash: string): Promise<IdempotencyClaim> {
    const inserted = await this.db
      .insertInto('idempotency_keys')
      .values({ scope, key, request_hash: requestHash, status_code: 0, body: '', created_at: this.nowIso() })
      .onConflict((oc) => oc.columns(['scope', 'key']).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) return { state: 'new' };
    const row = await this.db.selectFrom('idempotency_keys').selectAll().where('scope', '=', scope).where('key', '=', key).executeTakeFirst();
    if (!row) return this.claimIdempotent(scope, key, requestHash); // abandoned meanwhile
    if (row.request_hash !== requestHash) return { state: 'mismatch' };
    if (Number(row.status_code) === 0) {
      // A reservation this old belongs to a process that died mid-request: the retry takes it over. Whatever
      // that request managed to write is still guarded by the resource's unique name.
      if (Date.parse(row.created_at) > this.now().getTime() - STALE_RESERVATION_MS) return { state: 'in-progress' };
      const taken = await this.db
        .updateTable('idempotency_keys')
        .set({ created_at: this.nowIso() })
        .where('scope', '=', scope)
        .where('key', '=', key)
        .where('created_at', '=', row.created_at)
        .where('status_code', '=', 0)
        .executeTakeFirst();
      return Number(taken.numUpdatedRows) === 1 ? { state: 'new' } : { state: 'in-progress' };
    }
    return { state: 'replay', statusCode: Number(row.status_code), body: row.body };
  }

  async completeIdempotent(scope: string, key: string, statusCode: number, body: string): Promise<void> {
    await this.db.updateTable('idempotency_keys').set({ status_code: statusCode, body }).where('scope', '=', scope).where('key', '=', key).execute();
  }

  /** Forgets a reservation whose request failed on our side, so the client's retry runs afresh. */
  async abandonIdempotent(scope: string, key: string): Promise<void> {
    await this.db.deleteFrom('idempotency_keys').where('scope', '=', scope).where('key', '=', key).where('status_code', '=', 0).execute();
  }

  async pruneIdempotent(olderThan: Date): Promise<void> {
    await this.db.deleteFrom('idempotency_keys').where('created_at', '<', olderThan.toISOString()).execute();
  }

  // ---------------------------------------------------------------- provider credentials (ciphertext only)

  async putCredentials(provider: string, ciphertext: string): Promise<void> {
    await this.db
      .insertInto('provider_credentials')
      .values({ provider, ciphertext, updated_at: this.nowIso() })
      .onConflict((oc) => oc.column('provider').doUpdateSet({ ciphertext, updated_at: this.nowIso() }))
      .execute();
  }

  async getCredentials(provider: string): Promise<string | null> {
    const row = await this.db.selectFrom('provider_credentials').select('ciphertext').where('provider', '=', provider).executeTakeFirst();
    return row?.ciphertext ?? null;
  }
}

function labelCondition(eb: ExpressionBuilder<Database & { r: Database['resources'] }, 'r'>, req: LabelRequirement) {
  const sub = eb.selectFrom('resource_labels as l').select('l.key').whereRef('l.resource_id', '=', 'r.id').where('l.key', '=', req.key);
  switch (req.op) {
    case 'eq':
      return eb.exists(sub.where('l.value', '=', req.value));
    case 'neq':
      return eb.not(eb.exists(sub.where('l.value', '=', req.value)));
    case 'in':
      return eb.exists(sub.where('l.value', 'in', req.values));
    case 'notin':
      return eb.not(eb.exists(sub.where('l.value', 'in', req.values)));
    case 'exists':
      return eb.exists(sub);
    case 'absent':
      return eb.not(eb.exists(sub));
  }
}

function staleWrite(kind: string, id: string, expected: number, actual: number): ConflictError {
  return new ConflictError(
    `${kind} ${id} has changed since you read it (your resourceVersion ${expected}, now ${actual}): read it again and retry your change`,
    { resourceVersion: actual },
  );
}

function toEvent(row: Selectable<EventsTable>): StoredEvent {
  return {
    seq: Number(row.seq),
    at: row.at,
    kind: row.kind,
    resourceId: row.resource_id,
    project: row.project,
    type: row.type,
    reason: row.reason,
    message: row.message,
    resourceVersion: row.resource_version === null ? null : Number(row.resource_version),
    facts: row.facts ? (JSON.parse(row.facts) as Record<string, unknown>) : null,
  };
}

function isUniqueViolation(e: unknown): boolean {
  const err = e as { code?: string; message?: string };
  return err?.code === '23505' || err?.code === 'SQLITE_CONSTRAINT_UNIQUE' || /UNIQUE constraint failed/.test(err?.message ?? '');
}
