import type { LedgerLine, LedgerQuery } from '../ledger/ledger.js';
import type { Period } from '../allocation/report-period.js';
import { csvRecord } from './csv.js';
import { FOCUS_COLUMNS, focusFields, focusRecord } from './focus-record.js';

export interface FocusExportQuery {
  period: Period;
  /** The projects the caller may see; undefined: every project. */
  projects?: string[];
  simulated: (provider: string) => boolean;
}

/** Segments per ledger page: a segment cut at every midnight of a 31-day month gives 31 lines, so a page stays small. */
const SEGMENTS_PER_PAGE = 500;
/** Records per chunk handed to the response: large enough to keep writes few, small enough to stay a few hundred kB. */
const RECORDS_PER_CHUNK = 500;

/**
 * The FOCUS cost export as CSV text, streamed: the header, then the ledger's lines (cut at UTC midnights, as
 * FOCUS charge periods are days) page by page. Never more than a page of the period is in memory.
 */
export async function* focusCsv(ledger: { lines(q: LedgerQuery): AsyncGenerator<LedgerLine[]> }, q: FocusExportQuery): AsyncGenerator<string> {
  yield csvRecord(FOCUS_COLUMNS);
  const ctx = { fromMs: Date.parse(q.period.from), toMs: Date.parse(q.period.to), simulated: q.simulated };
  for await (const page of ledger.lines({ from: q.period.from, to: q.period.to, projects: q.projects, splitBy: 'day', pageSize: SEGMENTS_PER_PAGE })) {
    let chunk = '';
    let n = 0;
    for (const line of page) {
      chunk += csvRecord(focusFields(focusRecord(line, ctx)));
      if (++n === RECORDS_PER_CHUNK) {
        yield chunk;
        chunk = '';
        n = 0;
      }
    }
    if (chunk !== '') yield chunk;
  }
}
