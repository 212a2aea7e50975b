import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { usdToMicros } from '../../../../src/core/money.js';
import {
  googleMoneyToNanos,
  jsonNumberToMicros,
  linearPriceMicros,
  nanosToMicros,
  plainDecimal,
} from '../../../../src/metering/catalog/importers/exact-money.js';

/** Reference: round half up of a non-negative rational, in BigInt, written without the code under test. */
function referenceRound(numerator: bigint, denominator: bigint): bigint {
  const quotient = numerator / denominator;
  const remainder = numerator % denominator;
  return remainder * 2n >= denominator ? quotient + 1n : quotient;
}

const units = fc.bigInt({ min: 0n, max: 10_000_000n });
const nanos = fc.integer({ min: 0, max: 999_999_999 });

describe('Google Money (units + nanos) to micro-dollars', () => {
  it('equals a BigInt reference, rounding half up at the seventh decimal', () => {
    fc.assert(
      fc.property(units, nanos, (u, n) => {
        const expected = referenceRound(u * 1_000_000_000n + BigInt(n), 1_000n);
        expect(nanosToMicros(googleMoneyToNanos(u.toString(), n))).toBe(Number(expected));
      }),
      { numRuns: 2_000 },
    );
  });

  it('equals the core decimal parser on the same amount written out', () => {
    fc.assert(
      fc.property(units, nanos, (u, n) => {
        expect(nanosToMicros(googleMoneyToNanos(u.toString(), n))).toBe(usdToMicros(`${u}.${String(n).padStart(9, '0')}`));
      }),
      { numRuns: 2_000 },
    );
  });

  it('treats left-out fields as zero and units given as a JSON number like a string', () => {
    expect(googleMoneyToNanos(undefined, 31_611_000)).toBe(31_611_000n);
    expect(googleMoneyToNanos('2', undefined)).toBe(2_000_000_000n);
    expect(googleMoneyToNanos(2, 5)).toBe(2_000_000_005n);
  });

  it('rounds the half-way cases up and the rest to nearest', () => {
    expect(nanosToMicros(499n)).toBe(0);
    expect(nanosToMicros(500n)).toBe(1);
    expect(nanosToMicros(31_611_500n)).toBe(31_612);
    expect(nanosToMicros(31_611_499n)).toBe(31_611);
  });

  it('refuses nanos out of range, mixed signs and non-integers', () => {
    expect(() => googleMoneyToNanos('0', 1_000_000_000)).toThrow(RangeError);
    expect(() => googleMoneyToNanos('1', -5)).toThrow(/different signs/);
    expect(() => googleMoneyToNanos('1.5', 0)).toThrow(/not a whole number/);
    expect(() => googleMoneyToNanos('0', 0.5)).toThrow(RangeError);
  });
});

describe('a machine price from per-vCPU and per-GiB rates', () => {
  it('equals the BigInt reference vcpus × core + memoryMb/1024 × ram, rounded once', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 416 }),
        // Sizes in MiB as GCE reports them (multiples of 256 MiB), so memory in GiB is a binary fraction.
        fc.integer({ min: 1, max: 48_000 }).map((k) => k * 256),
        fc.bigInt({ min: 0n, max: 5_000_000_000n }),
        fc.bigInt({ min: 0n, max: 1_000_000_000n }),
        (vcpus, memoryMb, coreNanos, ramNanos) => {
          const expected = referenceRound(BigInt(vcpus) * coreNanos * 1024n + BigInt(memoryMb) * ramNanos, 1024n * 1000n);
          const got = linearPriceMicros([
            { quantity: vcpus, unitNanos: coreNanos },
            { quantity: memoryMb / 1024, unitNanos: ramNanos },
          ]);
          expect(got).toBe(Number(expected));
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('reads a decimal quantity as the decimal it is written as, where float arithmetic lands below the half', () => {
    // 0.145 × 100,000 nanos is 14.5 µ$ exactly (rounds up to 15); in floats 0.145 * 100000 / 1000 is 14.499999999999998.
    expect((0.145 * 100_000) / 1_000).toBeLessThan(14.5);
    expect(linearPriceMicros([{ quantity: 0.145, unitNanos: 100_000n }])).toBe(15);
    expect(linearPriceMicros([{ quantity: 1.005, unitNanos: 100_000n }])).toBe(101);
  });
});

describe('a JSON number price (Azure retailPrice) to micro-dollars', () => {
  it('equals the core decimal parser on the number as written with up to seven decimals', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 9_999_999 }), (whole, fraction) => {
        const written = `${whole}.${String(fraction).padStart(7, '0')}`;
        expect(jsonNumberToMicros(Number(written))).toBe(usdToMicros(written));
      }),
      { numRuns: 2_000 },
    );
  });

  it('writes numbers out without an exponent', () => {
    expect(plainDecimal(5e-7)).toBe('0.0000005');
    expect(plainDecimal(1.25e-10)).toBe('0.000000000125');
    expect(plainDecimal(1e21)).toBe('1000000000000000000000');
    expect(plainDecimal(0.0846)).toBe('0.0846');
    expect(jsonNumberToMicros(5e-7)).toBe(1);
    expect(() => jsonNumberToMicros(-0.1)).toThrow(RangeError);
  });
});
