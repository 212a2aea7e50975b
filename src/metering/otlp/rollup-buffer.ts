import { copyRollup, mergeRollup, type MergeOutcome, type Rollup } from './rollup.js';

/** One hour row waiting to be written: which instance, metric and hour, and what was received for it. */
export interface RollupCell {
  instanceId: string;
  project: string;
  metric: string;
  /** Epoch ms of the hour's start. */
  hour: number;
  rollup: Rollup;
}

/**
 * The rollups received since the last flush, one cell per instance × metric × hour, merged in memory as points
 * arrive so that a flush writes one row per cell however many points came. Not shared between processes.
 */
export class RollupBuffer {
  private cells = new Map<string, RollupCell>();
  /** The cell of the previous add: a metric's points come one after another, nearly always in one hour. */
  private recent: RollupCell | null = null;

  get size(): number {
    return this.cells.size;
  }

  /** Merges a rollup into its cell (copied when it starts one: the caller may reuse it). A different type under the same name is refused. */
  add(instanceId: string, project: string, metric: string, hour: number, rollup: Rollup): MergeOutcome {
    const recent = this.recent;
    if (recent !== null && recent.hour === hour && recent.metric === metric && recent.instanceId === instanceId) return mergeRollup(recent.rollup, rollup);
    const key = `${instanceId}\u0000${metric}\u0000${hour}`;
    let cell = this.cells.get(key);
    if (cell === undefined) {
      cell = { instanceId, project, metric, hour, rollup: copyRollup(rollup) };
      this.cells.set(key, cell);
      this.recent = cell;
      return 'merged';
    }
    this.recent = cell;
    return mergeRollup(cell.rollup, rollup);
  }

  /** The kind a metric already has in the buffer for this instance and hour, if any. */
  kindOf(instanceId: string, metric: string, hour: number): Rollup['kind'] | undefined {
    return this.cells.get(`${instanceId}\u0000${metric}\u0000${hour}`)?.rollup.kind;
  }

  /** Hands every cell over to a flush and starts empty. */
  take(): RollupCell[] {
    const taken = [...this.cells.values()];
    this.cells = new Map();
    this.recent = null;
    return taken;
  }

  /**
   * A flush failed: its cells come back, as the older data, under whatever arrived meanwhile. Returns the cells
   * that arrived meanwhile with another type under the same name, which cannot be kept.
   */
  putBack(older: readonly RollupCell[]): RollupCell[] {
    const newer = this.cells;
    this.cells = new Map();
    this.recent = null;
    const lost: RollupCell[] = [];
    for (const cell of older) this.cells.set(`${cell.instanceId}\u0000${cell.metric}\u0000${cell.hour}`, cell);
    for (const [key, cell] of newer) {
      const kept = this.cells.get(key);
      if (kept === undefined) this.cells.set(key, cell);
      else if (mergeRollup(kept.rollup, cell.rollup) === 'kind-conflict') lost.push(cell);
    }
    return lost;
  }
}
