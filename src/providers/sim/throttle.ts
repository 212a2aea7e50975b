/**
 * The simulated provider's server-side request limit: a token bucket of `burst` tokens refilled at
 * `requestsPerSecond`. It reads an injectable clock so tests can step time instead of sleeping.
 */
export class TokenBucket {
  private tokens: number;
  private refilledAt: number;

  constructor(
    private readonly requestsPerSecond: number,
    private readonly burst: number,
    private readonly now: () => number,
  ) {
    this.tokens = burst;
    this.refilledAt = now();
  }

  /** Takes one token. Returns 0 when granted, else the seconds until a token will be available. */
  take(): number {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.refilledAt) / 1000) * this.requestsPerSecond);
    this.refilledAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return (1 - this.tokens) / this.requestsPerSecond;
  }
}
