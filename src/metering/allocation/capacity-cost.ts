import type { CostModelVersion } from '../cost-model/cost-model-view.js';

/** One cost model version as capacity: what the whole fleet costs an hour while the version is in force. */
interface CapacityPeriod {
  fromMs: number;
  toMs: number;
  /** Σ servers × their recorded cost per server-hour (not divided by the target utilisation): paid whether used or not. */
  fleetNanosPerHour: bigint;
}

/** n$·ms per µ$: 3,600,000 ms an hour × 1,000 n$ a µ$. */
const NANO_MS_PER_MICRO = 3_600_000_000n;

/**
 * What a private provider's capacity cost over a period: its servers × their cost per server-hour, from the cost
 * model version(s) in force at each moment. Any piece [a, b) of the period is priced as R(C(b)) − R(C(a)), where
 * C is the exact cost from the period's start and R rounds half up once: pieces (days, months) therefore add up
 * exactly to the whole period's rounded cost, whatever the grain of the report.
 */
export class CapacityCost {
  private readonly periods: CapacityPeriod[];

  constructor(
    versions: readonly CostModelVersion[],
    private readonly periodStartMs: number,
  ) {
    this.periods = versions.map((v) => ({
      fromMs: Date.parse(v.validFrom),
      toMs: v.validTo === null ? Number.MAX_SAFE_INTEGER : Date.parse(v.validTo),
      fleetNanosPerHour: v.rates.servers.reduce((sum, s) => sum + BigInt(s.count) * BigInt(s.costNanosPerHour.total), 0n),
    }));
  }

  /** Capacity cost of [aMs, bMs) in µ$ (both inside the period, aMs ≤ bMs). */
  between(aMs: number, bMs: number): number {
    return Number(roundHalfUp(this.exactSince(bMs)) - roundHalfUp(this.exactSince(aMs)));
  }

  /** The servers paid for at a moment (for the notes): the fleet of the version in force then, in n$ per hour. */
  fleetNanosPerHourAt(ms: number): bigint {
    return this.periods.find((p) => p.fromMs <= ms && ms < p.toMs)?.fleetNanosPerHour ?? 0n;
  }

  /** Exact capacity cost from the period's start to `ms`, in n$·ms per hour (an integer). */
  private exactSince(ms: number): bigint {
    let total = 0n;
    for (const p of this.periods) {
      const overlap = Math.min(ms, p.toMs) - Math.max(this.periodStartMs, p.fromMs);
      if (overlap > 0) total += BigInt(overlap) * p.fleetNanosPerHour;
    }
    return total;
  }
}

function roundHalfUp(nanoMs: bigint): bigint {
  return (nanoMs * 2n + NANO_MS_PER_MICRO) / (2n * NANO_MS_PER_MICRO);
}
