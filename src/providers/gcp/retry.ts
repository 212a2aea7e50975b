import type { ProviderError } from '../driver.js';
import { classifyApiError, type CallContext } from './errors.js';

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * Runs one API call, again after a retryable failure (throttling, 5xx, a connection that broke), with exponential
 * backoff and full jitter, waiting at least what the API asked for (Retry-After) when that fits under `maxDelayMs`.
 * Only calls that are safe to repeat go through here: reads, and writes that carry a requestId, which GCE
 * de-duplicates. The SDK's own retry does not cover these over REST (it retries gRPC status codes, which an HTTP
 * failure of the REST transport does not carry). The last failure is thrown, classified.
 */
export async function withRetries<T>(policy: RetryPolicy, ctx: CallContext, call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    let error: ProviderError;
    try {
      return await call();
    } catch (e) {
      error = classifyApiError(e, ctx);
    }
    if (error.errorClass !== 'Retryable' || attempt >= policy.maxAttempts) throw error;
    await sleep(delayBefore(attempt, policy, error.retryAfterSeconds));
  }
}

export function delayBefore(attempt: number, policy: RetryPolicy, retryAfterSeconds: number | undefined): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  const jittered = Math.random() * ceiling;
  const asked = retryAfterSeconds === undefined ? 0 : Math.min(policy.maxDelayMs, retryAfterSeconds * 1000);
  return Math.max(jittered, asked);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Walks one of the SDK's paged async iterables, retrying a page that failed. The SDK's iterator keeps the request
 * of the page it could not fetch, so asking it for the next item again re-sends that page's request (same page
 * token): nothing already yielded is repeated.
 */
export async function* retryingPages<T>(policy: RetryPolicy, ctx: CallContext, iterable: AsyncIterable<T>): AsyncGenerator<T> {
  const iterator = iterable[Symbol.asyncIterator]();
  for (;;) {
    const next = await withRetries(policy, ctx, () => iterator.next());
    if (next.done) return;
    yield next.value;
  }
}
