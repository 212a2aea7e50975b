/**
 * An exact rational number: a BigInt numerator over a positive BigInt denominator, kept in lowest terms.
 *
 * The cost model multiplies and divides money by hours, years, watts and shares: in floating point, or in
 * micro-dollars rounded at each step, the error would pile up through the chain. Carried as an exact fraction,
 * every figure is rounded once, at the end (half up), and the result does not depend on the order of the sums.
 */
export class Ratio {
  private constructor(
    readonly num: bigint,
    readonly den: bigint,
  ) {}

  static readonly ZERO = new Ratio(0n, 1n);
  static readonly ONE = new Ratio(1n, 1n);

  static of(num: bigint | number, den: bigint | number = 1n): Ratio {
    const n = BigInt(num);
    const d = BigInt(den);
    if (d === 0n) throw new RangeError('division by zero');
    const sign = d < 0n ? -1n : 1n;
    const g = gcd(n < 0n ? -n : n, d < 0n ? -d : d) || 1n;
    return new Ratio((sign * n) / g, (sign * d) / g);
  }

  /**
   * A JS number read as the decimal it prints as (`0.12` is exactly 12/100, not the nearest binary fraction):
   * what someone wrote in tessera.yaml, or what the catalog stored, is what is computed with.
   */
  static decimal(value: number | string): Ratio {
    const text = typeof value === 'number' ? String(value) : value.trim();
    if (typeof value === 'number' && !Number.isFinite(value)) throw new RangeError(`${value} is not a finite number`);
    const m = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/i.exec(text);
    if (!m) throw new RangeError(`cannot read ${JSON.stringify(value)} as a decimal number`);
    const [, sign, whole, fraction = '', exponentText = '0'] = m;
    const scale = fraction.length - Number(exponentText);
    const coefficient = BigInt(`${sign}${whole}${fraction}`);
    return scale >= 0 ? Ratio.of(coefficient, 10n ** BigInt(scale)) : Ratio.of(coefficient * 10n ** BigInt(-scale));
  }

  add(o: Ratio): Ratio {
    return Ratio.of(this.num * o.den + o.num * this.den, this.den * o.den);
  }

  sub(o: Ratio): Ratio {
    return Ratio.of(this.num * o.den - o.num * this.den, this.den * o.den);
  }

  mul(o: Ratio | number | bigint): Ratio {
    const r = o instanceof Ratio ? o : Ratio.of(BigInt(o));
    return Ratio.of(this.num * r.num, this.den * r.den);
  }

  div(o: Ratio | number | bigint): Ratio {
    const r = o instanceof Ratio ? o : Ratio.of(BigInt(o));
    if (r.num === 0n) throw new RangeError('division by zero');
    return Ratio.of(this.num * r.den, this.den * r.num);
  }

  isZero(): boolean {
    return this.num === 0n;
  }

  isPositive(): boolean {
    return this.num > 0n;
  }

  compare(o: Ratio): number {
    const d = this.num * o.den - o.num * this.den;
    return d < 0n ? -1 : d > 0n ? 1 : 0;
  }

  /** The smallest whole number not below this one. */
  ceil(): bigint {
    const q = this.num / this.den;
    return q * this.den < this.num ? q + 1n : q;
  }

  /** Rounded to a whole number of `1/unitsPerOne` (1e6: micro-dollars), half up (away from zero at .5 for amounts ≥ 0). */
  roundTo(unitsPerOne: bigint): bigint {
    const scaled = this.num * unitsPerOne;
    const twice = scaled * 2n + this.den;
    const den2 = this.den * 2n;
    // BigInt division truncates toward zero; half up is floor(x + 1/2), so negative values need the floor.
    const q = twice / den2;
    return twice < 0n && q * den2 !== twice ? q - 1n : q;
  }

  /** A fixed-point decimal with `places` digits after the point, rounded half up: for display and storage. */
  toFixed(places: number): string {
    const units = this.roundTo(10n ** BigInt(places));
    const negative = units < 0n;
    const digits = (negative ? -units : units).toString().padStart(places + 1, '0');
    const whole = digits.slice(0, digits.length - places);
    const frac = digits.slice(digits.length - places);
    return `${negative ? '-' : ''}${whole}${places > 0 ? `.${frac}` : ''}`;
  }

  toString(): string {
    return this.den === 1n ? this.num.toString() : `${this.num}/${this.den}`;
  }
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** Σ of the ratios (zero for none). */
export function sum(values: Iterable<Ratio>): Ratio {
  let total = Ratio.ZERO;
  for (const v of values) total = total.add(v);
  return total;
}
