import { InvalidInputError } from '../../core/errors.js';

/** A cost period: [from, to), ISO 8601 UTC with milliseconds, as the ledger compares them. */
export interface Period {
  from: string;
  to: string;
}

/** A year and a day: enough for any yearly report; longer ones are asked for a year at a time. */
const MAX_PERIOD_MS = 366 * 86_400_000;
/** A date, or a date-time with seconds optional and an offset required (a time without one would be ambiguous). */
const MOMENT = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

/**
 * The period a report or export covers. Either end may be a date (UTC midnight) or a date-time with an offset;
 * without `from`, the current UTC month so far; without `to`, now.
 */
export function resolvePeriod(asked: { from?: string; to?: string }, nowIso: string): Period {
  const from = asked.from === undefined ? startOfMonth(nowIso) : parseMoment(asked.from, 'from');
  const to = asked.to === undefined ? nowIso : parseMoment(asked.to, 'to');
  if (to <= from) {
    throw new InvalidInputError(`the period is empty: to (${to}) must be after from (${from})`, { field: 'to' });
  }
  if (Date.parse(to) - Date.parse(from) > MAX_PERIOD_MS) {
    throw new InvalidInputError(`the period from ${from} to ${to} is longer than 366 days: ask for one year at a time`, { field: 'to' });
  }
  return { from, to };
}

/** `2026-01` → the first instant of that month and of the next, for `--month`. */
export function monthPeriod(month: string): Period {
  const m = /^(\d{4})-(\d{2})$/.exec(month);
  const n = m ? Number(m[2]) : 0;
  if (!m || n < 1 || n > 12) throw new InvalidInputError(`"${month}" is not a month: write it as YYYY-MM, e.g. 2026-01`, { field: 'month' });
  const start = Date.UTC(Number(m[1]), n - 1, 1);
  return { from: new Date(start).toISOString(), to: new Date(Date.UTC(Number(m[1]), n, 1)).toISOString() };
}

export function startOfMonth(iso: string): string {
  const d = new Date(iso);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)).toISOString();
}

export function startOfNextMonth(iso: string): string {
  const d = new Date(iso);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)).toISOString();
}

function parseMoment(text: string, field: 'from' | 'to'): string {
  const m = MOMENT.exec(text);
  const ms = m && realCalendarMoment(m) ? Date.parse(m[4] === undefined ? `${text}T00:00:00Z` : text) : NaN;
  if (Number.isNaN(ms)) {
    throw new InvalidInputError(`${field}="${text}" is not a date or time: use ISO 8601, e.g. 2026-01-01 or 2026-01-15T09:30:00Z`, { field });
  }
  return new Date(ms).toISOString();
}

/** Date.parse rolls 2026-02-30 over into March; a report period must name a day that exists. */
function realCalendarMoment(m: RegExpExecArray): boolean {
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth) return false;
  return m[4] === undefined || (Number(m[4]) <= 23 && Number(m[5]) <= 59 && Number(m[6] ?? 0) <= 59);
}
