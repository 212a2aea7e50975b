/**
 * `Driver.list` hands out machines in pages of the size the caller asked for, whatever size the provider's own
 * pages have (EC2's 5–1000, a Docker host's whole container list, a GCE zone's scope): this cuts them to size.
 */
export async function* regroup<T>(batches: AsyncIterable<readonly T[]>, pageSize: number, signal?: AbortSignal): AsyncGenerator<T[]> {
  let page: T[] = [];
  for await (const batch of batches) {
    for (const item of batch) {
      page.push(item);
      if (page.length === pageSize) {
        yield page;
        page = [];
      }
    }
    signal?.throwIfAborted();
  }
  if (page.length > 0) yield page;
}

/** The page size a caller asked for, or `fallback`; anything but a positive integer is the caller's mistake. */
export function pageSizeOf(asked: number | undefined, fallback: number, invalid: (message: string) => Error): number {
  const size = asked ?? fallback;
  if (!Number.isInteger(size) || size < 1) throw invalid(`pageSize must be a positive integer, got ${size}`);
  return size;
}
