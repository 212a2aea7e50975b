import { z } from 'zod';
import type { Selectable } from 'kysely';
import type { Store } from '../store/store.js';
import type { AuditLogTable } from '../store/schema.js';

export const AuditResult = z.enum(['success', 'denied', 'failed']);
export type AuditResult = z.infer<typeof AuditResult>;

export const AuditEntry = z
  .object({
    seq: z.number(),
    at: z.string(),
    principalId: z.string().nullable(),
    principal: z.string().nullable().describe('user or service account name; null when nobody was signed in'),
    via: z.string().nullable().describe('token, session or saml'),
    sourceIp: z.string().nullable(),
    userAgent: z.string().nullable(),
    action: z.string().describe('e.g. instance.create, token.revoke, auth.signin'),
    method: z.string().nullable(),
    path: z.string().nullable(),
    resourceKind: z.string().nullable(),
    resourceId: z.string().nullable(),
    project: z.string().nullable(),
    result: AuditResult,
    statusCode: z.number().nullable(),
    requestId: z.string().nullable(),
    message: z.string(),
  })
  .meta({ id: 'AuditEntry' });
export type AuditEntry = z.infer<typeof AuditEntry>;

export type AuditRecord = Omit<AuditEntry, 'seq' | 'at'>;

export interface AuditQuery {
  principal?: string;
  action?: string;
  result?: AuditResult;
  /** Only entries of these projects (or with no project, when `includeUnscoped`). */
  projects?: string[];
  includeUnscoped?: boolean;
  resourceId?: string;
  from?: string;
  to?: string;
  after?: number;
  limit?: number;
}

/** The audit log: append-only (nothing here updates or deletes), queried by who, what, result and time. */
export class AuditLog {
  constructor(private readonly store: Store) {}

  async record(entry: AuditRecord): Promise<void> {
    const e = withoutNul(entry);
    await this.store.db
      .insertInto('audit_log')
      .values({
        at: this.store.nowIso(),
        principal_id: e.principalId,
        principal_name: e.principal,
        via: e.via,
        source_ip: e.sourceIp,
        user_agent: e.userAgent?.slice(0, 300) ?? null,
        action: e.action,
        method: e.method,
        path: e.path?.slice(0, 500) ?? null,
        resource_kind: e.resourceKind,
        resource_id: e.resourceId,
        project: e.project,
        result: e.result,
        status_code: e.statusCode,
        request_id: e.requestId,
        message: e.message.slice(0, 2000),
      })
      .execute();
  }

  /** Entries in order of writing, after `after` (a seq), at most `limit`. */
  async list(q: AuditQuery): Promise<AuditEntry[]> {
    let query = this.store.db.selectFrom('audit_log').selectAll().orderBy('seq').limit(Math.min(Math.max(q.limit ?? 100, 1), 10_000));
    if (q.after !== undefined) query = query.where('seq', '>', q.after);
    if (q.principal !== undefined) query = query.where('principal_name', '=', q.principal);
    if (q.action !== undefined) query = q.action.endsWith('.*') ? query.where('action', 'like', `${q.action.slice(0, -1)}%`) : query.where('action', '=', q.action);
    if (q.result !== undefined) query = query.where('result', '=', q.result);
    if (q.resourceId !== undefined) query = query.where('resource_id', '=', q.resourceId);
    if (q.from !== undefined) query = query.where('at', '>=', q.from);
    if (q.to !== undefined) query = query.where('at', '<', q.to);
    if (q.projects !== undefined) {
      const projects = q.projects;
      query = query.where((eb) =>
        eb.or([...(projects.length > 0 ? [eb('project', 'in', projects)] : []), ...(q.includeUnscoped ? [eb('project', 'is', null)] : [])]),
      );
    }
    return (await query.execute()).map(toEntry);
  }

  /** Every matching entry, page by page: an export of a year of audit never sits in memory at once. */
  async *stream(q: Omit<AuditQuery, 'after' | 'limit'>): AsyncGenerator<AuditEntry> {
    let after: number | undefined;
    for (;;) {
      const page = await this.list({ ...q, after, limit: 1000 });
      yield* page;
      if (page.length < 1000) return;
      after = page[page.length - 1]!.seq;
    }
  }
}

/** What a caller sent may hold NUL characters, which PostgreSQL text refuses; the log keeps the rest. */
function withoutNul(e: AuditRecord): AuditRecord {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) out[k] = typeof v === 'string' ? v.replaceAll('\u0000', '') : v;
  return out as AuditRecord;
}

function toEntry(r: Selectable<AuditLogTable>): AuditEntry {
  return {
    seq: Number(r.seq),
    at: r.at,
    principalId: r.principal_id,
    principal: r.principal_name,
    via: r.via,
    sourceIp: r.source_ip,
    userAgent: r.user_agent,
    action: r.action,
    method: r.method,
    path: r.path,
    resourceKind: r.resource_kind,
    resourceId: r.resource_id,
    project: r.project,
    result: r.result as AuditResult,
    statusCode: r.status_code === null ? null : Number(r.status_code),
    requestId: r.request_id,
    message: r.message,
  };
}
