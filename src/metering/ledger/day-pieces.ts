import { costOf } from './cost-of.js';
import type { LedgerLine } from './ledger.js';

const DAY_MS = 86_400_000;

/**
 * Cuts a ledger line at each UTC midnight, each piece priced as the ledger prices a line (costOf: duration ×
 * hourly price, rounded once, half up). The one day cut of the metering plane: Ledger.lines({ splitBy: 'day' })
 * makes its lines with it, and reports and budgets call it on undivided lines without building an object per
 * piece (for a month of 10,000 instances, ~300,000 pieces: most of the time a report would take) — so every
 * reader agrees to the micro-dollar.
 */
export function forEachDayPiece(line: LedgerLine, piece: (startMs: number, durationMs: number, costMicros: number) => void): void {
  const price = line.unitPriceMicros;
  let a = Date.parse(line.start);
  const end = a + line.durationMs;
  while (a < end) {
    const b = Math.min(end, (Math.floor(a / DAY_MS) + 1) * DAY_MS);
    piece(a, b - a, price ? costOf(b - a, price) : 0);
    a = b;
  }
}
