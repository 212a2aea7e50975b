import type { Micros } from '../../core/money.js';

const MS_PER_HOUR = 3_600_000n;

/** `duration × price per hour`, in integer micro-dollars, rounded half up: exact for any duration and price. */
export function costOf(durationMs: number, unitPriceMicros: Micros): Micros {
  const product = BigInt(durationMs) * BigInt(unitPriceMicros);
  return Number((product * 2n + MS_PER_HOUR) / (2n * MS_PER_HOUR));
}
