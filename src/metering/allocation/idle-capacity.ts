import { formatUsd } from '../../core/money.js';
import type { CostModelVersion } from '../cost-model/cost-model-view.js';
import type { BucketUsage } from './bucket-usage.js';
import { CapacityCost } from './capacity-cost.js';
import type { CellTable } from './cost-cells.js';
import { IDLE_PROJECT, type DistributionMode } from './cost-report.js';
import type { Dimension } from './dimensions.js';
import { shareOut } from './share-out.js';
import { bucketsOf, type TimeGrain } from './time-buckets.js';

export interface IdleQuery {
  /** Private providers with a cost model, each with every version of it. */
  models: ReadonlyMap<string, readonly CostModelVersion[]>;
  fromMs: number;
  /** The period's end, clipped to now. */
  toMs: number;
  grain: TimeGrain;
  mode: Exclude<DistributionMode, 'none'>;
}

/**
 * Idle capacity of each private provider with a cost model, per time bucket: its capacity cost (servers × cost
 * per server-hour, cost-model version by version) minus what its instances were charged. Shown as rows of
 * project (idle), or given to the projects that used the provider in that bucket, evenly or by their charge there.
 * Idle capacity is provider-wide, so its rows carry the provider and the time bucket and no region, flavor or
 * label. It is negative when instances were charged more than the capacity cost (use above the model's target
 * utilisation). Answers its notes.
 */
export function allocateIdleCapacity(table: CellTable, usage: BucketUsage, q: IdleQuery): string[] {
  const notes: string[] = [];
  for (const [provider, versions] of q.models) {
    if (versions.length === 0) continue;
    const capacity = new CapacityCost(versions, q.fromMs);
    let paid = 0;
    let charged = 0;
    let kept = 0;
    let fellBack = false;
    for (const bucket of bucketsOf(q.fromMs, q.toMs, q.grain)) {
      const cost = capacity.between(bucket.startMs, bucket.endMs);
      const onProvider = usage.chargedOn(bucket.key, provider);
      paid += cost;
      charged += onProvider;
      const idle = cost - onProvider;
      if (idle === 0) continue;
      const values = idleValues(table.dims, provider, bucket.key);
      const s = q.mode === 'show' ? null : shareOut(idle, usage.projectsOn(bucket.key, provider), q.mode);
      if (!s) {
        table.cell(table.withProject(values, IDLE_PROJECT), IDLE_PROJECT, null, bucket.key).idleMicros += idle;
        if (q.mode !== 'show') kept += idle;
        continue;
      }
      fellBack ||= s.fellBackToEven;
      s.projects.forEach((project, i) => {
        const share = s.shares[i]!;
        if (share !== 0) table.cell(table.withProject(values, project), project, project, bucket.key).idleMicros += share;
      });
    }
    const servers = versions.at(-1)!.rates.fleet.servers;
    notes.push(
      `idle: ${provider} capacity cost $${formatUsd(paid)} over the period (its servers — ${servers} in the current cost model version — × their cost per server-hour, ` +
        `version by version) minus $${formatUsd(charged)} charged to its instances = $${formatUsd(paid - charged)} idle` +
        (paid - charged < 0 ? ' (negative: its instances were used beyond the cost model’s target utilisation)' : '') +
        (q.mode === 'show' ? ', shown as project (idle)' : `, split ${q.mode === 'even' ? 'equally' : 'in proportion to their charge'} among the projects that used ${provider} in each ${q.grain === 'period' ? 'period' : q.grain}`),
    );
    if (fellBack) notes.push(`idle: where no project was charged anything on ${provider} (only stopped or unpriced instances), the split was equal`);
    if (kept !== 0) notes.push(`idle: $${formatUsd(kept)} of ${provider} stays on (idle) rows: no project used ${provider} in those time buckets`);
  }
  return notes;
}

/** An idle cell's values: the provider and the time bucket; no instance ran there, so nothing else applies. */
function idleValues(dims: readonly Dimension[], provider: string, bucket: string): (string | null)[] {
  return dims.map((d) => (d === 'provider' ? provider : d === 'day' ? bucket : d === 'month' ? bucket.slice(0, 7) : null));
}
