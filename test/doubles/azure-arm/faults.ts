import { ArmError } from './arm-error.js';
import { FaultSwitches, type DoubleFaults } from '../double-faults.js';

export type { DoubleFaults } from '../double-faults.js';

/** An error a test wants the next VM create to meet, either as the PUT's answer or as its operation's final status. */
export interface InjectedCreateFailure {
  code: string;
  message: string;
  /** `sync`: the PUT is answered with `status` and the envelope; `operation`: the PUT succeeds and its operation ends Failed. */
  via: 'sync' | 'operation';
  /** For `sync`; default 400. */
  status?: number;
}

/**
 * The ARM double's faults. Throttling is ARM's 429 `TooManyRequests` with Retry-After; a server error is a 500
 * `InternalServerError`; capacity is an allocation failure at the end of the create's operation
 * (`AllocationFailed`, or `ZonalAllocationFailed` when a zone was asked for) — or, with
 * `capacityAnswer = 'SkuNotAvailable'`, the 409 Azure gives at once when a size cannot be had there; quota is the
 * 409 `OperationNotAllowed` Compute answers when the regional vCPU quota would be exceeded.
 */
export class ArmFaults extends FaultSwitches implements DoubleFaults {
  /** Seconds a throttled caller is told to wait. */
  retryAfterSeconds = 1;
  capacityAnswer: 'AllocationFailed' | 'SkuNotAvailable' = 'AllocationFailed';
  private throttles = 0;
  private capacityLocation: string | null = null;
  private createFailures: InjectedCreateFailure[] = [];

  throttleNext(n: number): void {
    this.throttles = n;
  }

  capacityIn(location: string | null): void {
    this.capacityLocation = location?.toLowerCase() ?? null;
  }

  /** The next VM create meets this error (queued: several calls fail several creates in turn). */
  failNextCreate(failure: InjectedCreateFailure): void {
    this.createFailures.push(failure);
  }

  /** Clears every pending fault. */
  reset(): void {
    this.resetSwitches();
    this.throttles = 0;
    this.capacityLocation = null;
    this.createFailures = [];
    this.capacityAnswer = 'AllocationFailed';
  }

  // ---- Used by the double ----

  /** The error an API call meets before anything else is looked at, if any. */
  takeFrontDoorFault(): ArmError | null {
    if (this.throttles > 0) {
      this.throttles--;
      return new ArmError(
        429,
        'TooManyRequests',
        'The request is being throttled as the limit has been reached for operation type - Write_ObservationWindow_00:01:00. For more information, see - https://aka.ms/srpthrottlinglimits',
        { 'retry-after': String(this.retryAfterSeconds) },
      );
    }
    if (this.takeServerError()) {
      return new ArmError(500, 'InternalServerError', 'Encountered internal server error. Diagnostic information: injected by the ARM double.');
    }
    return null;
  }

  /** Whether a VM in `location` (Azure zone `zone`, if any) meets the capacity fault. */
  capacityHits(location: string, zone: string | null): boolean {
    const at = this.capacityLocation;
    if (at === null) return false;
    return at === location.toLowerCase() || (zone !== null && at === `${location.toLowerCase()}-${zone}`);
  }

  takeCreateFailure(): InjectedCreateFailure | undefined {
    return this.createFailures.shift();
  }
}
