import { setTimeout as sleep } from 'node:timers/promises';
import { ProviderError } from '../driver.js';
import type { SimConfig } from './config.js';
import type { Random } from './random.js';
import { TokenBucket } from './throttle.js';

export type FaultSettings = Pick<
  SimConfig,
  'latencyMs' | 'failureRates' | 'failReads' | 'failAfterCreateRate' | 'throttle' | 'failAll'
>;

/** Everything that makes the simulated provider slow or unreliable, decided from one random source. */
export class FaultInjector {
  private failAll: boolean;
  private readonly bucket: TokenBucket | null;

  constructor(
    private readonly providerName: string,
    private readonly settings: FaultSettings,
    private readonly random: Random,
    now: () => number,
  ) {
    this.failAll = settings.failAll;
    this.bucket = settings.throttle ? new TokenBucket(settings.throttle.requestsPerSecond, settings.throttle.burst, now) : null;
  }

  setFailAll(on: boolean): void {
    this.failAll = on;
  }

  /**
   * What every call meets first, as at a real provider's front door: latency, an outage, the rate limit,
   * and random server errors (for reads only when `failReads` is set).
   */
  async admit(mutating: boolean): Promise<void> {
    const { min, max } = this.settings.latencyMs;
    if (max > 0) await sleep(min + this.random() * (max - min));
    const name = this.providerName;
    if (this.failAll) {
      throw new ProviderError('Retryable', `sim provider '${name}' is unavailable (simulated outage); retry later`, name, 'ServiceUnavailable');
    }
    if (this.bucket) {
      const waitSeconds = this.bucket.take();
      if (waitSeconds > 0) {
        const { requestsPerSecond, burst } = this.settings.throttle!;
        throw new ProviderError(
          'Retryable',
          `sim provider '${name}' allows ${requestsPerSecond} requests/s (burst ${burst}); retry after ${waitSeconds.toFixed(3)} s`,
          name,
          'RequestLimitExceeded',
          waitSeconds,
        );
      }
    }
    if ((mutating || this.settings.failReads) && this.chance(this.settings.failureRates.retryable)) {
      throw new ProviderError('Retryable', `sim provider '${name}' had an internal error (injected fault); retry`, name, 'InternalError');
    }
  }

  /** Decided once a create is valid and before anything is recorded, so a failed create leaves no machine. */
  injectPlacementFault(what: string, region?: { capacity: number; quota: number }): void {
    const name = this.providerName;
    const rates = this.settings.failureRates;
    if (this.chance(rates.capacity) || this.chance(region?.capacity ?? 0)) {
      throw new ProviderError(
        'Capacity',
        `sim provider '${name}' has no capacity for ${what} right now (injected fault); try another region or flavor`,
        name,
        'InsufficientInstanceCapacity',
      );
    }
    if (this.chance(rates.quota) || this.chance(region?.quota ?? 0)) {
      throw new ProviderError(
        'Quota',
        `sim provider '${name}': the account's quota does not allow ${what} (injected fault); raise the limit or place elsewhere`,
        name,
        'InstanceLimitExceeded',
      );
    }
    if (this.chance(rates.invalid)) {
      throw new ProviderError('Invalid', `sim provider '${name}' rejected ${what} as invalid (injected fault)`, name, 'InvalidParameterValue');
    }
  }

  /** True when a create that has just been recorded should lose its response (the caller sees Retryable). */
  responseLost(): boolean {
    return this.chance(this.settings.failAfterCreateRate);
  }

  private chance(probability: number): boolean {
    return probability > 0 && this.random() < probability;
  }
}
