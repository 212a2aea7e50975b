import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, InvalidInputError } from '../../src/core/errors.js';
import { newId } from '../../src/core/ids.js';
import { parseLabelSelector } from '../../src/core/selector.js';
import type { Resource } from '../../src/core/resource.js';
import { Store } from '../../src/store/store.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases.js';

interface Spec {
  provider: string;
  region: string;
  size: number;
}
interface Status {
  phase: string;
}

const created = { type: 'Created', reason: 'Requested', message: 'created by test' };

describe.each(DIALECTS)('store on %s', (dialect) => {
  let tdb: TestDatabase;
  let store: Store;

  beforeAll(async () => {
    tdb = await createTestDatabase(dialect);
    store = await tdb.open();
  });
  afterAll(async () => {
    await store?.close();
    await tdb?.dispose();
  });

  function make(name: string, labels: Record<string, string> = {}, provider = 'aws-sim') {
    return store.create<Spec, Status>(
      { id: newId('i'), kind: 'Instance', project: 'default', name, labels, spec: { provider, region: 'r1', size: 1 }, status: { phase: 'Pending' } },
      created,
    );
  }

  it('creates with version 1 and reads it back', async () => {
    const r = await make('alpha', { app: 'web' });
    expect(r.resourceVersion).toBe(1);
    expect(r.generation).toBe(1);
    const got = await store.get<Spec, Status>('Instance', r.id);
    expect(got).toEqual(r);
  });

  it('refuses a taken name with a conflict, and allows it again once the first is deleted', async () => {
    const first = await make('dup');
    await expect(make('dup')).rejects.toBeInstanceOf(ConflictError);
    await store.update<Spec, Status>('Instance', first.id, (r) => ({ ...r, deletedAt: store.nowIso() }));
    await expect(make('dup')).resolves.toMatchObject({ name: 'dup' });
  });

  it('rejects a stale resourceVersion with 409 and leaves the row unchanged', async () => {
    const r = await make('occ');
    const v2 = await store.update<Spec, Status>('Instance', r.id, (x) => ({ ...x, spec: { ...x.spec, size: 2 } }), { expectedVersion: 1 });
    expect(v2.resourceVersion).toBe(2);
    expect(v2.generation).toBe(2);
    const stale = store.update<Spec, Status>('Instance', r.id, (x) => ({ ...x, spec: { ...x.spec, size: 99 } }), { expectedVersion: 1 });
    await expect(stale).rejects.toSatisfy((e: unknown) => e instanceof ConflictError && e.status === 409 && /read it again/.test(e.message));
    expect((await store.get<Spec, Status>('Instance', r.id))!.spec.size).toBe(2);
  });

  it('status-only writes bump resourceVersion but not generation', async () => {
    const r = await make('gen');
    const u = await store.update<Spec, Status>('Instance', r.id, (x) => ({ ...x, status: { phase: 'Running' } }));
    expect(u.generation).toBe(1);
    expect(u.resourceVersion).toBe(2);
  });

  it('concurrent controller writes without expectedVersion both land (retry on conflict)', async () => {
    const r = await make('race');
    await Promise.all(
      Array.from({ length: 10 }, () => store.update<Spec, Status>('Instance', r.id, (x) => ({ ...x, spec: { ...x.spec, size: x.spec.size + 1 } }))),
    );
    const got = await store.get<Spec, Status>('Instance', r.id);
    expect(got!.spec.size).toBe(11);
    expect(got!.resourceVersion).toBe(11);
  });

  it('a read by id sees the latest write, also when a read and a write of the same resource interleave', async () => {
    for (let i = 0; i < 40; i++) {
      const r = await make(`interleave-${i}`);
      const bump = (x: Resource<Spec, Status>) => ({ ...x, spec: { ...x.spec, size: x.spec.size + 1 } });
      // The first read misses any cache and is still reading when the write commits.
      const [before] = await Promise.all([store.get<Spec, Status>('Instance', r.id), store.update<Spec, Status>('Instance', r.id, bump)]);
      expect([1, 2]).toContain(before!.resourceVersion);
      const after = await store.get<Spec, Status>('Instance', r.id);
      expect(after!.resourceVersion).toBe(2);
      expect(after!.spec.size).toBe(2);
    }
  });

  it('a read by id after a bulk upsert sees the replaced resource', async () => {
    const r = await make('bulk-replaced', { v: 'one' });
    expect((await store.get<Spec, Status>('Instance', r.id))!.labels).toEqual({ v: 'one' });
    await store.bulkUpsert([{ ...r, labels: { v: 'two' }, spec: { ...r.spec, size: 7 } }], null);
    const got = await store.get<Spec, Status>('Instance', r.id);
    expect(got!.labels).toEqual({ v: 'two' });
    expect(got!.spec.size).toBe(7);
    expect(got!.resourceVersion).toBe(2);
  });

  it('the encoded read is exactly the resource as JSON', async () => {
    const r = await make('encoded "quoted" \\ näme ✓', { app: 'web' });
    const encoded = await store.getEncoded('Instance', r.id);
    expect(encoded!.project).toBe('default');
    expect(encoded!.json).toBe(JSON.stringify(await store.get('Instance', r.id)));
    expect(await store.getEncoded('Instance', 'i-missing')).toBeNull();
  });

  it('lists with filters, label selectors and cursor pagination', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) {
      const r = await make(`page-${i}`, { app: i % 2 ? 'web' : 'api', tier: i % 3 ? 'front' : 'db', ...(i % 5 === 0 ? { gpu: 'yes' } : {}) }, i < 20 ? 'p-list' : 'other');
      ids.push(r.id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof store.list>> = await store.list('Instance', { provider: 'p-list', limit: 7, cursor });
      expect(page.items.length).toBeLessThanOrEqual(7);
      seen.push(...page.items.map((r) => r.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.sort()).toEqual(ids.slice(0, 20).sort());

    const web = await store.list<Spec, Status>('Instance', { provider: 'p-list', selector: parseLabelSelector('app=web,tier!=db'), limit: 100 });
    const expected = Array.from({ length: 20 }, (_, i) => i).filter((i) => i % 2 === 1 && i % 3 !== 0);
    expect(web.items.map((r) => r.name).sort()).toEqual(expected.map((i) => `page-${i}`).sort());

    const gpu = await store.list('Instance', { provider: 'p-list', selector: parseLabelSelector('gpu'), limit: 100 });
    expect(gpu.items).toHaveLength(4);
    const noGpuIn = await store.list('Instance', { provider: 'p-list', selector: parseLabelSelector('!gpu,app in (api)'), limit: 100 });
    expect(noGpuIn.items.every((r) => r.labels.app === 'api' && !('gpu' in r.labels))).toBe(true);
    expect(noGpuIn.items).toHaveLength(8); // even i (api) without i % 5 === 0
  });

  it('rejects a cursor it did not issue', async () => {
    await expect(store.list('Instance', { cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('appends events in order, in the same transaction as the write', async () => {
    const before = await store.latestEventSeq();
    const r = await make('evt');
    await store.update<Spec, Status>('Instance', r.id, (x) => ({ ...x, status: { phase: 'Running' } }), {
      event: () => ({ type: 'PhaseChanged', reason: 'Observed', message: 'Running' }),
    });
    const events = await store.listEvents({ after: before, resourceId: r.id });
    expect(events.map((e) => e.type)).toEqual(['Created', 'PhaseChanged']);
    expect(events[1]!.seq).toBeGreaterThan(events[0]!.seq);
    expect(events[1]!.resourceVersion).toBe(2);
  });

  it('a reader polling the log with ?after= sees every event while many writers commit at once', async () => {
    const targets = await Promise.all(Array.from({ length: 8 }, (_, k) => make(`order-${k}`)));
    const start = await store.latestEventSeq();
    let writing = true;
    const seen: number[] = [];
    const reader = (async () => {
      let last = start;
      for (;;) {
        const done = !writing; // one more read after the writers stop
        for (const e of await store.listEvents({ after: last, limit: 1000 })) {
          seen.push(e.seq);
          last = e.seq;
        }
        if (done) return;
      }
    })();
    await Promise.all(
      targets.map(async (r) => {
        for (let i = 0; i < 25; i++) {
          await store.update<Spec, Status>('Instance', r.id, (x) => ({ ...x, spec: { ...x.spec, size: x.spec.size + 1 } }), {
            event: () => ({ type: 'Bumped', reason: 'Test', message: String(i) }),
          });
        }
      }),
    );
    writing = false;
    await reader;
    const all = (await store.listEvents({ after: start, limit: 1000 })).map((e) => e.seq);
    expect(all).toHaveLength(200);
    expect(seen).toEqual(all); // nothing skipped, nothing twice, in order
  });

  it('work claims are exclusive until released or expired', async () => {
    const r = await make('work');
    await store.enqueue('Instance', [r.id], Date.now() - 1);
    const a = await store.claimWork('Instance', 'holder-a', 1000, 60_000);
    expect(a.map((w) => w.resourceId)).toContain(r.id);
    const b = await store.claimWork('Instance', 'holder-b', 1000, 60_000);
    expect(b.map((w) => w.resourceId)).not.toContain(r.id);
    await store.releaseWork('holder-a');
    const c = await store.claimWork('Instance', 'holder-c', 1000, 1);
    expect(c.map((w) => w.resourceId)).toContain(r.id);
    await new Promise((res) => setTimeout(res, 10));
    // holder-c's lease expired: another process may take the item over.
    const d = await store.claimWork('Instance', 'holder-d', 1000, 60_000);
    expect(d.map((w) => w.resourceId)).toContain(r.id);
    const claimOf = (list: typeof d) => list.find((w) => w.resourceId === r.id)!;
    await store.finishWork(claimOf(c), 'holder-c', null); // not the holder any more: no effect
    expect((await store.claimWork('Instance', 'holder-e', 1000, 60_000)).map((w) => w.resourceId)).not.toContain(r.id);
    await store.finishWork(claimOf(d), 'holder-d', null);
    await store.releaseWork('holder-e');
    expect((await store.claimWork('Instance', 'holder-f', 1000, 60_000)).map((w) => w.resourceId)).not.toContain(r.id);
  });

  it('a request enqueued while an item is being worked on survives the end of that claim', async () => {
    const r = await make('requeue');
    await store.enqueue('Instance', [r.id], Date.now() - 1);
    const [claim] = (await store.claimWork('Instance', 'rq', 1000, 60_000)).filter((w) => w.resourceId === r.id);
    await store.enqueue('Instance', [r.id], Date.now() - 1); // e.g. a delete arrives mid-reconcile
    await store.finishWork(claim!, 'rq', null);
    const again = await store.claimWork('Instance', 'rq2', 1000, 60_000);
    expect(again.map((w) => w.resourceId)).toContain(r.id);
    await store.finishWork(again.find((w) => w.resourceId === r.id)!, 'rq2', null);
    expect((await store.claimWork('Instance', 'rq3', 1000, 60_000)).map((w) => w.resourceId)).not.toContain(r.id);
  });

  it('enqueueMissing adds absent items but leaves a scheduled retry where it is', async () => {
    const a = await make('missing-a');
    const b = await make('missing-b');
    await store.enqueue('Instance', [a.id], Date.now() + 60_000); // a retry, backing off
    await store.enqueueMissing('Instance', [a.id, b.id], Date.now() - 1);
    const claimed = (await store.claimWork('Instance', 'em', 1000, 60_000)).map((w) => w.resourceId);
    expect(claimed).toContain(b.id);
    expect(claimed).not.toContain(a.id);
    await store.releaseWork('em');
  });

  it('parallel claimers on one queue never share an item', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 60; i++) ids.push((await make(`claim-${i}`, {}, 'claim-p')).id);
    await store.enqueue('Instance', ids, Date.now() - 1);
    const claims = await Promise.all(Array.from({ length: 6 }, (_, k) => store.claimWork('Instance', `h${k}`, 15, 60_000)));
    const all = claims.flat().map((w) => w.resourceId).filter((id) => ids.includes(id));
    expect(new Set(all).size).toBe(all.length);
    for (let k = 0; k < 6; k++) await store.releaseWork(`h${k}`);
  });

  it('named leases: one holder at a time, taken over after expiry', async () => {
    expect(await store.tryLease('discovery/x', 'a', 50)).toBe(true);
    expect(await store.tryLease('discovery/x', 'b', 50)).toBe(false);
    expect(await store.tryLease('discovery/x', 'a', 50)).toBe(true);
    await new Promise((res) => setTimeout(res, 70));
    expect(await store.tryLease('discovery/x', 'b', 50)).toBe(true);
  });

  it('bulk upsert inserts and replaces with labels', async () => {
    const at = store.nowIso();
    const rows = Array.from({ length: 1200 }, (_, i) => ({
      id: `i-bulk${String(i).padStart(8, '0')}`,
      kind: 'Instance',
      project: 'default',
      name: `bulk-${i}`,
      labels: { batch: 'one' },
      spec: { provider: 'bulk-p', region: 'r', size: i },
      status: { phase: 'Running' },
      generation: 1,
      resourceVersion: 1,
      createdAt: at,
      updatedAt: at,
      deletedAt: null,
    }));
    await store.bulkUpsert(rows, null);
    expect(await store.count('Instance', { provider: 'bulk-p' })).toBe(1200);
    await store.bulkUpsert(rows.slice(0, 10).map((r) => ({ ...r, labels: { batch: 'two' }, resourceVersion: 2 })), null);
    const two = await store.list('Instance', { provider: 'bulk-p', selector: parseLabelSelector('batch=two'), limit: 100 });
    expect(two.items).toHaveLength(10);
    expect(await store.count('Instance', { provider: 'bulk-p' })).toBe(1200);
  });

  it('idempotency records older than the retention are pruned, newer ones kept', async () => {
    const scope = 'POST /v1/prune';
    expect(await store.claimIdempotent(scope, 'old', 'h')).toEqual({ state: 'new' });
    await store.completeIdempotent(scope, 'old', 202, '{}');
    await store.pruneIdempotent(new Date(Date.now() + 1000)); // everything so far is "old"
    expect(await store.claimIdempotent(scope, 'old', 'other')).toEqual({ state: 'new' }); // gone: the key is free again
    await store.pruneIdempotent(new Date(Date.now() - 60_000));
    expect(await store.claimIdempotent(scope, 'old', 'other')).toEqual({ state: 'in-progress' }); // recent: kept
  });

  it('idempotency keys: reserve, complete, replay; a different request under the same key is refused', async () => {
    const scope = 'POST /v1/instances';
    expect(await store.claimIdempotent(scope, 'k1', 'h1')).toEqual({ state: 'new' });
    expect(await store.claimIdempotent(scope, 'k1', 'h1')).toEqual({ state: 'in-progress' });
    await store.completeIdempotent(scope, 'k1', 202, '{"a":1}');
    expect(await store.claimIdempotent(scope, 'k1', 'h1')).toEqual({ state: 'replay', statusCode: 202, body: '{"a":1}' });
    expect(await store.claimIdempotent(scope, 'k1', 'h2')).toEqual({ state: 'mismatch' });
    expect(await store.claimIdempotent(scope, 'k2', 'h1')).toEqual({ state: 'new' });
    await store.abandonIdempotent(scope, 'k2');
    expect(await store.claimIdempotent(scope, 'k2', 'h1')).toEqual({ state: 'new' });
  });
});

describe('embedded SQLite store', () => {
  it('is held by one server at a time: a second one on the same file is refused with the reason', async () => {
    const tdb = await createTestDatabase('sqlite');
    const first = await tdb.open();
    try {
      await expect(Store.open(tdb.options)).rejects.toThrow(/in use by another Tessera server.*--data-dir.*PostgreSQL/);
      // The first is unaffected, and once it closes the file can be opened again.
      expect(await first.count('Instance')).toBe(0);
      await first.close();
      const again = await tdb.open();
      await again.close();
    } finally {
      await first.close().catch(() => {});
      await tdb.dispose();
    }
  }, 20_000);
});

describe('PostgreSQL store', () => {
  it('a bulk write that doubles the resources refreshes the planner statistics at once', async () => {
    const tdb = await createTestDatabase('postgres');
    const store = await tdb.open();
    try {
      const at = store.nowIso();
      const rows = Array.from({ length: 2500 }, (_, i) => ({
        id: `i-stats${String(i).padStart(8, '0')}`,
        kind: 'Instance',
        project: 'default',
        name: `stats-${i}`,
        labels: {},
        spec: { provider: 'stats-p', region: 'r', size: i },
        status: { phase: 'Running' },
        generation: 1,
        resourceVersion: 1,
        createdAt: at,
        updatedAt: at,
        deletedAt: null,
      }));
      await store.bulkUpsert(rows, null);
      const { rows: stats } = await sql<{ reltuples: number }>`select reltuples from pg_class where oid = 'resources'::regclass`.execute(store.db);
      // Without the refresh PostgreSQL still believes the table is empty (reltuples -1 or 0) until autovacuum runs.
      expect(Number(stats[0]!.reltuples)).toBeGreaterThanOrEqual(2500);
    } finally {
      await store.close();
      await tdb.dispose();
    }
  });
});
