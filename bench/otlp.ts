/**
 * OTLP ingest: data points per second through the receiver's handler (inflate, decode, attribute to instances,
 * cumulative points turned into increases, hourly rollup in memory, the answer encoded) against raw decoding of the
 * same payloads with the same protobuf library and schema, same run. Payloads are what the OpenTelemetry JS SDK
 * exports: 100 instances, each a counter, a histogram, a gauge and an up-down counter over a few attribute sets, 100
 * consecutive cumulative exports each, batched 25 resources to a request as a Collector would. Target: ratio ≥ 0.5.
 * Also shown, as information: OTLP/JSON the same way, the same payloads over HTTP, and a write-behind flush.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Meter } from '@opentelemetry/api';
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { startOtlpReceiver } from '../src/api/otlp-receiver.js';
import type { ControlPlane } from '../src/api/control-plane.js';
import { decodeExportRequest, exportRequestType } from '../src/metering/otlp/otlp-codec.js';
import { answerExport } from '../src/metering/otlp/otlp-exchange.js';
import { OtlpMetering } from '../src/metering/otlp/otlp-metering.js';
import { pointsOfResource } from '../src/metering/otlp/otlp-messages.js';
import { createMetrics } from '../src/runtime/metrics.js';
import { createBenchDatabase } from './lib/bench-database.js';
import { benchLogger, openControlPlane, simProvider } from './lib/control-plane.js';
import { createInstances } from './lib/instances.js';
import { machineFacts } from './lib/machine.js';
import { figure, note, printHeader, printSection, target } from './lib/report.js';

const INSTANCES = 100;
const EXPORTS = 100;
const RESOURCES_PER_REQUEST = 25;
const PASSES = 5;
const HTTP_SENDERS = 4;
const PROVIDER = 'bench-sim';
const CALLER = { id: 'bench', projects: undefined };
const CONTENT_TYPE = { protobuf: 'application/x-protobuf', json: 'application/json' } as const;

type Encoding = keyof typeof CONTENT_TYPE;

async function main(): Promise<void> {
  const db = await createBenchDatabase('sqlite', 'otlp');
  printHeader('otlp: OTLP/HTTP metrics ingest, Tessera vs raw protobufjs decoding', machineFacts(db.description));
  const cp = await openControlPlane(db, [simProvider(PROVIDER, { regions: [{ name: 'r1', zones: ['r1a'] }] }, { perSecond: null })]);
  try {
    const ids = await createInstances(cp, { count: INSTANCES, namePrefix: 'otlp', providers: [PROVIDER], flavors: ['small'], parallel: 16 });
    const payloads = await sdkPayloads(ids);
    const points = payloads.protobuf.reduce((n, body) => n + decodeExportRequest(body, 'protobuf').resourceMetrics.reduce((m, rm) => m + pointsOfResource(rm), 0), 0);
    const bytes = (list: Buffer[]) => list.reduce((n, b) => n + b.length, 0);
    note(
      `${points.toLocaleString('en-US')} points in ${payloads.protobuf.length} requests per pass (${INSTANCES} instances × ${EXPORTS} cumulative exports, ${RESOURCES_PER_REQUEST} resources a request); ` +
        `${(bytes(payloads.protobuf) / 2 ** 20).toFixed(1)} MiB as protobuf, ${(bytes(payloads.json) / 2 ** 20).toFixed(1)} MiB as JSON`,
    );
    note("ingest runs the receiver's handler (answerExport) with a fresh metering each pass, so each pass sees every series from its start");

    for (const encoding of ['protobuf', 'json'] as const) {
      const bodies = payloads[encoding];
      const decodeRaw = encoding === 'protobuf' ? (b: Buffer) => exportRequestType().decode(b) : (b: Buffer) => exportRequestType().fromObject(JSON.parse(b.toString('utf8')));
      const raw: number[] = [];
      const ingest: number[] = [];
      for (let pass = 0; pass <= PASSES; pass++) {
        const r = timed(() => bodies.forEach(decodeRaw));
        const i = await ingestPass(cp, bodies, encoding);
        // Pass 0 warms the JIT up and is not counted.
        if (pass > 0) {
          raw.push(r);
          ingest.push(i);
        }
      }
      printSection(`${encoding === 'protobuf' ? 'protobuf' : 'OTLP/JSON'}: median of ${PASSES} passes each, alternating`);
      const rate = (seconds: number) => Math.round(points / seconds);
      const rawRate = rate(median(raw));
      const ingestRate = rate(median(ingest));
      const how = encoding === 'protobuf' ? 'Type.decode' : 'JSON.parse + Type.fromObject';
      figure(`raw protobufjs ${how} (baseline)`, rawRate, 'points/s');
      figure('Tessera ingest (receiver handler)', ingestRate, 'points/s');
      if (encoding === 'protobuf') target('ratio ingest / raw decoding', ingestRate / rawRate, '≥', 0.5);
      else figure('ratio ingest / raw decoding', ingestRate / rawRate, '', '(information)');
    }

    printSection(`over HTTP: protobuf, ${HTTP_SENDERS} keep-alive senders, token-authenticated (information)`);
    const receiver = (await startOtlpReceiver(cp, { host: '127.0.0.1', port: 0 }))!;
    // A fresh database: the first start created the organisation admin and handed its token over.
    if (!cp.bootstrap.created) throw new Error('the benchmark needs a fresh database');
    const token = cp.bootstrap.token;
    try {
      await httpPass(receiver.url, token, payloads.protobuf); // warm-up
      const seconds = await timedAsync(() => httpPass(receiver.url, token, payloads.protobuf));
      figure('Tessera over HTTP', Math.round(points / seconds), 'points/s', `${Math.round(payloads.protobuf.length / seconds)} requests/s of ~${Math.round(bytes(payloads.protobuf) / payloads.protobuf.length / 1024)} KiB`);
    } finally {
      await receiver.close();
    }

    printSection('write-behind (information)');
    const metering = new OtlpMetering(cp.store, createMetrics(), benchLogger(), { flushIntervalMs: 3_600_000 });
    for (const body of payloads.protobuf) await answerExport(metering, { contentType: CONTENT_TYPE.protobuf, contentEncoding: undefined, body }, CALLER);
    const rows = metering.status().rollups.pending;
    const flushSeconds = await timedAsync(() => metering.flush());
    figure('one flush', Math.round(flushSeconds * 1000), 'ms', `${rows} hour rows merged into the table in one transaction`);
    await metering.close();
  } finally {
    await cp.close();
    await db.dispose();
  }
}

/**
 * One pass of the receiver's handler over every payload, answers checked (every point must be accepted); returns the
 * seconds the requests took. The metering is made, its index of instances read, and its rows written outside the timing.
 */
async function ingestPass(cp: ControlPlane, bodies: Buffer[], encoding: Encoding): Promise<number> {
  const metering = new OtlpMetering(cp.store, createMetrics(), benchLogger(), { flushIntervalMs: 3_600_000 });
  await metering.ingest({ resourceMetrics: [] }, CALLER);
  const seconds = await timedAsync(async () => {
    for (const body of bodies) {
      const answer = await answerExport(metering, { contentType: CONTENT_TYPE[encoding], contentEncoding: undefined, body }, CALLER);
      if (answer.status !== 200 || answer.body.length > 2) throw new Error(`ingest answered ${answer.status}: ${answer.body.toString()}`);
    }
  });
  await metering.close();
  return seconds;
}

async function httpPass(url: string, token: string, bodies: Buffer[]): Promise<void> {
  let next = 0;
  const sender = async () => {
    for (let i = next++; i < bodies.length; i = next++) {
      const res = await fetch(`${url}/v1/metrics`, { method: 'POST', body: bodies[i], headers: { 'content-type': CONTENT_TYPE.protobuf, authorization: `Bearer ${token}` } });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`the receiver answered ${res.status}`);
    }
  };
  await Promise.all(Array.from({ length: HTTP_SENDERS }, sender));
}

class ManualReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

/** What a service's SDK records between two exports: requests and their durations by route, CPU, a queue. */
function recordActivity(round: number, instruments: ReturnType<typeof makeInstruments>): void {
  for (let r = 0; r < 10; r++) {
    const attributes = { 'http.route': `/api/v1/resource-${r}`, 'http.request.method': r % 3 ? 'GET' : 'POST', 'http.response.status_code': r === 9 ? 500 : 200 };
    instruments.requests.add(1 + ((round + r) % 7), attributes);
    instruments.duration.record(((round * 37 + r * 11) % 900) + 0.5, attributes);
  }
  for (let cpu = 0; cpu < 4; cpu++) instruments.cpu.record(((round + cpu) % 100) / 100, { 'cpu.logical_number': cpu });
  instruments.queue.add((round % 5) - 2, { queue: 'ingest' });
  instruments.queue.add((round % 3) - 1, { queue: 'email' });
}

function makeInstruments(meter: Meter) {
  return {
    requests: meter.createCounter('http.server.request.count'),
    duration: meter.createHistogram('http.server.request.duration', { unit: 'ms' }),
    cpu: meter.createGauge('system.cpu.utilization', { unit: '1' }),
    queue: meter.createUpDownCounter('queue.depth'),
  };
}

/** The requests of every export round, as the SDK's own serializers encode them, batched a few resources a request. */
async function sdkPayloads(ids: string[]): Promise<Record<Encoding, Buffer[]>> {
  const sdks = ids.map((id, i) => {
    const reader = new ManualReader();
    const provider = new MeterProvider({
      resource: resourceFromAttributes({ 'tessera.instance.id': id, 'service.name': 'shop', 'host.name': `otlp-${i}`, 'telemetry.sdk.language': 'nodejs' }),
      readers: [reader],
    });
    return { reader, instruments: makeInstruments(provider.getMeter('bench')) };
  });
  const out: Record<Encoding, Buffer[]> = { protobuf: [], json: [] };
  for (let round = 0; round < EXPORTS; round++) {
    // Each export of a series must be stamped later than its previous one (a point no newer is a repeat).
    await sleep(2);
    for (let first = 0; first < sdks.length; first += RESOURCES_PER_REQUEST) {
      const proto: Buffer[] = [];
      const json: unknown[] = [];
      for (const sdk of sdks.slice(first, first + RESOURCES_PER_REQUEST)) {
        recordActivity(round, sdk.instruments);
        const { resourceMetrics } = await sdk.reader.collect();
        proto.push(Buffer.from(ProtobufMetricsSerializer.serializeRequest(resourceMetrics)!));
        json.push(...(JSON.parse(Buffer.from(JsonMetricsSerializer.serializeRequest(resourceMetrics)!).toString('utf8')) as { resourceMetrics: unknown[] }).resourceMetrics);
      }
      out.protobuf.push(Buffer.concat(proto));
      out.json.push(Buffer.from(JSON.stringify({ resourceMetrics: json })));
    }
  }
  return out;
}

function timed(fn: () => void): number {
  gc();
  const start = performance.now();
  fn();
  return (performance.now() - start) / 1000;
}

async function timedAsync(fn: () => Promise<void>): Promise<number> {
  gc();
  const start = performance.now();
  await fn();
  return (performance.now() - start) / 1000;
}

/** A collection before each timing (when node runs with --expose-gc, as bench/run.ts starts it). */
function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

await main();
