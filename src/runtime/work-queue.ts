interface DelayedKey {
  readyAt: number;
  /** Breaks ties in insertion order, so keys due at the same moment come out in the order they were added. */
  sequence: number;
  key: string;
}

/** A binary min-heap of delayed keys, earliest first. */
class DelayHeap {
  private readonly items: DelayedKey[] = [];

  peek(): DelayedKey | undefined {
    return this.items[0];
  }

  push(item: DelayedKey): void {
    this.items.push(item);
    let child = this.items.length - 1;
    while (child > 0) {
      const parent = (child - 1) >> 1;
      if (!this.earlier(child, parent)) break;
      this.swap(child, parent);
      child = parent;
    }
  }

  pop(): DelayedKey | undefined {
    const top = this.items[0];
    const last = this.items.pop();
    if (top === undefined || last === undefined || this.items.length === 0) return top;
    this.items[0] = last;
    let parent = 0;
    for (;;) {
      const left = 2 * parent + 1;
      const right = left + 1;
      let smallest = parent;
      if (left < this.items.length && this.earlier(left, smallest)) smallest = left;
      if (right < this.items.length && this.earlier(right, smallest)) smallest = right;
      if (smallest === parent) return top;
      this.swap(parent, smallest);
      parent = smallest;
    }
  }

  clear(): void {
    this.items.length = 0;
  }

  private earlier(i: number, j: number): boolean {
    const a = this.items[i]!;
    const b = this.items[j]!;
    return a.readyAt < b.readyAt || (a.readyAt === b.readyAt && a.sequence < b.sequence);
  }

  private swap(i: number, j: number): void {
    [this.items[i], this.items[j]] = [this.items[j]!, this.items[i]!];
  }
}

/**
 * An in-process work queue with client-go's workqueue semantics: a key is queued at most once however often
 * it is added (controllers are level-triggered, so one reconcile covers every change so far), and a key is
 * never handed to two workers at once: added again while being processed, it is queued again when `done`.
 */
export class WorkQueue {
  /** Keys ready to hand out, in order; a Set suffices because a key is queued at most once. */
  private readonly ready = new Set<string>();
  /** Keys that need a (further) pass: those queued, and those added again while being processed. */
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly waitingWorkers: ((key: string | null) => void)[] = [];
  private readonly delayed = new DelayHeap();
  /** The one due time that counts per delayed key; heap entries that disagree with it are stale and skipped. */
  private readonly delayedReadyAt = new Map<string, number>();
  private delaySequence = 0;
  private delayTimer: NodeJS.Timeout | undefined;
  private delayTimerAt = Number.POSITIVE_INFINITY;
  private shuttingDown = false;

  /** Keys waiting to be handed out (not those being processed or still delayed). */
  get length(): number {
    return this.ready.size;
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    this.ready.add(key);
    this.handOutReady();
  }

  /** Adds `key` once `delayMs` has passed; a key already waiting keeps whichever due time is sooner. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const readyAt = performance.now() + delayMs;
    const alreadyDueAt = this.delayedReadyAt.get(key);
    if (alreadyDueAt !== undefined && alreadyDueAt <= readyAt) return;
    this.delayedReadyAt.set(key, readyAt);
    this.delayed.push({ readyAt, sequence: this.delaySequence++, key });
    this.armDelayTimer();
  }

  /** The next key to process, waiting for one if need be; null once the queue is shut down and drained. */
  get(): Promise<string | null> {
    const key = this.takeReady();
    if (key !== undefined) return Promise.resolve(key);
    if (this.shuttingDown) return Promise.resolve(null);
    return new Promise((resolve) => this.waitingWorkers.push(resolve));
  }

  /** Marks `key` processed; if it was added again meanwhile, it is queued again now. */
  done(key: string): void {
    this.processing.delete(key);
    if (!this.dirty.has(key)) return;
    this.ready.add(key);
    this.handOutReady();
  }

  /** Stops accepting keys and drops delayed ones; keys already queued are still handed out, then get() gives null. */
  shutDown(): void {
    this.shuttingDown = true;
    clearTimeout(this.delayTimer);
    this.delayTimer = undefined;
    this.delayed.clear();
    this.delayedReadyAt.clear();
    // Workers only wait when nothing is ready, so each of them is told to stop.
    for (const worker of this.waitingWorkers.splice(0)) worker(null);
  }

  private takeReady(): string | undefined {
    const [key] = this.ready;
    if (key === undefined) return undefined;
    this.ready.delete(key);
    this.dirty.delete(key);
    this.processing.add(key);
    return key;
  }

  private handOutReady(): void {
    while (this.waitingWorkers.length > 0 && this.ready.size > 0) {
      this.waitingWorkers.shift()!(this.takeReady()!);
    }
  }

  /** One timer for all delayed keys, set for the earliest; thousands of requeues must not mean thousands of timers. */
  private armDelayTimer(): void {
    const next = this.delayed.peek();
    if (next === undefined || (this.delayTimer !== undefined && this.delayTimerAt <= next.readyAt)) return;
    clearTimeout(this.delayTimer);
    this.delayTimerAt = next.readyAt;
    // Rounded up so the timer never fires before the key is due and has to be armed again.
    const delayMs = Math.max(0, Math.ceil(next.readyAt - performance.now()));
    this.delayTimer = setTimeout(() => {
      this.delayTimer = undefined;
      this.releaseDueKeys();
    }, delayMs);
  }

  private releaseDueKeys(): void {
    const now = performance.now();
    for (let next = this.delayed.peek(); next !== undefined && next.readyAt <= now; next = this.delayed.peek()) {
      this.delayed.pop();
      if (this.delayedReadyAt.get(next.key) !== next.readyAt) continue;
      this.delayedReadyAt.delete(next.key);
      this.add(next.key);
    }
    this.armDelayTimer();
  }
}
