/**
 * A 30-day cost allocation by project and provider for 10,000 instances with realistic usage: instances started
 * over the first days, some stopped and started again, some resized or moved to another project's label, some
 * deleted, and prices that change twice in the month (so lines are cut at price changes and at every UTC
 * midnight: ~300,000 ledger lines). The baseline, measured in the same run, is reading the same usage segments
 * with one bare SELECT and doing nothing with them. Target: the report ≤ 1 s on SQLite and on PostgreSQL.
 *
 *   node --import tsx bench/cost-allocation.ts [--db sqlite|postgres|both]
 */
import { INSTANCE_KIND, initialInstanceStatus, instanceUsageFacts, type Instance, type InstanceSpec, type InstanceStatus } from '../src/core/instance.js';
import { CostAllocator } from '../src/metering/allocation/cost-allocator.js';
import { PriceCatalog } from '../src/metering/catalog/price-catalog.js';
import { SINCE_EVER } from '../src/metering/catalog/catalog-diff.js';
import { parseCostModel } from '../src/metering/cost-model/cost-model-config.js';
import { ratesView } from '../src/metering/cost-model/cost-model-view.js';
import { CostModelVersions } from '../src/metering/cost-model/cost-model-versions.js';
import { splitFor } from '../src/metering/cost-model/cpu-memory-split.js';
import { unitRates } from '../src/metering/cost-model/unit-rates.js';
import { focusCsv } from '../src/metering/focus/focus-export.js';
import { LedgerService } from '../src/metering/ledger/ledger-service.js';
import { Store } from '../src/store/store.js';
import { createBenchDatabase, dialectsFromArgs, type BenchDatabase, type BenchDialect } from './lib/bench-database.js';
import { benchLogger } from './lib/control-plane.js';
import { machineFacts } from './lib/machine.js';
import { figure, note, printHeader, printSection, target } from './lib/report.js';
import { demoCostModel } from '../src/api/demo-estate.js';

const INSTANCES = 10_000;
const PROJECTS = 40;
const ROUNDS = 3;
const FROM = Date.parse('2026-04-01T00:00:00Z');
const TO = Date.parse('2026-05-01T00:00:00Z');
const HOUR = 3_600_000;
const PROVIDERS = [
  { name: 'onprem', priceKey: 'onprem' },
  { name: 'aws-prod', priceKey: 'aws' },
  { name: 'gcp-prod', priceKey: 'gcp' },
];
const REGIONS = ['r1', 'r2', 'r3'];
const FLAVORS = ['f-small', 'f-medium', 'f-large', 'f-xlarge'];

async function main(): Promise<void> {
  for (const dialect of dialectsFromArgs()) {
    const db = await createBenchDatabase(dialect, 'cost');
    try {
      await benchOn(dialect, db);
    } finally {
      await db.dispose();
    }
  }
}

async function benchOn(dialect: BenchDialect, db: BenchDatabase): Promise<void> {
  printHeader(`cost-allocation (${dialect}): 30 days of ${INSTANCES.toLocaleString('en-US')} instances by project and provider`, machineFacts(db.description));
  const clock = { now: FROM - 3 * 24 * HOUR };
  const store = await Store.open({ databaseUrl: db.databaseUrl, schema: db.schema, sqliteFile: `${db.dataDir}/tessera.db`, now: () => new Date(clock.now) });
  store.recordEventFacts(INSTANCE_KIND, (r) => instanceUsageFacts(r as Instance));
  try {
    printSection('setup: the month as the controllers would have written it (events), then the usage ledger built from them');
    let started = performance.now();
    const events = await writeMonth(store, clock);
    figure('events written', events, '', `in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const priceKeyOf = (p: string) => PROVIDERS.find((x) => x.name === p)?.priceKey ?? p;
    const ledger = new LedgerService(store, priceKeyOf, 'bench', benchLogger());
    started = performance.now();
    await ledger.catchUp();
    const segments = Number((await store.db.selectFrom('usage_segments').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    figure('usage segments', segments, '', `built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    clock.now = TO + 24 * HOUR;

    const allocator = new CostAllocator({ ledger, costModels: new CostModelVersions(store), now: () => store.nowIso() });
    const period = { from: new Date(FROM).toISOString(), to: new Date(TO).toISOString() };
    const best = { baseline: Infinity, report: Infinity, proportional: Infinity };
    let rows = 0;
    let lines = 0;
    let baselineRows = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      let t = performance.now();
      baselineRows = (
        await store.db
          .selectFrom('usage_segments')
          .selectAll()
          .where('start_at', '<', period.to)
          .where((eb) => eb.or([eb('end_at', 'is', null), eb('end_at', '>', period.from)]))
          .execute()
      ).length;
      best.baseline = Math.min(best.baseline, performance.now() - t);
      t = performance.now();
      const r = await allocator.report({ by: ['project', 'provider'], period, idle: 'show', shared: 'none' });
      best.report = Math.min(best.report, performance.now() - t);
      rows = r.rows.length;
      lines = r.total.lines;
      t = performance.now();
      await allocator.report({ by: ['project', 'provider', 'day'], period, idle: 'proportional', shared: 'proportional' });
      best.proportional = Math.min(best.proportional, performance.now() - t);
    }

    printSection(`results (best of ${ROUNDS})`);
    figure('bare SELECT of the segments (baseline)', Math.round(best.baseline), 'ms', `${baselineRows.toLocaleString('en-US')} segments, nothing done with them`);
    figure('report by project,provider, idle shown', Math.round(best.report), 'ms', `${lines.toLocaleString('en-US')} ledger lines → ${rows} rows`);
    figure('ratio report / baseline', best.report / best.baseline, '×');
    figure('by project,provider,day, idle+shared split', Math.round(best.proportional), 'ms', '(information: 30 × the groups, shares per day)');
    target('report by project,provider', best.report / 1000, '≤', 1, 's');
    const exported = await timeExport(ledger, period);
    figure('FOCUS export of the month (one run)', Math.round(exported.ms), 'ms', `(information: ${exported.records.toLocaleString('en-US')} records, ${(exported.bytes / 2 ** 20).toFixed(0)} MiB of CSV, streamed)`);
    note('the report reads every segment through the ledger (priced, cut at price changes and UTC midnights) page by page, then groups the lines');
  } finally {
    await store.close();
  }
}

/** The FOCUS export of the same period, consumed as a client would read it (nothing kept). */
async function timeExport(ledger: LedgerService, period: { from: string; to: string }): Promise<{ ms: number; records: number; bytes: number }> {
  const t = performance.now();
  let bytes = 0;
  let records = -1; // the header
  for await (const chunk of focusCsv(ledger, { period, simulated: () => false })) {
    bytes += Buffer.byteLength(chunk);
    records += chunk.split('\r\n').length - 1;
  }
  return { ms: performance.now() - t, records, bytes };
}

/** One instance as the generator keeps it. */
interface Live {
  r: Instance;
}

/** The month's history, written in bulk by time step (store.bulkUpsert: one event per change, with its facts). */
async function writeMonth(store: Store, clock: { now: number }): Promise<number> {
  let seed = 42;
  const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  await seedPrices(store);
  let events = 0;
  const write = async (changed: Instance[]) => {
    if (changed.length === 0) return;
    await store.bulkUpsert(changed, { type: 'PhaseChanged', reason: 'Bench', message: 'bench' });
    events += changed.length;
  };

  // Created over four days, starting before the month: some run all month, some start in it.
  const live: Live[] = [];
  for (let batch = 0; batch < 20; batch++) {
    clock.now = FROM - 3 * 24 * HOUR + batch * 4.8 * HOUR;
    const created: Instance[] = [];
    for (let i = 0; i < INSTANCES / 20; i++) {
      const n = live.length;
      const provider = pick(PROVIDERS).name;
      const r = instance(`i-bench${String(n).padStart(10, '0')}`, `p-${n % PROJECTS}`, provider, pick(REGIONS), pick(FLAVORS), { team: `team-${n % 13}`, env: n % 3 === 0 ? 'prod' : 'dev' }, store.nowIso());
      live.push({ r });
      created.push(r);
    }
    await write(created);
  }

  // Every 6 hours of the month, a few hundred instances change: stop, start, resize, delete.
  for (let step = 1; step < 30 * 4; step++) {
    clock.now = FROM + step * 6 * HOUR + Math.floor(random() * HOUR);
    const changed: Instance[] = [];
    for (let k = 0; k < 100; k++) {
      const l = pick(live);
      const phase = l.r.status.phase;
      if (phase === 'Deleted') continue;
      const roll = random();
      const next = structuredClone(l.r);
      if (roll < 0.45) next.status.phase = phase === 'Running' ? 'Stopped' : 'Running';
      else if (roll < 0.75) next.spec.flavor = pick(FLAVORS);
      else if (roll < 0.9) next.labels = { ...next.labels, team: `team-${Math.floor(random() * 13)}` };
      else {
        next.status.phase = 'Deleted';
        next.deletedAt = store.nowIso();
      }
      next.updatedAt = store.nowIso();
      l.r = next;
      changed.push(next);
    }
    // One write per instance per step: bulkUpsert takes each resource once.
    await write([...new Map(changed.map((c) => [c.id, c])).values()]);
    if (step === 40 || step === 80) await changePrices(store, clock.now, step === 40 ? 1.05 : 0.97);
  }
  return events;
}

function instance(id: string, project: string, provider: string, region: string, flavor: string, labels: Record<string, string>, at: string): Instance {
  const spec = { provider, region, zone: null, flavor, requirements: null, image: 'ubuntu-24.04', market: 'on-demand', userData: null, powerState: 'on', driftPolicy: 'report', managed: true, reboots: 0 } as InstanceSpec;
  const status: InstanceStatus = { ...initialInstanceStatus(), phase: 'Running', kind: 'vm', externalId: `ext-${id}` };
  return { id, kind: INSTANCE_KIND, project, name: id.slice(2), labels, spec, status, generation: 1, resourceVersion: 1, createdAt: at, updatedAt: at, deletedAt: null };
}

const BASE_PRICES = [0.02, 0.05, 0.11, 0.23];

async function seedPrices(store: Store): Promise<void> {
  await importPrices(store, 1, null);
  const inputs = parseCostModel({
    name: 'onprem',
    type: 'sim',
    costModel: { ...demoCostModel(200), cpuMemorySplit: { cpuShare: 0.6 } },
  })!;
  const split = await splitFor(inputs, async () => []);
  await new CostModelVersions(store).record('onprem', inputs, ratesView(unitRates(inputs, split), split), SINCE_EVER);
}

async function changePrices(store: Store, at: number, factor: number): Promise<void> {
  await importPrices(store, factor, new Date(at).toISOString());
}

async function importPrices(store: Store, factor: number, effective: string | null): Promise<void> {
  const catalog = new PriceCatalog(store);
  for (const key of new Set(PROVIDERS.map((p) => p.priceKey))) {
    const prices = REGIONS.flatMap((region) =>
      FLAVORS.map((flavor, i) => ({
        provider: key,
        region,
        zone: null,
        flavor,
        market: 'on-demand' as const,
        vcpus: 2 ** (i + 1),
        memoryGiB: 2 ** (i + 3),
        gpus: 0,
        arch: 'x86_64',
        priceMicrosPerHour: Math.round(BASE_PRICES[i]! * factor * (key === 'onprem' ? 0.6 : 1) * 1_000_000),
        effectiveAt: null,
      })),
    );
    await catalog.import(prices, { source: 'bench', effective });
  }
}

await main();
