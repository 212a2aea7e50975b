import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { ClaimedWork, StoredEvent, Store } from '../store/store.js';
import { backoffDelay } from './backoff.js';
import type { Metrics } from './metrics.js';

/** What one reconcile asks for next. Nothing: done until something changes. */
export interface ReconcileResult {
  /** Look again after this long (e.g. a machine still booting). */
  requeueAfterMs?: number;
}

/** A retryable failure that should back off without counting as an error (e.g. a local rate-limit queue). */
export class RequeueError extends Error {
  constructor(
    message: string,
    readonly afterMs: number,
  ) {
    super(message);
  }
}

export interface Reconciler {
  /** The resource kind this controller owns; its work items live under this kind. */
  readonly kind: string;
  reconcile(id: string, attempt: number): Promise<ReconcileResult | void>;
}

export interface RunnerOptions {
  store: Store;
  reconciler: Reconciler;
  logger: Logger;
  metrics?: Metrics;
  /** Identifies this process's claims in the shared work table. */
  holder?: string;
  concurrency?: number;
  /** How long a claim lasts without renewal; another process takes the item over after that. */
  leaseMs?: number;
  /** How often to look for due work when nothing woke us (other processes' writes, timed retries). */
  pollMs?: number;
  backoff?: { baseMs: number; maxMs: number };
}

/**
 * Runs one controller: claims due items from the store's work table (shared by every Tessera process),
 * reconciles each with bounded concurrency, and schedules retries with exponential backoff and jitter.
 * Level-triggered: an item says only "look at this resource", never what changed.
 */
export class ControllerRunner {
  readonly holder: string;
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly backoff: { baseMs: number; maxMs: number };
  private readonly inflight = new Map<string, Promise<void>>();
  private running = false;
  private loop: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;
  private renewTimer: NodeJS.Timeout | null = null;
  private readonly onEvents = (events: StoredEvent[]) => {
    if (events.some((e) => e.kind === this.opts.reconciler.kind)) this.wake();
  };

  constructor(private readonly opts: RunnerOptions) {
    this.holder = opts.holder ?? `${opts.reconciler.kind.toLowerCase()}-${randomUUID()}`;
    this.concurrency = opts.concurrency ?? 64;
    this.leaseMs = opts.leaseMs ?? 30_000;
    this.pollMs = opts.pollMs ?? 500;
    this.backoff = opts.backoff ?? { baseMs: 200, maxMs: 30_000 };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.opts.store.notifier.on('events', this.onEvents);
    this.renewTimer = setInterval(() => void this.renewLeases(), Math.max(100, this.leaseMs / 3));
    this.renewTimer.unref();
    this.loop = this.run();
  }

  /** Stops claiming, lets in-flight reconciles finish (up to `graceMs`), then hands unfinished claims back. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.opts.store.notifier.off('events', this.onEvents);
    this.wake();
    await this.loop;
    await Promise.race([Promise.allSettled(this.inflight.values()), new Promise((r) => setTimeout(r, graceMs).unref())]);
    if (this.renewTimer) clearInterval(this.renewTimer);
    await this.opts.store.releaseWork(this.holder).catch(() => undefined);
  }

  wake(): void {
    const w = this.wakeUp;
    this.wakeUp = null;
    w?.();
  }

  private async run(): Promise<void> {
    const kind = this.opts.reconciler.kind;
    while (this.running) {
      const room = this.concurrency - this.inflight.size;
      let claimed: ClaimedWork[] = [];
      if (room > 0) {
        try {
          claimed = await this.opts.store.claimWork(kind, this.holder, room, this.leaseMs);
        } catch (e) {
          this.opts.logger.error({ err: e, controller: kind }, 'claiming work failed; will retry');
        }
      }
      for (const item of claimed) {
        const p = this.process(item).finally(() => {
          this.inflight.delete(item.resourceId);
          this.wake();
        });
        this.inflight.set(item.resourceId, p);
      }
      this.opts.metrics?.queueDepth.set({ controller: kind }, this.inflight.size);
      if (claimed.length === 0 || this.inflight.size >= this.concurrency) await this.sleep(this.pollMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wakeUp = null;
        resolve();
      }, ms);
      this.wakeUp = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  private async process(item: ClaimedWork): Promise<void> {
    const { store, reconciler, metrics, logger } = this.opts;
    const started = performance.now();
    let next: { dueAt: number; failed: boolean } | null = null;
    let outcome = 'success';
    try {
      const result = await reconciler.reconcile(item.resourceId, item.attempts);
      if (result?.requeueAfterMs !== undefined) {
        next = { dueAt: Date.now() + result.requeueAfterMs, failed: false };
        outcome = 'requeue';
      }
    } catch (e) {
      if (e instanceof RequeueError) {
        next = { dueAt: Date.now() + e.afterMs, failed: false };
        outcome = 'requeue';
      } else {
        const retryAfterSeconds = (e as { retryAfterSeconds?: number }).retryAfterSeconds;
        const delay = backoffDelay(Math.min(item.attempts, 30), { ...this.backoff, retryAfterSeconds });
        next = { dueAt: Date.now() + delay, failed: true };
        outcome = 'error';
        logger.warn(
          { controller: reconciler.kind, id: item.resourceId, attempt: item.attempts, retryInMs: Math.round(delay), err: errorSummary(e) },
          'reconcile failed; retrying with backoff',
        );
      }
    }
    metrics?.reconciles.inc({ controller: reconciler.kind, result: outcome });
    metrics?.reconcileDuration.observe({ controller: reconciler.kind }, (performance.now() - started) / 1000);
    try {
      await store.finishWork(item, this.holder, next);
    } catch (e) {
      // The lease will expire and the item will be claimed again: a lost finish costs a repeat, never a loss.
      logger.error({ err: e, id: item.resourceId }, 'could not record the end of a reconcile');
    }
  }

  private async renewLeases(): Promise<void> {
    if (this.inflight.size === 0) return;
    await this.opts.store.renewWork(this.opts.reconciler.kind, this.holder, [...this.inflight.keys()], this.leaseMs).catch((e) => {
      this.opts.logger.warn({ err: e }, 'could not renew work leases');
    });
  }
}

function errorSummary(e: unknown): { name: string; message: string } {
  return e instanceof Error ? { name: e.name, message: e.message } : { name: 'Error', message: String(e) };
}
