import { StsError } from './sts-error.js';

/**
 * Failures a test can make the next requests meet, before any validation — as the AWS front end would:
 * - `throttleNext`: 400 `Throttling` "Rate exceeded", what STS answers over its request rate (SDKs retry it);
 * - `serverErrorNext`: 500 `InternalFailure`, or 503 `ServiceUnavailable` with `status: 503` (SDKs retry both).
 */
export type StsFault = { throttleNext: number } | { serverErrorNext: number; status?: 500 | 503 };

export class FaultQueue {
  private pending: StsError[] = [];

  /** Replaces whatever faults were still pending. */
  set(fault: StsFault): void {
    const [count, make] = 'throttleNext' in fault ? [fault.throttleNext, throttling] : [fault.serverErrorNext, fault.status === 503 ? serviceUnavailable : internalFailure];
    this.pending = Array.from({ length: count }, make);
  }

  /** The fault the next request meets, if any. */
  next(): StsError | undefined {
    return this.pending.shift();
  }
}

function throttling(): StsError {
  return new StsError('Throttling', 400, 'Rate exceeded', 'injected fault: throttling');
}

function internalFailure(): StsError {
  return new StsError('InternalFailure', 500, 'The request processing has failed because of an unknown error, exception or failure.', 'injected fault: internal failure');
}

function serviceUnavailable(): StsError {
  return new StsError('ServiceUnavailable', 503, 'The request has failed due to a temporary failure of the server.', 'injected fault: service unavailable');
}
