import { formatUsd } from '../../core/money.js';
import type { CostModelVersion } from '../cost-model/cost-model-view.js';
import type { LedgerLine, LedgerQuery } from '../ledger/ledger.js';
import { BucketUsage } from './bucket-usage.js';
import { CellTable, type Cell } from './cost-cells.js';
import { SHARED_LABEL, SHARED_PROJECT, type CostReport, type DistributionMode } from './cost-report.js';
import { forEachDayPiece } from '../ledger/day-pieces.js';
import { DayNames } from './day-pieces.js';
import { isTimeDimension, valueOf, type Dimension } from './dimensions.js';
import { allocateIdleCapacity } from './idle-capacity.js';
import type { Period } from './report-period.js';
import { hoursOf, reportRows } from './report-rows.js';
import { distributeSharedCost } from './shared-cost.js';
import { bucketOfDay, timeGrainOf } from './time-buckets.js';

export interface CostReportQuery {
  by: Dimension[];
  period: Period;
  idle: DistributionMode;
  shared: DistributionMode;
  /** The projects the caller may see; undefined: every project (an organisation admin). */
  visibleProjects?: string[];
}

export interface CostAllocatorDeps {
  /** Priced ledger lines, after catching up with the event log (LedgerService). */
  ledger: { lines(q: LedgerQuery): AsyncGenerator<LedgerLine[]> };
  /** Every version of each private provider's cost model (CostModelVersions). */
  costModels: { providers(): Promise<string[]>; history(provider: string): Promise<CostModelVersion[]> };
  /** The store's clock: the ledger ends a period at now. */
  now: () => string;
}

const distributes = (m: DistributionMode): m is 'even' | 'proportional' => m === 'even' || m === 'proportional';

/**
 * Cost allocation (showback / chargeback): the usage ledger's lines of a period grouped by any dimensions, with
 * idle capacity of private providers and the cost of shared instances shown or distributed over projects.
 * Streams the ledger page by page; memory grows with the number of groups, never with the number of lines.
 */
export class CostAllocator {
  constructor(private readonly deps: CostAllocatorDeps) {}

  async report(q: CostReportQuery): Promise<CostReport> {
    const grain = timeGrainOf(q.by);
    const now = this.deps.now();
    // The ledger ends at now; a period wholly in the future is empty.
    const to = q.period.to <= now ? q.period.to : now > q.period.from ? now : q.period.from;
    const narrowed = q.visibleProjects !== undefined;
    const notes: string[] = [];
    // Idle capacity belongs to no project: a caller who sees only some projects sees only their shares of it.
    const idle = narrowed && q.idle === 'show' ? 'none' : q.idle;
    if (idle !== q.idle) {
      notes.push('idle: idle capacity belongs to no project, so only callers who see every project see it; ask for idle=even or idle=proportional to see your projects’ share');
    }
    const models = idle === 'none' ? new Map<string, CostModelVersion[]>() : await this.costModelVersions();
    // Shares depend on every project's usage, so distributing reads every project's lines (and shows only the caller's).
    const readEveryProject = !narrowed || distributes(idle) || distributes(q.shared);

    const table = new CellTable(q.by);
    const usage = new BucketUsage(new Set(models.keys()));
    const markShared = q.shared !== 'none';
    const shown = q.visibleProjects === undefined ? null : new Set(q.visibleProjects);
    const days = new DayNames();
    const timeAt = q.by.map((d) => (isTimeDimension(d) ? d : null));
    let stoppedMs = 0;
    // Read without day cuts and cut here (ledger/day-pieces.ts): the same pieces, without an object for each.
    const lines = this.deps.ledger.lines({ from: q.period.from, to: q.period.to, projects: readEveryProject ? undefined : q.visibleProjects, splitBy: 'none' });
    for await (const page of lines) {
      for (const line of page) {
        const shared = markShared && line.labels[SHARED_LABEL] === 'true';
        const project = shared ? SHARED_PROJECT : line.project;
        const unpriced = line.unitPriceMicros === null;
        const fixed = q.by.map((d) => (isTimeDimension(d) ? null : d === 'project' ? project : valueOf(line, d)));
        if (line.state === 'stopped' && (shown === null || shown.has(line.project))) stoppedMs += line.durationMs;
        if (grain === 'period') {
          // One cell for the whole line: only its pieces' costs and count are needed.
          let cost = 0;
          let pieces = 0;
          forEachDayPiece(line, (_start, _ms, c) => {
            cost += c;
            pieces++;
          });
          addTo(table.cell(fixed, project, line.project, ''), cost, line.durationMs, pieces, unpriced);
          usage.add('', line.project, line.provider, cost, shared);
          continue;
        }
        forEachDayPiece(line, (start, ms, cost) => {
          const day = days.of(start);
          const bucket = bucketOfDay(day, grain);
          const values = fixed.map((v, i) => (timeAt[i] === 'day' ? day : timeAt[i] === 'month' ? day.slice(0, 7) : v));
          addTo(table.cell(values, project, line.project, bucket), cost, ms, 1, unpriced);
          usage.add(bucket, line.project, line.provider, cost, shared);
        });
      }
    }

    if (distributes(q.shared)) notes.push(...distributeSharedCost(table, usage, q.shared));
    if (idle !== 'none') {
      notes.push(...allocateIdleCapacity(table, usage, { models, fromMs: Date.parse(q.period.from), toMs: Date.parse(to), grain, mode: idle }));
    }
    if (distributes(idle) || distributes(q.shared)) {
      notes.push(
        'shares are exact: each project gets the floor of its exact share and the micro-dollars left over go one each to the largest remainders ' +
          '(ties: the project first by name), so they add up to the amount split',
      );
    }

    const visible = shown === null ? () => true : visibleTo(shown);
    const result = reportRows(table.all(), q.by, visible);
    if (result.unpricedHours > 0) {
      notes.push(`unpriced: ${result.unpricedHours} running instance-hours had no catalog price and are costed at 0 (never guessed): import the missing prices (tessera catalog import)`);
    }
    if (stoppedMs > 0) {
      notes.push(`stopped: ${hoursOf(stoppedMs)} instance-hours were stopped; their disks are not priced by the catalog, so they cost 0 here`);
    }
    notes.push(
      `lines: each is one instance in one state at one price within one UTC day, its cost rounded once (half up) from duration × hourly price; ` +
        `every figure is an exact sum of lines and shares (total $${formatUsd(result.total.costMicros)})`,
    );
    return { period: { from: q.period.from, to }, by: [...q.by], idle: q.idle, shared: q.shared, ...result, notes };
  }

  private async costModelVersions(): Promise<Map<string, CostModelVersion[]>> {
    const out = new Map<string, CostModelVersion[]>();
    for (const provider of await this.deps.costModels.providers()) out.set(provider, await this.deps.costModels.history(provider));
    return out;
  }
}

function addTo(cell: Cell, costMicros: number, ms: number, pieces: number, unpriced: boolean): void {
  cell.usageMicros += costMicros;
  cell.ms += ms;
  cell.lines += pieces;
  if (unpriced) cell.unpricedMs += ms;
}

/** A caller who sees some projects sees their cells; idle cells (visible to nobody in particular) only if it sees all. */
function visibleTo(projects: ReadonlySet<string>): (c: Cell) => boolean {
  return (c) => c.visibleTo !== null && projects.has(c.visibleTo);
}
