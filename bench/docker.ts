/**
 * 50 containers, create → Running, on one private dockerd (vfs, the tests' busybox image), two ways in the same
 * run: a `docker run -d` loop (the docker CLI, one container after another: what a script does), and Tessera
 * (a control plane on SQLite with a `docker` provider, controllers running, the 50 instances asked for through
 * the InstanceService). Target: Tessera within 1.2 × the loop.
 *
 *   node --import tsx bench/docker.ts
 *
 * Needs root and the Debian packages docker.io and busybox-static (scripts/install-test-deps), like the tests.
 */
import type { ControlPlane } from '../src/api/control-plane.js';
import { INSTANCE_KIND } from '../src/core/instance.js';
import type { ProviderConfig } from '../src/providers/registry.js';
import { startDockerd, type PrivateDockerd } from '../test/support/dockerd.js';
import { createBenchDatabase, type BenchDatabase } from './lib/bench-database.js';
import { counterBy, describeCounts, sum } from './lib/call-counts.js';
import { openControlPlane } from './lib/control-plane.js';
import { machineFacts } from './lib/machine.js';
import { figure, note, printHeader, printSection, target } from './lib/report.js';
import { pollUntil } from './lib/wait.js';

const CONTAINERS = 50;
const PROVIDER = 'docker-bench';
/** c1.tiny: the loop asks docker for the same limits (`--cpus 0.5 --memory 256m`). */
const FLAVOR = 'c1.tiny';
/** Instances are asked for this many at a time, as concurrent API clients would. */
const SUBMIT_PARALLEL = 8;
const TIMEOUT_MS = 120_000;

async function main(): Promise<void> {
  const db = await createBenchDatabase('sqlite', 'docker');
  let dockerd: PrivateDockerd | undefined;
  try {
    dockerd = await startDockerd();
    const version = await dockerd.docker(['version', '--format', '{{.Server.Version}}']);
    printHeader(`docker: ${CONTAINERS} containers create → Running, Tessera vs a docker run -d loop, same daemon`, machineFacts(db.description));
    note(`private dockerd ${version} (vfs, own bridge, no iptables), image ${dockerd.image} (busybox, exits at once on SIGTERM)`);

    // Not measured: the daemon's first container pays for warming caches that every later one finds warm.
    await dockerd.docker(['rm', '-f', await dockerd.docker(['run', '-d', dockerd.image])]);

    printSection(`baseline: docker run -d --cpus 0.5 --memory 256m, ${CONTAINERS} times in a loop`);
    const loopSeconds = await dockerRunLoop(dockerd);
    figure('docker run loop', loopSeconds, 's', `${((loopSeconds * 1000) / CONTAINERS).toFixed(0)} ms per container`);
    await removeAll(dockerd);

    printSection(`Tessera: ${CONTAINERS} instances (flavor ${FLAVOR}) through the InstanceService, controllers running`);
    const tessera = await throughTessera(db, dockerd);
    figure('Tessera', tessera.seconds, 's', `${tessera.running} Running, ${tessera.inDocker} running Tessera containers in docker ps`);
    figure('provider calls', tessera.calls, '', describeCounts(tessera.callsByOp));
    note('each driver create is 4 engine calls (list the host\'s Tessera containers, create, start, inspect); the loop\'s docker run is 2 plus a CLI process');

    printSection('results');
    figure('docker run loop', loopSeconds, 's');
    figure('Tessera', tessera.seconds, 's');
    target('ratio Tessera / docker run loop', tessera.seconds / loopSeconds, '≤', 1.2);
    if (tessera.running < CONTAINERS) note(`only ${tessera.running} of ${CONTAINERS} reached Running within ${TIMEOUT_MS / 1000} s`);
  } finally {
    await dockerd?.stop();
    await db.dispose();
  }
}

async function dockerRunLoop(dockerd: PrivateDockerd): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < CONTAINERS; i++) {
    await dockerd.docker(['run', '-d', '--name', `loop-${i}`, '--cpus', '0.5', '--memory', '256m', dockerd.image]);
  }
  return (performance.now() - started) / 1000;
}

async function removeAll(dockerd: PrivateDockerd): Promise<void> {
  const ids = (await dockerd.docker(['ps', '-a', '-q'])).split('\n').filter(Boolean);
  if (ids.length > 0) await dockerd.docker(['rm', '-f', ...ids]);
}

async function throughTessera(
  db: BenchDatabase,
  dockerd: PrivateDockerd,
): Promise<{ seconds: number; running: number; inDocker: number; calls: number; callsByOp: Record<string, number> }> {
  // As an operator would configure one host; overcommit lets 50 half-CPU containers onto a small machine (the
  // loop is not limited either), and the default rate limit (100 calls/s) stays.
  const provider: ProviderConfig = {
    name: PROVIDER,
    type: 'docker',
    config: { hosts: [{ name: 'local', socketPath: dockerd.socketPath }], overcommit: { cpu: 64 } },
  };
  const cp = await openControlPlane(db, [provider], { controller: { pollMs: 200 } });
  try {
    // Fill the offer and image caches as any earlier request would have; not part of a create.
    await cp.catalog.all();
    await cp.catalog.imageNames(PROVIDER);
    cp.startBackground();
    const started = performance.now();
    await submit(cp, dockerd.image);
    let running = 0;
    await pollUntil(
      async () => {
        running = await cp.store.count(INSTANCE_KIND, { phase: 'Running' });
        return running >= CONTAINERS;
      },
      { intervalMs: 20, timeoutMs: TIMEOUT_MS },
    );
    const seconds = (performance.now() - started) / 1000;
    const inDocker = (await dockerd.docker(['ps', '-q', '--filter', 'label=tessera.io/id'])).split('\n').filter(Boolean).length;
    const callsByOp = await counterBy(cp.metrics.providerCalls, 'op');
    return { seconds, running, inDocker, calls: sum(callsByOp), callsByOp };
  } finally {
    await cp.close();
  }
}

async function submit(cp: ControlPlane, image: string): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < CONTAINERS; i = next++) {
      await cp.instances.create({
        name: `bench-${i}`,
        project: 'default',
        labels: { app: 'bench' },
        provider: PROVIDER,
        flavor: FLAVOR,
        image,
        market: 'on-demand',
        powerState: 'on',
        driftPolicy: 'report',
      });
    }
  };
  await Promise.all(Array.from({ length: SUBMIT_PARALLEL }, worker));
}

await main();
