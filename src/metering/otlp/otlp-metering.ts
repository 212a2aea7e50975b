import type { Logger } from 'pino';
import type { Metrics } from '../../runtime/metrics.js';
import type { Store } from '../../store/store.js';
import { CumulativeSeries } from './cumulative-series.js';
import { attributeRequest, rollUpRequest, type IngestOutcome } from './ingest.js';
import { IngestStats, type IngestCounts } from './ingest-stats.js';
import { InstanceIndex, type InstanceIndexOptions } from './instance-index.js';
import type { ExportMetricsServiceRequest } from './otlp-messages.js';
import { RollupBuffer } from './rollup-buffer.js';
import { listRollups, writeRollups, type RollupQuery, type RollupRow } from './rollup-store.js';
import { workDone, type WorkDone, type WorkDoneQuery } from './work-done.js';

/** The instances cannot be read to attribute a request (the database is unreachable): nothing of it was taken. */
export class AttributionUnavailableError extends Error {
  override readonly name = 'AttributionUnavailableError';
}

/** Who sends a request, as far as metering needs to know. */
export interface OtlpCaller {
  /** The principal; counts are kept per principal. */
  id: string;
  /** Projects whose instances the caller may feed (it holds operator there); undefined: every project. */
  projects: readonly string[] | undefined;
}

export interface OtlpMeteringOptions {
  /** How often received rollups are written to the database (default 5 s). */
  flushIntervalMs?: number;
  /** Hour rows waiting to be written beyond which requests are answered 503 (the database is not keeping up). */
  maxPendingRollups?: number;
  index?: InstanceIndexOptions;
  now?: () => number;
}

/** Why a request is turned away before it is read; the sender retries after `retryAfterSeconds`. */
export interface Overload {
  retryAfterSeconds: number;
  message: string;
}

export interface OtlpStatus extends IngestCounts {
  receiver: { url: string | null; note: string | null };
  /** When these counts started (this process's start): they are this process's, not the cluster's. */
  since: string;
  rollups: {
    pending: number;
    flushIntervalSeconds: number;
    lastFlushAt: string | null;
    lastFlushRows: number | null;
    lastError: { at: string; message: string } | null;
    /** Rows received but dropped at a flush: the metric was already stored with another type that hour. */
    droppedAtFlush: number;
  };
  /** Cumulative series whose last value this process keeps, to turn the next into an increase. */
  cumulativeSeries: number;
}

/**
 * KEMI's OTLP metering: attributes received metrics to instances, rolls them up per instance × metric × hour in
 * memory, and writes the hour rows behind, every few seconds and at shutdown, one transaction per flush.
 *
 * What a crash loses: the points acknowledged since the last successful flush (normally under 5 s of them; longer
 * while the database is unreachable, which the 503 answers bound), and the last values of cumulative series, so the
 * increase between a series' last point before the crash and its first point after is not counted.
 */
export class OtlpMetering {
  readonly stats: IngestStats;
  private readonly index: InstanceIndex;
  private readonly series: CumulativeSeries;
  private readonly buffer = new RollupBuffer();
  private readonly flushIntervalMs: number;
  private readonly maxPending: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private closing = false;
  private lastFlush: { at: string; rows: number } | null = null;
  private lastError: { at: string; message: string } | null = null;
  private droppedAtFlush = 0;
  /** Where this process's receivers listen (one, but for tests), oldest first; or why none does. */
  private readonly receiverUrls = new Set<string>();
  private receiverNote: string | null = 'no OTLP receiver was started in this process';

  constructor(
    private readonly store: Store,
    metrics: Metrics,
    private readonly logger: Logger,
    opts: OtlpMeteringOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.flushIntervalMs = opts.flushIntervalMs ?? 5_000;
    this.maxPending = opts.maxPendingRollups ?? 200_000;
    this.index = new InstanceIndex(store, { now: this.now, ...opts.index });
    this.series = new CumulativeSeries(this.now(), this.now);
    this.stats = new IngestStats(metrics.registry, () => this.buffer.size);
  }

  /** Starts the periodic write-behind. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.flush(), this.flushIntervalMs);
    this.timer.unref();
  }

  /** Whether to turn a request away before decoding it: shutting down, or the database is not keeping up. */
  admission(): Overload | null {
    if (this.closing) return { retryAfterSeconds: 5, message: 'this Tessera process is shutting down: send again (to another process, or to this one once restarted)' };
    if (this.buffer.size >= this.maxPending) {
      const why = this.lastError ? ` (the last write failed: ${this.lastError.message})` : '';
      return {
        retryAfterSeconds: Math.max(1, Math.ceil((2 * this.flushIntervalMs) / 1000)),
        message: `${this.buffer.size} hour rows are waiting to be written to the database${why}: send again later`,
      };
    }
    return null;
  }

  /**
   * Attributes and rolls up one decoded request; what it did is counted for the caller. Throws
   * AttributionUnavailableError, having taken nothing, when the instances cannot be read at all.
   */
  async ingest(request: ExportMetricsServiceRequest, caller: OtlpCaller): Promise<IngestOutcome> {
    if (!this.index.isCurrent()) await this.refreshIndex(() => this.index.update());
    const projects = caller.projects === undefined ? null : new Set(caller.projects);
    let attributions = attributeRequest(request, projects, this.index);
    // An instance created a moment ago by another process is not in the index yet: look again (throttled).
    if (attributions.some((a) => a.instance === null && a.reason === 'unknown-instance') && (await this.refreshIndex(() => this.index.reloadAfterMiss()))) {
      attributions = attributeRequest(request, projects, this.index);
    }
    const outcome = rollUpRequest(request, attributions, { buffer: this.buffer, series: this.series }, this.now());
    this.stats.record(caller.id, outcome);
    return outcome;
  }

  /**
   * Writes what was received so far. Never throws: a failed write keeps its rows for the next one and is reported
   * in the status. A flush asked while one runs waits for it, then writes what arrived meanwhile.
   */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.buffer.size === 0) {
      this.series.sweep();
      return;
    }
    this.flushing = this.writePending().finally(() => (this.flushing = null));
    await this.flushing;
  }

  /** Stops taking requests and writes what is left. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.index.close();
    await this.flush();
    if (this.buffer.size > 0) {
      this.logger.error({ rows: this.buffer.size, err: this.lastError }, 'hourly metric rollups could not be written before shutdown and are lost');
    }
  }

  /** A receiver of this process listens at `url` (the status shows it). */
  receiverStarted(url: string): void {
    this.receiverUrls.add(url);
    this.receiverNote = null;
  }

  receiverStopped(url: string): void {
    this.receiverUrls.delete(url);
    if (this.receiverUrls.size === 0) this.receiverNote = 'the receiver has stopped';
  }

  /** No receiver listens in this process, and why (the status says it). */
  receiverSkipped(why: string): void {
    this.receiverNote = why;
  }

  /** The counts of one caller (or of everyone, `callerId` undefined), the receiver and the write-behind. */
  status(callerId?: string): OtlpStatus {
    return {
      receiver: { url: this.receiverUrls.values().next().value ?? null, note: this.receiverNote },
      since: this.stats.since,
      ...this.stats.counts(callerId),
      rollups: {
        pending: this.buffer.size,
        flushIntervalSeconds: this.flushIntervalMs / 1000,
        lastFlushAt: this.lastFlush?.at ?? null,
        lastFlushRows: this.lastFlush?.rows ?? null,
        lastError: this.lastError,
        droppedAtFlush: this.droppedAtFlush,
      },
      cumulativeSeries: this.series.size,
    };
  }

  /** Stored hour rows, after writing what this process holds (a reader sees what was acknowledged here). */
  async rollups(q: RollupQuery): Promise<{ items: RollupRow[]; nextCursor: string | null }> {
    await this.flush();
    return listRollups(this.store, q);
  }

  /** Per instance, the work done in a period by one metric (see work-done.ts), after writing what this process holds. */
  async workDone(q: WorkDoneQuery): Promise<WorkDone[]> {
    await this.flush();
    return workDone(this.store, q);
  }

  /** Runs an index read; a failed one leaves the index as it was, which serves on if it was ever loaded. */
  private async refreshIndex<T>(read: () => Promise<T>): Promise<T | false> {
    try {
      return await read();
    } catch (e) {
      if (!this.index.hasLoaded()) throw new AttributionUnavailableError(`the instances cannot be read: ${(e as Error).message}`);
      this.logger.warn({ err: { message: (e as Error).message } }, 'reading the instances for OTLP attribution failed; using the last ones read');
      return false;
    }
  }

  private async writePending(): Promise<void> {
    const cells = this.buffer.take();
    try {
      const { rows, conflicts } = await writeRollups(this.store, cells);
      this.lastFlush = { at: new Date(this.now()).toISOString(), rows };
      this.lastError = null;
      this.stats.countFlush(true);
      if (conflicts.length > 0) {
        this.droppedAtFlush += conflicts.length;
        const first = conflicts[0]!;
        this.logger.warn(
          { rows: conflicts.length, instance: first.instanceId, metric: first.metric, kind: first.rollup.kind },
          'metric rollups dropped: the metric is already stored with another type for that hour (give different instruments different names)',
        );
      }
    } catch (e) {
      const lost = this.buffer.putBack(cells);
      this.droppedAtFlush += lost.length;
      this.lastError = { at: new Date(this.now()).toISOString(), message: (e as Error).message };
      this.stats.countFlush(false);
      this.logger.warn({ rows: cells.length, err: { message: (e as Error).message } }, 'writing metric rollups failed; they are kept and written with the next flush');
    }
    this.series.sweep();
  }
}
