/**
 * Decimal strings for FOCUS numeric columns, from integers: no float ever formats a cost. FOCUS numbers are plain
 * decimals: no exponent, no thousands separator, no plus sign.
 */

const MS_PER_HOUR = 3_600_000n;
/** Hours are given to 9 decimals (3.6 µs): a line's exact hours are ms / 3,600,000, which rarely terminates. */
const HOUR_SCALE = 1_000_000_000n;

/** Micro-dollars as a USD decimal with all six decimals, e.g. `0.118000`, `-1.500000`. */
export function usdDecimal(micros: number): string {
  return scaled(BigInt(micros), 1_000_000n, 6);
}

/** Milliseconds as hours, rounded half up to 9 decimals and trimmed, e.g. `24`, `1.5`, `0.000277778`. */
export function hoursDecimal(ms: number): string {
  const n = (BigInt(ms) * HOUR_SCALE * 2n + MS_PER_HOUR) / (2n * MS_PER_HOUR);
  return scaled(n, HOUR_SCALE, 9).replace(/\.?0+$/, '');
}

function scaled(n: bigint, scale: bigint, digits: number): string {
  const sign = n < 0n ? '-' : '';
  const abs = n < 0n ? -n : n;
  return `${sign}${abs / scale}.${String(abs % scale).padStart(digits, '0')}`;
}
