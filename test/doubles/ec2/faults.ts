import { Ec2Error, internalError, requestLimitExceeded } from './ec2-error.js';
import type { DoubleFaults } from '../double-faults.js';

export type { DoubleFaults } from '../double-faults.js';

/**
 * EC2's faults: throttling is `RequestLimitExceeded` (HTTP 503), a server error `InternalError` (500), capacity
 * `InsufficientInstanceCapacity` (500) and quota `VcpuLimitExceeded` (400; `MaxSpotInstanceCountExceeded` for
 * spot) — the codes EC2's error reference gives. `failNext` answers any other EC2 error, for the codes no state
 * of the double provokes.
 */
export class Ec2Faults implements DoubleFaults {
  latencyMs = 0;
  /**
   * Seconds sent as `Retry-After` with a throttling answer. EC2 itself sends none; an EC2-compatible endpoint
   * may, and the driver reports it. Null: no header, as EC2.
   */
  throttleRetryAfterSeconds: number | null = null;
  private throttles = 0;
  private serverErrors = 0;
  private drops = 0;
  private scripted: Ec2Error[] = [];
  private capacityLocation: string | null = null;
  private quota = false;

  throttleNext(n: number): void {
    this.throttles = n;
  }

  capacityIn(location: string | null): void {
    this.capacityLocation = location;
  }

  quotaExceeded(on: boolean): void {
    this.quota = on;
  }

  serverErrorNext(n: number): void {
    this.serverErrors = n;
  }

  dropNextCreateResponse(): void {
    this.drops += 1;
  }

  /** The next n calls are answered with this EC2 error (any code, with its HTTP status). */
  failNext(error: { code: string; httpStatus: number; message: string }, n = 1): void {
    for (let i = 0; i < n; i++) this.scripted.push(new Ec2Error(error.code, error.httpStatus, error.message, `injected fault: ${error.code}`));
  }

  clear(): void {
    this.throttles = 0;
    this.serverErrors = 0;
    this.drops = 0;
    this.scripted = [];
    this.capacityLocation = null;
    this.quota = false;
    this.latencyMs = 0;
    this.throttleRetryAfterSeconds = null;
  }

  // ---- What the server consults ----

  /** The fault this call meets before it is processed, if any. */
  takeCallFault(): Ec2Error | undefined {
    const scripted = this.scripted.shift();
    if (scripted) return scripted;
    if (this.throttles > 0) {
      this.throttles -= 1;
      return requestLimitExceeded();
    }
    if (this.serverErrors > 0) {
      this.serverErrors -= 1;
      return internalError();
    }
    return undefined;
  }

  /** True once per dropNextCreateResponse: the create just processed gets no answer. */
  takeDrop(): boolean {
    if (this.drops === 0) return false;
    this.drops -= 1;
    return true;
  }

  /** True when creates in this region or zone lack capacity. */
  lacksCapacity(region: string, zone: string | null): boolean {
    return this.capacityLocation !== null && (this.capacityLocation === region || this.capacityLocation === zone);
  }

  get quotaIsExceeded(): boolean {
    return this.quota;
  }
}
