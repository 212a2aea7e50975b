import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WorkQueue } from '../../src/runtime/work-queue.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** A promise's value if it has already settled, else 'pending' (race favours the first settled entry). */
async function peek<T>(promise: Promise<T>): Promise<T | 'pending'> {
  return Promise.race([promise, Promise.resolve('pending' as const)]);
}

describe('WorkQueue', () => {
  it('hands out keys in the order they were added, each once however often it was added', async () => {
    const queue = new WorkQueue();
    for (const key of ['a', 'b', 'a', 'c', 'b']) queue.add(key);
    expect(queue.length).toBe(3);
    expect([await queue.get(), await queue.get(), await queue.get()]).toEqual(['a', 'b', 'c']);
    expect(queue.length).toBe(0);
  });

  it('makes get() wait until a key is added', async () => {
    const queue = new WorkQueue();
    const next = queue.get();
    expect(await peek(next)).toBe('pending');
    queue.add('a');
    expect(await next).toBe('a');
  });

  it('never hands a key to two workers at once, and queues it again after done if it was re-added', async () => {
    const queue = new WorkQueue();
    queue.add('a');
    expect(await queue.get()).toBe('a');

    queue.add('a');
    queue.add('a');
    expect(queue.length).toBe(0);
    const secondWorker = queue.get();
    expect(await peek(secondWorker)).toBe('pending');

    queue.done('a');
    expect(await secondWorker).toBe('a');
    queue.done('a');
    expect(queue.length).toBe(0);
  });

  it('does not queue a key again after done unless it was re-added', async () => {
    const queue = new WorkQueue();
    queue.add('a');
    await queue.get();
    queue.done('a');
    expect(queue.length).toBe(0);
  });

  it('adds a delayed key only once its delay has passed', async () => {
    const queue = new WorkQueue();
    queue.addAfter('a', 1000);
    vi.advanceTimersByTime(999);
    expect(queue.length).toBe(0);
    vi.advanceTimersByTime(1);
    expect(queue.length).toBe(1);
    expect(await queue.get()).toBe('a');
  });

  it('adds at once when the delay is not positive', () => {
    const queue = new WorkQueue();
    queue.addAfter('a', 0);
    expect(queue.length).toBe(1);
  });

  it('keeps the sooner due time when a delayed key is added again', () => {
    const queue = new WorkQueue();
    queue.addAfter('later-made-sooner', 5000);
    queue.addAfter('later-made-sooner', 1000);
    queue.addAfter('not-postponed', 1000);
    queue.addAfter('not-postponed', 5000);
    vi.advanceTimersByTime(1000);
    expect(queue.length).toBe(2);
    vi.advanceTimersByTime(10_000);
    expect(queue.length).toBe(2);
  });

  it('keeps one timer for 10,000 delayed keys and releases them in due order', async () => {
    const queue = new WorkQueue();
    const delays = Array.from({ length: 10_000 }, (_, i) => ((i * 7919) % 10_000) + 1);
    delays.forEach((delay, i) => queue.addAfter(`key-${i}`, delay));
    expect(vi.getTimerCount()).toBe(1);

    vi.advanceTimersByTime(5_000);
    expect(queue.length).toBe(5_000);
    vi.advanceTimersByTime(5_000);
    expect(queue.length).toBe(10_000);
    expect(vi.getTimerCount()).toBe(0);

    const released: number[] = [];
    while (queue.length > 0) {
      const key = (await queue.get())!;
      released.push(delays[Number(key.slice('key-'.length))]!);
    }
    expect(released).toHaveLength(10_000);
    expect(released).toEqual([...released].sort((a, b) => a - b));
  });

  it('re-arms its timer when a sooner key arrives', () => {
    const queue = new WorkQueue();
    queue.addAfter('late', 10_000);
    queue.addAfter('early', 100);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(100);
    expect(queue.length).toBe(1);
  });

  it('on shut down releases waiting workers with null', async () => {
    const queue = new WorkQueue();
    const workers = [queue.get(), queue.get()];
    queue.shutDown();
    expect(await Promise.all(workers)).toEqual([null, null]);
  });

  it('after shut down hands out what was queued, then null, and accepts nothing new', async () => {
    const queue = new WorkQueue();
    queue.add('a');
    queue.addAfter('delayed', 1000);
    queue.shutDown();
    queue.add('b');
    expect(vi.getTimerCount()).toBe(0);
    expect(await queue.get()).toBe('a');
    expect(await queue.get()).toBeNull();
  });
});
