import { describe, expect, it } from 'vitest';
import { readServerSentEvents, type SseMessage } from '../../src/cli/sse.js';

async function read(chunks: string[]): Promise<SseMessage[]> {
  async function* bytes() {
    for (const chunk of chunks) yield new TextEncoder().encode(chunk);
  }
  const messages: SseMessage[] = [];
  for await (const message of readServerSentEvents(bytes())) messages.push(message);
  return messages;
}

describe('readServerSentEvents', () => {
  it('reads id, event and data, and skips heartbeat comments', async () => {
    expect(await read([': ping\n\nid: 7\nevent: Updated\ndata: {"seq":7}\n\n'])).toEqual([{ id: '7', event: 'Updated', data: '{"seq":7}' }]);
  });

  it('joins data lines and defaults the event type to "message"', async () => {
    expect(await read(['data: a\ndata:b\n\n'])).toEqual([{ id: undefined, event: 'message', data: 'a\nb' }]);
  });

  it('handles messages, lines and CRLF split across chunks', async () => {
    expect(await read(['id: 1\r', '\nevent: Up', 'dated\r\ndata: {"a"', ':1}\r\n', '\r\n', 'data: x\n', '\n'])).toEqual([
      { id: '1', event: 'Updated', data: '{"a":1}' },
      { id: undefined, event: 'message', data: 'x' },
    ]);
  });

  it('drops a message the stream ended in the middle of', async () => {
    expect(await read(['data: complete\n\ndata: cut off'])).toEqual([{ id: undefined, event: 'message', data: 'complete' }]);
  });

  it('ignores messages without data', async () => {
    expect(await read(['event: Nothing\n\n'])).toEqual([]);
  });
});
