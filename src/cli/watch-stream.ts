import type { WatchEvent } from './api-types.js';
import type { ApiClient } from './client.js';
import { sleep } from './sleep.js';
import { readServerSentEvents } from './sse.js';

export interface WatchQuery {
  kind?: string;
  id?: string;
  /** Only events with a higher sequence number: how a reconnect resumes without gaps or repeats. */
  after?: number;
}

/** An open GET /v1/watch. Iterate it for events (it ends when the server closes the stream); close() when done. */
export interface WatchConnection extends AsyncIterable<WatchEvent> {
  close(): void;
}

/** Delay before reopening a watch the server closed; long enough not to hammer a restarting server. */
const RECONNECT_DELAY_MS = 1000;

/**
 * Opens the watch and resolves once the server has accepted it, so a caller can read the current state
 * afterwards knowing that every later change will arrive as an event. Throws when it cannot be opened.
 * Iteration ends quietly when `signal` aborts.
 */
export async function openWatch(client: ApiClient, query: WatchQuery, signal: AbortSignal): Promise<WatchConnection> {
  const connection = new AbortController();
  const either = AbortSignal.any([signal, connection.signal]);
  const response = await client.openStream('/v1/watch', { kind: query.kind, id: query.id, after: query.after }, either);
  const type = response.headers.get('content-type') ?? '';
  const body = response.body;
  if (!type.includes('text/event-stream') || !body) {
    connection.abort();
    throw new Error(`the server answered GET /v1/watch with "${type || 'no content type'}", not an event stream`);
  }

  async function* events(): AsyncGenerator<WatchEvent> {
    try {
      for await (const message of readServerSentEvents(body!)) {
        const event = parseWatchEvent(message.data, message.id);
        if (event) yield event;
      }
    } catch (error) {
      if (either.aborted) return;
      throw error;
    } finally {
      connection.abort();
    }
  }

  return { [Symbol.asyncIterator]: events, close: () => connection.abort() };
}

/** Follows the watch for as long as `signal` allows, reopening it (without gaps) after the server closes it. */
export async function* followWatch(client: ApiClient, query: WatchQuery, signal: AbortSignal): AsyncGenerator<WatchEvent> {
  let after = query.after;
  while (!signal.aborted) {
    let connection: WatchConnection;
    try {
      connection = await openWatch(client, { ...query, after }, signal);
    } catch (error) {
      if (signal.aborted) return;
      throw error;
    }
    try {
      for await (const event of connection) {
        after = event.seq;
        yield event;
      }
    } finally {
      connection.close();
    }
    await sleep(RECONNECT_DELAY_MS, signal).catch(() => undefined);
  }
}

/** Messages that are not watch events (a future "hello", a malformed line) are skipped, not fatal. */
function parseWatchEvent(data: string, id: string | undefined): WatchEvent | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const event = parsed as Partial<WatchEvent>;
  const seq = typeof event.seq === 'number' ? event.seq : Number(id);
  if (!Number.isFinite(seq) || typeof event.resourceId !== 'string') return undefined;
  return { ...event, seq, resource: event.resource ?? null } as WatchEvent;
}
