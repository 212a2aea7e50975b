import { describe, expect, it } from 'vitest';
import { readAhead } from '../../src/runtime/read-ahead.js';

/** A paged source that records when each page is fetched and whether it was closed. */
function pagedSource(pages: number, opts: { failAt?: number } = {}) {
  const log: string[] = [];
  async function* source() {
    try {
      for (let i = 0; i < pages; i++) {
        log.push(`fetch ${i}`);
        await new Promise((r) => setTimeout(r, 1));
        if (i === opts.failAt) throw new Error(`page ${i} failed`);
        yield i;
      }
    } finally {
      log.push('closed');
    }
  }
  return { log, source: source() };
}

describe('readAhead', () => {
  it('yields every item in order, fetching the next one before the consumer is done with the current', async () => {
    const { log, source } = pagedSource(3);
    const seen: number[] = [];
    for await (const page of readAhead(source)) {
      log.push(`consume ${page}`);
      seen.push(page);
    }
    expect(seen).toEqual([0, 1, 2]);
    expect(log.indexOf('fetch 1')).toBeLessThan(log.indexOf('consume 0'));
    expect(log.indexOf('fetch 2')).toBeLessThan(log.indexOf('consume 1'));
    expect(log.filter((l) => l === 'closed')).toHaveLength(1);
  });

  it('closes the source when the consumer stops early', async () => {
    const { log, source } = pagedSource(10);
    for await (const page of readAhead(source)) if (page === 1) break;
    expect(log).toContain('closed');
    expect(log.filter((l) => l.startsWith('fetch')).length).toBeLessThanOrEqual(3);
  });

  it('passes a failed fetch on to the consumer, after the items before it', async () => {
    const { source } = pagedSource(5, { failAt: 2 });
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const page of readAhead(source)) seen.push(page);
      })(),
    ).rejects.toThrow('page 2 failed');
    expect(seen).toEqual([0, 1]);
  });
});
