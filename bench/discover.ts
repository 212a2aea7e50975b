/**
 * Inventory discovery of 100,000 machines from one simulated provider, listed in pages of 1,000: the time of
 * the first sync (everything new) and of a second one (nothing new), and the process's peak RSS during each.
 * Targets: first sync ≤ 10 s, peak RSS ≤ 600 MB. The baseline is listing the same pages through the driver
 * without recording anything, measured in the same process.
 *
 *   node --expose-gc --import tsx bench/discover.ts [--db sqlite|postgres|both]
 *
 * Run each database in a process of its own (bench/run.ts does) for a clean memory figure.
 */
import type { ControlPlane } from '../src/api/control-plane.js';
import type { SyncResult } from '../src/compute/discovery.js';
import { INSTANCE_KIND } from '../src/core/instance.js';
import { createSimDriver } from '../src/providers/sim/driver.js';
import type { SimConfigInput } from '../src/providers/sim/config.js';
import { createBenchDatabase, dialectsFromArgs, type BenchDatabase, type BenchDialect } from './lib/bench-database.js';
import { openControlPlane, simProvider } from './lib/control-plane.js';
import { machineFacts } from './lib/machine.js';
import { figure, mebibytes, note, printHeader, printSection, target } from './lib/report.js';
import { startRssSampler, type RssPeak } from './lib/rss-sampler.js';

const MACHINES = 100_000;
const PAGE_SIZE = 1_000;
const PROVIDER = 'inventory-sim';
/**
 * No simulated latency: the targets are about Tessera's own work per page. (A real cloud's page latency adds
 * pages × latency, the same for any implementation.)
 */
const CLOUD: SimConfigInput = { regions: [{ name: 'r1', zones: ['r1a', 'r1b'] }, { name: 'r2', zones: ['r2a'] }] };

async function main(): Promise<void> {
  for (const dialect of dialectsFromArgs()) {
    const db = await createBenchDatabase(dialect, 'discover');
    try {
      await discoverOn(dialect, db);
    } finally {
      await db.dispose();
    }
  }
}

async function discoverOn(dialect: BenchDialect, db: BenchDatabase): Promise<void> {
  printHeader(`discover (${dialect}): ${MACHINES.toLocaleString('en-US')} machines from one sim provider, pages of ${PAGE_SIZE.toLocaleString('en-US')}`, machineFacts(db.description));

  printSection('setup: seed the provider (machines made outside Tessera)');
  const seedSeconds = await seedProvider(db);
  figure('seeded', MACHINES, 'machines', `in ${seedSeconds.toFixed(1)} s`);

  const cp = await openControlPlane(db, [simProvider(PROVIDER, CLOUD, { perSecond: null })], {
    discovery: { intervalSeconds: 86_400, pageSize: PAGE_SIZE },
  });
  try {
    printSection('baseline: list every page through the driver, recording nothing');
    const listing = await measured(() => listAll(cp));
    printMeasurement('listing only', listing.seconds, listing.memory);

    printSection('first sync: every machine is new');
    const first = await measured(() => sync(cp));
    const recorded = await cp.store.count(INSTANCE_KIND);
    printMeasurement('first sync', first.seconds, first.memory);
    figure('discovered / recorded', `${first.value.discovered.toLocaleString('en-US')} / ${recorded.toLocaleString('en-US')}`);
    figure('ratio to listing only', first.seconds / listing.seconds, '×');
    target('first sync time', first.seconds, '≤', 10, 's', 1);
    target('peak RSS', mebibytes(first.memory.peakBytes), '≤', 600, 'MB', 0);

    printSection('second sync: nothing new');
    const second = await measured(() => sync(cp));
    printMeasurement('second sync', second.seconds, second.memory);
    figure('discovered', second.value.discovered, '', `(seen ${second.value.seen.toLocaleString('en-US')})`);
    target('ratio second / first sync', second.seconds / first.seconds, '≤', 0.5, '', 2);
  } finally {
    await cp.close();
  }
}

/** Seeds the sim's state file directly, as the sim driver's test hook allows; the control plane opens it after. */
async function seedProvider(db: BenchDatabase): Promise<number> {
  const driver = await createSimDriver(PROVIDER, CLOUD, { dataDir: db.dataDir });
  try {
    const started = performance.now();
    driver.seedMachines(MACHINES, { namePrefix: 'legacy' });
    return (performance.now() - started) / 1000;
  } finally {
    await driver.close();
  }
}

async function listAll(cp: ControlPlane): Promise<number> {
  let count = 0;
  for await (const page of cp.providers.get(PROVIDER)!.list({ pageSize: PAGE_SIZE })) count += page.length;
  if (count !== MACHINES) throw new Error(`listing returned ${count} machines, expected ${MACHINES}`);
  return count;
}

async function sync(cp: ControlPlane): Promise<SyncResult> {
  return cp.discovery.sync(cp.providers.get(PROVIDER)!);
}

interface Measured<T> {
  value: T;
  seconds: number;
  memory: RssPeak & { baselineBytes: number };
}

/** Times `fn` and samples RSS every 50 ms while it runs; the baseline RSS is taken after a GC, just before. */
async function measured<T>(fn: () => Promise<T>): Promise<Measured<T>> {
  (globalThis as { gc?: () => void }).gc?.();
  const sampler = await startRssSampler(50);
  const baselineBytes = process.memoryUsage.rss();
  const started = performance.now();
  const value = await fn();
  const seconds = (performance.now() - started) / 1000;
  const peak = await sampler.stop();
  return { value, seconds, memory: { ...peak, baselineBytes } };
}

function printMeasurement(label: string, seconds: number, memory: Measured<unknown>['memory']): void {
  const mb = (bytes: number) => `${mebibytes(bytes).toFixed(0)} MB`;
  figure(`${label}: time`, seconds, 's');
  figure(
    `${label}: RSS before → peak`,
    `${mb(memory.baselineBytes)} → ${mb(memory.peakBytes)}`,
    '',
    `(${memory.samples} samples${memory.kernelPeakBytes === null ? '' : `; kernel high-water mark ${mb(memory.kernelPeakBytes)}`})`,
  );
}

if (!(globalThis as { gc?: unknown }).gc) note('run with --expose-gc for a baseline RSS taken after a collection');
await main();
