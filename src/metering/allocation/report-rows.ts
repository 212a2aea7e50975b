import type { Cell, CellSums } from './cost-cells.js';
import type { CostReport, CostRow } from './cost-report.js';
import type { Dimension } from './dimensions.js';

/** Hours to 6 decimals, from an exact count of milliseconds (the sums are of the integers, never of these). */
export function hoursOf(ms: number): number {
  return Math.round(ms / 3.6) / 1_000_000;
}

/**
 * The report's rows: the cells a caller may see, merged by their values, sorted by them (nulls last); and
 * their totals, exact sums of the same integers.
 */
export function reportRows(cells: readonly Cell[], dims: readonly Dimension[], visible: (c: Cell) => boolean): Pick<CostReport, 'rows' | 'total' | 'unpricedHours'> {
  const merged = new Map<string, { values: (string | null)[]; sums: CellSums }>();
  const total = emptySums();
  for (const c of cells) {
    if (!visible(c)) continue;
    const key = JSON.stringify(c.values);
    let m = merged.get(key);
    if (!m) {
      m = { values: c.values, sums: emptySums() };
      merged.set(key, m);
    }
    addSums(m.sums, c);
    addSums(total, c);
  }
  const rows = [...merged.values()]
    .filter((m) => m.sums.lines > 0 || m.sums.usageMicros !== 0 || m.sums.idleMicros !== 0 || m.sums.sharedMicros !== 0)
    .sort((a, b) => compareValues(a.values, b.values))
    .map((m): CostRow => ({ keys: Object.fromEntries(dims.map((d, i) => [d, m.values[i] ?? null])), ...rowFigures(m.sums) }));
  const { unpricedHours, ...figures } = rowFigures(total);
  return { rows, total: { costMicros: figures.costMicros, usageMicros: figures.usageMicros, idleMicros: figures.idleMicros, sharedMicros: figures.sharedMicros, instanceHours: figures.instanceHours, lines: figures.lines }, unpricedHours };
}


function emptySums(): CellSums {
  return { usageMicros: 0, idleMicros: 0, sharedMicros: 0, ms: 0, unpricedMs: 0, lines: 0 };
}

function addSums(into: CellSums, c: CellSums): void {
  into.usageMicros += c.usageMicros;
  into.idleMicros += c.idleMicros;
  into.sharedMicros += c.sharedMicros;
  into.ms += c.ms;
  into.unpricedMs += c.unpricedMs;
  into.lines += c.lines;
}

function rowFigures(s: CellSums): Omit<CostRow, 'keys'> {
  return {
    costMicros: s.usageMicros + s.idleMicros + s.sharedMicros,
    usageMicros: s.usageMicros,
    idleMicros: s.idleMicros,
    sharedMicros: s.sharedMicros,
    instanceHours: hoursOf(s.ms),
    unpricedHours: hoursOf(s.unpricedMs),
    lines: s.lines,
  };
}

function compareValues(a: (string | null)[], b: (string | null)[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? null;
    const y = b[i] ?? null;
    if (x === y) continue;
    if (x === null) return 1;
    if (y === null) return -1;
    return x < y ? -1 : 1;
  }
  return 0;
}
