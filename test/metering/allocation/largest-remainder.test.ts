import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitByLargestRemainder } from '../../../src/metering/allocation/largest-remainder.js';

describe('splitting micro-dollars by the largest remainder', () => {
  it('shares add up to the amount exactly and each is within 1 µ$ of its exact rational share, for any amount and weights', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1e12, max: 1e12 }),
        fc.array(fc.bigInt({ min: 0n, max: 10n ** 13n }), { minLength: 1, maxLength: 12 }).filter((ws) => ws.some((w) => w > 0n)),
        (amount, weights) => {
          const shares = splitByLargestRemainder(amount, weights);
          expect(shares.reduce((a, b) => a + b, 0)).toBe(amount);
          const total = weights.reduce((a, b) => a + b, 0n);
          shares.forEach((s, i) => {
            // |s − amount·w/total| < 1  ⇔  |s·total − amount·w| < total, in integers.
            const diff = BigInt(s) * total - BigInt(amount) * weights[i]!;
            expect(diff < 0n ? -diff : diff).toBeLessThan(total);
            if (weights[i] === 0n) expect(s).toBe(0);
          });
        },
      ),
      { numRuns: 500 },
    );
  });

  it('hands the leftover micro-dollars to the largest remainders, ties to the claimant listed first', () => {
    expect(splitByLargestRemainder(100, [1n, 1n, 1n])).toEqual([34, 33, 33]);
    expect(splitByLargestRemainder(-100, [1n, 1n, 1n])).toEqual([-34, -33, -33]);
    // 10 × 2/7 = 2.857…, 10 × 5/7 = 7.142…: the first has the larger remainder.
    expect(splitByLargestRemainder(10, [2n, 5n])).toEqual([3, 7]);
    expect(splitByLargestRemainder(0, [3n, 4n])).toEqual([0, 0]);
  });

  it('refuses what cannot be split: nobody to give it to, no weight, a negative weight, a fraction of a micro-dollar', () => {
    expect(() => splitByLargestRemainder(5, [])).toThrow(/no claimants/);
    expect(() => splitByLargestRemainder(5, [0n, 0n])).toThrow(/every weight is zero/);
    expect(() => splitByLargestRemainder(5, [1n, -1n])).toThrow(/must not be negative/);
    expect(() => splitByLargestRemainder(0.5, [1n])).toThrow(/whole number of micro-dollars/);
  });
});
