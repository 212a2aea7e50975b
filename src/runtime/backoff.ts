export interface BackoffOptions {
  /** Ceiling of the first retry's delay; each further attempt doubles it. */
  baseMs: number;
  /** The ceiling never grows past this. */
  maxMs: number;
  /** Seconds the provider asked us to wait (Retry-After, ProviderError.retryAfterSeconds). */
  retryAfterSeconds?: number;
  /** Uniform in [0, 1); injectable so tests are deterministic. */
  random?: () => number;
}

/**
 * How long to wait before retry number `attempt` (0 for the first retry), with AWS's "full jitter":
 * uniform in [0, min(maxMs, baseMs·2^attempt)]. Full jitter rather than a fixed schedule so that many
 * controllers throttled by the same provider at the same moment do not all come back at the same moment.
 * A provider's Retry-After is a floor, not a suggestion: it wins when it asks for longer.
 */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  if (!Number.isInteger(attempt) || attempt < 0) {
    throw new RangeError(`backoff attempt must be a whole number ≥ 0, got ${attempt}`);
  }
  const { baseMs, maxMs, retryAfterSeconds, random = Math.random } = options;
  // 2 ** attempt overflows to Infinity for large attempts, which Math.min turns back into maxMs.
  const ceiling = Math.min(maxMs, baseMs * 2 ** attempt);
  const jittered = random() * ceiling;
  return Math.max(jittered, (retryAfterSeconds ?? 0) * 1000);
}
