import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  INSTANCE_KIND,
  instanceUsageFacts,
  initialInstanceStatus,
  type Instance,
  type InstanceSpec,
  type InstanceStatus,
  type Phase,
} from '../../../src/core/instance.js';
import { PriceCatalog } from '../../../src/metering/catalog/price-catalog.js';
import { costOf, Ledger } from '../../../src/metering/ledger/ledger.js';
import { LedgerBuilder } from '../../../src/metering/ledger/ledger-builder.js';
import { Store } from '../../../src/store/store.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../support/databases.js';

/**
 * The ledger against a straightforward reference: random lives of a few instances (start, stop, resize, delete),
 * price changes in the middle of their intervals, and the ledger builder restarted at random moments (a server
 * restart: a new builder that only has what was committed). Totals must agree to the micro-dollar.
 */

const FLAVORS = ['f1', 'f2'] as const;
type Flavor = (typeof FLAVORS)[number];

type Op =
  | { type: 'start'; instance: number }
  | { type: 'stop'; instance: number }
  | { type: 'resize'; instance: number; flavor: Flavor }
  | { type: 'delete'; instance: number }
  | { type: 'price'; flavor: Flavor; micros: number }
  | { type: 'restart' };

const opArb: fc.Arbitrary<{ op: Op; advanceMs: number }> = fc.record({
  advanceMs: fc.integer({ min: 1, max: 3 * 3_600_000 }),
  op: fc.oneof(
    fc.record({ type: fc.constant('start' as const), instance: fc.integer({ min: 0, max: 2 }) }),
    fc.record({ type: fc.constant('stop' as const), instance: fc.integer({ min: 0, max: 2 }) }),
    fc.record({ type: fc.constant('resize' as const), instance: fc.integer({ min: 0, max: 2 }), flavor: fc.constantFrom(...FLAVORS) }),
    fc.record({ type: fc.constant('delete' as const), instance: fc.integer({ min: 0, max: 2 }) }),
    fc.record({ type: fc.constant('price' as const), flavor: fc.constantFrom(...FLAVORS), micros: fc.integer({ min: 1, max: 5_000_000 }) }),
    fc.constant({ type: 'restart' as const }),
  ),
});

/** What the reference tracks of one instance. */
interface RefInstance {
  phase: Phase;
  flavor: Flavor;
  deleted: boolean;
}

/** The reference: walk time, cut where an instance's billed facts or its price change, price each piece once. */
function referenceTotal(t0: number, steps: { at: number; op: Op }[], end: number, initialPrices: Record<Flavor, number>): number {
  const prices: { at: number; flavor: Flavor; micros: number }[] = FLAVORS.map((f) => ({ at: 0, flavor: f, micros: initialPrices[f] }));
  const priceAt = (flavor: Flavor, at: number) => prices.filter((p) => p.flavor === flavor && p.at <= at).at(-1)!.micros;
  const current: (RefInstance | null)[] = [null, null, null];
  // Per instance: the moments its billed facts changed, with the facts from then on ('off' when not billed).
  const timelines: { at: number; billed: Flavor | 'stopped' | 'off' }[][] = [[], [], []];
  const billedOf = (i: RefInstance | null) => (!i || i.deleted ? 'off' : i.phase === 'Running' ? i.flavor : i.phase === 'Stopped' ? 'stopped' : 'off');
  for (const { at, op } of steps) {
    if (op.type === 'price') {
      if (priceAt(op.flavor, at) !== op.micros) prices.push({ at, flavor: op.flavor, micros: op.micros });
      continue;
    }
    if (op.type === 'restart') continue;
    const before = billedOf(current[op.instance]!);
    current[op.instance] = applyRef(current[op.instance]!, op);
    const after = billedOf(current[op.instance]!);
    if (before !== after) timelines[op.instance]!.push({ at, billed: after });
  }
  let total = 0;
  for (const timeline of timelines) {
    for (let k = 0; k < timeline.length; k++) {
      const { at, billed } = timeline[k]!;
      const until = k + 1 < timeline.length ? timeline[k + 1]!.at : end;
      if (billed === 'off' || billed === 'stopped') continue;
      const cuts = [at, ...prices.filter((p) => p.flavor === billed && p.at > at && p.at < until).map((p) => p.at), until];
      for (let c = 0; c + 1 < cuts.length; c++) total += costOf(cuts[c + 1]! - cuts[c]!, priceAt(billed, cuts[c]!));
    }
  }
  void t0;
  return total;
}

function applyRef(i: RefInstance | null, op: Exclude<Op, { type: 'price' } | { type: 'restart' }>): RefInstance | null {
  if (op.type === 'start') return i && !i.deleted ? { ...i, phase: 'Running' } : { phase: 'Running', flavor: 'f1', deleted: false };
  if (!i || i.deleted) return i;
  if (op.type === 'stop') return { ...i, phase: 'Stopped' };
  if (op.type === 'resize') return { ...i, flavor: op.flavor };
  return { ...i, phase: 'Deleted', deleted: true };
}

describe.each(DIALECTS)('usage ledger on %s (property-based)', (dialect) => {
  let db: TestDatabase;
  let run = 0;

  beforeAll(async () => {
    db = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it('agrees with the reference to the micro-dollar, whatever the events, price changes and restarts', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 2_000_000 }), fc.integer({ min: 1, max: 2_000_000 }), async (ops, p1, p2) => {
        run++;
        // Each run in its own provider name, so runs share the database but not their prices or instances.
        const provider = `cloud${run}`;
        let clock = Date.parse('2026-01-01T00:00:00Z');
        const t0 = clock;
        const store = await Store.open({ ...db.options, now: () => new Date(clock) });
        try {
          store.recordEventFacts(INSTANCE_KIND, (r) => instanceUsageFacts(r as Instance));
          const catalog = new PriceCatalog(store);
          const initial = { f1: p1, f2: p2 };
          const current = { ...initial };
          const price = (flavor: Flavor, micros: number) => ({ provider, region: 'r1', zone: null, flavor, market: 'on-demand' as const, vcpus: 2, memoryGiB: 8, gpus: 0, arch: 'x86_64', priceMicrosPerHour: micros, effectiveAt: null });
          await catalog.import([price('f1', p1), price('f2', p2)], { source: 'initial' });
          const ids = [0, 1, 2].map((i) => `i-prop${run}x${i}`.padEnd(18, '0'));
          const live: (Instance | null)[] = [null, null, null];
          const steps: { at: number; op: Op }[] = [];
          let builder = new LedgerBuilder(store, () => provider);

          for (const { op, advanceMs } of ops) {
            clock += advanceMs;
            steps.push({ at: clock, op });
            if (op.type === 'restart') {
              await builder.catchUp();
              builder = new LedgerBuilder(store, () => provider); // what a restarted server has: only the database
              continue;
            }
            if (op.type === 'price') {
              // A price list names every offer it prices (one missing from it would be withdrawn).
              current[op.flavor] = op.micros;
              await catalog.import([price('f1', current.f1), price('f2', current.f2)], { source: 'change', effective: new Date(clock).toISOString() });
              continue;
            }
            live[op.instance] = await applyToStore(store, ids[op.instance]!, live[op.instance]!, op, provider, `p${run}`);
          }
          const end = clock + 1_000;
          clock = end;
          await builder.catchUp();

          let total = 0;
          for await (const page of new Ledger(store).lines({ from: new Date(t0).toISOString(), to: new Date(end).toISOString(), projects: [`p${run}`] })) {
            for (const line of page) total += line.costMicros;
          }
          expect(total).toBe(referenceTotal(t0, steps, end, initial));
        } finally {
          await store.close();
        }
      }),
      { numRuns: dialect === 'sqlite' ? 60 : 15 },
    );
  }, 120_000);
});

/** The instance's next state written as the controller writes it: one update with one event. */
let recreated = 0;

async function applyToStore(
  store: Store,
  id: string,
  current: Instance | null,
  op: Exclude<Op, { type: 'price' } | { type: 'restart' }>,
  provider: string,
  project: string,
): Promise<Instance | null> {
  if (op.type === 'start' && (!current || current.status.phase === 'Deleted')) {
    // Started again after a delete: a new instance, as a person would create one.
    const fresh = current ? `i-again${++recreated}`.padEnd(18, '0') : id;
    const spec = { provider, region: 'r1', zone: null, flavor: 'f1', market: 'on-demand', managed: true } as unknown as InstanceSpec;
    const status: InstanceStatus = { ...initialInstanceStatus(), phase: 'Running', kind: 'vm', externalId: `ext-${fresh}` };
    return store.create<InstanceSpec, InstanceStatus>({ id: fresh, kind: INSTANCE_KIND, project, name: fresh, labels: { team: 'a' }, spec, status }, { type: 'PhaseChanged', reason: 'Running', message: 'started' });
  }
  if (!current || current.status.phase === 'Deleted') return current;
  return store.update<InstanceSpec, InstanceStatus>(
    INSTANCE_KIND,
    current.id,
    (r) => {
      if (op.type === 'start') return { ...r, status: { ...r.status, phase: 'Running' } };
      if (op.type === 'stop') return { ...r, status: { ...r.status, phase: 'Stopped' } };
      if (op.type === 'resize') return { ...r, spec: { ...r.spec, flavor: op.flavor } };
      return { ...r, status: { ...r.status, phase: 'Deleted' } };
    },
    { event: () => ({ type: 'PhaseChanged', reason: op.type, message: op.type }) },
  );
}
