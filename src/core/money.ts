/**
 * Money is integer micro-dollars (1 USD = 1,000,000 µ$) so sums are exact; it is rounded once, at display.
 */
export type Micros = number;

export const MICROS_PER_USD = 1_000_000;

/** Parses a decimal price string such as `"0.0384"` into micro-dollars without float error. */
export function usdToMicros(value: string | number): Micros {
  const text = typeof value === 'number' ? value.toString() : value.trim();
  const m = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) throw new RangeError(`not a non-negative decimal amount: ${JSON.stringify(value)}`);
  const whole = Number(m[1]);
  const frac = (m[2] ?? '').padEnd(7, '0');
  const micros = whole * MICROS_PER_USD + Number(frac.slice(0, 6));
  // Round half up on the seventh digit: a catalog price never has more precision than that.
  return Number(frac[6]) >= 5 ? micros + 1 : micros;
}

/** Formats micro-dollars as a USD amount, e.g. `0.0384` (trailing zeros trimmed, at least two decimals). */
export function formatUsd(micros: Micros): string {
  const sign = micros < 0 ? '-' : '';
  const abs = Math.abs(micros);
  const whole = Math.floor(abs / MICROS_PER_USD);
  let frac = String(abs % MICROS_PER_USD).padStart(6, '0').replace(/0+$/, '');
  if (frac.length < 2) frac = frac.padEnd(2, '0');
  return `${sign}${whole}.${frac}`;
}
