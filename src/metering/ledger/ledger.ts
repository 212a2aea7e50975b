import type { Micros } from '../../core/money.js';
import type { Store } from '../../store/store.js';
import type { UsageSegmentsTable } from '../../store/schema.js';
import { forEachDayPiece } from './day-pieces.js';
export { costOf } from './cost-of.js';
import { costOf } from './cost-of.js';
import { factsOfRow } from './ledger-builder.js';
import type { SegmentFacts } from './usage-state.js';

/** One priced piece of usage: one instance, one state, one unit price, within one charge period. */
export interface LedgerLine extends SegmentFacts {
  instanceId: string;
  /** ISO 8601; the piece of the segment inside the asked period (and day, and price period). */
  start: string;
  end: string;
  durationMs: number;
  /** Micro-dollars per hour in force then; null when the catalog had no price for it (reported, never guessed). */
  unitPriceMicros: Micros | null;
  /** Rounded once, half up, from the exact product: duration × unit price. */
  costMicros: Micros;
  /** Where the unit price came from: the catalog period's start, or why there is none. */
  priceValidFrom: string | null;
  priceNote: string | null;
  /** The instance is still in this segment: the line runs to the end of the period or now, whichever is first. */
  open: boolean;
}

export interface LedgerQuery {
  /** ISO 8601, inclusive. */
  from: string;
  /** ISO 8601, exclusive; clipped to now. */
  to: string;
  projects?: string[];
  /** Cut lines at UTC midnights too (daily reports and FOCUS charge periods). */
  splitBy?: 'day' | 'none';
  /** Segments read per round trip. */
  pageSize?: number;
}

interface PricePeriod {
  from: number;
  to: number;
  validFrom: string;
  micros: number;
}


/**
 * The priced usage ledger: usage segments (ledger-builder.ts) cut at the asked period, at price changes (each
 * piece priced with the catalog period in force then) and optionally at days. Streamed page by page, so a year
 * of an estate never sits in memory.
 */
export class Ledger {
  constructor(private readonly store: Store) {}

  async *lines(q: LedgerQuery): AsyncGenerator<LedgerLine[]> {
    const now = this.store.nowIso();
    const to = q.to < now ? q.to : now;
    if (to <= q.from) return;
    const fromMs = Date.parse(q.from);
    const toMs = Date.parse(to);
    const prices = new PriceLookup(this.store);
    const pageSize = q.pageSize ?? 2_000;
    let after: { start: string; id: string; seq: number } | null = null;
    for (;;) {
      let query = this.store.db
        .selectFrom('usage_segments')
        .selectAll()
        .where('start_at', '<', to)
        .where((eb) => eb.or([eb('end_at', 'is', null), eb('end_at', '>', q.from)]));
      if (q.projects) query = query.where('project', 'in', q.projects.length > 0 ? q.projects : ['']);
      if (after) {
        const a = after;
        query = query.where((eb) =>
          eb.or([
            eb('start_at', '>', a.start),
            eb.and([eb('start_at', '=', a.start), eb('instance_id', '>', a.id)]),
            eb.and([eb('start_at', '=', a.start), eb('instance_id', '=', a.id), eb('opened_by_seq', '>', a.seq)]),
          ]),
        );
      }
      const rows = await query.orderBy('start_at').orderBy('instance_id').orderBy('opened_by_seq').limit(pageSize).execute();
      if (rows.length === 0) return;
      await prices.load(rows);
      const out: LedgerLine[] = [];
      for (const r of rows) {
        for (const line of this.piecesOf(r, fromMs, toMs, prices)) {
          if (q.splitBy === 'day') forEachDayPiece(line, (start, durationMs, costMicros) => out.push(dayPiece(line, start, durationMs, costMicros)));
          else out.push(line);
        }
      }
      if (out.length > 0) yield out;
      const last = rows.at(-1)!;
      after = { start: last.start_at, id: last.instance_id, seq: Number(last.opened_by_seq) };
      if (rows.length < pageSize) return;
    }
  }

  private piecesOf(r: UsageSegmentsTable, fromMs: number, toMs: number, prices: PriceLookup): LedgerLine[] {
    const start = Math.max(Date.parse(r.start_at), fromMs);
    const end = Math.min(r.end_at === null ? toMs : Date.parse(r.end_at), toMs);
    if (end <= start) return [];
    const facts = factsOfRow(r);
    const base = { ...facts, instanceId: r.instance_id, open: r.end_at === null };
    if (facts.state === 'stopped') {
      // A stopped machine keeps only its disks; the catalog holds compute prices, so storage is shown, not priced.
      return [
        {
          ...base,
          start: new Date(start).toISOString(),
          end: new Date(end).toISOString(),
          durationMs: end - start,
          unitPriceMicros: 0,
        costMicros: 0,
        priceValidFrom: null,
          priceNote: 'stopped: storage is not priced by the catalog',
        },
      ];
    }
    const periods = prices.periodsOf(r);
    const lines: LedgerLine[] = [];
    for (const [a, b] of cuts(start, end, periods.flatMap((p) => [p.from, p.to]))) {
      const p = periods.find((x) => x.from <= a && a < x.to);
      lines.push({
        ...base,
        start: new Date(a).toISOString(),
        end: new Date(b).toISOString(),
        durationMs: b - a,
        unitPriceMicros: p ? p.micros : null,
        costMicros: p ? costOf(b - a, p.micros) : 0,
        priceValidFrom: p ? p.validFrom : null,
        priceNote: p ? null : `no catalog price for ${r.price_key}/${r.region}/${r.flavor} ${r.market} at this time`,
      });
    }
    return lines;
  }
}

/** One day's piece of a line (day-pieces.ts), as a line of its own. */
function dayPiece(line: LedgerLine, startMs: number, durationMs: number, costMicros: number): LedgerLine {
  return { ...line, start: new Date(startMs).toISOString(), end: new Date(startMs + durationMs).toISOString(), durationMs, costMicros };
}

/** [start, end) cut at every boundary inside it (the price changes). */
function cuts(start: number, end: number, boundaries: number[]): [number, number][] {
  const points = new Set<number>();
  for (const b of boundaries) if (b > start && b < end) points.add(b);
  const sorted = [start, ...[...points].sort((x, y) => x - y), end];
  const out: [number, number][] = [];
  for (let i = 0; i + 1 < sorted.length; i++) out.push([sorted[i]!, sorted[i + 1]!]);
  return out;
}

/** The catalog's validity periods of the offers a page of segments needs, read once per catalog provider. */
class PriceLookup {
  private readonly byOffer = new Map<string, PricePeriod[]>();
  private readonly loaded = new Set<string>();

  constructor(private readonly store: Store) {}

  async load(rows: UsageSegmentsTable[]): Promise<void> {
    const missing = [...new Set(rows.map((r) => r.price_key))].filter((k) => !this.loaded.has(k));
    if (missing.length === 0) return;
    const prices = await this.store.db
      .selectFrom('catalog_prices')
      .select(['provider', 'region', 'flavor', 'market', 'valid_from', 'valid_to', 'price_micros'])
      .where('provider', 'in', missing)
      .execute();
    for (const p of prices) {
      const key = `${p.provider}/${p.region}/${p.flavor}/${p.market}`;
      const list = this.byOffer.get(key) ?? [];
      list.push({
        from: Date.parse(p.valid_from),
        to: p.valid_to === null ? Number.MAX_SAFE_INTEGER : Date.parse(p.valid_to),
        validFrom: p.valid_from,
        micros: Number(p.price_micros),
      });
      this.byOffer.set(key, list);
    }
    for (const k of missing) this.loaded.add(k);
  }

  periodsOf(r: UsageSegmentsTable): PricePeriod[] {
    return this.byOffer.get(`${r.price_key}/${r.region}/${r.flavor}/${r.market}`) ?? [];
  }
}
