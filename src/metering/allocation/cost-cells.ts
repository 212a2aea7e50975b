import type { Dimension } from './dimensions.js';

/**
 * One cell of a report before its rows are formed: a group's values, the project its cost belongs to now, and
 * whose viewers may see it. Rows are cells merged by their values; the project and visibility are kept apart
 * from the values so that shared and idle costs can move between projects, and a caller who may see only some
 * projects gets exactly their cells, whatever the grouping.
 */
/** What a cell (and a row made of cells) adds up: money, time and ledger lines. */
export interface CellSums {
  usageMicros: number;
  idleMicros: number;
  sharedMicros: number;
  ms: number;
  unpricedMs: number;
  lines: number;
}

export interface Cell extends CellSums {
  /** One value per dimension of the report, in its order. */
  values: (string | null)[];
  /** A project, or (idle) / (shared) while the cost belongs to none. */
  project: string;
  /** The project whose viewers may see the cell; null: only callers who see every project (idle capacity). */
  visibleTo: string | null;
  /** The time bucket (time-buckets.ts) the cell lies in. */
  bucket: string;
}

const NULL_VALUE = '\u0002';
const SEPARATOR = '\u0000';

export class CellTable {
  private readonly cells = new Map<string, Cell>();
  private readonly projectAt: number;

  constructor(readonly dims: readonly Dimension[]) {
    this.projectAt = dims.indexOf('project');
  }

  /** The cell of these values for this project and visibility, created empty the first time. */
  cell(values: (string | null)[], project: string, visibleTo: string | null, bucket: string): Cell {
    let key = `${visibleTo ?? NULL_VALUE}${SEPARATOR}${project}`;
    for (const v of values) key += SEPARATOR + (v ?? NULL_VALUE);
    let c = this.cells.get(key);
    if (!c) {
      c = { values, project, visibleTo, bucket, usageMicros: 0, idleMicros: 0, sharedMicros: 0, ms: 0, unpricedMs: 0, lines: 0 };
      this.cells.set(key, c);
    }
    return c;
  }

  /** The same values with the project dimension (if the report has one) set to `project`. */
  withProject(values: (string | null)[], project: string): (string | null)[] {
    if (this.projectAt < 0) return values;
    const out = [...values];
    out[this.projectAt] = project;
    return out;
  }

  all(): Cell[] {
    return [...this.cells.values()];
  }
}
