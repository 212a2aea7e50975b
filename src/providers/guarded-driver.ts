import type { Image, Offer, Region } from '../core/offer.js';
import { CircuitBreaker, CircuitOpenError } from '../runtime/circuit-breaker.js';
import { RateLimiter } from '../runtime/rate-limiter.js';
import type { Metrics } from '../runtime/metrics.js';
import {
  isThrottle,
  ProviderError,
  type CreateRequest,
  type Driver,
  type InstanceRef,
  type ListOptions,
  type ObservedInstance,
  type PowerAction,
} from './driver.js';

export interface GuardOptions {
  rateLimit: { perSecond: number | null; burst: number };
  breaker: { failureThreshold: number; coolDownMs: number; maxCoolDownMs: number };
  /** Longest a call waits for a rate-limit token before giving its slot back (the caller requeues). */
  maxQueueWaitMs: number;
  metrics?: Metrics;
}

export type Health = 'ok' | 'degraded' | 'down';

export interface ProviderStatus {
  name: string;
  type: string;
  simulated: boolean;
  health: Health;
  circuit: ReturnType<CircuitBreaker['snapshot']>;
  rateLimit: ReturnType<RateLimiter['snapshot']>;
  lastError: string | null;
  lastErrorAt: string | null;
}

/**
 * Wraps a driver with the provider's rate limit and circuit breaker, so one failing or slow cloud never stalls
 * the others: calls wait their turn, and once the breaker opens they fail at once until the cool-down ends.
 */
export class GuardedDriver implements Driver {
  readonly limiter: RateLimiter;
  readonly breaker: CircuitBreaker;
  private lastError: string | null = null;
  private lastErrorAt: string | null = null;

  constructor(
    readonly inner: Driver,
    private readonly opts: GuardOptions,
  ) {
    this.limiter = new RateLimiter(opts.rateLimit);
    this.breaker = new CircuitBreaker({ ...opts.breaker, provider: inner.name });
  }

  get name(): string {
    return this.inner.name;
  }
  get type(): string {
    return this.inner.type;
  }
  get simulated(): boolean {
    return this.inner.simulated;
  }

  status(): ProviderStatus {
    const circuit = this.breaker.snapshot();
    const recentError = this.lastErrorAt !== null && Date.now() - Date.parse(this.lastErrorAt) < 60_000;
    const health: Health = circuit.state === 'open' ? 'down' : circuit.state === 'half-open' || recentError ? 'degraded' : 'ok';
    return {
      name: this.name,
      type: this.type,
      simulated: this.simulated,
      health,
      circuit,
      rateLimit: this.limiter.snapshot(),
      lastError: this.lastError,
      lastErrorAt: this.lastErrorAt,
    };
  }

  private async call<T>(op: string, fn: () => Promise<T>): Promise<T> {
    if (!this.breaker.canPass()) {
      this.count(op, 'circuit-open');
      throw this.circuitOpen();
    }
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), this.opts.maxQueueWaitMs);
    try {
      await this.limiter.acquire(ac.signal);
    } catch {
      this.count(op, 'throttled-locally');
      throw new ProviderError('Retryable', `${this.name}: rate limit queue is full; the call will be retried`, this.name, 'LocalRateLimit');
    } finally {
      clearTimeout(timer);
    }
    try {
      const result = await this.breaker.run(fn, { isFailure: isProviderHealthFailure });
      this.count(op, 'ok');
      return result;
    } catch (e) {
      if (e instanceof CircuitOpenError) {
        this.count(op, 'circuit-open');
        throw this.circuitOpen();
      }
      this.count(op, e instanceof ProviderError ? e.errorClass : 'error');
      if (isProviderHealthFailure(e)) {
        this.lastError = e instanceof Error ? e.message : String(e);
        this.lastErrorAt = new Date().toISOString();
      }
      throw e;
    }
  }

  private circuitOpen(): ProviderError {
    const { retryAt } = this.breaker.snapshot();
    const wait = retryAt ? Math.max(0, (Date.parse(retryAt) - Date.now()) / 1000) : undefined;
    return new ProviderError(
      'Retryable',
      `${this.name} is failing (circuit open${retryAt ? ` until ${retryAt}` : ''}); calls resume after the cool-down`,
      this.name,
      'CircuitOpen',
      wait,
    );
  }

  private count(op: string, outcome: string): void {
    this.opts.metrics?.providerCalls.inc({ provider: this.name, op, outcome });
  }

  offers(): Promise<Offer[]> {
    return this.call('offers', () => this.inner.offers());
  }
  regions(): Promise<Region[]> {
    return this.call('regions', () => this.inner.regions());
  }
  images(): Promise<Image[]> {
    return this.call('images', () => this.inner.images());
  }
  observe(ref: InstanceRef): Promise<ObservedInstance | null> {
    return this.call('observe', () => this.inner.observe(ref));
  }
  create(req: CreateRequest, token: string): Promise<ObservedInstance> {
    return this.call('create', () => this.inner.create(req, token));
  }
  delete(ref: InstanceRef): Promise<void> {
    return this.call('delete', () => this.inner.delete(ref));
  }
  power(ref: InstanceRef, action: PowerAction): Promise<void> {
    return this.call('power', () => this.inner.power(ref, action));
  }

  /** Each page is one provider call, so it is rate limited and guarded like any other. */
  async *list(opts?: ListOptions): AsyncIterable<ObservedInstance[]> {
    const it = this.inner.list(opts)[Symbol.asyncIterator]();
    for (;;) {
      const next = await this.call('list', () => it.next());
      if (next.done) return;
      yield next.value;
    }
  }

  async close(): Promise<void> {
    await this.inner.close?.();
  }
}

/**
 * Only signs of an unhealthy provider open the breaker: a user's bad request, a full region or throttling
 * (the provider is up, we are too fast) do not.
 */
function isProviderHealthFailure(e: unknown): boolean {
  if (e instanceof ProviderError) return e.errorClass === 'Retryable' && !isThrottle(e);
  return true;
}
