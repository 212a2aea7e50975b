/**
 * `GET /v1/instances/{id}`: Tessera's throughput against a bare node:http server answering the same bytes from
 * memory (same load generator, connections and duration, same run), and Tessera's latency at a fixed rate.
 * Targets: throughput ratio ≥ 0.5; p99 ≤ 10 ms at 1,000 req/s.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../src/api/server.js';
import { startBareJsonServer } from './lib/bare-json-server.js';
import { createBenchDatabase, type BenchDatabase } from './lib/bench-database.js';
import { benchLogger, simProvider } from './lib/control-plane.js';
import { runLoad, type LoadResult } from './lib/http-load.js';
import { createInstances } from './lib/instances.js';
import { machineFacts } from './lib/machine.js';
import { figure, note, printHeader, printSection, target } from './lib/report.js';
import { measureRequestCost } from './lib/request-cost.js';
import { pollUntil } from './lib/wait.js';

const INSTANCES = 300;
const CONNECTIONS = 10;
const WARMUP_SECONDS = 2;
const MEASURE_SECONDS = 10;
const FIXED_RATE = 1_000;
const COST_ITERATIONS = 20_000;
const PROVIDER = 'bench-sim';
const BENCH_TOKEN = `tsr_${'bench-admin-token-'.repeat(2)}`;
const AUTH = { authorization: `Bearer ${BENCH_TOKEN}` };

async function main(): Promise<void> {
  const db = await createBenchDatabase('sqlite', 'api');
  printHeader('api-get: GET /v1/instances/{id}, Tessera vs bare node:http', machineFacts(db.description));
  const tessera = await startTessera(db);
  try {
    const ids = await createRunningInstances(tessera);
    const bodies = await fetchBodies(tessera.url, ids);
    const bare = await startBareJsonServer(bodies);
    try {
      const paths = [...bodies.keys()];
      const size = bodies.get(paths[0]!)!.length;
      note(`${ids.length} Running instances on SQLite; each answer is ~${size} bytes of JSON; every request authenticated with an API token; controllers stopped while measuring`);

      printSection(`throughput: ${CONNECTIONS} connections × ${MEASURE_SECONDS} s each, after ${WARMUP_SECONDS} s of warm-up`);
      const load = { paths, headers: AUTH, connections: CONNECTIONS, durationSeconds: MEASURE_SECONDS, warmupSeconds: WARMUP_SECONDS };
      const bareRun = await runLoad({ url: bare.url, ...load });
      const tesseraRun = await runLoad({ url: tessera.url, ...load });
      printRun('bare node:http (baseline)', bareRun);
      printRun('Tessera', tesseraRun);
      target('ratio Tessera / baseline', tesseraRun.requestsPerSecond / bareRun.requestsPerSecond, '≥', 0.5);
      figure(
        'server thread busy per request',
        `${Math.round(bareRun.mainThreadMicrosPerRequest)} µs bare, ${Math.round(tesseraRun.mainThreadMicrosPerRequest)} µs Tessera`,
        '',
        `(${(tesseraRun.mainThreadMicrosPerRequest / bareRun.mainThreadMicrosPerRequest).toFixed(1)}× the baseline's work per request)`,
      );

      printSection(`latency at a fixed ${FIXED_RATE.toLocaleString('en-US')} req/s (autocannon overallRate, ${CONNECTIONS} connections, ${MEASURE_SECONDS} s)`);
      const fixed = { paths, headers: AUTH, connections: CONNECTIONS, durationSeconds: MEASURE_SECONDS, overallRate: FIXED_RATE };
      const bareFixed = await runLoad({ url: bare.url, ...fixed });
      const tesseraFixed = await runLoad({ url: tessera.url, ...fixed });
      printRun('bare node:http (baseline)', bareFixed);
      printRun('Tessera', tesseraFixed);
      target('Tessera p99', tesseraFixed.latencyMs.p99, '≤', 10, 'ms', 1);
      note('autocannon sends each second\'s quota in bursts at full concurrency, so this is a pessimistic p99 for 1,000 req/s');

      printSection(`cost of one request by layer (in process, no sockets, ${COST_ITERATIONS.toLocaleString('en-US')} sequential calls each)`);
      for (const line of await measureRequestCost(tessera.controlPlane, tessera.app, ids, COST_ITERATIONS, AUTH)) {
        figure(line.step, line.microseconds, 'µs');
      }
      note('each layer includes those above it in the list where it calls them (store.get runs the SQL and the decode)');
    } finally {
      await bare.close();
    }
  } finally {
    await tessera.close();
    await db.dispose();
  }
}

/** The production composition (`tessera server`): config file, store, providers, controllers, HTTP API. */
async function startTessera(db: BenchDatabase): Promise<RunningServer> {
  const configPath = join(db.dataDir, 'tessera.yaml');
  const config = {
    logLevel: 'error',
    // No inventory sync while measuring: it would list the provider and write in the middle of a run.
    discovery: { intervalSeconds: 86_400 },
    providers: [simProvider(PROVIDER, { regions: [{ name: 'r1', zones: ['r1a', 'r1b'] }] }, { perSecond: null })],
  };
  writeFileSync(configPath, JSON.stringify(config, null, 2)); // JSON is YAML
  return startServer({
    configPath,
    dataDir: db.dataDir,
    port: 0,
    host: '127.0.0.1',
    // The benchmark signs in like any client: every request carries this token and is authenticated.
    env: { TESSERA_BOOTSTRAP_TOKEN: BENCH_TOKEN },
    logger: benchLogger(),
    // Controllers are started only to bring the instances up, and stopped before any measurement.
    background: false,
  });
}

/** Running instances answer with everything a real one carries (external id, addresses, observed state). */
async function createRunningInstances(server: RunningServer): Promise<string[]> {
  const cp = server.controlPlane;
  const ids = await createInstances(cp, { count: INSTANCES, namePrefix: 'api', providers: [PROVIDER], flavors: ['small', 'medium', 'large'], parallel: 16 });
  cp.runner.start();
  const converged = await pollUntil(async () => (await cp.store.count('Instance', { phase: 'Running' })) === INSTANCES, {
    intervalMs: 100,
    timeoutMs: 60_000,
  });
  await cp.runner.stop();
  if (!converged) throw new Error(`the ${INSTANCES} instances did not reach Running within 60 s`);
  return ids;
}

async function fetchBodies(url: string, ids: string[]): Promise<Map<string, Buffer>> {
  const bodies = new Map<string, Buffer>();
  for (const id of ids) {
    const path = `/v1/instances/${id}`;
    const res = await fetch(url + path, { headers: AUTH });
    if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}`);
    bodies.set(path, Buffer.from(await res.arrayBuffer()));
  }
  return bodies;
}

function printRun(label: string, run: LoadResult): void {
  const { p50, p99, max } = run.latencyMs;
  figure(label, Math.round(run.requestsPerSecond), 'req/s', `p50 ${p50} ms, p99 ${p99} ms, max ${max} ms`);
  if (run.non2xx > 0 || run.errors > 0) note(`${label}: ${run.non2xx} non-2xx answers and ${run.errors} errors of ${run.total} requests`);
}

await main();
