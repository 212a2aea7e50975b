import type { ResourcesTable } from './schema.js';

/**
 * Recently read resource rows, kept in memory so that a read by id (every GET, every reconcile) skips SQL.
 *
 * Only sound when this process is the database's one writer, which the embedded SQLite store guarantees by
 * holding the file in exclusive locking mode; on PostgreSQL other servers write too, so it is not used there.
 *
 * Writers invalidate an entry inside their transaction, before the write. A reader that missed fills the entry
 * only if no invalidation happened since it started reading (the write epoch is unchanged), so a row read just
 * before a concurrent write can never be put back after that write.
 */
export class RowCache {
  private readonly rows = new Map<string, ResourcesTable>();
  private writeEpoch = 0;

  constructor(private readonly capacity: number) {}

  /** Marks the start of a read that may fill the cache; pass the result to `fill`. */
  epoch(): number {
    return this.writeEpoch;
  }

  get(kind: string, id: string): ResourcesTable | undefined {
    return this.rows.get(key(kind, id));
  }

  fill(kind: string, id: string, row: ResourcesTable, readStartedAt: number): void {
    if (readStartedAt !== this.writeEpoch) return;
    const k = key(kind, id);
    // Re-inserting moves the entry to the young end of the Map's order; the oldest entry is the first key.
    this.rows.delete(k);
    this.rows.set(k, row);
    if (this.rows.size > this.capacity) this.rows.delete(this.rows.keys().next().value!);
  }

  invalidate(kind: string, id: string): void {
    this.writeEpoch++;
    this.rows.delete(key(kind, id));
  }

  get size(): number {
    return this.rows.size;
  }
}

function key(kind: string, id: string): string {
  return `${kind}\u0000${id}`;
}
