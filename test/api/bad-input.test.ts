import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BODY_LIMIT_BYTES } from '../../src/api/app.js';
import type { ErrorBody } from '../../src/api/errors.js';
import { isId, NAME_PATTERN } from '../../src/core/ids.js';
import { InstanceCreate, type Instance } from '../../src/core/instance.js';
import type { Offer } from '../../src/core/offer.js';
import { ProjectCreate } from '../../src/core/project.js';
import { decodeCursor } from '../../src/store/rows.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases.js';
import { simProvider, startTestPlane, type TestPlane } from '../support/control-plane.js';
import {
  anyString,
  badField,
  CREATE_KEYS,
  DANGEROUS_KEYS,
  depthBomb,
  depthBombText,
  headerString,
  type Json,
  labelKey,
  labelValue,
  longString,
  plainJson,
  REQUIREMENT_KEYS,
  SIM,
  unknownKey,
  validCreateBody,
} from './bad-input-arbitraries.js';

/**
 * The "Bad input" check: whatever a client sends — malformed JSON, wrong types, unknown fields, huge or deeply
 * nested bodies, bad ids, selectors, query parameters, headers, stale versions, names of things that do not
 * exist — the API answers a 4xx (never a 5xx) with `{ error: { code, message, requestId } }` whose message
 * names what to fix, and the store is unchanged.
 *
 * The control plane runs without its controllers (background: false) so that the store changes only through
 * these requests: "unchanged" is then exact (instances with their resourceVersions, projects, and the event
 * log's last sequence number, which every write advances).
 */

const RUNS = 200;
/** For properties whose single run is heavier (large bodies, deep nesting). */
const HEAVY_RUNS = 50;

const ID_SHAPE = /^[a-z]{1,3}-[0-9a-z]{8,32}$/;
const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{1,255}$/;
const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;
const STACK_TRACE = /\n\s+at \S.*:\d+:\d+/;

type ErrorShape = ErrorBody['error'];

describe.each(DIALECTS)('bad input on %s', (dialect) => {
  let tdb: TestDatabase;
  let t: TestPlane;
  /** An instance to aim id routes at: created and then stopped, so resourceVersion 1 is stale. */
  let target: Instance;
  let offers: Offer[];
  let counter = 0;
  const unique = (prefix = 'bi') => `${prefix}-${(counter++).toString(36)}`;

  beforeAll(async () => {
    tdb = await createTestDatabase(dialect);
    t = await startTestPlane(tdb, [simProvider(SIM.provider)], { background: false });
    const created = await send({ method: 'POST', url: '/v1/instances', payload: { name: 'target', provider: SIM.provider, flavor: 'small' } });
    expect(created.statusCode, created.body).toBe(202);
    const stopped = await send({ method: 'POST', url: `/v1/instances/${json<Instance>(created).id}/stop` });
    expect(stopped.statusCode, stopped.body).toBe(202);
    target = json<Instance>(stopped);
    expect(target.resourceVersion).toBeGreaterThan(1);
    offers = json<{ items: Offer[] }>(await send({ method: 'GET', url: '/v1/offers' })).items;
  });
  afterAll(async () => {
    await t?.close();
    await tdb?.dispose();
  });

  // ---------------------------------------------------------------------------------------------- helpers

  const send = (opts: InjectOptions): Promise<LightMyRequestResponse> => t.app.inject(opts);
  const json = <T>(r: LightMyRequestResponse): T => JSON.parse(r.body) as T;
  const postText = (url: string, text: string | Buffer, headers: Record<string, string> = {}) =>
    send({ method: 'POST', url, payload: text, headers: { 'content-type': 'application/json', ...headers } });
  const query = (pairs: [string, string][]) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');

  /**
   * A client error in the API's one shape: 4xx, JSON, `{ error: { code, message, requestId } }`, the request id
   * the response header carries, no stack trace, and a message that names each of `mentions`.
   */
  function expectClientError(r: LightMyRequestResponse, want: { status?: number | number[]; mentions?: (string | RegExp)[] } = {}): ErrorShape {
    const seen = `${r.statusCode} ${r.body.slice(0, 600)}`;
    expect(r.statusCode, `want a 4xx, got ${seen}`).toBeGreaterThanOrEqual(400);
    expect(r.statusCode, `want a 4xx, got ${seen}`).toBeLessThan(500);
    if (want.status !== undefined) expect([want.status].flat(), `status of ${seen}`).toContain(r.statusCode);
    expect(String(r.headers['content-type']), seen).toMatch(/^application\/json/);
    const error = (JSON.parse(r.body) as Partial<ErrorBody>).error;
    expect(error, seen).toBeDefined();
    const e = error!;
    expect(typeof e.code === 'string' && e.code.length > 0, `error.code in ${seen}`).toBe(true);
    expect(typeof e.message === 'string' && e.message.length > 0, `error.message in ${seen}`).toBe(true);
    expect(e.requestId, `error.requestId in ${seen}`).toBe(r.headers['x-request-id']);
    expect(e.message, seen).not.toMatch(STACK_TRACE);
    for (const m of want.mentions ?? []) {
      if (typeof m === 'string') expect(e.message, `message should name ${JSON.stringify(m)}`).toContain(m);
      else expect(e.message, `message should match ${m}`).toMatch(m);
    }
    return e;
  }

  /** Everything a bad request could have changed: instances (with versions), projects, the event log. */
  async function snapshot() {
    const list = await send({ method: 'GET', url: '/v1/instances?limit=1000' });
    expect(list.statusCode, list.body).toBe(200);
    const items = json<{ items: Instance[] }>(list).items;
    const projects = json<{ items: { name: string }[] }>(await send({ method: 'GET', url: '/v1/projects' })).items.map((p) => p.name);
    return {
      instances: items.length,
      versions: items.map((i) => `${i.id}@${i.resourceVersion}${i.deletedAt ? ' deleted' : ''}`).sort(),
      projects: projects.sort(),
      eventSeq: await t.cp.store.latestEventSeq(),
    };
  }

  /** Runs a whole property and checks the store is as it was before it. */
  async function storeUnchangedBy(run: () => Promise<unknown>): Promise<void> {
    const before = await snapshot();
    await run();
    expect(await snapshot()).toEqual(before);
  }

  /** Per run, cheaply: every write appends an event, so an unmoved event log means nothing was written. */
  async function noWrite<T>(act: () => Promise<T>): Promise<T> {
    const before = await t.cp.store.latestEventSeq();
    const out = await act();
    expect(await t.cp.store.latestEventSeq(), 'the event log moved: this bad request wrote something').toBe(before);
    return out;
  }

  const check = <T>(arb: fc.Arbitrary<T>, predicate: (v: T) => Promise<void>, numRuns = RUNS) =>
    storeUnchangedBy(() => fc.assert(fc.asyncProperty(arb, (v) => noWrite(() => predicate(v))), { numRuns }));

  // ---------------------------------------------------------------------------------------------- premises

  it('the simulated catalog is what the generators assume', async () => {
    const flavors = json<{ items: { name: string; regions: string[] }[] }>(await send({ method: 'GET', url: '/v1/flavors' })).items;
    expect(flavors.map((f) => f.name).sort()).toEqual([...SIM.flavors].sort());
    for (const f of flavors) expect(f.regions.sort()).toEqual([...SIM.regions]);
    const spot = offers.filter((o) => o.market === 'spot').map((o) => o.flavor);
    expect([...new Set(spot)]).toEqual([...SIM.spotFlavors]);
    const images = json<{ items: { name: string }[] }>(await send({ method: 'GET', url: '/v1/images' })).items.map((i) => i.name);
    expect(images.sort()).toEqual([...SIM.images].sort());
    // The valid-body generator really generates valid bodies (so the properties below test the server, not it).
    fc.assert(
      fc.property(validCreateBody, (b) => {
        expect(InstanceCreate.safeParse({ ...b, name: 'x' }).success).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  // ---------------------------------------------------------------------------------------------- bodies

  it('random JSON values as bodies: 400 naming the body, nothing stored', async () => {
    const route = fc.constantFrom('create', 'project', 'adopt');
    const value = fc.oneof(fc.jsonValue({ maxDepth: 4 }), fc.jsonValue({ maxDepth: 4, stringUnit: 'binary' }));
    await check(fc.tuple(route, value), async ([where, v]) => {
      const text = JSON.stringify(v);
      if (where === 'create') {
        fc.pre(!InstanceCreate.safeParse(v).success);
        expectClientError(await postText('/v1/instances', text), { status: 400, mentions: ['body'] });
      } else if (where === 'project') {
        fc.pre(!ProjectCreate.safeParse(v).success);
        expectClientError(await postText('/v1/projects', text), { status: 400, mentions: ['body'] });
      } else {
        // Adopting an instance Tessera already manages is refused too, whatever the body.
        expectClientError(await postText(`/v1/instances/${target.id}/adopt`, text), { status: 400, mentions: [/body|project|already managed/] });
      }
    });
  });

  it('malformed JSON: 400 that says the body is not JSON', async () => {
    const valid = validCreateBody.map((b) => JSON.stringify({ ...b, name: 'malformed' }));
    const notJson = (s: string) => {
      try {
        JSON.parse(s);
        return false;
      } catch {
        return true;
      }
    };
    const text = fc.oneof(
      // A valid body cut short.
      valid.chain((s) => fc.integer({ min: 1, max: s.length - 1 }).map((n) => s.slice(0, n))),
      // A valid body with one stray character.
      fc
        .tuple(valid, fc.nat(), fc.constantFrom(...',:{}[]"\'\\/'.split(''), 'NaN', 'undefined', '//', '/*'))
        .map(([s, i, c]) => s.slice(0, i % s.length) + c + s.slice(i % s.length))
        .filter(notJson),
      // JavaScript, not JSON.
      fc.constantFrom("{name: 'x'}", "{'name':'x'}", '{"name":"x",}', '{"name":"x"} // c', '{"name":NaN}', '{"a":undefined}', '[1,]', '{', '}', '"', 'nul', 'tru'),
      // Anything at all.
      anyString(200, 1).filter(notJson),
    );
    await check(text, async (s) => {
      const e = expectClientError(await postText('/v1/instances', s), { status: 400, mentions: ['JSON'] });
      expect(e.code).toMatch(/^FST_ERR_CTP_(INVALID|EMPTY)_JSON_BODY$/);
    });
  });

  it('random bytes sent as JSON: 400, never a 5xx', async () => {
    await check(fc.uint8Array({ minLength: 1, maxLength: 4096 }), async (bytes) => {
      expectClientError(await postText('/v1/instances', Buffer.from(bytes)), { status: 400, mentions: ['body'] });
    });
  });

  it('prototype-poisoning keys anywhere in a body: 400, nothing stored, no prototype polluted', async () => {
    // `__proto__` and `constructor.prototype` are refused at any depth; a bare "constructor" or "prototype" key is
    // refused only where the schema is strict (top level, requirements): as a label key it is a legal name.
    const poison = fc.oneof(
      fc.tuple(fc.constantFrom('top', 'labels', 'requirements'), fc.constantFrom('"__proto__":{"polluted":true}', '"constructor":{"prototype":{"polluted":true}}')),
      fc.tuple(fc.constantFrom('top', 'requirements'), fc.constantFrom(...DANGEROUS_KEYS).map((k) => `${JSON.stringify(k)}:"x"`)),
    );
    await check(fc.tuple(validCreateBody, poison), async ([b, [where, p]]) => {
      const body = JSON.stringify({ ...b, name: unique(), requirements: { vcpus: 1, memoryGiB: 1 }, labels: { a: 'b' } });
      const text = where === 'top' ? body.replace(/^\{/, `{${p},`) : body.replace(`"${where}":{`, `"${where}":{${p},`);
      expect(text).not.toBe(body);
      expectClientError(await postText('/v1/instances', text), { status: 400, mentions: ['body'] });
      expect(({} as Record<string, unknown>).polluted, 'Object.prototype was polluted').toBeUndefined();
    });
  });

  it('unknown fields merged into a valid body: 400 naming every unknown key', async () => {
    const extras = fc.dictionary(unknownKey(CREATE_KEYS), plainJson, { minKeys: 1, maxKeys: 4 });
    const nestedExtras = fc.dictionary(unknownKey(REQUIREMENT_KEYS), plainJson, { minKeys: 1, maxKeys: 3 });
    await check(fc.tuple(validCreateBody, fc.oneof(extras.map((x) => ({ top: x })), nestedExtras.map((x) => ({ nested: x })))), async ([b, extra]) => {
      let body: Record<string, Json>;
      let keys: string[];
      let where: string;
      if ('top' in extra) {
        body = { ...b, name: unique(), ...extra.top };
        keys = Object.keys(extra.top);
        where = 'body';
      } else {
        body = { ...b, name: unique(), requirements: { vcpus: 1, memoryGiB: 1, ...extra.nested } };
        keys = Object.keys(extra.nested);
        where = 'body.requirements';
      }
      expectClientError(await postText('/v1/instances', JSON.stringify(body)), { status: 400, mentions: [where, ...keys.map((k) => `"${k}"`)] });
    });
  });

  it('wrong types, signs, ranges and sizes (huge names, huge userData): 400 naming the field', async () => {
    await check(fc.tuple(validCreateBody, badField), async ([b, bad]) => {
      const body: Record<string, Json> = { ...b, name: unique() };
      if (bad.path[0] === 'requirements' && bad.path.length > 1) {
        const req = (typeof body.requirements === 'object' && body.requirements !== null ? body.requirements : { vcpus: 1, memoryGiB: 1 }) as Record<string, Json>;
        body.requirements = { ...req, [bad.path[1]!]: bad.value };
      } else {
        body[bad.path[0]!] = bad.value;
      }
      const text = JSON.stringify(body);
      expect(Buffer.byteLength(text), 'the generator must stay under the body limit').toBeLessThan(BODY_LIMIT_BYTES);
      expectClientError(await postText('/v1/instances', text), { status: 400, mentions: [bad.mention] });
    });
  });

  it('depth bombs (nesting up to 30,000 levels): 400, no stack overflow', async () => {
    await check(
      depthBomb,
      async (bomb) => {
        const r = await postText('/v1/instances', depthBombText(bomb, unique()));
        expectClientError(r, { status: 400, mentions: ['body'] });
      },
      HEAVY_RUNS,
    );
  });

  it('unknown flavor, region, zone, provider, project or image: 400 naming the field and the value', async () => {
    const short = anyString(30, 1);
    const unknown = fc.oneof(
      short.filter((s) => !(SIM.flavors as readonly string[]).includes(s)).map((value) => ({ field: 'flavor', value })),
      short.filter((s) => !(SIM.regions as readonly string[]).includes(s)).map((value) => ({ field: 'region', value })),
      short.filter((s) => s !== SIM.provider).map((value) => ({ field: 'provider', value })),
      short.filter((s) => !(SIM.images as readonly string[]).includes(s)).map((value) => ({ field: 'image', value })),
      fc.stringMatching(NAME_PATTERN).filter((s) => s !== 'default').map((value) => ({ field: 'project', value })),
      short.filter((s) => !Object.values(SIM.zones).includes(s)).map((value) => ({ field: 'zone', value })),
    );
    await check(fc.tuple(unknown, fc.boolean()), async ([{ field, value }, byRequirements]) => {
      const place = byRequirements && field !== 'flavor' ? { requirements: { vcpus: 1, memoryGiB: 1 } } : { flavor: 'small' };
      const body = { name: unique(), ...place, [field]: value };
      const e = expectClientError(await postText('/v1/instances', JSON.stringify(body)), { status: 400, mentions: [`${field} "${value}"`] });
      expect(e.details?.field).toBe(field);
    });
  });

  it('a 10 MB JSON body: 413 that says the body is too large, nothing stored', async () => {
    await storeUnchangedBy(async () => {
      const big = JSON.stringify({ name: unique(), flavor: 'small', userData: 'x'.repeat(10 * 1024 * 1024) });
      expect(big.length).toBeGreaterThan(10 * 1024 * 1024);
      expectClientError(await postText('/v1/instances', big), { status: 413, mentions: ['too large'] });
      const justOver = JSON.stringify({ name: unique(), flavor: 'small', userData: 'y'.repeat(BODY_LIMIT_BYTES) });
      expectClientError(await postText('/v1/instances', justOver), { status: 413, mentions: ['too large'] });
      // Under the body limit but over the field's own limit: the field is named.
      const underLimit = JSON.stringify({ name: unique(), flavor: 'small', userData: 'z'.repeat(BODY_LIMIT_BYTES - 1000) });
      expectClientError(await postText('/v1/instances', underLimit), { status: 400, mentions: ['body.userData'] });
    });
  });

  it('10 MB of garbage: 413 as JSON or text, 415 as an unsupported type; nothing stored', async () => {
    await storeUnchangedBy(async () => {
      const garbage = randomBytes(10 * 1024 * 1024);
      expectClientError(await postText('/v1/instances', garbage), { status: 413, mentions: ['too large'] });
      expectClientError(await postText('/v1/instances', garbage, { 'content-type': 'text/plain' }), { status: 413, mentions: ['too large'] });
      expectClientError(await postText('/v1/instances', garbage, { 'content-type': 'application/octet-stream' }), { status: 415, mentions: ['Content-Type'] });
      expectClientError(await postText('/v1/projects', garbage), { status: 413, mentions: ['too large'] });
    });
  });

  it('a Content-Type other than JSON: 4xx that names the Content-Type or the body', async () => {
    const token = fc.stringMatching(/^[a-z0-9][a-z0-9.+-]{0,15}$/);
    const contentType = fc
      .oneof(fc.tuple(token, token).map(([a, b]) => `${a}/${b}`), headerString(40, 1))
      .filter((c) => !/^\s*application\/json\s*(;|$)/i.test(c));
    await check(fc.tuple(validCreateBody, contentType), async ([b, ct]) => {
      const r = await postText('/v1/instances', JSON.stringify({ ...b, name: unique() }), { 'content-type': ct });
      expectClientError(r, { mentions: [/Content-Type|body/] });
    });
  });

  // ---------------------------------------------------------------------------------------------- ids and versions

  it('bad ids on every id route: 400 (not an id) or 404 (no such instance); the request id stays safe', async () => {
    // Path parameters over 100 characters are answered by the router itself: a test of their own below.
    const id = fc
      .oneof(anyString(60, 1), fc.stringMatching(ID_SHAPE), longString(33, 100))
      .filter((s) => s !== '.' && s !== '..' && encodeURIComponent(s).length <= 100); // dot segments are path syntax, not ids
    const route = fc.constantFrom('GET', 'DELETE', 'start', 'stop', 'reboot', 'adopt');
    await check(fc.tuple(id, route, headerString(80)), async ([s, r, requestId]) => {
      const url = `/v1/instances/${encodeURIComponent(s)}`;
      const opts: InjectOptions =
        r === 'GET' || r === 'DELETE' ? { method: r, url } : { method: 'POST', url: `${url}/${r}`, headers: { 'x-request-id': requestId } };
      const res = await send(opts);
      if (isId(s)) expectClientError(res, { status: 404, mentions: [s, 'does not exist'] });
      else expectClientError(res, { status: 400, mentions: ['params.id'] });
      // x-request-id is echoed only when it is safe to; otherwise the server makes one.
      expect(res.headers['x-request-id']).toMatch(REQUEST_ID);
      if (opts.headers && REQUEST_ID.test(requestId)) expect(res.headers['x-request-id']).toBe(requestId);
    });
  });

  it('an unknown action on an existing instance: 400 naming params.action', async () => {
    const action = anyString(40, 1).filter((a) => !['start', 'stop', 'reboot', 'adopt', '.', '..'].includes(a));
    await check(action, async (a) => {
      const res = await send({ method: 'POST', url: `/v1/instances/${target.id}/${encodeURIComponent(a)}` });
      if (res.statusCode === 404) {
        expect(encodeURIComponent(a).length, `404 for a short action ${JSON.stringify(a)}: ${res.body}`).toBeGreaterThan(100);
        expectClientError(res, { mentions: ['no route'] });
      } else {
        expectClientError(res, { status: 400, mentions: ['params.action'] });
      }
    });
  });

  it('a stale or foreign resourceVersion on delete: 409 that says to read again; a malformed one: 400; the instance stays', async () => {
    const current = json<Instance>(await send({ method: 'GET', url: `/v1/instances/${target.id}` })).resourceVersion;
    const wrongVersion = fc
      .oneof(fc.integer({ min: 1, max: current - 1 }), fc.integer({ min: current + 1, max: Number.MAX_SAFE_INTEGER }))
      .map((v) => ({ raw: String(v), conflict: true }));
    const malformed = fc
      .oneof(
        fc.integer({ max: 0 }).map(String),
        fc.double({ noNaN: true }).filter((x) => !Number.isInteger(x)).map(String),
        anyString(20),
      )
      .filter((s) => {
        const n = Number(s);
        return !(Number.isInteger(n) && n >= 1);
      })
      .map((raw) => ({ raw, conflict: false }));
    await check(fc.oneof(wrongVersion, malformed), async ({ raw, conflict }) => {
      const res = await send({ method: 'DELETE', url: `/v1/instances/${target.id}?${query([['resourceVersion', raw]])}` });
      if (conflict) expectClientError(res, { status: 409, mentions: [`your resourceVersion ${raw}`, 'read it again'] });
      else expectClientError(res, { status: 400, mentions: ['querystring.resourceVersion'] });
    });
    const after = json<Instance>(await send({ method: 'GET', url: `/v1/instances/${target.id}` }));
    expect(after.deletedAt).toBeNull();
    expect(after.resourceVersion).toBe(current);
  });

  // ---------------------------------------------------------------------------------------------- selectors

  it('label selectors that cannot be valid: 400 naming the selector', async () => {
    const forbidden = fc.oneof(
      fc.constantFrom(...'@#$%^&*;:\'"<>?{}[]|\\`~+'.split('')),
      // Any non-ASCII grapheme that is not whitespace (which the parser trims): no term can contain one.
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }).filter((c) => [...c].some((ch) => ch.codePointAt(0)! > 0x7f) && !/\s/u.test(c)),
    );
    const bad = fc.oneof(
      fc
        .tuple(fc.string({ unit: 'grapheme-ascii', maxLength: 40 }), forbidden, fc.nat())
        .map(([s, c, i]) => s.slice(0, i % (s.length + 1)) + c + s.slice(i % (s.length + 1))),
      longString(4097, 6000).map((s) => ({ tooLong: s })),
    );
    await check(bad, async (b) => {
      const selector = typeof b === 'string' ? b : b.tooLong;
      const res = await send({ method: 'GET', url: `/v1/instances?${query([['selector', selector]])}` });
      expectClientError(res, { status: 400, mentions: [typeof b === 'string' ? 'selector' : 'querystring.selector'] });
    });
  });

  it('any selector string: 200, or a 400 naming the selector — never a 5xx', async () => {
    const near = fc
      .array(fc.constantFrom('a', 'b', 'app', 'x.y/z', '=', '==', '!=', '!', ',', ' ', ' in ', ' notin ', '(', ')', '-', '_', '.', 'in', '9'), { maxLength: 12 })
      .map((parts) => parts.join(''));
    const valid = fc
      .array(
        fc.oneof(
          fc.tuple(labelKey, fc.constantFrom('=', '==', '!='), labelValue).map(([k, op, v]) => `${k}${op}${v}`),
          fc.tuple(labelKey, fc.constantFrom('in', 'notin'), fc.array(labelValue.filter((v) => v !== ''), { minLength: 1, maxLength: 3 })).map(([k, op, vs]) => `${k} ${op} (${vs.join(',')})`),
          fc.tuple(fc.constantFrom('', '!'), labelKey).map(([not, k]) => `${not}${k}`),
        ),
        { minLength: 1, maxLength: 4 },
      )
      .map((terms) => ({ valid: terms.join(',') }));
    await check(fc.oneof(anyString(80), near, valid), async (s) => {
      const selector = typeof s === 'string' ? s : s.valid;
      const res = await send({ method: 'GET', url: `/v1/instances?${query([['selector', selector]])}` });
      if (typeof s !== 'string') expect(res.statusCode, `a valid selector ${JSON.stringify(selector)}: ${res.body}`).toBe(200);
      else if (res.statusCode !== 200) expectClientError(res, { status: 400, mentions: ['selector'] });
    });
  });

  // ---------------------------------------------------------------------------------------------- query parameters

  it('bad query parameters (limit=-1, limit=abc, unknown keys, phase=Nope, cursor=garbage, …): 400 naming the parameter', async () => {
    const isIntIn = (s: string, min: number, max = Number.MAX_SAFE_INTEGER) => {
      const n = Number(s);
      return Number.isInteger(n) && n >= min && n <= max;
    };
    const numberish = fc.oneof(
      fc.integer().map(String),
      fc.double().map(String),
      fc.constantFrom('-1', 'abc', '', ' ', '1.5', '1e9', 'Infinity', 'NaN', '0x', '--1'),
      anyString(12),
    );
    const badLimit = numberish.filter((s) => !isIntIn(s, 1, 1000));
    const badAfter = numberish.filter((s) => !isIntIn(s, 0));
    const notOneOf = (allowed: string[]) => anyString(20).filter((s) => !allowed.includes(s));
    const PHASES = ['Pending', 'Provisioning', 'Running', 'Stopped', 'Deleting', 'Deleted', 'Failed'];
    const del = `/v1/instances/${target.id}`;
    const KEYS: Record<string, { method: 'GET' | 'DELETE'; keys: string[] }> = {
      '/v1/instances': { method: 'GET', keys: ['provider', 'region', 'phase', 'project', 'name', 'managed', 'selector', 'limit', 'cursor'] },
      '/v1/events': { method: 'GET', keys: ['kind', 'resourceId', 'project', 'after', 'limit'] },
      '/v1/watch': { method: 'GET', keys: ['kind', 'id', 'after'] },
      '/v1/offers': { method: 'GET', keys: ['provider', 'region', 'market'] },
      '/v1/flavors': { method: 'GET', keys: ['provider', 'region', 'market'] },
      '/v1/regions': { method: 'GET', keys: ['provider'] },
      '/v1/images': { method: 'GET', keys: ['provider'] },
      [del]: { method: 'DELETE', keys: ['resourceVersion'] },
    };
    type Case = { path: string; pairs: [string, string][]; mention: string };
    const c = (path: string, key: string, value: fc.Arbitrary<string>, mention = `querystring.${key}`): fc.Arbitrary<Case> =>
      value.map((v) => ({ path, pairs: [[key, v]], mention }));
    const cases: fc.Arbitrary<Case> = fc.oneof(
      c('/v1/instances', 'limit', badLimit),
      c('/v1/events', 'limit', badLimit),
      c('/v1/events', 'after', badAfter),
      c('/v1/watch', 'after', badAfter),
      c('/v1/instances', 'phase', notOneOf(PHASES)),
      c('/v1/instances', 'managed', notOneOf(['true', 'false'])),
      c('/v1/events', 'kind', notOneOf(['Instance', 'Project'])),
      c('/v1/watch', 'kind', notOneOf(['Instance', 'Project'])),
      c('/v1/offers', 'market', notOneOf(['on-demand', 'spot'])),
      c('/v1/flavors', 'market', notOneOf(['on-demand', 'spot'])),
      // A cursor the server did not issue (over 200 characters, the schema refuses it first).
      c('/v1/instances', 'cursor', anyString(60, 1).filter((s) => decodeCursor(s) === null), 'cursor'),
      c('/v1/instances', 'cursor', longString(201, 1000)),
      ...['provider', 'region', 'project', 'name'].map((k) => c('/v1/instances', k, longString(64, 500))),
      c('/v1/events', 'resourceId', longString(65, 500)),
      c('/v1/offers', 'provider', longString(64, 500)),
      // The same key twice is a list, not a value.
      fc
        .tuple(fc.constantFrom('provider', 'region', 'name', 'limit', 'phase'), fc.constantFrom('1', 'a', 'Running'), fc.constantFrom('2', 'b', 'Pending'))
        .map(([k, a, b]): Case => ({ path: '/v1/instances', pairs: [[k, a], [k, b]], mention: `querystring.${k}` })),
      // A key the route does not know, possibly beside ones it does.
      fc
        .tuple(fc.constantFrom(...Object.keys(KEYS)), anyString(20, 1), anyString(10))
        .filter(([p, k]) => !KEYS[p]!.keys.includes(k))
        .map(([p, k, v]): Case => ({ path: p, pairs: [[k, v]], mention: `"${k}"` })),
    );
    await check(cases, async ({ path, pairs, mention }) => {
      const method = KEYS[path]?.method ?? 'GET';
      const res = await send({ method, url: `${path}?${query(pairs)}` });
      expectClientError(res, { status: 400, mentions: [mention] });
    });
  });

  it('any string as a list filter (provider, region, project, name; events resourceId, project): 200, or 400 for a NUL; never a 5xx', async () => {
    const filter = fc.tuple(
      fc.constantFrom(['/v1/instances', 'provider'], ['/v1/instances', 'region'], ['/v1/instances', 'project'], ['/v1/instances', 'name'], ['/v1/events', 'resourceId'], ['/v1/events', 'project'], ['/v1/offers', 'region']),
      anyString(40, 1).filter((s) => s.length <= 60),
    );
    await check(filter, async ([[path, key], value]) => {
      const res = await send({ method: 'GET', url: `${path}?${query([[key!, value]])}` });
      if (value.includes('\u0000')) expectClientError(res, { status: 400, mentions: ['NUL', key!] });
      else expect(res.statusCode, `${path}?${key}=${JSON.stringify(value)}: ${res.body}`).toBe(200);
    });
  });

  // ---------------------------------------------------------------------------------------------- headers

  it('a bad Idempotency-Key: 400 naming the header, and the request does not run', async () => {
    const badKey: fc.Arbitrary<string | string[]> = fc.oneof(
      headerString(300).filter((k) => !IDEMPOTENCY_KEY.test(k) && !IDEMPOTENCY_KEY.test(k.trim())),
      fc
        .tuple(fc.stringMatching(/^[A-Za-z0-9._:-]{1,8}$/), fc.integer({ min: 256, max: 2000 }))
        .map(([s, n]) => s.repeat(Math.ceil(n / s.length)).slice(0, n)),
      fc.tuple(fc.uuid(), fc.uuid()).map(([a, b]) => [a, b]),
    );
    const route = fc.constantFrom('create', 'stop', 'project');
    await check(fc.tuple(badKey, route, validCreateBody), async ([key, r, b]) => {
      const headers = { 'idempotency-key': key };
      const res =
        r === 'create'
          ? await send({ method: 'POST', url: '/v1/instances', payload: { ...b, name: unique() }, headers })
          : r === 'stop'
            ? await send({ method: 'POST', url: `/v1/instances/${target.id}/stop`, headers })
            : await send({ method: 'POST', url: '/v1/projects', payload: { name: unique('p') }, headers });
      expectClientError(res, { status: 400, mentions: ['Idempotency-Key'] });
    });
  });

  // ---------------------------------------------------------------------------------------------- valid input

  it('valid bodies: 202, or 422 when nothing can satisfy them — never 400 or 5xx; exactly the 202s are stored', async () => {
    const before = await snapshot();
    let accepted = 0;
    /** What the API should answer, judged from the offers (the same rule as placement: market, pins, fit, room). */
    const expected = (b: Record<string, Json>) => {
      const req = b.requirements as { vcpus: number; memoryGiB: number; gpus?: number; arch?: string } | undefined;
      const fits = offers.filter(
        (o) =>
          o.market === (b.market ?? 'on-demand') &&
          (b.provider === undefined || o.provider === b.provider) &&
          (b.region === undefined || o.region === b.region) &&
          (b.zone === undefined || o.zone === null || o.zone === b.zone) &&
          (b.flavor !== undefined
            ? o.flavor === b.flavor
            : o.vcpus >= req!.vcpus && o.memoryGiB >= req!.memoryGiB && o.gpus >= (req!.gpus ?? 0) && (req!.arch === undefined || o.arch === req!.arch)) &&
          (o.available === null || o.available > 0),
      );
      return fits.length > 0 ? 202 : 422;
    };
    await fc.assert(
      fc.asyncProperty(validCreateBody, async (b) => {
        const name = unique('ok');
        const res = await send({ method: 'POST', url: '/v1/instances', payload: { ...b, name } });
        expect([202, 422], `${res.statusCode} ${res.body}`).toContain(res.statusCode);
        expect(res.statusCode, `for ${JSON.stringify(b)}`).toBe(expected(b));
        if (res.statusCode === 202) {
          accepted++;
          const inst = json<Instance>(res);
          expect(inst).toMatchObject({ name, project: b.project ?? 'default', labels: b.labels ?? {} });
          expect(inst.status.phase).toBe('Pending');
        } else {
          const e = expectClientError(res, { status: 422, mentions: [/lower the requirements|out of capacity/] });
          expect(e.code).toBe('Unsatisfiable');
        }
      }),
      { numRuns: 100 },
    );
    const after = await snapshot();
    expect(after.instances - before.instances).toBe(accepted);
    expect(after.eventSeq - before.eventSeq).toBe(accepted);
    expect(accepted, 'the generator should mostly produce satisfiable bodies').toBeGreaterThan(10);
  });

  // ---------------------------------------------------------------------------------------------- found by this suite, fixed

  it('a zone that is not in the chosen region: 400 naming the zone', async () => {
    await storeUnchangedBy(async () => {
      for (const payload of [
        { name: unique('zone'), flavor: 'small', zone: 'no-such-zone' },
        { name: unique('zone'), flavor: 'small', region: 'r2', zone: 'r1a' },
        { name: unique('zone'), requirements: { vcpus: 1, memoryGiB: 1 }, region: 'r1', zone: 'r2a' },
      ]) {
        const e = expectClientError(await send({ method: 'POST', url: '/v1/instances', payload }), { status: 400, mentions: [`zone "${payload.zone}"`] });
        expect(e.details?.field).toBe('zone');
      }
    });
  });

  // fastify's router answers these two itself, before any route; buildApp's frameworkErrors gives them the API's shape.
  it('an id over 100 characters is a 404 in the API error body', async () => {
    for (const url of [`/v1/instances/${'a'.repeat(101)}`, `/v1/instances/${'a'.repeat(101)}/stop`]) {
      const res = await send({ method: url.endsWith('/stop') ? 'POST' : 'GET', url });
      expectClientError(res, { status: 404, mentions: ['over 100 characters'] });
    }
  });

  it('a malformed percent-encoding in the path is a 400 in the API error body', async () => {
    for (const url of ['/v1/instances/%E0%A4%A', '/v1/instances/%ZZ', `/v1/instances/${target.id}/%C0`]) {
      expectClientError(await send({ method: 'GET', url }), { status: 400, mentions: ['percent-encoding'] });
    }
  });

  it('NUL in a list filter or a cursor is a 400, never a 5xx', async () => {
    for (const url of ['/v1/instances?name=a%00', '/v1/instances?provider=%00', '/v1/events?resourceId=i-%00', `/v1/instances?cursor=${Buffer.from(JSON.stringify({ after: 'i-\u0000' })).toString('base64url')}`]) {
      const res = await send({ method: 'GET', url });
      expectClientError(res, { status: 400, mentions: [url.includes('cursor') ? 'cursor' : 'NUL'] });
    }
    // A key that is only a space is named in quotes, so the message still says which parameter.
    expectClientError(await send({ method: 'GET', url: '/v1/instances?%20=%00' }), { status: 400, mentions: ['querystring." "', 'NUL'] });
  });

  it('a selector of 1,000 terms is a 400 naming the selector, at once', async () => {
    const selector = Array.from({ length: 1000 }, () => 'a').join(',');
    const started = Date.now();
    const res = await send({ method: 'GET', url: `/v1/instances?${query([['selector', selector]])}` });
    expectClientError(res, { status: 400, mentions: ['selector', 'max 20'] });
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
