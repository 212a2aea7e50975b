import { INSTANCE_KIND, initialInstanceStatus, instanceUsageFacts, type Instance, type InstanceSpec, type InstanceStatus } from '../../../src/core/instance.js';
import { PriceCatalog } from '../../../src/metering/catalog/price-catalog.js';
import { parseCostModel } from '../../../src/metering/cost-model/cost-model-config.js';
import { ratesView } from '../../../src/metering/cost-model/cost-model-view.js';
import { CostModelVersions } from '../../../src/metering/cost-model/cost-model-versions.js';
import { splitFor } from '../../../src/metering/cost-model/cpu-memory-split.js';
import { unitRates } from '../../../src/metering/cost-model/unit-rates.js';
import { Ledger, type LedgerLine, type LedgerQuery } from '../../../src/metering/ledger/ledger.js';
import { LedgerBuilder } from '../../../src/metering/ledger/ledger-builder.js';
import { Store } from '../../../src/store/store.js';
import type { TestDatabase } from '../../support/databases.js';

/** What an instance is when it starts running. */
export interface InstanceShape {
  name: string;
  project: string;
  provider: string;
  region?: string;
  flavor: string;
  market?: 'on-demand' | 'spot';
  kind?: 'vm' | 'container' | 'baremetal';
  labels?: Record<string, string>;
}

/** Private providers' prices are under their own name; these sim names sell at AWS's. */
const PRICE_KEY: Record<string, string> = { 'aws-sim': 'aws' };

/**
 * An estate written the way the controller writes it (store.create/update, one event each), on a clock the test
 * moves: instances start, stop, change and go; prices change; cost model versions open. The ledger is built from
 * the events as a running server builds it.
 */
export class ClockedEstate {
  readonly prices: PriceCatalog;
  readonly costModels: CostModelVersions;
  private readonly builder: LedgerBuilder;
  private readonly priceLists = new Map<string, Map<string, number>>();
  private n = 0;

  private constructor(
    readonly store: Store,
    private readonly clockRef: { now: number },
  ) {
    this.prices = new PriceCatalog(store);
    this.costModels = new CostModelVersions(store);
    this.builder = new LedgerBuilder(store, (p) => PRICE_KEY[p] ?? p);
  }

  static async open(db: TestDatabase, startIso: string): Promise<ClockedEstate> {
    const ref = { now: Date.parse(startIso) };
    const store = await Store.open({ ...db.options, now: () => new Date(ref.now) });
    store.recordEventFacts(INSTANCE_KIND, (r) => instanceUsageFacts(r as Instance));
    return new ClockedEstate(store, ref);
  }

  /** Moves the clock to `iso` (never back). */
  at(iso: string): this {
    const t = Date.parse(iso);
    if (t < this.clockRef.now) throw new Error(`the clock only moves forward: ${iso} is before ${new Date(this.clockRef.now).toISOString()}`);
    this.clockRef.now = t;
    return this;
  }

  nowIso(): string {
    return new Date(this.clockRef.now).toISOString();
  }

  /** Sets one flavor's price from now (or since ever, the first time): the whole list of its region and market is imported, as a price list would be. */
  async price(provider: string, region: string, flavor: string, usd: number, market: 'on-demand' | 'spot' = 'on-demand'): Promise<void> {
    const key = `${provider}/${region}/${market}`;
    const list = this.priceLists.get(key) ?? new Map<string, number>();
    const first = !list.has(flavor);
    list.set(flavor, Math.round(usd * 1_000_000));
    this.priceLists.set(key, list);
    await this.prices.import(
      [...list].map(([f, micros]) => ({ provider, region, zone: null, flavor: f, market, vcpus: 2, memoryGiB: 8, gpus: 0, arch: 'x86_64', priceMicrosPerHour: micros, effectiveAt: null })),
      { source: 'test', effective: first ? null : this.nowIso() },
    );
  }

  /** Records a cost model version of `provider` from now (the first: since ever), worked out by the cost model's own code. */
  async costModel(provider: string, servers: { count: number; capexUsd: number }[], validFrom = this.nowIso()): Promise<void> {
    const inputs = parseCostModel({
      name: provider,
      type: 'sim',
      costModel: {
        servers: servers.map((s, i) => ({ name: `type-${i + 1}`, count: s.count, vcpus: 64, memoryGiB: 512, capexUsd: s.capexUsd, amortisationYears: 5, powerWatts: 400 })),
        electricityUsdPerKwh: 0.12,
        pue: 1.5,
        space: { usdPerRackMonth: 1500, serversPerRack: 20 },
        networkUsdPerServerMonth: 40,
        support: { percentOfCapexPerYear: 8 },
        people: { usdPerEngineerYear: 150000, serversPerEngineer: 100 },
        targetUtilisation: 0.7,
        cpuMemorySplit: { cpuShare: 0.6 },
      },
    })!;
    const split = await splitFor(inputs, async () => []);
    await this.costModels.record(provider, inputs, ratesView(unitRates(inputs, split), split), validFrom);
  }

  /** A new instance, running from now. */
  async run(shape: InstanceShape): Promise<string> {
    const id = `i-t${String(++this.n).padStart(6, '0')}${Math.random().toString(36).slice(2, 10)}`;
    const spec = { provider: shape.provider, region: shape.region ?? 'r1', zone: null, flavor: shape.flavor, market: shape.market ?? 'on-demand', managed: true } as unknown as InstanceSpec;
    const status: InstanceStatus = { ...initialInstanceStatus(), phase: 'Running', kind: shape.kind ?? 'vm', externalId: `ext-${id}` };
    await this.store.create<InstanceSpec, InstanceStatus>(
      { id, kind: INSTANCE_KIND, project: shape.project, name: shape.name, labels: shape.labels ?? {}, spec, status },
      { type: 'PhaseChanged', reason: 'Running', message: 'started' },
    );
    return id;
  }

  stop(id: string): Promise<void> {
    return this.change(id, (r) => ({ ...r, status: { ...r.status, phase: 'Stopped' } }));
  }

  start(id: string): Promise<void> {
    return this.change(id, (r) => ({ ...r, status: { ...r.status, phase: 'Running' } }));
  }

  resize(id: string, flavor: string): Promise<void> {
    return this.change(id, (r) => ({ ...r, spec: { ...r.spec, flavor } }));
  }

  relabel(id: string, labels: Record<string, string>): Promise<void> {
    return this.change(id, (r) => ({ ...r, labels }));
  }

  remove(id: string): Promise<void> {
    return this.change(id, (r) => ({ ...r, deletedAt: this.nowIso(), status: { ...r.status, phase: 'Deleted' } }));
  }

  /** The ledger as LedgerService serves it: caught up with the log, then read. */
  readonly ledger = {
    lines: (q: LedgerQuery): AsyncGenerator<LedgerLine[]> => this.linesAfterCatchUp(q),
  };

  /** Every line of a period, split at days (what reports and exports read). */
  async allLines(from: string, to: string, projects?: string[]): Promise<LedgerLine[]> {
    const out: LedgerLine[] = [];
    for await (const page of this.ledger.lines({ from, to, projects, splitBy: 'day' })) out.push(...page);
    return out;
  }

  close(): Promise<void> {
    return this.store.close();
  }

  private async *linesAfterCatchUp(q: LedgerQuery): AsyncGenerator<LedgerLine[]> {
    await this.builder.catchUp();
    yield* new Ledger(this.store).lines(q);
  }

  private async change(id: string, mutate: (r: Instance) => Instance): Promise<void> {
    await this.store.update<InstanceSpec, InstanceStatus>(INSTANCE_KIND, id, (r) => mutate(r as Instance), {
      event: () => ({ type: 'PhaseChanged', reason: 'Changed', message: 'changed' }),
    });
  }
}
