import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Instance } from '../../src/core/instance.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases.js';
import { eventually, simProvider, startTestPlane, type TestPlane } from '../support/control-plane.js';

describe.each(DIALECTS)('instances API on %s', (dialect) => {
  let tdb: TestDatabase;
  let t: TestPlane;

  beforeAll(async () => {
    tdb = await createTestDatabase(dialect);
    t = await startTestPlane(tdb, [
      simProvider('cheap', { flavors: [{ name: 'c2', vcpus: 2, memoryGiB: 4, priceUsdPerHour: '0.015' }, { name: 'c8', vcpus: 8, memoryGiB: 32, priceUsdPerHour: '0.2' }] }),
      simProvider('dear'),
    ]);
  });
  afterAll(async () => {
    await t?.close();
    await tdb?.dispose();
  });

  const post = (url: string, payload?: unknown, headers: Record<string, string> = {}) => t.app.inject({ method: 'POST', url, payload: payload as object, headers });
  const get = (url: string) => t.app.inject({ method: 'GET', url });
  const json = <T = Instance>(r: { body: string }) => JSON.parse(r.body) as T;
  const waitPhase = (id: string, phase: string) =>
    eventually(async () => {
      const i = json(await get(`/v1/instances/${id}`));
      return i.status.phase === phase ? i : null;
    }, 20_000, `${id} to be ${phase}`);

  it('creates from requirements on the cheapest matching offer, and says why', async () => {
    const r = await post('/v1/instances', { name: 'web-1', requirements: { vcpus: 2, memoryGiB: 4 }, labels: { app: 'web' } });
    expect(r.statusCode).toBe(202);
    const inst = json(r);
    expect(inst.status.phase).toBe('Pending');
    expect(inst.spec).toMatchObject({ provider: 'cheap', flavor: 'c2', managed: true });
    expect(inst.status.scheduling!.priceMicrosPerHour).toBe(15_000);
    expect(inst.status.scheduling!.reason).toMatch(/cheapest on-demand offer with at least 2 vCPU and 4 GiB/);
    // Next cheapest: the same flavor in the other region, then the other provider's.
    expect(inst.status.scheduling!.alternatives.slice(0, 2)).toEqual([
      { provider: 'cheap', region: 'r2', flavor: 'c2', priceMicrosPerHour: 15_000 },
      expect.objectContaining({ provider: 'dear', flavor: 'medium', priceMicrosPerHour: 20_000 }),
    ]);
    const running = await waitPhase(inst.id, 'Running');
    expect(running.status.externalId).toMatch(/\S/);
    expect(running.status.kind).toBe('vm');
  });

  it('takes a pinned provider flavor as given', async () => {
    const r = await post('/v1/instances', { name: 'pinned', provider: 'dear', region: 'r2', flavor: 'large' });
    expect(r.statusCode).toBe(202);
    expect(json(r).spec).toMatchObject({ provider: 'dear', region: 'r2', flavor: 'large' });
  });

  it('stops, starts, reboots and deletes', async () => {
    const inst = json(await post('/v1/instances', { name: 'cycle', provider: 'dear', flavor: 'small' }));
    await waitPhase(inst.id, 'Running');
    expect((await post(`/v1/instances/${inst.id}/stop`)).statusCode).toBe(202);
    await waitPhase(inst.id, 'Stopped');
    expect((await post(`/v1/instances/${inst.id}/start`)).statusCode).toBe(202);
    await waitPhase(inst.id, 'Running');
    expect((await post(`/v1/instances/${inst.id}/reboot`)).statusCode).toBe(202);
    await eventually(async () => json(await get(`/v1/instances/${inst.id}`)).status.observedReboots === 1, 10_000, 'reboot');
    const del = await t.app.inject({ method: 'DELETE', url: `/v1/instances/${inst.id}` });
    expect(del.statusCode).toBe(202);
    expect(json(del).status.phase).toBe('Deleting');
    await waitPhase(inst.id, 'Deleted');
    const events = json<{ items: { type: string; reason: string }[] }>(await get(`/v1/events?resourceId=${inst.id}&limit=100`)).items;
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['Created', 'PhaseChanged', 'ActionRequested', 'Rebooted', 'DeleteRequested']));
    expect(events.filter((e) => e.type === 'PhaseChanged').map((e) => e.reason)).toEqual(
      expect.arrayContaining(['Provisioning', 'Running', 'Stopped', 'Deleted']),
    );
  });

  it('lists with filters, label selectors and cursor pagination', async () => {
    for (let i = 0; i < 7; i++) {
      const r = await post('/v1/instances', { name: `sel-${i}`, provider: 'dear', flavor: 'small', labels: { app: i % 2 ? 'web' : 'db', tier: i < 3 ? 'db' : 'front', suite: 'sel' } });
      expect(r.statusCode).toBe(202);
    }
    const page = json<{ items: Instance[] }>(await get('/v1/instances?selector=' + encodeURIComponent('suite=sel,app=web,tier!=db')));
    expect(page.items.map((i) => i.name).sort()).toEqual(['sel-3', 'sel-5']);
    const names: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = '/v1/instances?limit=3&selector=suite%3Dsel' + (cursor ? `&cursor=${encodeURIComponent(cursor)}` : '');
      const p = json<{ items: Instance[]; nextCursor: string | null }>(await get(url));
      expect(p.items.length).toBeLessThanOrEqual(3);
      names.push(...p.items.map((i) => i.name));
      cursor = p.nextCursor;
    } while (cursor);
    expect(names.sort()).toEqual(Array.from({ length: 7 }, (_, i) => `sel-${i}`));
    const byProvider = json<{ items: Instance[] }>(await get('/v1/instances?provider=cheap&limit=1000'));
    expect(byProvider.items.every((i) => i.spec.provider === 'cheap')).toBe(true);
  });

  it('Idempotency-Key: a retried create returns the first answer and makes one instance', async () => {
    const body = { name: 'idem-1', provider: 'dear', flavor: 'small' };
    const a = await post('/v1/instances', body, { 'idempotency-key': 'key-123' });
    const b = await post('/v1/instances', body, { 'idempotency-key': 'key-123' });
    expect(a.statusCode).toBe(202);
    expect(b.statusCode).toBe(202);
    expect(b.headers['idempotent-replayed']).toBe('true');
    expect(json(b).id).toBe(json(a).id);
    const list = json<{ items: Instance[] }>(await get('/v1/instances?name=idem-1'));
    expect(list.items).toHaveLength(1);
    const c = await post('/v1/instances', { ...body, name: 'idem-2' }, { 'idempotency-key': 'key-123' });
    expect(c.statusCode).toBe(422);
    expect(json<{ error: { message: string } }>(c).error.message).toMatch(/already used for a different request/);
  });

  it('a stale resourceVersion on delete is a 409 and changes nothing', async () => {
    const inst = json(await post('/v1/instances', { name: 'stale', provider: 'dear', flavor: 'small' }));
    await waitPhase(inst.id, 'Running');
    const r = await t.app.inject({ method: 'DELETE', url: `/v1/instances/${inst.id}?resourceVersion=1` });
    expect(r.statusCode).toBe(409);
    expect(json<{ error: { message: string } }>(r).error.message).toMatch(/read it again/);
    expect(json(await get(`/v1/instances/${inst.id}`)).deletedAt).toBeNull();
  });

  it('a taken name is a 409', async () => {
    expect((await post('/v1/instances', { name: 'twin', provider: 'dear', flavor: 'small' })).statusCode).toBe(202);
    const r = await post('/v1/instances', { name: 'twin', provider: 'dear', flavor: 'small' });
    expect(r.statusCode).toBe(409);
    expect(json<{ error: { message: string } }>(r).error.message).toMatch(/already exists/);
  });

  it('unsatisfiable requirements are a 422 that says what to change', async () => {
    const r = await post('/v1/instances', { name: 'huge', requirements: { vcpus: 512, memoryGiB: 4096 } });
    expect(r.statusCode).toBe(422);
    expect(json<{ error: { message: string } }>(r).error.message).toMatch(/lower the requirements/);
  });

  it('serves providers, flavors, regions, images, projects, healthz and metrics', async () => {
    const providers = json<{ items: { name: string; simulated: boolean; circuit: { state: string } }[] }>(await get('/v1/providers'));
    expect(providers.items.map((p) => p.name).sort()).toEqual(['cheap', 'dear']);
    expect(providers.items.every((p) => p.simulated && p.circuit.state === 'closed')).toBe(true);
    const flavors = json<{ items: { provider: string; name: string; priceFromMicrosPerHour: number }[] }>(await get('/v1/flavors?provider=dear'));
    expect(flavors.items.map((f) => f.name)).toEqual(['small', 'medium', 'large']);
    expect(json<{ items: unknown[] }>(await get('/v1/regions')).items.length).toBe(4);
    expect(json<{ items: unknown[] }>(await get('/v1/images?provider=dear')).items.length).toBeGreaterThan(0);
    expect(json<{ items: { name: string }[] }>(await get('/v1/projects')).items.map((p) => p.name)).toContain('default');
    expect(json<{ status: string }>(await get('/healthz')).status).toBe('ok');
    const metrics = await get('/metrics');
    expect(metrics.headers['content-type']).toMatch(/text\/plain/);
    expect(metrics.body).toMatch(/tessera_http_request_duration_seconds_bucket/);
  });

  it('/openapi.json describes every route', async () => {
    const doc = json<{ openapi: string; paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, unknown> } }>(
      await get('/openapi.json'),
    );
    expect(doc.openapi).toMatch(/^3\./);
    const routes = t.app.printRoutes({ commonPrefix: false });
    for (const path of ['/v1/instances', '/v1/instances/{id}', '/v1/instances/{id}/{action}', '/v1/instances/{id}/adopt', '/v1/flavors', '/v1/images', '/v1/regions', '/v1/providers', '/v1/projects', '/v1/events', '/v1/watch', '/v1/offers', '/healthz', '/metrics']) {
      expect(doc.paths, `${path} missing from OpenAPI (routes: ${routes})`).toHaveProperty([path]);
    }
    expect(doc.paths['/v1/instances']).toHaveProperty('post');
    expect(doc.components.schemas).toHaveProperty('InstanceCreate');
  });
});
