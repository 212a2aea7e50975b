import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuditResult } from '../identity/audit.js';
import type { ControlPlane } from './control-plane.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** What the call acted on, when neither its path nor an `id` in its answer names it (e.g. the AWS role of a credentials request). */
    auditResourceId?: string;
  }
}

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Answers larger than this are not read for the id and project they carry (none of ours is, for a change). */
const MAX_INSPECTED_ANSWER = 64 * 1024;

/**
 * Every call that may change something — allowed, refused or failed — and every call refused for its
 * credentials (401) is written to the audit log before its answer leaves: who (principal, source address),
 * what (action, resource, project), the result and the request id that ties it to the logs.
 */
export function registerAuditTrail(app: FastifyInstance, cp: ControlPlane): void {
  // A callback hook, not an async one: the reads it lets through (nearly every request) cost no promise.
  app.addHook('onSend', (req, reply, payload, done) => {
    // Reads are not audited, except a refused credential: a failed sign-in, whatever the call.
    if (!req.url.startsWith('/v1') || (READS.has(req.method) && reply.statusCode !== 401)) return done(null, payload);
    const answer = inspect(payload);
    const principal = req.principal;
    const params = (req.params ?? {}) as Record<string, unknown>;
    const body = (req.body ?? {}) as Record<string, unknown>;
    const result = resultOf(reply.statusCode);
    const action = req.routeOptions.config.action ?? `${req.method} ${req.routeOptions.url ?? req.url.split('?')[0]}`;
    void record({
      principalId: principal?.id ?? null,
      principal: principal?.name ?? null,
      via: principal?.via ?? null,
      sourceIp: req.ip,
      userAgent: header(req, 'user-agent'),
      action,
      method: req.method,
      path: req.url,
      resourceKind: action.includes('.') ? action.split('.')[0]! : null,
      resourceId: str(params.id) ?? str(answer?.id) ?? str(params.name) ?? req.auditResourceId ?? null,
      project: str(answer?.project) ?? str(body.project) ?? str(params.project) ?? null,
      result,
      statusCode: reply.statusCode,
      requestId: req.id,
      message: result === 'success' ? `${action} done` : (str((answer?.error as Record<string, unknown> | undefined)?.message) ?? `answered ${reply.statusCode}`),
    }).then(() => done(null, payload));
  });

  /** The call has happened whatever the log says: a failed write is reported loudly, not turned into a failed call. */
  async function record(entry: Parameters<typeof cp.identity.audit.record>[0]): Promise<void> {
    try {
      await cp.identity.audit.record(entry);
    } catch (e) {
      cp.logger.error({ err: e, audit: { action: entry.action, requestId: entry.requestId } }, 'could not write the audit log');
    }
  }
}

function resultOf(status: number): AuditResult {
  if (status === 401 || status === 403) return 'denied';
  return status < 400 ? 'success' : 'failed';
}

function inspect(payload: unknown): Record<string, unknown> | null {
  if (typeof payload !== 'string' || payload.length > MAX_INSPECTED_ANSWER) return null;
  try {
    const v = JSON.parse(payload) as unknown;
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

function header(req: FastifyRequest, name: string): string | null {
  const v = req.headers[name];
  return typeof v === 'string' ? v : null;
}
