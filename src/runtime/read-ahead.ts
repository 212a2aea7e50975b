/**
 * Iterates `source` one item ahead: the next item is already being fetched while the consumer works on the
 * current one, so a paged listing and the writes that record each page overlap instead of taking turns.
 * Stopping early (break, throw) closes the source.
 */
export async function* readAhead<T>(source: AsyncIterable<T>): AsyncGenerator<T, void, undefined> {
  const it = source[Symbol.asyncIterator]();
  let pending = it.next();
  try {
    for (;;) {
      const current = await pending;
      if (current.done) return;
      pending = it.next();
      // Its failure surfaces at the next await; if the consumer stops first, it must not go unhandled.
      pending.catch(() => undefined);
      yield current.value;
    }
  } finally {
    await it.return?.();
  }
}
