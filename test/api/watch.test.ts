import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/fixtures-cli.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases.js';
import { simProvider, startTestPlane, TEST_ADMIN_TOKEN, type TestPlane } from '../support/control-plane.js';

const AUTH = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

interface WatchMessage {
  id: number;
  event: string;
  data: { seq: number; type: string; reason: string; resourceId: string; resource: { status: { phase: string } } | null };
}

/** Reads Server-Sent Events from a live stream until `until` says stop (or the time runs out). */
async function readEvents(url: string, headers: Record<string, string>, until: (m: WatchMessage[]) => boolean, timeoutMs = 15_000): Promise<WatchMessage[]> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  const res = await fetch(url, { headers: { ...AUTH, ...headers }, signal: ac.signal });
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const messages: WatchMessage[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for await (const chunk of res.body!) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const field = (name: string) => block.split('\n').find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2);
        if (field('data') === undefined) continue; // a comment (": ping")
        messages.push({ id: Number(field('id')), event: field('event')!, data: JSON.parse(field('data')!) });
      }
      if (until(messages)) break;
    }
  } catch (e) {
    if (!ac.signal.aborted) throw e;
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
  return messages;
}

describe.each(DIALECTS)('watch (SSE) on %s', (dialect) => {
  let tdb: TestDatabase;
  let t: TestPlane;
  let url: string;

  beforeAll(async () => {
    tdb = await createTestDatabase(dialect);
    t = await startTestPlane(tdb, [simProvider('ws', { provisionSeconds: 0.3 })]);
    url = await t.anonymous.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await t?.close();
    await tdb?.dispose();
  });

  it('streams each event of a new instance as it happens, with the resource, and resumes from Last-Event-ID', async () => {
    const from = await t.cp.store.latestEventSeq();
    const create = fetch(`${url}/v1/instances`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'watched', provider: 'ws', flavor: 'small' }),
    });
    const running = (m: WatchMessage[]) => m.some((x) => x.event === 'PhaseChanged' && x.data.reason === 'Running');
    const live = await readEvents(`${url}/v1/watch?kind=Instance&after=${from}`, {}, running);
    expect((await create).status).toBe(202);
    expect(live.map((m) => m.event)).toEqual(['Created', 'PhaseChanged', 'PhaseChanged']);
    expect(live.map((m) => m.data.reason)).toEqual(['Requested', 'Provisioning', 'Running']);
    expect(live.every((m, i) => m.id === m.data.seq && (i === 0 || m.id > live[i - 1]!.id))).toBe(true);
    expect(live.at(-1)!.data.resource!.status.phase).toBe('Running');

    // A client that reconnects with the last id it saw gets what came after it, nothing twice.
    const resumed = await readEvents(`${url}/v1/watch?kind=Instance`, { 'last-event-id': String(live[0]!.id) }, (m) => m.length >= 2);
    expect(resumed.map((m) => m.id)).toEqual([live[1]!.id, live[2]!.id]);
  });

  it('`tessera instance create --wait` follows the real stream to Running', async () => {
    const run = await runCli(['instance', 'create', 'waited', '--provider', 'ws', '--flavor', 'small', '--wait', '-o', 'json'], { url });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ name: 'waited', status: { phase: 'Running' } });
  });
});
