import { INSTANCE_KIND, type Instance } from '../../core/instance.js';
import type { Page, Store, StoredEvent } from '../../store/store.js';

/** What attribution needs to know of an instance. */
export interface IndexedInstance {
  id: string;
  project: string;
  name: string;
  externalId: string | null;
}

export interface InstanceIndexOptions {
  /** A full reload at least this often: other processes' changes reach this one only so (default 30 s). */
  refreshMs?: number;
  /** After a lookup missed, a reload at most this often (an instance just created elsewhere; default 5 s). */
  missReloadMs?: number;
  now?: () => number;
}

/** More changed instances than this since the last look are read by a full reload rather than one by one. */
const MAX_SINGLE_READS = 200;
const PAGE = 1000;

/**
 * Tessera's instances by id, provider id (`status.externalId`) and name, in memory, so that attributing a
 * request's resources costs no query. Kept current from this process's own writes (the store's notifier), by a
 * periodic full reload for other processes' writes, and by a reload when a lookup misses (throttled).
 */
export class InstanceIndex {
  private lookups = new InstanceLookups();
  private loadedAt = Number.NEGATIVE_INFINITY;
  private lastMissReload = Number.NEGATIVE_INFINITY;
  private loading: Promise<void> | null = null;
  private readonly changed = new Set<string>();
  private readonly refreshMs: number;
  private readonly missReloadMs: number;
  private readonly now: () => number;
  private readonly onEvents = (events: StoredEvent[]) => {
    for (const e of events) if (e.kind === INSTANCE_KIND) this.changed.add(e.resourceId);
  };

  constructor(
    private readonly store: Store,
    opts: InstanceIndexOptions = {},
  ) {
    this.refreshMs = opts.refreshMs ?? 30_000;
    this.missReloadMs = opts.missReloadMs ?? 5_000;
    this.now = opts.now ?? Date.now;
    store.notifier.on('events', this.onEvents);
  }

  close(): void {
    this.store.notifier.off('events', this.onEvents);
  }

  /** Whether the index was ever read whole (before that, it knows no instance at all). */
  hasLoaded(): boolean {
    return this.loadedAt !== Number.NEGATIVE_INFINITY;
  }

  /** True when the index can answer without a read first (the hot path then skips a promise). */
  isCurrent(): boolean {
    return this.changed.size === 0 && this.now() - this.loadedAt < this.refreshMs;
  }

  /** Brings the index up to date: the first load, a periodic reload, or the instances this process changed. */
  async update(): Promise<void> {
    if (this.now() - this.loadedAt >= this.refreshMs || this.changed.size > MAX_SINGLE_READS) return this.reload();
    if (this.loading) return this.loading;
    const ids = [...this.changed];
    this.changed.clear();
    for (const id of ids) {
      const inst = await this.store.get<Instance['spec'], Instance['status']>(INSTANCE_KIND, id);
      this.lookups.remove(id);
      if (inst && inst.status.phase !== 'Deleted') this.lookups.add(indexed(inst));
    }
  }

  /** A lookup missed: reloads unless that was done a moment ago. Returns whether it reloaded. */
  async reloadAfterMiss(): Promise<boolean> {
    if (this.now() - this.lastMissReload < this.missReloadMs) return false;
    this.lastMissReload = this.now();
    await this.reload();
    return true;
  }

  get(id: string): IndexedInstance | undefined {
    return this.lookups.byId.get(id);
  }

  withExternalId(externalId: string): readonly IndexedInstance[] {
    return this.lookups.byExternalId.get(externalId) ?? [];
  }

  named(name: string): readonly IndexedInstance[] {
    return this.lookups.byName.get(name) ?? [];
  }

  get size(): number {
    return this.lookups.byId.size;
  }

  private reload(): Promise<void> {
    this.loading ??= this.readAll().finally(() => (this.loading = null));
    return this.loading;
  }

  private async readAll(): Promise<void> {
    const startedAt = this.now();
    // Changes noted from here on are read again after the swap: the pages below may predate them.
    this.changed.clear();
    const next = new InstanceLookups();
    let cursor: string | null = null;
    do {
      const page: Page<Instance> = await this.store.list<Instance['spec'], Instance['status']>(INSTANCE_KIND, { limit: PAGE, cursor });
      for (const inst of page.items) next.add(indexed(inst));
      cursor = page.nextCursor;
    } while (cursor);
    this.lookups = next;
    this.loadedAt = startedAt;
  }
}

/** The three lookups; a reload builds a new set beside the live one and swaps it in whole. */
class InstanceLookups {
  readonly byId = new Map<string, IndexedInstance>();
  readonly byExternalId = new Map<string, IndexedInstance[]>();
  readonly byName = new Map<string, IndexedInstance[]>();

  add(entry: IndexedInstance): void {
    this.byId.set(entry.id, entry);
    if (entry.externalId !== null) pushTo(this.byExternalId, entry.externalId, entry);
    pushTo(this.byName, entry.name, entry);
  }

  remove(id: string): void {
    const entry = this.byId.get(id);
    if (!entry) return;
    this.byId.delete(id);
    if (entry.externalId !== null) dropFrom(this.byExternalId, entry.externalId, id);
    dropFrom(this.byName, entry.name, id);
  }
}

function indexed(inst: Instance): IndexedInstance {
  return { id: inst.id, project: inst.project, name: inst.name, externalId: inst.status.externalId };
}

function pushTo(map: Map<string, IndexedInstance[]>, key: string, entry: IndexedInstance): void {
  const list = map.get(key);
  if (list) list.push(entry);
  else map.set(key, [entry]);
}

function dropFrom(map: Map<string, IndexedInstance[]>, key: string, id: string): void {
  const list = map.get(key)?.filter((e) => e.id !== id);
  if (!list || list.length === 0) map.delete(key);
  else map.set(key, list);
}
