import { backendError, rateLimited, type GceError } from './gce-error.js';
import { FaultSwitches, type DoubleFaults } from '../double-faults.js';

export type { DoubleFaults } from '../double-faults.js';

export type ThrottleKind = { status: 403 | 429; reason: 'rateLimitExceeded' | 'userRateLimitExceeded' };

/** The operation error code a capacity failure carries: GCE sends either, the second with more words. */
export type CapacityCode = 'ZONE_RESOURCE_POOL_EXHAUSTED' | 'ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS';

/**
 * The GCE double's faults. Throttling and server errors hit any API call (not the OAuth token endpoint) before it
 * is looked at, as Google's front end would; capacity and quota make the OPERATION of an insert (or start) fail,
 * which is where GCE reports them — the insert call itself succeeds.
 */
export class GceFaults extends FaultSwitches implements DoubleFaults {
  private throttles: ThrottleKind[] = [];
  private capacity: { location: string; code: CapacityCode } | null = null;
  private readonly denied = new Set<string>();

  constructor(private readonly retryAfterSeconds: number) {
    super();
  }

  throttleNext(n: number, kind: ThrottleKind = { status: 403, reason: 'rateLimitExceeded' }): void {
    this.throttles = Array.from({ length: n }, () => kind);
  }

  capacityIn(location: string | null, code: CapacityCode = 'ZONE_RESOURCE_POOL_EXHAUSTED'): void {
    this.capacity = location === null ? null : { location, code };
  }

  /** Withdraws one IAM permission from every caller (null restores them all). */
  deny(permission: string | null): void {
    if (permission === null) this.denied.clear();
    else this.denied.add(permission);
  }

  // ---- Read by the server ----

  /** The fault the next API call meets before it is handled, if any. */
  takeCallFault(): GceError | undefined {
    const throttle = this.throttles.shift();
    if (throttle) return rateLimited(throttle.status, throttle.reason, this.retryAfterSeconds);
    if (this.takeServerError()) return backendError();
    return undefined;
  }

  /** The capacity error code for a create in this zone, or null when there is room. */
  capacityFor(zone: string, region: string): CapacityCode | null {
    if (!this.capacity) return null;
    return this.capacity.location === zone || this.capacity.location === region ? this.capacity.code : null;
  }

  isDenied(permission: string): boolean {
    return this.denied.has(permission);
  }
}
