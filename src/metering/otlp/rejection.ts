/**
 * Why data points were refused. Every refused point is counted under one of these (GET /v1/otlp/status, the
 * `tessera_otlp_points_rejected_total` counter) and told back to the sender in the answer's partial_success.
 */
export const REJECTION_REASONS = [
  /** The resource names no instance: none of tessera.instance.id, host.id, cloud.resource_id, host.name. */
  'no-identity',
  /** The resource names an instance that none of the token's operator projects holds. */
  'unknown-instance',
  /** host.name (or a provider id) matches several instances in the token's projects. */
  'ambiguous-instance',
  /** Exponential histograms and summaries are not rolled up. */
  'unsupported-type',
  /** A point without a usable value or time, or a histogram whose buckets do not add up. */
  'invalid-point',
  /** The metric already has another type (gauge, sum, histogram) for this instance and hour. */
  'type-conflict',
  /** A new cumulative series while this process already follows as many as it keeps (MAX_SERIES). */
  'series-limit',
] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

/** Refused points of one kind from one resource. */
export interface Rejection {
  reason: RejectionReason;
  /** Which resource sent them, e.g. `host.name=web-9` or `instance=i-3k9x0q2m7c1ab4de`. */
  identity: string;
  /** What was wrong and what to do, in a sentence. */
  detail: string;
  points: number;
}

/** Refusals of one request, merged by reason, resource and detail. */
export class RejectionTally {
  private readonly byKey = new Map<string, Rejection>();
  total = 0;

  add(reason: RejectionReason, identity: string, detail: string, points: number): void {
    if (points <= 0) return;
    this.total += points;
    const key = `${reason}\u0000${identity}\u0000${detail}`;
    const known = this.byKey.get(key);
    if (known) known.points += points;
    else this.byKey.set(key, { reason, identity, detail, points });
  }

  list(): Rejection[] {
    return [...this.byKey.values()];
  }
}

/** The partial-success message: the largest refusals first, each with what to do, kept short. */
export function describeRejections(rejections: readonly Rejection[], totalPoints: number, warnings: readonly string[] = []): string {
  const rejected = rejections.reduce((n, r) => n + r.points, 0);
  const parts: string[] = [];
  if (rejected > 0) {
    const shown = [...rejections].sort((a, b) => b.points - a.points).slice(0, MAX_LISTED);
    parts.push(
      `${rejected} of ${totalPoints} data points rejected: ` +
        shown.map((r) => `${r.identity}: ${r.points} point${r.points === 1 ? '' : 's'} ${r.reason} (${r.detail})`).join('; ') +
        (rejections.length > shown.length ? `; and ${rejections.length - shown.length} more` : '') +
        '. Counts by reason and resource: GET /v1/otlp/status',
    );
  }
  parts.push(...warnings);
  const text = parts.join('. ');
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE - 1)}…` : text;
}

const MAX_LISTED = 5;
/** The answer stays small whatever the request held (the OTLP spec asks servers to bound their answers). */
const MAX_MESSAGE = 2_000;
