/** Timers the double sets for its state changes, all cancelled when it closes (no callback outlives the test). */
export class Timers {
  private readonly pending = new Set<NodeJS.Timeout>();

  after(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.pending.delete(t);
      fn();
    }, ms);
    t.unref();
    this.pending.add(t);
  }

  cancelAll(): void {
    for (const t of this.pending) clearTimeout(t);
    this.pending.clear();
  }
}

/**
 * RFC 3339 with a fixed -07:00 offset, the way Compute Engine writes its timestamps
 * (`2024-05-15T03:04:05.123-07:00`), so clients must parse offsets rather than expect `Z`.
 */
export function gceTimestamp(at: Date): string {
  const shifted = new Date(at.getTime() - 7 * 3600_000);
  return shifted.toISOString().replace('Z', '-07:00');
}

/** A uint64-looking decimal id, as GCE gives instances and operations. */
export function numericId(): string {
  let id = String(1 + Math.floor(Math.random() * 9));
  while (id.length < 19) id += String(Math.floor(Math.random() * 10));
  return id;
}

export function hex(length: number): string {
  let out = '';
  while (out.length < length) out += Math.floor(Math.random() * 16).toString(16);
  return out;
}
