import type { Transaction } from 'kysely';
import { INSTANCE_KIND, type InstanceUsageFacts } from '../../core/instance.js';
import type { Database, UsageSegmentsTable } from '../../store/schema.js';
import type { Store } from '../../store/store.js';
import { sameSegment, segmentFactsOf, type SegmentFacts } from './usage-state.js';

/** Where the builder has read the event log up to, kept in the same transaction as the segments it wrote. */
const CURSOR_KEY = 'metering.ledger.cursor';
const BATCH = 1_000;

interface OpenSegment {
  openedBySeq: number;
  facts: SegmentFacts;
}

/**
 * Builds the usage ledger from the event log: each Instance event's facts say what the instance was at that
 * moment; a change of billable state or of any fact closes the open segment and opens the next. Segments and
 * the cursor commit together, so a server that stops anywhere resumes where it stopped — no gap, nothing counted
 * twice — and a machine that ran while Tessera was down is still in its open segment when it comes back.
 */
export class LedgerBuilder {
  constructor(
    private readonly store: Store,
    /** The catalog provider whose prices apply to a configured provider (`aws-prod` → `aws`; private ones: their own name). */
    private readonly priceKeyOf: (provider: string) => string,
  ) {}

  /** Reads every event not yet in the ledger; answers how many it read. */
  async catchUp(): Promise<number> {
    let read = 0;
    for (;;) {
      const n = await this.step();
      read += n;
      if (n < BATCH) return read;
    }
  }

  /** One batch of events in one transaction. */
  private async step(): Promise<number> {
    return this.store.db.transaction().execute(async (tx) => {
      // Two builders (a reader catching up while the lease holder runs) take turns: on PostgreSQL the cursor row
      // is locked for the transaction; SQLite has one writer anyway.
      let cursorQuery = tx.selectFrom('settings').select('value').where('key', '=', CURSOR_KEY);
      if (this.store.connection.dialect === 'postgres') cursorQuery = cursorQuery.forUpdate();
      const cursorRow = await cursorQuery.executeTakeFirst();
      const cursor = cursorRow ? Number(JSON.parse(cursorRow.value)) : 0;
      const events = await tx
        .selectFrom('events')
        .select(['seq', 'at', 'resource_id', 'project', 'facts'])
        .where('seq', '>', cursor)
        .where('kind', '=', INSTANCE_KIND)
        .orderBy('seq')
        .limit(BATCH)
        .execute();
      if (events.length === 0) return 0;

      const ids = [...new Set(events.map((e) => e.resource_id))];
      const open = await this.openSegments(tx, ids);
      const closes: { instanceId: string; openedBySeq: number; endAt: string; closedBySeq: number }[] = [];
      const opens: UsageSegmentsTable[] = [];
      for (const e of events) {
        if (!e.facts) continue; // written before events carried facts
        const seq = Number(e.seq);
        const next = segmentFactsOf(JSON.parse(e.facts) as InstanceUsageFacts, e.project, this.priceKeyOf);
        const current = open.get(e.resource_id);
        if (current && next && sameSegment(current.facts, next)) continue;
        if (current) {
          closes.push({ instanceId: e.resource_id, openedBySeq: current.openedBySeq, endAt: e.at, closedBySeq: seq });
          open.delete(e.resource_id);
        }
        if (next) {
          opens.push(toRow(e.resource_id, seq, e.at, next));
          open.set(e.resource_id, { openedBySeq: seq, facts: next });
        }
      }

      // A segment opened and closed within this batch is written closed.
      const closing = new Map(closes.map((c) => [`${c.instanceId}/${c.openedBySeq}`, c]));
      for (const row of opens) {
        const c = closing.get(`${row.instance_id}/${row.opened_by_seq}`);
        if (c) {
          row.end_at = c.endAt;
          row.closed_by_seq = c.closedBySeq;
          closing.delete(`${row.instance_id}/${row.opened_by_seq}`);
        }
      }
      for (const c of closing.values()) {
        await tx
          .updateTable('usage_segments')
          .set({ end_at: c.endAt, closed_by_seq: c.closedBySeq })
          .where('instance_id', '=', c.instanceId)
          .where('opened_by_seq', '=', c.openedBySeq)
          .execute();
      }
      for (let i = 0; i < opens.length; i += 500) await tx.insertInto('usage_segments').values(opens.slice(i, i + 500)).execute();

      const last = Number(events.at(-1)!.seq);
      await tx
        .insertInto('settings')
        .values({ key: CURSOR_KEY, value: JSON.stringify(last), updated_at: this.store.nowIso() })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify(last), updated_at: this.store.nowIso() }))
        .execute();
      return events.length;
    });
  }

  private async openSegments(tx: Transaction<Database>, ids: string[]): Promise<Map<string, OpenSegment>> {
    const open = new Map<string, OpenSegment>();
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await tx
        .selectFrom('usage_segments')
        .selectAll()
        .where('instance_id', 'in', ids.slice(i, i + 500))
        .where('end_at', 'is', null)
        .execute();
      for (const r of rows) open.set(r.instance_id, { openedBySeq: Number(r.opened_by_seq), facts: factsOfRow(r) });
    }
    return open;
  }
}

function toRow(instanceId: string, seq: number, at: string, f: SegmentFacts): UsageSegmentsTable {
  return {
    instance_id: instanceId,
    opened_by_seq: seq,
    closed_by_seq: null,
    start_at: at,
    end_at: null,
    state: f.state,
    project: f.project,
    name: f.name,
    provider: f.provider,
    price_key: f.priceKey,
    region: f.region,
    zone: f.zone,
    flavor: f.flavor,
    market: f.market,
    kind: f.kind,
    labels: JSON.stringify(f.labels),
    external_id: f.externalId,
  };
}

export function factsOfRow(r: UsageSegmentsTable): SegmentFacts {
  return {
    state: r.state as SegmentFacts['state'],
    project: r.project,
    name: r.name,
    provider: r.provider,
    priceKey: r.price_key,
    region: r.region,
    zone: r.zone,
    flavor: r.flavor,
    market: r.market,
    kind: r.kind,
    labels: JSON.parse(r.labels) as Record<string, string>,
    externalId: r.external_id,
  };
}
