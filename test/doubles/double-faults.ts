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

/**
 * The switches every double keeps alike: server errors counted down, the quota flag, dropped create answers and
 * added latency. Throttling and capacity differ per cloud (what is sent, and where it applies) and stay with each.
 */
export abstract class FaultSwitches {
  latencyMs = 0;
  private serverErrors = 0;
  private quota = false;
  private drops = 0;

  serverErrorNext(n: number): void {
    this.serverErrors = n;
  }

  quotaExceeded(on: boolean): void {
    this.quota = on;
  }

  dropNextCreateResponse(): void {
    this.drops += 1;
  }

  // ---- What the double consults ----

  /** Whether the call at hand meets one of the pending server errors (using it up). */
  takeServerError(): boolean {
    if (this.serverErrors === 0) return false;
    this.serverErrors -= 1;
    return true;
  }

  /** True once per dropNextCreateResponse: the create just processed gets no answer. */
  takeDropCreate(): boolean {
    if (this.drops === 0) return false;
    this.drops -= 1;
    return true;
  }

  get quotaOn(): boolean {
    return this.quota;
  }

  protected resetSwitches(): void {
    this.latencyMs = 0;
    this.serverErrors = 0;
    this.quota = false;
    this.drops = 0;
  }
}
