import { UnavailableError } from '../core/errors.js';

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** The provider this breaker guards, named in the errors it raises. */
  provider?: string;
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  /** How long the circuit stays open the first time. */
  coolDownMs: number;
  /** Each failed probe doubles the cool-down, up to this. */
  maxCoolDownMs: number;
  /** Wall-clock milliseconds (snapshots report ISO times); injectable for tests. */
  now?: () => number;
}

export interface CircuitSnapshot {
  state: CircuitState;
  consecutiveFailures: number;
  openedAt: string | null;
  retryAt: string | null;
}

export interface RunOptions {
  /**
   * Whether an error means the provider is unhealthy. Defaults to every error; pass a narrower test (e.g.
   * only `Retryable` provider errors), because a rejected request proves the provider is up.
   */
  isFailure?: (error: unknown) => boolean;
}

/** Raised instead of calling a provider whose circuit is open: one failing cloud must not stall the others. */
export class CircuitOpenError extends UnavailableError {
  constructor(
    readonly provider: string | null,
    /** When the breaker will let a trial call through; null while that trial call is under way. */
    readonly retryAt: string | null,
  ) {
    const subject = provider === null ? 'The provider' : `Provider "${provider}"`;
    super(
      retryAt === null
        ? `${subject} is unavailable: a trial call is checking whether it has recovered; retry in a moment.`
        : `${subject} is unavailable after repeated failures; Tessera will try it again at ${retryAt}.`,
      { provider, retryAt },
    );
  }
}

/**
 * A per-provider circuit breaker. It opens after `failureThreshold` *consecutive* failures rather than on a
 * failure ratio over a window: providers are called at very different rates (a quiet bare-metal pool versus a
 * busy cloud), and a count needs no window tuned to each of them, while any healthy answer resets it.
 *
 * After the cool-down the circuit is half-open: exactly one probe call goes through. Its success closes the
 * circuit; its failure opens it again for twice as long (capped), so a provider that stays down is asked less
 * and less often.
 */
export class CircuitBreaker {
  private readonly provider: string | null;
  private readonly failureThreshold: number;
  private readonly baseCoolDownMs: number;
  private readonly maxCoolDownMs: number;
  private readonly now: () => number;
  private state: CircuitState = 'closed';
  private consecutiveFailures = 0;
  private coolDownMs: number;
  private openedAt: number | null = null;
  private retryAt: number | null = null;
  private probeInFlight = false;

  constructor(options: CircuitBreakerOptions) {
    const { provider, failureThreshold, coolDownMs, maxCoolDownMs, now = Date.now } = options;
    if (!Number.isInteger(failureThreshold) || failureThreshold < 1) {
      throw new RangeError(`circuit breaker failureThreshold must be a whole number ≥ 1, got ${failureThreshold}`);
    }
    if (!(coolDownMs > 0) || !(maxCoolDownMs >= coolDownMs)) {
      throw new RangeError(
        `circuit breaker needs 0 < coolDownMs ≤ maxCoolDownMs, got coolDownMs ${coolDownMs}, maxCoolDownMs ${maxCoolDownMs}`,
      );
    }
    this.provider = provider ?? null;
    this.failureThreshold = failureThreshold;
    this.baseCoolDownMs = coolDownMs;
    this.coolDownMs = coolDownMs;
    this.maxCoolDownMs = maxCoolDownMs;
    this.now = now;
  }

  /** Calls `fn` if the circuit lets it through and records the outcome; throws CircuitOpenError otherwise. */
  async run<T>(fn: () => Promise<T>, options: RunOptions = {}): Promise<T> {
    const { isFailure = () => true } = options;
    if (!this.canPass()) throw this.openError();
    let result: T;
    try {
      result = await fn();
    } catch (error) {
      // An error that is not a failure is still an answer from a healthy provider.
      if (isFailure(error)) this.recordFailure();
      else this.recordSuccess();
      throw error;
    }
    this.recordSuccess();
    return result;
  }

  /**
   * Admits one call. In half-open state this hands out the single probe slot, so call it only right before
   * making the call, and always report the outcome with recordSuccess or recordFailure.
   */
  canPass(): boolean {
    switch (this.currentState()) {
      case 'closed':
        return true;
      case 'open':
        return false;
      case 'half-open':
        if (this.probeInFlight) return false;
        this.probeInFlight = true;
        return true;
    }
  }

  recordSuccess(): void {
    // Answers to calls made before the circuit opened say nothing about the cool-down that is running now.
    if (this.currentState() === 'open') return;
    this.state = 'closed';
    this.consecutiveFailures = 0;
    this.coolDownMs = this.baseCoolDownMs;
    this.openedAt = null;
    this.retryAt = null;
    this.probeInFlight = false;
  }

  recordFailure(): void {
    const state = this.currentState();
    if (state === 'open') return;
    this.consecutiveFailures++;
    if (state === 'half-open') {
      this.coolDownMs = Math.min(this.coolDownMs * 2, this.maxCoolDownMs);
      this.open();
    } else if (this.consecutiveFailures >= this.failureThreshold) {
      this.open();
    }
  }

  snapshot(): CircuitSnapshot {
    return {
      state: this.currentState(),
      consecutiveFailures: this.consecutiveFailures,
      openedAt: toIso(this.openedAt),
      retryAt: toIso(this.retryAt),
    };
  }

  /** Open turns into half-open by the passing of time alone, so the transition is made whenever state is read. */
  private currentState(): CircuitState {
    if (this.state === 'open' && this.retryAt !== null && this.now() >= this.retryAt) {
      this.state = 'half-open';
      this.probeInFlight = false;
    }
    return this.state;
  }

  private open(): void {
    const now = this.now();
    this.state = 'open';
    this.openedAt = now;
    this.retryAt = now + this.coolDownMs;
    this.probeInFlight = false;
  }

  private openError(): CircuitOpenError {
    return new CircuitOpenError(this.provider, this.state === 'open' ? toIso(this.retryAt) : null);
  }
}

function toIso(epochMs: number | null): string | null {
  return epochMs === null ? null : new Date(epochMs).toISOString();
}
