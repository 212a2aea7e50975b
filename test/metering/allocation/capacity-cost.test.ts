import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CapacityCost } from '../../../src/metering/allocation/capacity-cost.js';
import type { CostModelVersion } from '../../../src/metering/cost-model/cost-model-view.js';

/** A version as far as capacity reads it: its period and its servers' recorded cost per server-hour. */
function version(validFrom: string, validTo: string | null, servers: { count: number; nanosPerHour: number }[]): CostModelVersion {
  return {
    validFrom,
    validTo,
    rates: { servers: servers.map((s) => ({ count: s.count, costNanosPerHour: { total: s.nanosPerHour } })) },
  } as unknown as CostModelVersion;
}

const JAN = Date.parse('2026-01-01T00:00:00Z');
const HOUR = 3_600_000;

describe('capacity cost of a private fleet', () => {
  it('is servers × cost per server-hour over the time each version was in force', () => {
    const c = new CapacityCost(
      [
        version('1970-01-01T00:00:00.000Z', '2026-01-11T00:00:00.000Z', [{ count: 2, nanosPerHour: 250_000_000 }, { count: 1, nanosPerHour: 1_000_000_001 }]),
        version('2026-01-11T00:00:00.000Z', null, [{ count: 4, nanosPerHour: 250_000_000 }]),
      ],
      JAN,
    );
    // Jan 1–10: (2 × $0.25 + $1.000000001)/h × 240 h = $360.00000024 → 360,000,000 µ$ (0.24 µ$ rounds down).
    expect(c.between(JAN, JAN + 240 * HOUR)).toBe(360_000_000);
    // Jan 11, one hour: 4 × $0.25.
    expect(c.between(JAN + 240 * HOUR, JAN + 241 * HOUR)).toBe(1_000_000);
    expect(c.between(JAN, JAN)).toBe(0);
  });

  it('pieces of a period add up exactly to the whole period’s rounded cost, however it is cut', () => {
    const c = new CapacityCost(
      [
        version('1970-01-01T00:00:00.000Z', '2026-01-07T13:00:00.123Z', [{ count: 3, nanosPerHour: 333_333_337 }]),
        version('2026-01-07T13:00:00.123Z', null, [{ count: 7, nanosPerHour: 123_456_789 }]),
      ],
      JAN,
    );
    const END = JAN + 31 * 24 * HOUR;
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: JAN + 1, max: END - 1 }), { maxLength: 40 }), (cuts) => {
        const points = [JAN, ...cuts.sort((a, b) => a - b), END];
        let total = 0;
        for (let i = 0; i + 1 < points.length; i++) total += c.between(points[i]!, points[i + 1]!);
        expect(total).toBe(c.between(JAN, END));
      }),
      { numRuns: 300 },
    );
  });
});
