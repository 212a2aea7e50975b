import { parseLabelSelector, matchesLabels } from '../../core/selector.js';
import type { LedgerLine } from '../ledger/ledger.js';
import type { WorkUnitSpec } from './work-unit.js';

/** The work instances did, as the OTLP rollups know it (src/metering/otlp/work-done.ts). */
export type WorkDoneLookup = (q: {
  instanceIds: readonly string[];
  metric: string;
  aggregation: WorkUnitSpec['aggregation'];
  from: string;
  to: string;
}) => Promise<{ instanceId: string; total: number | null; hoursCovered: number }[]>;

/** Cost per unit of work on one provider × flavor × region, with the sample it rests on. */
export interface PricePerformanceRow {
  provider: string;
  priceKey: string;
  region: string;
  flavor: string;
  /** Cost of the matching instances' running time in the period, µ$. */
  costMicros: number;
  work: number;
  /** µ$ per unit of work; null when no work was measured (never a division by zero passed off as a figure). */
  costPerUnitMicros: number | null;
  /** Units of work per dollar; null without cost or work. */
  unitsPerUsd: number | null;
  sample: { instances: number; instanceHours: number; hoursWithMetrics: number; instancesWithoutMetrics: number };
}

export interface PricePerformanceReport {
  unit: string;
  metric: string;
  aggregation: WorkUnitSpec['aggregation'];
  from: string;
  to: string;
  /** Cheapest per unit first; rows without measured work last. */
  rows: PricePerformanceRow[];
}

/**
 * Joins the ledger (what the unit's instances cost, per offer) with the OTLP rollups (the work they did): cost per
 * unit of work per provider × flavor × region. Running time only: a stopped machine does no work.
 */
export async function pricePerformance(
  spec: WorkUnitSpec,
  lines: AsyncIterable<LedgerLine[]>,
  workDone: WorkDoneLookup,
  period: { from: string; to: string },
): Promise<PricePerformanceReport> {
  const selector = parseLabelSelector(spec.selector);
  const groups = new Map<string, { row: Omit<PricePerformanceRow, 'costPerUnitMicros' | 'unitsPerUsd'>; instances: Set<string> }>();
  const groupOf = new Map<string, string[]>(); // instance → the groups it ran in (a resized instance runs in several)
  const hoursByInstanceGroup = new Map<string, number>();
  for await (const page of lines) {
    for (const l of page) {
      if (l.state !== 'running' || !matchesLabels(l.labels, selector)) continue;
      const key = `${l.provider}/${l.region}/${l.flavor}`;
      let g = groups.get(key);
      if (!g) {
        g = {
          row: { provider: l.provider, priceKey: l.priceKey, region: l.region, flavor: l.flavor, costMicros: 0, work: 0, sample: { instances: 0, instanceHours: 0, hoursWithMetrics: 0, instancesWithoutMetrics: 0 } },
          instances: new Set(),
        };
        groups.set(key, g);
      }
      g.row.costMicros += l.costMicros;
      g.row.sample.instanceHours += l.durationMs / 3_600_000;
      g.instances.add(l.instanceId);
      const ig = `${l.instanceId}|${key}`;
      hoursByInstanceGroup.set(ig, (hoursByInstanceGroup.get(ig) ?? 0) + l.durationMs);
      const list = groupOf.get(l.instanceId) ?? [];
      if (!list.includes(key)) list.push(key);
      groupOf.set(l.instanceId, list);
    }
  }

  const done = groupOf.size === 0 ? [] : await workDone({ instanceIds: [...groupOf.keys()], metric: spec.metric, aggregation: spec.aggregation, from: period.from, to: period.to });
  for (const d of done) {
    const keys = groupOf.get(d.instanceId) ?? [];
    // An instance that ran on several offers in the period (resized, re-placed): its work is shared between them
    // in proportion to its running time on each.
    const total = keys.reduce((s, k) => s + (hoursByInstanceGroup.get(`${d.instanceId}|${k}`) ?? 0), 0);
    for (const k of keys) {
      const g = groups.get(k)!;
      const share = total === 0 ? 0 : (hoursByInstanceGroup.get(`${d.instanceId}|${k}`) ?? 0) / total;
      if (d.total === null) g.row.sample.instancesWithoutMetrics++;
      else g.row.work += d.total * share;
      g.row.sample.hoursWithMetrics += d.hoursCovered * share;
    }
  }

  const rows: PricePerformanceRow[] = [...groups.values()].map(({ row, instances }) => {
    const work = row.work;
    return {
      ...row,
      work: round(work),
      costPerUnitMicros: work > 0 ? round(row.costMicros / work) : null,
      unitsPerUsd: work > 0 && row.costMicros > 0 ? round((work * 1_000_000) / row.costMicros) : null,
      sample: { ...row.sample, instances: instances.size, instanceHours: round(row.sample.instanceHours), hoursWithMetrics: round(row.sample.hoursWithMetrics) },
    };
  });
  rows.sort((a, b) => (a.costPerUnitMicros ?? Infinity) - (b.costPerUnitMicros ?? Infinity) || a.provider.localeCompare(b.provider) || a.flavor.localeCompare(b.flavor));
  return { unit: spec.unit, metric: spec.metric, aggregation: spec.aggregation, from: period.from, to: period.to, rows };
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
