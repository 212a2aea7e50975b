import fc from 'fast-check';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { nanosToMillis, type LongBits } from '../../../src/metering/otlp/otlp-messages.js';

/** A fixed64 as protobufjs decodes it: its Long, as the decoder hands it over. */
const Fixed = new protobuf.Type('Fixed').add(new protobuf.Field('v', 1, 'fixed64'));
const fixed64 = (n: bigint) => (Fixed.decode(Fixed.encode({ v: n.toString() }).finish()) as unknown as { v: LongBits }).v;

describe('OTLP timestamps', () => {
  it('turns a fixed64 of nanoseconds into the exact millisecond, on a boundary too (a double would not)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 63n }), fc.constantFrom(0n, 1n, 999_999n), (ms, ns) => {
        const nanos = (ms % 2n ** 43n) * 1_000_000n + ns;
        expect(nanosToMillis(fixed64(nanos))).toBe(Number(nanos / 1_000_000n));
      }),
      { numRuns: 2_000 },
    );
    // The case that shows why: 2026-11-27T05:00:00.002Z in nanoseconds, through a double, lands in the millisecond before.
    const onBoundary = 1_795_755_600_002_000_000n;
    expect(Math.floor(Number(onBoundary) / 1e6)).toBe(1_795_755_600_001);
    expect(nanosToMillis(fixed64(onBoundary))).toBe(1_795_755_600_002);
  });
});
