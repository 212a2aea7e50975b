import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RateLimiter } from '../../src/runtime/rate-limiter.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** Fake timers advance Date.now, so it serves as the limiter's clock. */
const clock = () => Date.now();

function startAcquisitions(limiter: RateLimiter, count: number): { granted: number[] } {
  const state = { granted: [] as number[] };
  for (let i = 0; i < count; i++) {
    void limiter.acquire().then(() => state.granted.push(i));
  }
  return state;
}

describe('RateLimiter', () => {
  it('lets a full burst through at once, then refuses', () => {
    const limiter = new RateLimiter({ perSecond: 1, burst: 3, now: clock });
    expect([limiter.tryAcquire(), limiter.tryAcquire(), limiter.tryAcquire()]).toEqual([true, true, true]);
    expect(limiter.tryAcquire()).toBe(false);
    expect(limiter.snapshot()).toEqual({ perSecond: 1, burst: 3, available: 0, queued: 0 });
  });

  it('refills at the configured rate and never beyond the burst', () => {
    const limiter = new RateLimiter({ perSecond: 2, burst: 4, now: clock });
    for (let i = 0; i < 4; i++) limiter.tryAcquire();
    vi.advanceTimersByTime(1000);
    expect(limiter.snapshot().available).toBe(2);
    vi.advanceTimersByTime(60_000);
    expect(limiter.snapshot().available).toBe(4);
  });

  it('sustains 100 acquisitions per second under load', async () => {
    const limiter = new RateLimiter({ perSecond: 100, burst: 10, now: clock });
    const { granted } = startAcquisitions(limiter, 2000);
    await vi.advanceTimersByTimeAsync(0);
    expect(granted.length).toBe(10);

    await vi.advanceTimersByTimeAsync(1000);
    expect(granted.length).toBe(110);
    await vi.advanceTimersByTimeAsync(9000);
    expect(granted.length).toBe(1010);
    expect(limiter.snapshot()).toMatchObject({ available: 0, queued: 990 });
  });

  it('does not drift when the interval between tokens is not a whole millisecond', async () => {
    const limiter = new RateLimiter({ perSecond: 3, burst: 1, now: clock });
    const { granted } = startAcquisitions(limiter, 1000);
    // One millisecond past the 300th refill: timers are armed in whole milliseconds, rounded up.
    await vi.advanceTimersByTimeAsync(100_001);
    expect(granted.length).toBe(1 + 300);
  });

  it('releases little more than a burst when a stalled event loop lets its timer fire late', async () => {
    let stalledClock = 0;
    const limiter = new RateLimiter({ perSecond: 100, burst: 10, now: () => stalledClock });
    const { granted } = startAcquisitions(limiter, 1000);
    await vi.advanceTimersByTimeAsync(0);
    expect(granted.length).toBe(10);

    stalledClock += 5000;
    await vi.advanceTimersByTimeAsync(10);
    expect(granted.length).toBe(10 + 11);
  });

  it('keeps exactly one timer however many callers wait', async () => {
    const limiter = new RateLimiter({ perSecond: 10, burst: 1, now: clock });
    startAcquisitions(limiter, 500);
    await vi.advanceTimersByTimeAsync(250);
    expect(vi.getTimerCount()).toBe(1);
  });

  it('serves waiters in arrival order', async () => {
    const limiter = new RateLimiter({ perSecond: 50, burst: 2, now: clock });
    const { granted } = startAcquisitions(limiter, 20);
    await vi.advanceTimersByTimeAsync(1000);
    expect(granted).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('does not let tryAcquire jump ahead of queued callers', async () => {
    const limiter = new RateLimiter({ perSecond: 1, burst: 1, now: clock });
    await limiter.acquire();
    let queuedCallerServed = false;
    void limiter.acquire().then(() => (queuedCallerServed = true));

    await vi.advanceTimersByTimeAsync(999);
    expect(queuedCallerServed).toBe(false);
    expect(limiter.tryAcquire()).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(queuedCallerServed).toBe(true);
  });

  it('rejects an aborted waiter with the abort reason and serves the next one on time', async () => {
    const limiter = new RateLimiter({ perSecond: 1, burst: 1, now: clock });
    await limiter.acquire();
    const controller = new AbortController();
    const aborted = limiter.acquire(controller.signal);
    let nextServedAt: number | null = null;
    void limiter.acquire().then(() => (nextServedAt = Date.now()));
    const start = Date.now();

    controller.abort(new Error('request cancelled'));
    await expect(aborted).rejects.toThrow('request cancelled');
    expect(limiter.snapshot().queued).toBe(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(nextServedAt).toBe(start + 1000);
  });

  it('leaves no timer behind once every waiter has given up', async () => {
    const limiter = new RateLimiter({ perSecond: 1, burst: 1, now: clock });
    limiter.tryAcquire();
    const controller = new AbortController();
    const waiting = limiter.acquire(controller.signal);
    controller.abort();
    await expect(waiting).rejects.toThrow();
    expect(vi.getTimerCount()).toBe(0);
    expect(limiter.snapshot().queued).toBe(0);
  });

  it('rejects at once when the signal is already aborted', async () => {
    const limiter = new RateLimiter({ perSecond: 1, burst: 1, now: clock });
    await expect(limiter.acquire(AbortSignal.abort(new Error('gone')))).rejects.toThrow('gone');
    expect(limiter.snapshot().available).toBe(1);
  });

  it('never waits when unlimited', async () => {
    const limiter = new RateLimiter({ perSecond: null, burst: 1, now: clock });
    for (let i = 0; i < 10_000; i++) await limiter.acquire();
    expect(limiter.tryAcquire()).toBe(true);
    expect(limiter.snapshot()).toEqual({ perSecond: null, burst: null, available: null, queued: 0 });
  });

  it('rejects a rate or burst that cannot work', () => {
    expect(() => new RateLimiter({ perSecond: 0, burst: 1 })).toThrow(/perSecond/);
    expect(() => new RateLimiter({ perSecond: 5, burst: 0 })).toThrow(/burst/);
  });

  it('works with its default clock', async () => {
    const limiter = new RateLimiter({ perSecond: 1000, burst: 1 });
    await limiter.acquire();
    const second = limiter.acquire();
    await vi.advanceTimersByTimeAsync(1);
    await expect(second).resolves.toBeUndefined();
  });
});
