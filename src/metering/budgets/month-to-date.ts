import { costOf, type LedgerLine, type LedgerQuery } from '../ledger/ledger.js';
import { forEachDayPiece } from '../ledger/day-pieces.js';
import { startOfMonth, startOfNextMonth } from '../allocation/report-period.js';

/** Where a project stands in the current UTC month. */
export interface MonthToDate {
  spentMicros: number;
  /** What its instances running now cost an hour, at today's prices. */
  runRateMicrosPerHour: number;
  /** Spent, plus the run-rate over the hours left in the month. */
  forecastMicros: number;
}

export type LinesSource = { lines(q: LedgerQuery): AsyncGenerator<LedgerLine[]> };

/**
 * Month-to-date cost of each project, from the same ledger pieces (cut at UTC midnights, ledger/day-pieces.ts) as cost
 * reports, so a budget's "spent" equals the project's row of `tessera cost report --by project` for the month.
 */
export async function monthToDate(ledger: LinesSource, projects: readonly string[], nowIso: string): Promise<Map<string, MonthToDate>> {
  const out = new Map<string, MonthToDate>(projects.map((p) => [p, { spentMicros: 0, runRateMicrosPerHour: 0, forecastMicros: 0 }]));
  if (projects.length === 0) return out;
  // Ending at our own now (not the month's end): lines still running end exactly here, which tells them apart.
  for await (const page of ledger.lines({ from: startOfMonth(nowIso), to: nowIso, projects: [...projects], splitBy: 'none' })) {
    for (const line of page) {
      const m = out.get(line.project);
      if (!m) continue;
      forEachDayPiece(line, (_start, _ms, cost) => (m.spentMicros += cost));
      if (line.open && line.state === 'running' && line.unitPriceMicros !== null && line.end === nowIso) m.runRateMicrosPerHour += line.unitPriceMicros;
    }
  }
  const leftMs = Date.parse(startOfNextMonth(nowIso)) - Date.parse(nowIso);
  for (const m of out.values()) m.forecastMicros = m.spentMicros + costOf(leftMs, m.runRateMicrosPerHour);
  return out;
}
