import { Ec2Error, internalError, requestLimitExceeded } from './ec2-error.js';
import { FaultSwitches, type DoubleFaults } from '../double-faults.js';

export type { DoubleFaults } from '../double-faults.js';

/**
 * EC2's faults: throttling is `RequestLimitExceeded` (HTTP 503), a server error `InternalError` (500), capacity
 * `InsufficientInstanceCapacity` (500) and quota `VcpuLimitExceeded` (400; `MaxSpotInstanceCountExceeded` for
 * spot) — the codes EC2's error reference gives. `failNext` answers any other EC2 error, for the codes no state
 * of the double provokes.
 */
export class Ec2Faults extends FaultSwitches implements DoubleFaults {
  /**
   * Seconds sent as `Retry-After` with a throttling answer. EC2 itself sends none; an EC2-compatible endpoint
   * may, and the driver reports it. Null: no header, as EC2.
   */
  throttleRetryAfterSeconds: number | null = null;
  private throttles = 0;
  private scripted: Ec2Error[] = [];
  private capacityLocation: string | null = null;

  throttleNext(n: number): void {
    this.throttles = n;
  }

  capacityIn(location: string | null): void {
    this.capacityLocation = location;
  }

  /** The next n calls are answered with this EC2 error (any code, with its HTTP status). */
  failNext(error: { code: string; httpStatus: number; message: string }, n = 1): void {
    for (let i = 0; i < n; i++) this.scripted.push(new Ec2Error(error.code, error.httpStatus, error.message, `injected fault: ${error.code}`));
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
    if (this.takeServerError()) return internalError();
    return undefined;
  }

  /** True when creates in this region or zone lack capacity. */
  lacksCapacity(region: string, zone: string | null): boolean {
    return this.capacityLocation !== null && (this.capacityLocation === region || this.capacityLocation === zone);
  }
}
