import { Writable } from 'node:stream';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/runtime/logger.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases.js';
import { signedIn, simProvider, startTestPlane, type TestPlane } from '../support/control-plane.js';

interface Created {
  id: string;
  secret?: string;
}

/**
 * Projects and roles, API tokens and the audit log, through the HTTP API: `alpha` and `beta` projects, a
 * viewer and an operator of `alpha` (service accounts, so no IdP is needed here), and the organisation admin.
 */
describe.each(DIALECTS)('access control on %s', (dialect) => {
  let tdb: TestDatabase;
  let t: TestPlane;
  let logged = '';
  const tokens: Record<'viewer' | 'operator' | 'betaAdmin', string> = { viewer: '', operator: '', betaAdmin: '' };
  const instances: Record<'alpha' | 'beta', string> = { alpha: '', beta: '' };
  const owned: { deployment?: string; cluster?: string } = {};

  const as = (who: keyof typeof tokens) => signedIn(t.anonymous, tokens[who]);

  async function ok<T>(res: { statusCode: number; body: string }, status = 200): Promise<T> {
    expect(res.statusCode, res.body).toBe(status);
    return JSON.parse(res.body) as T;
  }

  async function principalWithToken(name: string, project: string, role: string): Promise<string> {
    await ok(await t.app.inject({ method: 'POST', url: '/v1/service-accounts', payload: { name } }), 201);
    await ok(await t.app.inject({ method: 'PUT', url: `/v1/projects/${project}/members/${name}`, payload: { role } }));
    const token = await ok<Created>(await t.app.inject({ method: 'POST', url: '/v1/tokens', payload: { name: `${name}-cli`, principal: name } }), 201);
    return token.secret!;
  }

  beforeAll(async () => {
    tdb = await createTestDatabase(dialect);
    const sink = new Writable({
      write(chunk, _enc, cb) {
        logged += String(chunk);
        cb();
      },
    });
    // With a cost model, so that GET /v1/cost/models/{provider} has one to show a viewer.
    const costModel = {
      servers: [{ count: 1, vcpus: 8, memoryGiB: 32, capexUsd: 5000, amortisationYears: 4, powerWatts: 200 }],
      electricityUsdPerKwh: 0.1,
      pue: 1.4,
      space: { usdPerRackMonth: 1000, serversPerRack: 10 },
      networkUsdPerServerMonth: 20,
      support: { percentOfCapexPerYear: 8 },
      people: { usdPerEngineerYear: 120000, serversPerEngineer: 150 },
      targetUtilisation: 0.7,
    };
    t = await startTestPlane(tdb, [simProvider('acl', {}, { costModel })], { logger: createLogger({ level: 'trace', destination: sink }), background: false });
    for (const name of ['alpha', 'beta']) await ok(await t.app.inject({ method: 'POST', url: '/v1/projects', payload: { name } }), 201);
    tokens.viewer = await principalWithToken('viewer-sa', 'alpha', 'viewer');
    tokens.operator = await principalWithToken('operator-sa', 'alpha', 'operator');
    tokens.betaAdmin = await principalWithToken('beta-admin-sa', 'beta', 'admin');
    for (const project of ['alpha', 'beta'] as const) {
      const created = await ok<Created>(
        await t.app.inject({ method: 'POST', url: '/v1/instances', payload: { name: `in-${project}`, project, provider: 'acl', flavor: 'small' } }),
        202,
      );
      instances[project] = created.id;
    }
    // A deployment and a cluster named like everything else the walk below reads by name ("acl").
    const deployment = { kind: 'Deployment', metadata: { name: 'acl', project: 'alpha' }, spec: { replicas: 1, template: { flavor: 'small' } } };
    owned.deployment = (await ok<{ deployment: Created }>(await t.app.inject({ method: 'PUT', url: '/v1/projects/alpha/deployments/acl', payload: deployment }), 201)).deployment.id;
    const cluster = { kind: 'Cluster', metadata: { name: 'acl', project: 'alpha' }, spec: { controlPlane: { replicas: 1, template: { requirements: { vcpus: 2, memoryGiB: 4 } } }, workerPools: [] } };
    owned.cluster = (await ok<{ cluster: Created }>(await t.app.inject({ method: 'PUT', url: '/v1/projects/alpha/clusters/acl', payload: cluster }), 201)).cluster.id;
  });
  afterAll(async () => {
    await t?.close();
    await tdb?.dispose();
  });

  it('without credentials every /v1 route answers 401 with what to do; health, metrics and the API description stay open', async () => {
    const none = await t.anonymous.inject({ method: 'GET', url: '/v1/instances' });
    expect(none.statusCode).toBe(401);
    expect(JSON.parse(none.body).error.message).toMatch(/Authorization: Bearer/);
    const wrong = await t.anonymous.inject({ method: 'GET', url: '/v1/instances', headers: { authorization: 'Basic YWxhZGRpbjpvcGVu' } });
    expect(wrong.statusCode).toBe(401);
    const unknown = await t.anonymous.inject({ method: 'GET', url: '/v1/instances', headers: { authorization: `Bearer tsr_${'x'.repeat(43)}` } });
    expect(unknown.statusCode).toBe(401);
    expect(JSON.parse(unknown.body).error.message).toMatch(/unknown, expired or revoked/);
    for (const url of ['/healthz', '/metrics', '/openapi.json']) expect((await t.anonymous.inject({ method: 'GET', url })).statusCode, url).toBe(200);
  });

  it('walks every route of /openapi.json: 401 without credentials; a viewer can read but never change anything', async () => {
    const doc = JSON.parse((await t.anonymous.inject({ method: 'GET', url: '/openapi.json' })).body) as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => ({ path, method: method.toUpperCase() })));
    const v1 = routes.filter((r) => r.path.startsWith('/v1/'));
    expect(v1.length).toBeGreaterThanOrEqual(20);
    const fill = (path: string) =>
      path
        .replace('{id}', path.startsWith('/v1/tokens') ? 't-0000000000000000' : path.startsWith('/v1/deployments') ? owned.deployment! : path.startsWith('/v1/clusters') ? owned.cluster! : instances.alpha)
        .replace('{action}', 'stop')
        .replace('{name}', 'acl')
        .replace('{project}', 'alpha')
        .replace('{principal}', 'viewer-sa')
        .replace('{provider}', 'acl');
    for (const r of v1) {
      const url = fill(r.path) + (r.path === '/v1/watch' ? '?after=0' : '');
      const payload = r.method === 'GET' || r.method === 'DELETE' ? undefined : {};
      const anonymous = await t.anonymous.inject({ method: r.method as 'GET', url, payload });
      expect(anonymous.statusCode, `${r.method} ${url} without credentials`).toBe(401);
      if (r.path === '/v1/watch') continue; // a stream: its access is checked above and in the watch tests
      const viewer = await as('viewer').inject({ method: r.method as 'GET', url, payload });
      if (r.method === 'GET') {
        expect([200, 403], `${r.method} ${url} as a viewer: ${viewer.body}`).toContain(viewer.statusCode);
      } else {
        // Refused for the role (403), or for the empty body of the few routes a viewer may use on itself
        // (its own tokens): never done, never a server error.
        expect([400, 403, 404], `${r.method} ${url} as a viewer: ${viewer.body}`).toContain(viewer.statusCode);
      }
    }
  });

  it('a viewer lists its project only, cannot create (403 naming the role) and gets 404 for another project’s instance', async () => {
    const list = await ok<{ items: { id: string; project: string }[] }>(await as('viewer').inject({ method: 'GET', url: '/v1/instances' }));
    expect(list.items.map((i) => i.project)).toEqual(['alpha']);
    expect((await ok<{ items: unknown[] }>(await as('viewer').inject({ method: 'GET', url: '/v1/instances?project=beta' }))).items).toEqual([]);
    const create = await as('viewer').inject({ method: 'POST', url: '/v1/instances', payload: { name: 'nope', project: 'alpha', provider: 'acl', flavor: 'small' } });
    expect(create.statusCode).toBe(403);
    expect(JSON.parse(create.body).error.message).toMatch(/needs the operator role/);
    expect((await as('viewer').inject({ method: 'GET', url: `/v1/instances/${instances.alpha}` })).statusCode).toBe(200);
    const hidden = await as('viewer').inject({ method: 'GET', url: `/v1/instances/${instances.beta}` });
    expect(hidden.statusCode).toBe(404);
    expect(hidden.body).not.toContain('beta');
    // Also once the row is in memory (the admin just read it), which answers without asking the store.
    expect((await t.app.inject({ method: 'GET', url: `/v1/instances/${instances.beta}` })).statusCode).toBe(200);
    const stillHidden = await as('viewer').inject({ method: 'GET', url: `/v1/instances/${instances.beta}` });
    expect(stillHidden.statusCode).toBe(404);
    expect(stillHidden.body).not.toContain('beta');
    const projects = await ok<{ items: { name: string }[] }>(await as('viewer').inject({ method: 'GET', url: '/v1/projects' }));
    expect(projects.items.map((p) => p.name)).toEqual(['alpha']);
    const events = await ok<{ items: { project: string }[] }>(await as('viewer').inject({ method: 'GET', url: '/v1/events?limit=1000' }));
    expect(new Set(events.items.map((e) => e.project))).toEqual(new Set(['alpha']));
  });

  it('an operator acts in its project only: another project’s instance and project are 404, never 403', async () => {
    const created = await as('operator').inject({ method: 'POST', url: '/v1/instances', payload: { name: 'op-made', project: 'alpha', provider: 'acl', flavor: 'small' } });
    expect(created.statusCode, created.body).toBe(202);
    expect((await as('operator').inject({ method: 'POST', url: `/v1/instances/${instances.alpha}/stop` })).statusCode).toBe(202);
    expect((await as('operator').inject({ method: 'DELETE', url: `/v1/instances/${instances.beta}` })).statusCode).toBe(404);
    expect((await as('operator').inject({ method: 'POST', url: `/v1/instances/${instances.beta}/stop` })).statusCode).toBe(404);
    const elsewhere = await as('operator').inject({ method: 'POST', url: '/v1/instances', payload: { name: 'x', project: 'beta', provider: 'acl', flavor: 'small' } });
    expect(elsewhere.statusCode).toBe(404);
    // Members are managed by project admins.
    expect((await as('operator').inject({ method: 'PUT', url: '/v1/projects/alpha/members/viewer-sa', payload: { role: 'admin' } })).statusCode).toBe(403);
  });

  it('a token scoped to a project and a role carries no more: read-only in alpha, nothing in beta', async () => {
    const scoped = await ok<Created>(
      await t.app.inject({ method: 'POST', url: '/v1/tokens', payload: { name: 'ci-read', scopes: [{ project: 'alpha', role: 'viewer' }], expiresInDays: 1 } }),
      201,
    );
    const client = signedIn(t.anonymous, scoped.secret!);
    expect((await client.inject({ method: 'GET', url: `/v1/instances/${instances.alpha}` })).statusCode).toBe(200);
    expect((await client.inject({ method: 'GET', url: `/v1/instances/${instances.beta}` })).statusCode).toBe(404);
    expect((await client.inject({ method: 'POST', url: `/v1/instances/${instances.alpha}/start` })).statusCode).toBe(403);
    expect((await client.inject({ method: 'POST', url: '/v1/projects', payload: { name: 'gamma' } })).statusCode).toBe(403);
    // And nobody mints a token with more than they hold.
    const grab = await as('operator').inject({ method: 'POST', url: '/v1/tokens', payload: { name: 'grab', scopes: [{ project: 'alpha', role: 'admin' }] } });
    expect(grab.statusCode).toBe(403);
  });

  it('a revoked or expired token gets 401; revocation takes effect at once', async () => {
    const a = await ok<Created>(await t.app.inject({ method: 'POST', url: '/v1/tokens', payload: { name: 'short-lived' } }), 201);
    const client = signedIn(t.anonymous, a.secret!);
    expect((await client.inject({ method: 'GET', url: '/v1/whoami' })).statusCode).toBe(200);
    const revoked = await ok<{ revokedAt: string | null }>(await t.app.inject({ method: 'DELETE', url: `/v1/tokens/${a.id}` }));
    expect(revoked.revokedAt).not.toBeNull();
    expect((await client.inject({ method: 'GET', url: '/v1/whoami' })).statusCode).toBe(401);

    const b = await ok<Created>(await t.app.inject({ method: 'POST', url: '/v1/tokens', payload: { name: 'expiring', expiresInDays: 1 } }), 201);
    // Time moves on (the row's expiry set in the past, as the clock would): the next look at the store refuses it.
    await t.cp.store.db.updateTable('api_tokens').set({ expires_at: '2000-01-01T00:00:00.000Z' }).where('id', '=', b.id).execute();
    t.cp.identity.tokens.forgetResolved();
    expect((await signedIn(t.anonymous, b.secret!).inject({ method: 'GET', url: '/v1/whoami' })).statusCode).toBe(401);
    // Someone else's token is not found for a non-admin.
    expect((await as('viewer').inject({ method: 'DELETE', url: `/v1/tokens/${b.id}` })).statusCode).toBe(404);
  });

  it('a token secret appears in its creation answer only: never in the store, the logs, a listing, the audit log or a replay', async () => {
    const key = 'token-create-once';
    const first = await t.app.inject({ method: 'POST', url: '/v1/tokens', headers: { 'idempotency-key': key }, payload: { name: 'secretive' } });
    const { secret, id } = await ok<Created>(first, 201);
    expect(secret).toMatch(/^tsr_[A-Za-z0-9_-]{43}$/);
    const replay = await t.app.inject({ method: 'POST', url: '/v1/tokens', headers: { 'idempotency-key': key }, payload: { name: 'secretive' } });
    expect(replay.statusCode).toBe(201);
    expect(JSON.parse(replay.body)).toMatchObject({ id, secretShownOnce: true });
    await signedIn(t.anonymous, secret!).inject({ method: 'GET', url: '/v1/whoami' });

    const answers = await Promise.all(
      ['/v1/tokens', '/v1/tokens?all=true', '/v1/audit?limit=1000', '/v1/events?limit=1000', '/v1/users'].map((url) => t.app.inject({ method: 'GET', url })),
    );
    const exported = await t.app.inject({ method: 'GET', url: '/v1/audit?format=jsonl' });
    const everything = [replay.body, exported.body, ...answers.map((a) => a.body), logged, await dumpStore(t)].join('\n');
    expect(everything).toContain(id);
    expect(everything).not.toContain(secret!);
    expect(everything).not.toContain(secret!.slice(4));
  });

  it('the audit log records who did what, from where, with the result — also refusals — and filters and exports it', async () => {
    const denied = await as('viewer').inject({ method: 'POST', url: '/v1/instances', payload: { name: 'audited', project: 'alpha', provider: 'acl', flavor: 'small' } });
    expect(denied.statusCode).toBe(403);
    const anonymous = await t.anonymous.inject({ method: 'DELETE', url: `/v1/instances/${instances.alpha}` });
    expect(anonymous.statusCode).toBe(401);

    const page = await ok<{ items: Record<string, unknown>[] }>(await t.app.inject({ method: 'GET', url: '/v1/audit?principal=viewer-sa&action=instance.create' }));
    expect(page.items.every((e) => e.principal === 'viewer-sa' && e.action === 'instance.create')).toBe(true);
    expect(page.items.find((e) => e.requestId === denied.headers['x-request-id'])).toMatchObject({
      principal: 'viewer-sa',
      via: 'token',
      action: 'instance.create',
      // Refused at the door, before its body was read: which project it aimed at is not known.
      project: null,
      result: 'denied',
      statusCode: 403,
      requestId: denied.headers['x-request-id'],
      sourceIp: '127.0.0.1',
    });
    const badToken = await t.anonymous.inject({ method: 'GET', url: '/v1/instances', headers: { authorization: `Bearer tsr_${'z'.repeat(43)}` } });
    expect(badToken.statusCode).toBe(401);
    const refusals = await ok<{ items: Record<string, unknown>[] }>(await t.app.inject({ method: 'GET', url: '/v1/audit?result=denied&limit=1000' }));
    // A refused credential is a failed sign-in, audited even on a read; a refused read for a role is not.
    expect(refusals.items).toContainEqual(expect.objectContaining({ principal: null, method: 'GET', statusCode: 401, requestId: badToken.headers['x-request-id'] }));
    expect(refusals.items).toContainEqual(expect.objectContaining({ principal: null, action: 'instance.delete', statusCode: 401, resourceId: instances.alpha }));
    const created = await ok<{ items: Record<string, unknown>[] }>(await t.app.inject({ method: 'GET', url: '/v1/audit?action=instance.*&result=success&limit=1000' }));
    expect(created.items).toContainEqual(expect.objectContaining({ principal: 'admin', action: 'instance.create', resourceId: instances.beta, project: 'beta' }));

    const lines = (await t.app.inject({ method: 'GET', url: '/v1/audit?format=jsonl' })).body.trim().split('\n');
    expect(lines.length).toBeGreaterThan(5);
    expect(lines.map((l) => (JSON.parse(l) as { seq: number }).seq)).toEqual([...lines.map((l) => (JSON.parse(l) as { seq: number }).seq)].sort((a, b) => a - b));

    // A project admin reads its own project's entries only; a viewer reads none.
    const betaView = await ok<{ items: { project: string | null }[] }>(await as('betaAdmin').inject({ method: 'GET', url: '/v1/audit?limit=1000' }));
    expect(betaView.items.length).toBeGreaterThan(0);
    expect(new Set(betaView.items.map((e) => e.project))).toEqual(new Set(['beta']));
    expect((await as('viewer').inject({ method: 'GET', url: '/v1/audit' })).statusCode).toBe(403);
  });

  it('whoami shows the principal and its effective roles', async () => {
    const me = await ok<{ name: string; orgAdmin: boolean; roles: unknown[]; via: string }>(await as('operator').inject({ method: 'GET', url: '/v1/whoami' }));
    expect(me).toMatchObject({ name: 'operator-sa', orgAdmin: false, via: 'token', roles: [{ project: 'alpha', role: 'operator' }] });
  });
});

/** Every row of every table, as text: what a copy of the database would give away. */
async function dumpStore(t: TestPlane): Promise<string> {
  const tables = ['resources', 'events', 'idempotency_keys', 'principals', 'role_bindings', 'api_tokens', 'sessions', 'audit_log', 'settings'];
  const out: string[] = [];
  for (const table of tables) {
    const { rows } = await sql`select * from ${sql.table(table)}`.execute(t.cp.store.db);
    out.push(JSON.stringify(rows));
  }
  return out.join('\n');
}

describe.each(DIALECTS)('closed /metrics on %s', (dialect) => {
  it('with metrics.public false, /metrics needs a signed-in caller like any /v1 route', async () => {
    const tdb = await createTestDatabase(dialect);
    const t = await startTestPlane(tdb, [], { metricsPublic: false, background: false });
    try {
      expect((await t.anonymous.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
      const signedIn = await t.app.inject({ method: 'GET', url: '/metrics' });
      expect(signedIn.statusCode).toBe(200);
      expect(signedIn.body).toContain('tessera_http_request_duration_seconds');
      expect((await t.anonymous.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await t.close();
      await tdb.dispose();
    }
  });
});
