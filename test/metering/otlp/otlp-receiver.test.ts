import { createServer } from 'node:net';
import { gzipSync } from 'node:zlib';
import protobuf from 'protobufjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OTLP_DEFAULT_PORT, startOtlpReceiver, type RunningOtlpReceiver } from '../../../src/api/otlp-receiver.js';
import { decodeExportRequest } from '../../../src/metering/otlp/otlp-codec.js';
import { OtlpMetering } from '../../../src/metering/otlp/otlp-metering.js';
import type { RollupRow } from '../../../src/metering/otlp/rollup-store.js';
import { createMetrics } from '../../../src/runtime/metrics.js';
import { eventually, signedIn, simProvider, startTestPlane, TEST_ADMIN_TOKEN, type TestPlane } from '../../support/control-plane.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../support/databases.js';
import { ExportResultCode, sdkClient, sdkRequestBody, sdkResponse, type SdkClient } from './otel-sdk.js';

/** google.rpc.Status, declared here from its two fields, so failure bodies are read independently of the receiver's schema. */
const Status = new protobuf.Type('Status').add(new protobuf.Field('code', 1, 'int32')).add(new protobuf.Field('message', 2, 'string'));

const PROTOBUF = 'application/x-protobuf';
const JSON_TYPE = 'application/json';
/** The SDK's default explicit bucket bounds for a histogram. */
const DEFAULT_BOUNDS = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

interface Created {
  id: string;
  secret?: string;
  status?: { externalId: string | null; phase: string };
}

/** Several hour rows of one instance and metric as one (a test may run across an hour boundary). */
function combined(rows: RollupRow[]) {
  expect(rows.length, 'rows').toBeGreaterThan(0);
  const latest = [...rows].sort((a, b) => (a.lastAt ?? '').localeCompare(b.lastAt ?? '')).pop()!;
  return {
    kind: rows[0]!.kind,
    count: rows.reduce((n, r) => n + r.count, 0),
    sum: rows.reduce((n, r) => n + r.sum, 0),
    min: Math.min(...rows.map((r) => r.min ?? Infinity)),
    max: Math.max(...rows.map((r) => r.max ?? -Infinity)),
    last: latest.last,
    bounds: rows[0]!.buckets?.bounds ?? null,
    counts: rows[0]!.buckets ? rows.reduce((acc, r) => acc.map((c, i) => c + (r.buckets?.counts[i] ?? 0)), rows[0]!.buckets.counts.map(() => 0)) : null,
    unbucketed: rows.reduce((n, r) => n + r.unbucketed, 0),
  };
}

describe.each(DIALECTS)('OTLP/HTTP receiver and hourly rollups on %s', (dialect) => {
  let tdb: TestDatabase;
  let t: TestPlane;
  let receiver: RunningOtlpReceiver;
  let closed = false;
  const clients: SdkClient[] = [];
  const ids = { web1: '', web2: '', db1: '', dupDefault: '', dupAlpha: '' };
  const tokens = { alphaOperator: '', alphaViewer: '' };

  async function ok<T>(res: { statusCode: number; body: string }, status = 200): Promise<T> {
    expect(res.statusCode, res.body).toBe(status);
    return JSON.parse(res.body) as T;
  }

  async function createInstance(name: string, project = 'default'): Promise<string> {
    const created = await ok<Created>(await t.app.inject({ method: 'POST', url: '/v1/instances', payload: { name, project, provider: 'sim', region: 'r1', flavor: 'small' } }), 202);
    return created.id;
  }

  async function tokenFor(name: string, project: string, role: string): Promise<string> {
    await ok(await t.app.inject({ method: 'POST', url: '/v1/service-accounts', payload: { name } }), 201);
    await ok(await t.app.inject({ method: 'PUT', url: `/v1/projects/${project}/members/${name}`, payload: { role } }));
    return (await ok<Created>(await t.app.inject({ method: 'POST', url: '/v1/tokens', payload: { name: `${name}-otlp`, principal: name } }), 201)).secret!;
  }

  /** Before the receiver stops: a shut-down SDK exports once more, and would retry against a closed port. */
  async function shutdownClients(): Promise<void> {
    for (const c of clients.splice(0)) await c.shutdown().catch(() => undefined);
  }

  function client(opts: Omit<Parameters<typeof sdkClient>[0], 'url'>): SdkClient {
    const c = sdkClient({ url: receiver.url, ...opts });
    clients.push(c);
    return c;
  }

  async function rollups(query: string, as = t.app): Promise<RollupRow[]> {
    return (await ok<{ items: RollupRow[] }>(await as.inject({ method: 'GET', url: `/v1/metrics/rollups?${query}` }))).items;
  }

  async function status(as = t.app) {
    return ok<{
      scope: string;
      receiver: { url: string | null; note: string | null };
      acceptedPoints: number;
      rejectedByReason: Record<string, number>;
      rejectedByResource: { identity: string; reason: string; points: number; detail: string }[];
      rollups: { lastFlushAt: string | null; pending: number };
    }>(await as.inject({ method: 'GET', url: '/v1/otlp/status' }));
  }

  function post(body: Buffer | string, headers: Record<string, string>, url = receiver.url) {
    return fetch(`${url}/v1/metrics`, { method: 'POST', body, headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, ...headers } });
  }

  async function statusBody(res: Response): Promise<{ code: number; message: string }> {
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (res.headers.get('content-type') === JSON_TYPE) return JSON.parse(Buffer.from(bytes).toString()) as { code: number; message: string };
    return Status.toObject(Status.decode(bytes)) as { code: number; message: string };
  }

  beforeAll(async () => {
    tdb = await createTestDatabase(dialect);
    t = await startTestPlane(tdb, [simProvider('sim')]);
    receiver = (await startOtlpReceiver(t.cp, { host: '127.0.0.1', port: 0 }))!;
    await ok(await t.app.inject({ method: 'POST', url: '/v1/projects', payload: { name: 'alpha' } }), 201);
    ids.web1 = await createInstance('web-1');
    ids.web2 = await createInstance('web-2');
    ids.db1 = await createInstance('db-1', 'alpha');
    ids.dupDefault = await createInstance('dup');
    ids.dupAlpha = await createInstance('dup', 'alpha');
    tokens.alphaOperator = await tokenFor('alpha-operator', 'alpha', 'operator');
    tokens.alphaViewer = await tokenFor('alpha-viewer', 'alpha', 'viewer');
  });
  afterAll(async () => {
    await shutdownClients();
    if (!closed) {
      await receiver?.close();
      await t?.close();
    }
    await tdb?.dispose();
  });

  it('rolls up what the SDK sends over protobuf per instance and hour: a counter across two cumulative exports, a histogram, a gauge', async () => {
    const sdk = client({ encoding: 'protobuf', token: TEST_ADMIN_TOKEN, resource: { 'tessera.instance.id': ids.web1, 'service.name': 'shop' } });
    const requests = sdk.meter.createCounter('http.server.requests');
    const latency = sdk.meter.createHistogram('http.server.duration', { unit: 'ms' });
    const temperature = sdk.meter.createGauge('cpu.temperature');
    requests.add(5, { route: '/a' });
    for (const v of [3, 30, 700]) latency.record(v, { route: '/a' });
    temperature.record(10);
    expect((await sdk.export()).code).toBe(ExportResultCode.SUCCESS);
    // The first export's rows are written now, so the second one merges into stored rows.
    await t.cp.otlp.flush();
    requests.add(3, { route: '/a' });
    latency.record(4, { route: '/a' });
    temperature.record(20);
    expect((await sdk.export()).code).toBe(ExportResultCode.SUCCESS);

    // Cumulative points 5 then 8: two points, an increase of 8 in all, the running total last.
    const counter = combined(await rollups(`instance=${ids.web1}&metric=http.server.requests`));
    expect(counter).toMatchObject({ kind: 'sum', count: 2, sum: 8, last: 8 });
    const histogram = combined(await rollups(`instance=${ids.web1}&metric=http.server.duration`));
    expect(histogram).toMatchObject({ kind: 'histogram', count: 4, sum: 737, min: 3, max: 700, bounds: DEFAULT_BOUNDS, unbucketed: 0 });
    const expected = DEFAULT_BOUNDS.map(() => 0).concat(0);
    expected[1] = 2; // 3 and 4 in (0, 5]
    expected[4] = 1; // 30 in (25, 50]
    expected[9] = 1; // 700 in (500, 750]
    expect(histogram.counts).toEqual(expected);
    const gauge = combined(await rollups(`instance=${ids.web1}&metric=cpu.temperature`));
    expect(gauge).toMatchObject({ kind: 'gauge', count: 2, sum: 30, min: 10, max: 20, last: 20 });
    const [row] = await rollups(`instance=${ids.web1}&metric=cpu.temperature`);
    expect(row!.hour).toMatch(/^\d{4}-\d\d-\d\dT\d\d:00:00\.000Z$/);
    expect(row!.project).toBe('default');
    expect(row!.unit).toBe('');
    expect((await rollups(`instance=${ids.web1}&metric=http.server.duration`))[0]!.unit).toBe('ms');
  });

  it('takes OTLP/JSON with gzip from the SDK, attributes it by host.name, and adds delta points as they come', async () => {
    const sdk = client({ encoding: 'json', gzip: true, delta: true, token: TEST_ADMIN_TOKEN, resource: { 'host.name': 'WEB-2' } });
    const jobs = sdk.meter.createCounter('jobs.done');
    jobs.add(7);
    expect((await sdk.export()).code).toBe(ExportResultCode.SUCCESS);
    jobs.add(2);
    expect((await sdk.export()).code).toBe(ExportResultCode.SUCCESS);
    expect(combined(await rollups(`instance=${ids.web2}&metric=jobs.done`))).toMatchObject({ kind: 'sum', count: 2, sum: 9, min: 2, max: 7, last: 2 });
  });

  it('attributes by host.id against the provider id of a running instance', async () => {
    const running = await eventually(async () => {
      const inst = await ok<Created>(await t.app.inject({ method: 'GET', url: `/v1/instances/${ids.web1}` }));
      return inst.status?.externalId ? inst : null;
    }, 20_000, 'web-1 to have a provider id');
    const sdk = client({ encoding: 'protobuf', token: TEST_ADMIN_TOKEN, resource: { 'host.id': running.status!.externalId!, 'host.name': 'not-a-tessera-name' } });
    sdk.meter.createGauge('disk.free').record(42);
    expect((await sdk.export()).code).toBe(ExportResultCode.SUCCESS);
    expect(combined(await rollups(`instance=${ids.web1}&metric=disk.free`))).toMatchObject({ count: 1, last: 42 });
  });

  it.each([['protobuf' as const], ['json' as const]])(
    'refuses points that fit no instance in partial_success (%s), and counts them by reason and resource in /v1/otlp/status and /metrics',
    async (encoding) => {
      const before = await status();
      const body = await sdkRequestBody(encoding, [{ 'host.name': `nowhere-${encoding}` }, { 'service.name': 'orphan' }, { 'tessera.instance.id': ids.web2 }], (meter, i) => {
        meter.createCounter('refusals').add(1);
        if (i === 0) meter.createGauge('load').record(1);
      });
      const res = await post(body, { 'content-type': encoding === 'protobuf' ? PROTOBUF : JSON_TYPE });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(encoding === 'protobuf' ? PROTOBUF : JSON_TYPE);
      const answer = sdkResponse(encoding, new Uint8Array(await res.arrayBuffer()));
      expect(Number(answer.partialSuccess?.rejectedDataPoints)).toBe(3);
      expect(answer.partialSuccess?.errorMessage).toMatch(new RegExp(`3 of 4 data points rejected: host\\.name=nowhere-${encoding}: 2 points unknown-instance`));
      expect(answer.partialSuccess?.errorMessage).toMatch(/service\.name=orphan: 1 point no-identity \(.*set tessera\.instance\.id/);

      const after = await status();
      expect(after.rejectedByReason['unknown-instance']! - before.rejectedByReason['unknown-instance']!).toBe(2);
      expect(after.rejectedByReason['no-identity']! - before.rejectedByReason['no-identity']!).toBe(1);
      expect(after.acceptedPoints - before.acceptedPoints).toBe(1);
      expect(after.rejectedByResource).toContainEqual(expect.objectContaining({ identity: `host.name=nowhere-${encoding}`, reason: 'unknown-instance', points: 2 }));
      expect(after.receiver.url).toBe(receiver.url);
      const prometheus = (await t.anonymous.inject({ method: 'GET', url: '/metrics' })).body;
      expect(prometheus).toMatch(/tessera_otlp_points_rejected_total\{reason="unknown-instance"\} [1-9]/);
      expect(prometheus).toMatch(/tessera_otlp_points_accepted_total [1-9]/);
    },
  );

  it('answers a request without a known token 401, and one that holds operator nowhere 403; the SDK sees a failed export', async () => {
    const body = await sdkRequestBody('protobuf', [{ 'tessera.instance.id': ids.web1 }], (meter) => meter.createCounter('c').add(1));
    const none = await fetch(`${receiver.url}/v1/metrics`, { method: 'POST', body, headers: { 'content-type': PROTOBUF } });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect((await statusBody(none)).message).toMatch(/Authorization: Bearer tsr_/);
    const unknown = await post(body, { 'content-type': PROTOBUF, authorization: `Bearer tsr_${'x'.repeat(43)}` });
    expect(unknown.status).toBe(401);
    expect((await statusBody(unknown)).message).toMatch(/unknown, expired or revoked/);
    const viewer = await post(body, { 'content-type': PROTOBUF, authorization: `Bearer ${tokens.alphaViewer}` });
    expect(viewer.status).toBe(403);
    expect((await statusBody(viewer)).message).toMatch(/holds operator in no project/);

    const sdk = client({ encoding: 'protobuf', resource: { 'tessera.instance.id': ids.web1 } });
    sdk.meter.createCounter('anonymous.requests').add(1);
    expect((await sdk.export()).code).toBe(ExportResultCode.FAILED);
    expect(await rollups(`metric=anonymous.requests`)).toEqual([]);
  });

  it("feeds an operator's own projects only, and matches host.name among them alone", async () => {
    const body = await sdkRequestBody('protobuf', [{ 'tessera.instance.id': ids.db1 }, { 'tessera.instance.id': ids.web1 }, { 'host.name': 'dup' }], (meter) =>
      meter.createGauge('scoped.load').record(5),
    );
    const res = await post(body, { 'content-type': PROTOBUF, authorization: `Bearer ${tokens.alphaOperator}` });
    const answer = sdkResponse('protobuf', new Uint8Array(await res.arrayBuffer()));
    expect(Number(answer.partialSuccess?.rejectedDataPoints)).toBe(1);
    expect(answer.partialSuccess?.errorMessage).toContain(`tessera.instance.id=${ids.web1}: 1 point unknown-instance`);
    expect((await rollups('metric=scoped.load')).map((r) => r.instanceId).sort()).toEqual([ids.db1, ids.dupAlpha].sort());

    // The organisation admin sees both instances named "dup": the name alone is not enough.
    const admin = await post(await sdkRequestBody('protobuf', [{ 'host.name': 'dup' }], (meter) => meter.createGauge('ambiguous.load').record(1)), { 'content-type': PROTOBUF });
    const refused = sdkResponse('protobuf', new Uint8Array(await admin.arrayBuffer()));
    expect(refused.partialSuccess?.errorMessage).toMatch(/host\.name=dup: 1 point ambiguous-instance \(2 instances/);

    // Each caller sees its own counts; the organisation admin sees everyone's.
    const own = await status(signedIn(t.anonymous, tokens.alphaOperator));
    expect(own.scope).toBe('caller');
    expect(own.acceptedPoints).toBe(2);
    expect(own.rejectedByResource.map((r) => r.identity)).toEqual([`tessera.instance.id=${ids.web1}`]);
    expect((await status()).scope).toBe('organisation');
  });

  it('narrows the rollups to the projects the reader may see, by time and a page at a time', async () => {
    const viewer = signedIn(t.anonymous, tokens.alphaViewer);
    const seen = await rollups('metric=scoped.load', viewer);
    expect(seen.map((r) => r.project)).toEqual(['alpha', 'alpha']);
    expect(await rollups(`instance=${ids.web1}`, viewer)).toEqual([]);
    const all = await rollups(`instance=${ids.web1}`);
    expect(all.length).toBeGreaterThanOrEqual(4);
    const hours = all.map((r) => r.hour).sort();
    const nextHour = new Date(Date.parse(hours[hours.length - 1]!) + 3600_000).toISOString();
    expect(await rollups(`instance=${ids.web1}&from=${nextHour}`)).toEqual([]);
    expect(await rollups(`instance=${ids.web1}&to=${hours[0]}`)).toEqual([]);
    expect(await rollups(`instance=${ids.web1}&from=${hours[0]}&to=${nextHour}`)).toEqual(all);
    const paged: RollupRow[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: RollupRow[]; nextCursor: string | null } = await ok(
        await t.app.inject({ method: 'GET', url: `/v1/metrics/rollups?instance=${ids.web1}&limit=1${cursor ? `&cursor=${cursor}` : ''}` }),
      );
      expect(page.items.length).toBeLessThanOrEqual(1);
      paged.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    expect(paged).toEqual(all);
    expect((await t.app.inject({ method: 'GET', url: '/v1/metrics/rollups?cursor=bogus' })).statusCode).toBe(400);
  });

  it('adds up the work each instance did over a period (the price-performance input)', async () => {
    const hour = Date.parse((await rollups(`instance=${ids.web1}&metric=http.server.requests`))[0]!.hour);
    const period = { from: new Date(hour - 3600_000), to: new Date(hour + 2 * 3600_000) };
    const work = await t.cp.otlp.workDone({ instanceIds: [ids.web1, ids.web2, 'i-0000000000000000'], metric: 'http.server.requests', aggregation: 'sum', ...period });
    expect(work[0]).toMatchObject({ instanceId: ids.web1, total: 8 });
    expect(work[0]!.hoursCovered).toBeGreaterThanOrEqual(1);
    expect(work.slice(1)).toEqual([
      { instanceId: ids.web2, total: null, hoursCovered: 0 },
      { instanceId: 'i-0000000000000000', total: null, hoursCovered: 0 },
    ]);
    const measured = await t.cp.otlp.workDone({ instanceIds: [ids.web1], metric: 'http.server.duration', aggregation: 'count', ...period });
    expect(measured[0]!.total).toBe(4);
    const peak = await t.cp.otlp.workDone({ instanceIds: [ids.web1], metric: 'cpu.temperature', aggregation: 'max', ...period });
    expect(peak[0]!.total).toBe(20);
    const last = await t.cp.otlp.workDone({ instanceIds: [ids.web1], metric: 'cpu.temperature', aggregation: 'last', ...period });
    expect(last[0]!.total).toBe(20);
  });

  it('reads OTLP/JSON as the specification writes it (int64 as strings or numbers, enums as integers, hex ids) and refuses what it cannot roll up, point by point', async () => {
    const now = BigInt(Date.now()) * 1_000_000n;
    const point = (extra: object) => ({ timeUnixNano: String(now), startTimeUnixNano: String(now - 10_000_000_000n), ...extra });
    const body = {
      resourceMetrics: [
        {
          resource: { attributes: [{ key: 'tessera.instance.id', value: { stringValue: ids.web2 } }], droppedAttributesCount: 0 },
          scopeMetrics: [
            {
              scope: { name: 'handwritten', version: '1' },
              metrics: [
                {
                  name: 'json.gauge',
                  unit: 'By',
                  gauge: {
                    dataPoints: [
                      point({ asInt: '42', exemplars: [{ timeUnixNano: String(now), asDouble: 1, traceId: '5B8EFFF798038103D269B633813FC60C', spanId: 'EEE19B7EC3C1B174' }] }),
                      // A millisecond earlier, as a JSON number (mid-millisecond: a double this large is exact to 256 ns only).
                      point({ asDouble: 7, timeUnixNano: Number(now - 500_000n) }),
                      point({}),
                      point({ asDouble: 1, timeUnixNano: String(now + 7_200_000_000_000n) }),
                    ],
                  },
                },
                { name: 'json.unspecified', sum: { aggregationTemporality: 0, dataPoints: [point({ asDouble: 1 })] } },
                { name: 'json.summary', summary: { dataPoints: [point({ count: '1', sum: 2, quantileValues: [] })] } },
                { name: 'json.exponential', exponentialHistogram: { aggregationTemporality: 1, dataPoints: [point({ count: 1, scale: 2 })] } },
                { name: 'json.histogram', histogram: { aggregationTemporality: 1, dataPoints: [point({ count: '3', sum: 6, bucketCounts: ['1', 1], explicitBounds: [1] })] } },
              ],
            },
          ],
        },
      ],
    };
    const res = await post(JSON.stringify(body), { 'content-type': JSON_TYPE });
    expect(res.status).toBe(200);
    const answer = sdkResponse('json', new Uint8Array(await res.arrayBuffer()));
    expect(Number(answer.partialSuccess?.rejectedDataPoints)).toBe(6);
    const message = answer.partialSuccess!.errorMessage!;
    expect(message).toMatch(/metric "json\.gauge": the data point has no finite value/);
    expect(message).toMatch(/metric "json\.gauge": time_unix_nano .* is more than an hour ahead/);
    expect(message).toMatch(/metric "json\.unspecified": aggregation_temporality must be DELTA \(1\) or CUMULATIVE \(2\)/);
    expect(message).toMatch(/metric "json\.summary": summaries are not rolled up/);
    // Five refusals are listed; the sixth (the histogram whose count is not its buckets' sum) is counted.
    expect(message).toMatch(/; and 1 more\. Counts by reason and resource: GET \/v1\/otlp\/status$/);
    expect(await rollups(`instance=${ids.web2}&metric=json.histogram`)).toEqual([]);
    const gauge = await rollups(`instance=${ids.web2}&metric=json.gauge`);
    expect(combined(gauge)).toMatchObject({ kind: 'gauge', count: 2, sum: 49, min: 7, max: 42, last: 42 });
    expect(gauge[0]!.unit).toBe('By');
    const byReason = (await status()).rejectedByReason;
    expect(byReason['unsupported-type']).toBeGreaterThanOrEqual(2);
    expect(byReason['invalid-point']).toBeGreaterThanOrEqual(4);
  });

  it('refuses a metric sent as another type in the same hour (type-conflict)', async () => {
    const gauge = await sdkRequestBody('protobuf', [{ 'tessera.instance.id': ids.web2 }], (meter) => meter.createGauge('shape.shifter').record(1));
    expect((await post(gauge, { 'content-type': PROTOBUF })).status).toBe(200);
    const counter = await sdkRequestBody('protobuf', [{ 'tessera.instance.id': ids.web2 }], (meter) => meter.createCounter('shape.shifter', {}).add(1));
    const answer = sdkResponse('protobuf', new Uint8Array(await (await post(counter, { 'content-type': PROTOBUF })).arrayBuffer()));
    expect(answer.partialSuccess?.errorMessage).toMatch(/type-conflict \(metric "shape\.shifter": this hour it is already a gauge/);
    expect(combined(await rollups(`instance=${ids.web2}&metric=shape.shifter`))).toMatchObject({ kind: 'gauge', count: 1 });
  });

  it('answers what is not OTLP per the specification: 415, 400 with a Status in the request encoding, 404, 405', async () => {
    const plain = await post('hello', { 'content-type': 'text/plain' });
    expect(plain.status).toBe(415);
    expect((await statusBody(plain)).message).toMatch(/send application\/x-protobuf or application\/json/);
    const brotli = await post(Buffer.from('x'), { 'content-type': PROTOBUF, 'content-encoding': 'br' });
    expect(brotli.status).toBe(415);
    expect((await statusBody(brotli)).message).toMatch(/Content-Encoding "br" is not supported/);

    const garbage = await post(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]), { 'content-type': PROTOBUF });
    expect(garbage.status).toBe(400);
    expect(garbage.headers.get('content-type')).toBe(PROTOBUF);
    expect(await statusBody(garbage)).toMatchObject({ code: 3, message: expect.stringMatching(/not a protobuf-encoded ExportMetricsServiceRequest/) });
    for (const [body, message] of [
      ['{"resourceMetrics": [', /not valid JSON/],
      ['[1, 2]', /must be a JSON object/],
      ['{"resourceMetrics": 5}', /not an OTLP\/JSON ExportMetricsServiceRequest/],
    ] as const) {
      const res = await post(body, { 'content-type': `${JSON_TYPE}; charset=utf-8` });
      expect(res.status, body).toBe(400);
      expect(res.headers.get('content-type')).toBe(JSON_TYPE);
      expect((await statusBody(res)).message).toMatch(message);
    }
    const notGzip = await post(Buffer.from('plainly not gzip'), { 'content-type': PROTOBUF, 'content-encoding': 'gzip' });
    expect(notGzip.status).toBe(400);
    expect((await statusBody(notGzip)).message).toMatch(/not valid gzip/);

    expect((await fetch(`${receiver.url}/v1/traces`, { method: 'POST', body: 'x', headers: { 'content-type': PROTOBUF } })).status).toBe(404);
    const get = await fetch(`${receiver.url}/v1/metrics`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    // An empty request is a success with nothing to say.
    const empty = await post(Buffer.alloc(0), { 'content-type': PROTOBUF });
    expect(empty.status).toBe(200);
    expect((await empty.arrayBuffer()).byteLength).toBe(0);
  });

  it('answers 413 past the size limit (before and after gzip) and 429 with Retry-After when it is reading too many requests', async () => {
    const small = (await startOtlpReceiver(t.cp, { host: '127.0.0.1', port: 0, maxBodyBytes: 2048 }))!;
    const busy = (await startOtlpReceiver(t.cp, { host: '127.0.0.1', port: 0, maxConcurrentRequests: 0 }))!;
    try {
      const big = await sdkRequestBody('json', [{ 'tessera.instance.id': ids.web1 }], (meter) => {
        const c = meter.createCounter('big');
        for (let i = 0; i < 100; i++) c.add(1, { shard: `shard-${i}` });
      });
      expect(big.length).toBeGreaterThan(2048);
      const tooLarge = await post(big, { 'content-type': JSON_TYPE }, small.url);
      expect(tooLarge.status).toBe(413);
      expect((await statusBody(tooLarge)).message).toMatch(/larger than 2048 bytes/);
      const bomb = gzipSync(big);
      expect(bomb.length).toBeLessThan(2048);
      const inflated = await post(bomb, { 'content-type': JSON_TYPE, 'content-encoding': 'gzip' }, small.url);
      expect(inflated.status).toBe(413);
      expect((await statusBody(inflated)).message).toMatch(/inflates to more than 2048 bytes/);
      const refused = await post(bomb, { 'content-type': JSON_TYPE, 'content-encoding': 'gzip' }, busy.url);
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('1');
    } finally {
      await small.close();
      await busy.close();
    }
    // The other receivers stopping leaves this plane's own in place, and in the status.
    expect((await post(Buffer.alloc(0), { 'content-type': PROTOBUF })).status).toBe(200);
    expect((await status()).receiver.url).toBe(receiver.url);
  });

  it('runs on without a receiver when the default port is taken (saying so), and refuses a port asked for that is taken', async () => {
    const blocker = createServer();
    const blocked = await new Promise<boolean>((resolve) => {
      blocker.once('error', () => resolve(false)); // something else holds 4318 already: just as good
      blocker.listen(OTLP_DEFAULT_PORT, '127.0.0.1', () => resolve(true));
    });
    try {
      expect(await startOtlpReceiver(t.cp, { host: '127.0.0.1' })).toBeNull();
      expect((await status()).receiver).toEqual({ url: receiver.url, note: expect.stringMatching(/port 4318 on 127\.0\.0\.1 is in use.*set otlp\.port/) });
    } finally {
      if (blocked) await new Promise((resolve) => blocker.close(resolve));
    }
    const taken = Number(new URL(receiver.url).port);
    await expect(startOtlpReceiver(t.cp, { host: '127.0.0.1', port: taken })).rejects.toThrow(`the OTLP receiver cannot listen on 127.0.0.1:${taken}`);
  });

  // Only PostgreSQL is shared by several servers (an embedded SQLite file is held by one): the case exists there
  // alone, rather than being reported as skipped on SQLite.
  const onSharedDatabase = (dialect === 'postgres' ? it : () => undefined) as typeof it;
  onSharedDatabase('two processes writing one hour row both land: flushes merge under a lock', async () => {
    const otherStore = await tdb.open();
    const other = new OtlpMetering(otherStore, createMetrics(), t.cp.logger);
    try {
      const body = await sdkRequestBody('protobuf', [{ 'tessera.instance.id': ids.db1 }], (meter) => meter.createCounter('shared.hour', {}).add(1));
      const caller = { id: 'test', projects: undefined };
      // Delta points, so each process's points add up without cumulative state.
      const request = decodeExportRequest(body, 'protobuf');
      for (const rm of request.resourceMetrics) for (const sm of rm.scopeMetrics) for (const m of sm.metrics) m.sum!.aggregationTemporality = 1;
      for (let round = 0; round < 5; round++) {
        await Promise.all([t.cp.otlp.ingest(request, caller), other.ingest(request, caller)]);
        await Promise.all([t.cp.otlp.flush(), other.flush()]);
      }
      expect(combined(await rollups(`instance=${ids.db1}&metric=shared.hour`))).toMatchObject({ count: 10, sum: 10 });
    } finally {
      await other.close();
      await otherStore.close();
    }
  });

  it('writes what is left when the plane closes', async () => {
    const sdk = client({ encoding: 'protobuf', token: TEST_ADMIN_TOKEN, resource: { 'tessera.instance.id': ids.web2 } });
    sdk.meter.createGauge('at.shutdown').record(99);
    expect((await sdk.export()).code).toBe(ExportResultCode.SUCCESS);
    closed = true;
    await shutdownClients();
    await receiver.close();
    await t.close();
    const store = await tdb.open();
    try {
      const rows = await store.db.selectFrom('metric_rollups').selectAll().where('metric', '=', 'at.shutdown').execute();
      expect(rows.map((r) => Number(r.last))).toEqual([99]);
    } finally {
      await store.close();
    }
  });
});
