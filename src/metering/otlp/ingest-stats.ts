import { Counter, Gauge, type Registry } from 'prom-client';
import type { IngestOutcome } from './ingest.js';
import { REJECTION_REASONS, type RejectionReason } from './rejection.js';

/** Refused points from one resource, as GET /v1/otlp/status lists them. */
export interface RejectedResource {
  identity: string;
  reason: RejectionReason;
  points: number;
  /** What the latest refusal said (what was wrong and what to do). */
  detail: string;
  lastAt: string;
}

/** What a caller's requests (or everyone's) did since this process started. */
export interface IngestCounts {
  requests: number;
  acceptedPoints: number;
  rejectedPoints: number;
  rejectedByReason: Record<RejectionReason, number>;
  /** The resources points were refused from, most points first. */
  rejectedByResource: RejectedResource[];
  /** Histogram points whose buckets could not be merged into their hour's (other bounds); counted, not refused. */
  histogramPointsUnbucketed: number;
}

interface CallerTally {
  requests: number;
  accepted: number;
  unbucketed: number;
  byReason: Record<RejectionReason, number>;
  byResource: Map<string, RejectedResource>;
}

/** A caller's distinct refused resources kept apart; more are summed under one line (bounded memory). */
const MAX_RESOURCES_PER_CALLER = 200;
const OTHER_RESOURCES = '(other resources)';

/**
 * The receiver's counts: per caller (principal) for GET /v1/otlp/status, where each caller sees its own unless it
 * is an organisation admin, and as Prometheus counters on the process's registry (by reason, never by resource:
 * resource names are unbounded). Counts live in this process and start at zero with it.
 */
export class IngestStats {
  readonly since = new Date().toISOString();
  private readonly callers = new Map<string, CallerTally>();
  private readonly acceptedTotal: Counter;
  private readonly rejectedTotal: Counter<'reason'>;
  private readonly unbucketedTotal: Counter;
  private readonly requestsTotal: Counter<'code'>;
  private readonly flushesTotal: Counter<'result'>;

  constructor(registry: Registry, pendingRollups: () => number) {
    const registers = [registry];
    this.requestsTotal = new Counter({ name: 'tessera_otlp_requests_total', help: 'OTLP/HTTP export requests answered, by HTTP status code', labelNames: ['code'], registers });
    this.acceptedTotal = new Counter({ name: 'tessera_otlp_points_accepted_total', help: 'OTLP data points accepted', registers });
    this.rejectedTotal = new Counter({ name: 'tessera_otlp_points_rejected_total', help: 'OTLP data points refused, by reason (see GET /v1/otlp/status for the resources)', labelNames: ['reason'], registers });
    this.unbucketedTotal = new Counter({
      name: 'tessera_otlp_histogram_points_unbucketed_total',
      help: 'Histogram points rolled up without their buckets: their bounds differed from the hour row',
      registers,
    });
    this.flushesTotal = new Counter({ name: 'tessera_otlp_rollup_flushes_total', help: 'Writes of the hourly rollups to the database, by result', labelNames: ['result'], registers });
    new Gauge({
      name: 'tessera_otlp_rollups_pending',
      help: 'Hour rows received and not yet written to the database',
      registers,
      collect() {
        this.set(pendingRollups());
      },
    });
    // Every reason appears from the start, so a dashboard's rate() has a series before the first refusal.
    for (const reason of REJECTION_REASONS) this.rejectedTotal.inc({ reason }, 0);
  }

  countAnswer(code: number): void {
    this.requestsTotal.inc({ code: String(code) });
  }

  countFlush(ok: boolean): void {
    this.flushesTotal.inc({ result: ok ? 'ok' : 'failed' });
  }

  /** Records what one caller's request did. */
  record(callerId: string, outcome: IngestOutcome): void {
    const tally = this.tallyOf(callerId);
    tally.requests++;
    tally.accepted += outcome.accepted;
    tally.unbucketed += outcome.unbucketedHistogramPoints;
    this.acceptedTotal.inc(outcome.accepted);
    this.unbucketedTotal.inc(outcome.unbucketedHistogramPoints);
    const at = new Date().toISOString();
    for (const r of outcome.rejections.list()) {
      tally.byReason[r.reason] += r.points;
      this.rejectedTotal.inc({ reason: r.reason }, r.points);
      const key = `${r.reason}\u0000${r.identity}`;
      let entry = tally.byResource.get(key);
      if (!entry && tally.byResource.size >= MAX_RESOURCES_PER_CALLER) {
        const otherKey = `${r.reason}\u0000${OTHER_RESOURCES}`;
        entry = tally.byResource.get(otherKey);
        if (!entry) tally.byResource.set(otherKey, (entry = { identity: OTHER_RESOURCES, reason: r.reason, points: 0, detail: '', lastAt: at }));
      }
      if (!entry) tally.byResource.set(key, (entry = { identity: r.identity, reason: r.reason, points: 0, detail: '', lastAt: at }));
      entry.points += r.points;
      entry.detail = r.detail;
      entry.lastAt = at;
    }
  }

  /** One caller's counts, or everyone's (`callerId` undefined). */
  counts(callerId?: string): IngestCounts {
    const tallies = callerId === undefined ? [...this.callers.values()] : [this.callers.get(callerId)].filter((t) => t !== undefined);
    const byReason = emptyByReason();
    const resources: RejectedResource[] = [];
    let requests = 0;
    let accepted = 0;
    let unbucketed = 0;
    for (const t of tallies) {
      requests += t.requests;
      accepted += t.accepted;
      unbucketed += t.unbucketed;
      for (const reason of REJECTION_REASONS) byReason[reason] += t.byReason[reason];
      resources.push(...[...t.byResource.values()].map((r) => ({ ...r })));
    }
    return {
      requests,
      acceptedPoints: accepted,
      rejectedPoints: REJECTION_REASONS.reduce((n, r) => n + byReason[r], 0),
      rejectedByReason: byReason,
      rejectedByResource: resources.sort((a, b) => b.points - a.points).slice(0, MAX_RESOURCES_PER_CALLER),
      histogramPointsUnbucketed: unbucketed,
    };
  }

  private tallyOf(callerId: string): CallerTally {
    let tally = this.callers.get(callerId);
    if (!tally) this.callers.set(callerId, (tally = { requests: 0, accepted: 0, unbucketed: 0, byReason: emptyByReason(), byResource: new Map() }));
    return tally;
  }
}

function emptyByReason(): Record<RejectionReason, number> {
  return Object.fromEntries(REJECTION_REASONS.map((r) => [r, 0])) as Record<RejectionReason, number>;
}
