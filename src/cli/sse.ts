/**
 * A reader for `text/event-stream` (the HTML Living Standard's Server-Sent Events format). Written here rather
 * than taken from a package because the CLI needs only this: fields id/event/data, comments, blank-line dispatch.
 */

export interface SseMessage {
  /** The `id:` field of this message, if it had one. */
  id?: string;
  /** The `event:` field, `message` when absent. */
  event: string;
  data: string;
}

/** Yields each message of an event stream as it completes; heartbeat comments (`: ping`) are skipped. */
export async function* readServerSentEvents(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  let pending = '';
  let message = emptyMessage();

  function* takeLines(final: boolean): Generator<string> {
    for (;;) {
      const end = pending.search(/\r\n|\r|\n/);
      if (end < 0) break;
      // A lone "\r" at the end of a chunk may be the first half of "\r\n": wait for the next chunk.
      if (pending[end] === '\r' && end === pending.length - 1 && !final) break;
      const terminator = pending.startsWith('\r\n', end) ? 2 : 1;
      yield pending.slice(0, end);
      pending = pending.slice(end + terminator);
    }
  }

  function* process(line: string): Generator<SseMessage> {
    if (line === '') {
      if (message.dataLines.length > 0) {
        yield { id: message.id, event: message.event ?? 'message', data: message.dataLines.join('\n') };
      }
      message = emptyMessage();
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') message.dataLines.push(value);
    else if (field === 'event') message.event = value;
    else if (field === 'id' && !value.includes('\0')) message.id = value;
  }

  for await (const chunk of body) {
    pending += decoder.decode(chunk, { stream: true });
    for (const line of takeLines(false)) yield* process(line);
  }
  pending += decoder.decode();
  for (const line of takeLines(true)) yield* process(line);
  // A message not closed by a blank line before the stream ended is incomplete and, per the standard, dropped.
}

function emptyMessage(): { id?: string; event?: string; dataLines: string[] } {
  return { dataLines: [] };
}
