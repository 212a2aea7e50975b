export interface RateLimiterOptions {
  /** Sustained rate; `null` means unlimited. */
  perSecond: number | null;
  /** How many calls may go at once after a quiet spell (the bucket's size). */
  burst: number;
  /** Milliseconds on a monotonic clock; injectable for tests. */
  now?: () => number;
}

export interface RateLimiterSnapshot {
  perSecond: number | null;
  burst: number | null;
  /** Whole tokens in the bucket now; null when unlimited. */
  available: number | null;
  queued: number;
}

interface Waiter {
  resolve: () => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

/**
 * Refill arithmetic in floating point can land a hair below a whole token at exactly the moment the
 * timer was due; without this tolerance the head would wait one more millisecond each time.
 */
const ROUNDING_TOLERANCE = 1e-9;

/**
 * A token bucket for one provider. Tokens are computed from the clock on every look rather than added by a
 * ticking timer, so the sustained rate is exact however late timers fire. Waiters are served strictly in
 * arrival order, and only one timer exists at a time: the one for the head of the queue.
 */
export class RateLimiter {
  private readonly perSecond: number | null;
  /** Only meaningful when limited: every path that reads it has returned early for `perSecond: null`. */
  private readonly msPerToken: number;
  private readonly burst: number;
  private readonly now: () => number;
  private tokens: number;
  private refilledAt: number;
  /** A Set keeps insertion order and removes an aborted waiter in O(1). */
  private readonly waiters = new Set<Waiter>();
  private timer: NodeJS.Timeout | undefined;

  constructor(options: RateLimiterOptions) {
    const { perSecond, burst, now = () => performance.now() } = options;
    if (perSecond !== null && !(perSecond > 0)) {
      throw new RangeError(`rate limit perSecond must be a positive number or null (unlimited), got ${perSecond}`);
    }
    if (!Number.isInteger(burst) || burst < 1) {
      throw new RangeError(`rate limit burst must be a whole number ≥ 1, got ${burst}`);
    }
    this.perSecond = perSecond;
    this.msPerToken = perSecond === null ? 0 : 1000 / perSecond;
    this.burst = burst;
    this.now = now;
    this.tokens = burst;
    this.refilledAt = now();
  }

  /** Resolves when the caller may make its call; rejects with the signal's reason if aborted first. */
  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.tryAcquire()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        signal,
        onAbort: () => {
          this.waiters.delete(waiter);
          // The head's timer stays right for whoever is now first (no token was taken); only an empty queue
          // must not keep a timer, which would hold the process open for nobody.
          if (this.waiters.size === 0) this.cancelTimer();
          reject(signal?.reason);
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.waiters.add(waiter);
      this.scheduleHead();
    });
  }

  /** Takes a token if one is free and nobody is queued ahead; never waits. */
  tryAcquire(): boolean {
    if (this.perSecond === null) return true;
    if (this.waiters.size > 0) return false;
    this.refill();
    if (!this.hasWholeToken()) return false;
    this.takeToken();
    return true;
  }

  snapshot(): RateLimiterSnapshot {
    if (this.perSecond === null) {
      return { perSecond: null, burst: null, available: null, queued: 0 };
    }
    this.refill();
    return {
      perSecond: this.perSecond,
      burst: this.burst,
      available: Math.floor(this.tokens + ROUNDING_TOLERANCE),
      queued: this.waiters.size,
    };
  }

  private refill(): void {
    this.accrue();
    this.tokens = Math.min(this.burst, this.tokens);
  }

  /** Adds what arrived since the last look, without the burst cap. */
  private accrue(): void {
    const now = this.now();
    this.tokens += (now - this.refilledAt) / this.msPerToken;
    this.refilledAt = now;
  }

  private serveQueue(): void {
    this.accrue();
    // Accrued without the cap, which takeToken applies after each grant: the head was owed its token the moment
    // it arrived, so tokens that kept arriving while the timer fired late are not lost (with burst 1 they would
    // be, and the rate would drift below perSecond), yet a stalled event loop still releases at most burst + 1.
    for (const waiter of this.waiters) {
      if (!this.hasWholeToken()) break;
      this.takeToken();
      this.waiters.delete(waiter);
      waiter.signal?.removeEventListener('abort', waiter.onAbort);
      waiter.resolve();
    }
    this.tokens = Math.min(this.burst, this.tokens);
    this.scheduleHead();
  }

  private hasWholeToken(): boolean {
    return this.tokens >= 1 - ROUNDING_TOLERANCE;
  }

  private takeToken(): void {
    this.tokens = Math.min(this.burst, Math.max(0, this.tokens - 1));
  }

  private scheduleHead(): void {
    if (this.timer !== undefined || this.waiters.size === 0) return;
    const missingTokens = 1 - this.tokens;
    // Rounded up: a timer that fires early finds no token and would have to be armed again.
    const delayMs = Math.max(0, Math.ceil(missingTokens * this.msPerToken));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.serveQueue();
    }, delayMs);
  }

  private cancelTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
