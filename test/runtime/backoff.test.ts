import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../src/runtime/backoff.js';

const options = { baseMs: 100, maxMs: 10_000 };

describe('backoffDelay', () => {
  it('doubles the ceiling with each attempt', () => {
    const atCeiling = () => 1;
    expect(backoffDelay(0, { ...options, random: atCeiling })).toBe(100);
    expect(backoffDelay(1, { ...options, random: atCeiling })).toBe(200);
    expect(backoffDelay(4, { ...options, random: atCeiling })).toBe(1600);
  });

  it('caps the ceiling at maxMs, even when 2^attempt overflows', () => {
    expect(backoffDelay(10, { ...options, random: () => 1 })).toBe(10_000);
    expect(backoffDelay(5000, { ...options, random: () => 1 })).toBe(10_000);
  });

  it('spreads delays over the whole range from zero to the ceiling (full jitter)', () => {
    expect(backoffDelay(3, { ...options, random: () => 0 })).toBe(0);
    expect(backoffDelay(3, { ...options, random: () => 0.5 })).toBe(400);

    const delays = Array.from({ length: 2000 }, () => backoffDelay(3, options));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...delays)).toBeLessThanOrEqual(800);
    expect(delays.filter((d) => d < 400).length).toBeGreaterThan(800);
    expect(delays.filter((d) => d >= 400).length).toBeGreaterThan(800);
  });

  it("waits at least as long as the provider's Retry-After", () => {
    expect(backoffDelay(0, { ...options, retryAfterSeconds: 30, random: () => 1 })).toBe(30_000);
  });

  it('keeps the jittered delay when it is longer than Retry-After', () => {
    expect(backoffDelay(6, { ...options, retryAfterSeconds: 1, random: () => 0.5 })).toBe(3200);
  });

  it('rejects a negative or fractional attempt', () => {
    expect(() => backoffDelay(-1, options)).toThrow(RangeError);
    expect(() => backoffDelay(1.5, options)).toThrow(/whole number/);
  });
});
