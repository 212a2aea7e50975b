import { usdToMicros, type Micros } from '../../../core/money.js';

/**
 * Exact price arithmetic for the importers. Published prices arrive as decimal strings (AWS), JSON numbers (Azure)
 * or Google's `Money` (whole `units` plus `nanos`); a machine's price may be a sum of per-vCPU and per-GiB rates
 * (GCP). Everything is carried in integer nano-dollars (BigInt) and rounded once, half up, to micro-dollars.
 */

/** An amount of USD in integer nano-dollars. */
export type Nanos = bigint;

const NANOS_PER_USD = 1_000_000_000n;
const NANOS_PER_MICRO = 1_000n;

/** Divides two non-negative integers, rounding half up. */
export function divideRoundingHalfUp(numerator: bigint, denominator: bigint): bigint {
  if (numerator < 0n || denominator <= 0n) throw new RangeError(`cannot round ${numerator}/${denominator}: only non-negative amounts are prices`);
  return (numerator * 2n + denominator) / (denominator * 2n);
}

/**
 * Google's `Money` (`units`: whole units as an int64, a JSON string; `nanos`: 0…±999,999,999 with the sign of
 * `units`) as nano-dollars. Missing fields are zero (proto3 JSON leaves zero values out).
 */
export function googleMoneyToNanos(units: string | number | undefined, nanos: number | undefined): Nanos {
  const unitsText = String(units ?? '0').trim();
  if (!/^-?\d+$/.test(unitsText)) throw new RangeError(`units ${JSON.stringify(units)} is not a whole number`);
  const n = nanos ?? 0;
  if (!Number.isInteger(n) || Math.abs(n) > 999_999_999) throw new RangeError(`nanos ${n} is not a whole number between -999999999 and 999999999`);
  const whole = BigInt(unitsText);
  if ((whole > 0n && n < 0) || (whole < 0n && n > 0)) throw new RangeError(`units ${unitsText} and nanos ${n} have different signs`);
  return whole * NANOS_PER_USD + BigInt(n);
}

/** Nano-dollars as micro-dollars, rounded half up; an amount too large for an exact JS number is refused. */
export function nanosToMicros(amount: Nanos): Micros {
  return toSafeMicros(divideRoundingHalfUp(amount, NANOS_PER_MICRO));
}

/**
 * Σ quantity × unit price, rounded once to micro-dollars. Quantities (vCPUs, GiB) are JS numbers read as the
 * decimal they print as (3.75 GiB is exactly 3.75), so the product is exact before the one rounding.
 */
export function linearPriceMicros(terms: readonly { quantity: number; unitNanos: Nanos }[]): Micros {
  const decimals = terms.map((t) => ({ quantity: exactDecimal(t.quantity), unitNanos: t.unitNanos }));
  const scale = Math.max(0, ...decimals.map((d) => d.quantity.scale));
  let total = 0n;
  for (const { quantity, unitNanos } of decimals) {
    total += quantity.coefficient * 10n ** BigInt(scale - quantity.scale) * unitNanos;
  }
  return toSafeMicros(divideRoundingHalfUp(total, NANOS_PER_MICRO * 10n ** BigInt(scale)));
}

/** A price written as a JSON number (Azure's `retailPrice`) in micro-dollars, from the decimal the number prints as. */
export function jsonNumberToMicros(value: number): Micros {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${value} is not a non-negative amount`);
  return usdToMicros(plainDecimal(value));
}

/** A finite number as a plain decimal string, without the exponent JS uses below 1e-6 and above 1e21. */
export function plainDecimal(value: number): string {
  const { coefficient, scale } = exactDecimal(value);
  const sign = coefficient < 0n ? '-' : '';
  const digits = (coefficient < 0n ? -coefficient : coefficient).toString().padStart(scale + 1, '0');
  if (scale === 0) return sign + digits;
  return `${sign}${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
}

/** `value` = coefficient / 10^scale, taken from the shortest decimal that reads back as `value`. */
function exactDecimal(value: number): { coefficient: bigint; scale: number } {
  if (!Number.isFinite(value)) throw new RangeError(`${value} is not a finite number`);
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(value));
  if (!m) throw new RangeError(`cannot read ${value} as a decimal`);
  const [, sign, whole, fraction = '', exponentText = '0'] = m;
  const exponent = Number(exponentText);
  let coefficient = BigInt(`${sign}${whole}${fraction}`);
  let scale = fraction.length - exponent;
  if (scale < 0) {
    coefficient *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { coefficient, scale };
}

function toSafeMicros(micros: bigint): Micros {
  if (micros > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`${micros} micro-dollars is beyond any hourly price`);
  return Number(micros);
}
