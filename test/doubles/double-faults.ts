/**
 * The injectable faults every public-cloud double offers (EC2, Azure ARM, Compute Engine), so one failover or
 * conformance test can drive any of them alike. Each double answers with its own cloud's codes and envelopes.
 */
export interface DoubleFaults {
  /** The next n API calls get the cloud's throttling error. */
  throttleNext(n: number): void;
  /** Creates in this region or zone fail with the cloud's capacity error (null clears). */
  capacityIn(location: string | null): void;
  /** Creates fail with the cloud's quota error. */
  quotaExceeded(on: boolean): void;
  /** The next n calls get a 5xx. */
  serverErrorNext(n: number): void;
  /** The next create is processed, then the socket is destroyed without an answer. */
  dropNextCreateResponse(): void;
  /** Added to every answer (slow responses). */
  latencyMs: number;
}
