import { costOf, type LedgerLine } from '../ledger/ledger.js';

const DAY_MS = 86_400_000;

/**
 * Cuts a line of the ledger read without day cuts at each UTC midnight, each piece priced as the ledger prices a
 * line (costOf: duration × hourly price, rounded once, half up). The pieces are exactly the lines that
 * Ledger.lines({ splitBy: 'day' }) gives (a day cut adds to the price cuts already made), so reports agree with
 * the FOCUS export to the micro-dollar — without building an object per piece, which for a month of 10,000
 * instances (~300,000 pieces) is most of the time a report would take.
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

/** `2026-01-15` for a moment, cached per day: a report asks for the same few dozen days a million times. */
export class DayNames {
  private readonly names = new Map<number, string>();

  of(ms: number): string {
    const day = Math.floor(ms / DAY_MS);
    let name = this.names.get(day);
    if (name === undefined) {
      name = new Date(day * DAY_MS).toISOString().slice(0, 10);
      this.names.set(day, name);
    }
    return name;
  }
}
