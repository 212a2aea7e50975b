import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { narrowProjects, projectsWith } from '../identity/access.js';
import { answerExport, DEFAULT_MAX_BODY_BYTES, encodingOf, failureAnswer, type OtlpAnswer } from '../metering/otlp/otlp-exchange.js';
import type { OtlpCaller } from '../metering/otlp/otlp-metering.js';
import { REJECTION_REASONS } from '../metering/otlp/rejection.js';
import { principalOf } from './auth.js';
import type { ControlPlane } from './control-plane.js';
import { COMMON_ERRORS, Limit } from './schemas.js';

/** OTLP/HTTP's default port (OpenTelemetry SDKs and the Collector send here unless told otherwise). */
export const OTLP_DEFAULT_PORT = 4318;
const METRICS_PATH = '/v1/metrics';

export interface OtlpReceiverOptions {
  host: string;
  /** Undefined: the default port 4318, skipped with a warning when taken; 0: any free port; else exactly this one. */
  port?: number;
  maxBodyBytes?: number;
  /** Requests read at once beyond which a sender is answered 429 (each may hold up to maxBodyBytes). */
  maxConcurrentRequests?: number;
}

export interface RunningOtlpReceiver {
  url: string;
  close(): Promise<void>;
}

/** In-flight requests are given this long to finish at shutdown before their connections are cut. */
const CLOSE_GRACE_MS = 5_000;
const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * Starts the OTLP/HTTP receiver on its own port beside the API: `POST /v1/metrics` in protobuf or JSON, gzip or
 * not, authenticated with a Tessera API token. Returns null when the default port is taken (another Tessera on this
 * host): the API runs on without it, says so in the log and in GET /v1/otlp/status. A port that was asked for and
 * cannot be had is an error.
 */
export async function startOtlpReceiver(cp: ControlPlane, opts: OtlpReceiverOptions): Promise<RunningOtlpReceiver | null> {
  const log = cp.logger.child({ component: 'otlp-receiver' });
  const server = createServer(handler(cp, opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES, opts.maxConcurrentRequests ?? 64, log));
  try {
    await listen(server, opts.host, opts.port ?? OTLP_DEFAULT_PORT);
  } catch (e) {
    if (opts.port === undefined && (e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      const note = `port ${OTLP_DEFAULT_PORT} on ${opts.host} is in use, so this process receives no OTLP: set otlp.port (0 picks a free one) or otlp.enabled: false in the configuration`;
      log.warn(note);
      cp.otlp.receiverSkipped(note);
      return null;
    }
    throw new Error(`the OTLP receiver cannot listen on ${opts.host}:${opts.port ?? OTLP_DEFAULT_PORT}: ${(e as Error).message}`, { cause: e });
  }
  const { port } = server.address() as AddressInfo;
  const url = `http://${displayHost(opts.host)}:${port}`;
  cp.otlp.receiverStarted(url);
  let closing: Promise<void> | null = null;
  return {
    url,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        const cut = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS).unref();
        server.close(() => {
          clearTimeout(cut);
          cp.otlp.receiverStopped(url);
          resolve();
        });
        server.closeIdleConnections();
      })),
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function displayHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

function handler(cp: ControlPlane, maxBodyBytes: number, maxConcurrent: number, log: ControlPlane['logger']) {
  let inFlight = 0;

  const send = (res: ServerResponse, answer: OtlpAnswer, closeConnection = false) => {
    cp.otlp.stats.countAnswer(answer.status);
    res.writeHead(answer.status, { ...answer.headers, 'content-length': String(answer.body.length), ...(closeConnection ? { connection: 'close' } : {}) });
    res.end(answer.body);
  };

  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const encoding = encodingOf(req.headers['content-type']) ?? 'json';
    const path = (req.url ?? '/').split('?')[0];
    if (path !== METRICS_PATH) {
      return send(res, failureAnswer(404, `no OTLP endpoint ${path}: Tessera receives metrics only, at POST ${METRICS_PATH}`, encoding));
    }
    if (req.method !== 'POST') return send(res, failureAnswer(405, `${METRICS_PATH} takes POST only`, encoding, { allow: 'POST' }));
    const caller = await callerOf(cp, req);
    if ('status' in caller) return send(res, { ...caller, headers: { ...caller.headers, ...(caller.status === 401 ? { 'www-authenticate': 'Bearer' } : {}) } });
    if (inFlight >= maxConcurrent) {
      return send(res, failureAnswer(429, `this receiver is reading ${inFlight} requests already: send again shortly`, encoding, { 'retry-after': '1' }));
    }
    inFlight++;
    try {
      const tooLarge = () => failureAnswer(413, `the body is larger than ${maxBodyBytes} bytes: send smaller batches`, encoding);
      if (Number(req.headers['content-length'] ?? 0) > maxBodyBytes) return send(res, tooLarge(), true);
      const body = await readBody(req, maxBodyBytes);
      if (body === null) return send(res, tooLarge(), true);
      const answer = await answerExport(cp.otlp, { contentType: req.headers['content-type'], contentEncoding: req.headers['content-encoding'], body }, caller, maxBodyBytes);
      send(res, answer);
      log.debug({ status: answer.status, caller: caller.id, bytes: body.length }, 'OTLP export');
    } finally {
      inFlight--;
    }
  };

  return (req: IncomingMessage, res: ServerResponse): void => {
    serve(req, res).catch((e: Error) => {
      if (e instanceof SenderGoneError) {
        log.debug({ err: { message: e.message } }, 'OTLP sender went away mid-request');
        return void res.destroy();
      }
      log.error({ err: { message: e.message, stack: e.stack } }, 'OTLP request failed');
      if (res.headersSent) return void res.destroy();
      send(res, failureAnswer(500, 'internal error in the OTLP receiver: report it to the operators (the server log has the details)', encodingOf(req.headers['content-type']) ?? 'json'));
    });
  };
}

/** The caller a bearer token stands for, with the projects it may feed; or the answer that refuses it. */
async function callerOf(cp: ControlPlane, req: IncomingMessage): Promise<OtlpCaller | OtlpAnswer> {
  const encoding = encodingOf(req.headers['content-type']) ?? 'json';
  const header = req.headers.authorization;
  const secret = header === undefined ? undefined : BEARER.exec(header)?.[1];
  if (!secret) {
    return failureAnswer(
      401,
      'send a Tessera API token: Authorization: Bearer tsr_… (in an SDK: OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20tsr_…)',
      encoding,
    );
  }
  let principal;
  try {
    principal = cp.identity.tokens.cached(secret) ?? (await cp.identity.tokens.authenticate(secret));
  } catch (e) {
    return failureAnswer(503, `the token cannot be checked right now (${(e as Error).message}): send again shortly`, encoding, { 'retry-after': '5' });
  }
  if (!principal) return failureAnswer(401, 'the token is unknown, expired or revoked: create a new one (tessera token create)', encoding);
  const projects = projectsWith(principal, 'operator');
  if (projects !== undefined && projects.length === 0) {
    return failureAnswer(403, `${principal.name} holds operator in no project, so its metrics could be attributed to no instance: use a token with operator in the instances' project`, encoding);
  }
  return { id: principal.id, projects };
}

/** The sender closed the connection or it broke before the whole body came: nobody is left to answer. */
class SenderGoneError extends Error {
  override readonly name = 'SenderGoneError';
}

/** The whole body, or null as soon as it passes `limit` bytes (the rest is discarded, the connection closed after the answer). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        chunks.length = 0;
        resolve(null);
      } else chunks.push(chunk);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(chunks, size));
    });
    req.on('error', (e) => {
      if (done) return;
      done = true;
      reject(new SenderGoneError(`the request broke off: ${e.message}`));
    });
    req.on('close', () => {
      if (done) return;
      done = true;
      reject(new SenderGoneError('the sender closed the connection before sending the whole body'));
    });
  });
}

// ---------------------------------------------------------------- read API (on the main API server)

const Hour = z.iso.datetime({ offset: true });

const RollupsQuery = z
  .object({
    instance: z.string().max(64).optional().describe('an instance id'),
    metric: z.string().max(255).optional(),
    project: z.string().max(63).optional(),
    from: Hour.optional().describe('hours that begin at or after the hour this falls in'),
    to: Hour.optional().describe('hours that begin before this'),
    limit: Limit,
    cursor: z.string().max(1000).optional(),
  })
  .strict();

const RollupView = z
  .object({
    instanceId: z.string(),
    project: z.string(),
    metric: z.string(),
    hour: z.string().describe('the start of the hour (UTC)'),
    kind: z.enum(['gauge', 'sum', 'histogram']),
    unit: z.string(),
    count: z.number().describe('points (gauge, sum) or measurements (histogram)'),
    sum: z.number().describe('gauge: sum of the values; sum: the increase over the hour; histogram: sum of the measurements'),
    min: z.number().nullable(),
    max: z.number().nullable(),
    last: z.number().nullable().describe('the latest value as sent (gauge, sum)'),
    lastAt: z.string().nullable(),
    buckets: z.object({ bounds: z.array(z.number()), counts: z.array(z.number()) }).nullable().describe('histogram buckets: upper bounds, and counts (one more than bounds)'),
    unbucketed: z.number().describe('histogram measurements not in the buckets (their point had other bounds, or none)'),
    updatedAt: z.string(),
  })
  .meta({ id: 'MetricRollup' });

const ReasonCounts = z.object(Object.fromEntries(REJECTION_REASONS.map((r) => [r, z.number()])) as Record<(typeof REJECTION_REASONS)[number], z.ZodNumber>);

const OtlpStatusView = z
  .object({
    scope: z.enum(['organisation', 'caller']).describe('organisation admins see every caller\'s counts; others their own'),
    receiver: z.object({ url: z.string().nullable(), note: z.string().nullable() }),
    since: z.string(),
    requests: z.number(),
    acceptedPoints: z.number(),
    rejectedPoints: z.number(),
    rejectedByReason: ReasonCounts,
    rejectedByResource: z.array(z.object({ identity: z.string(), reason: z.enum(REJECTION_REASONS), points: z.number(), detail: z.string(), lastAt: z.string() })),
    histogramPointsUnbucketed: z.number(),
    rollups: z.object({
      pending: z.number(),
      flushIntervalSeconds: z.number(),
      lastFlushAt: z.string().nullable(),
      lastFlushRows: z.number().nullable(),
      lastError: z.object({ at: z.string(), message: z.string() }).nullable(),
      droppedAtFlush: z.number(),
    }),
    cumulativeSeries: z.number(),
  })
  .meta({ id: 'OtlpStatus' });

/** The hourly rollups and the receiver's status, on the API server. */
export function otlpRoutes(cp: ControlPlane): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/v1/metrics/rollups',
      {
        config: { access: 'viewer' },
        schema: {
          summary: 'Hourly rollups of the metrics instances sent over OTLP, by instance, metric and hour',
          tags: ['metering'],
          querystring: RollupsQuery,
          response: { 200: z.object({ items: z.array(RollupView), nextCursor: z.string().nullable() }).meta({ id: 'MetricRollupPage' }), ...COMMON_ERRORS },
        },
      },
      async (req) => {
        const q = req.query;
        return cp.otlp.rollups({
          projects: narrowProjects(projectsWith(principalOf(req), 'viewer'), q.project),
          instanceId: q.instance,
          metric: q.metric,
          from: q.from,
          to: q.to,
          limit: q.limit,
          cursor: q.cursor ?? null,
        });
      },
    );

    app.get(
      '/v1/otlp/status',
      {
        config: { access: 'signed-in' },
        schema: {
          summary: "The OTLP receiver: where it listens, points accepted and refused (by reason and resource), the rollups' write-behind",
          tags: ['metering'],
          querystring: z.object({}).strict(),
          response: { 200: OtlpStatusView, ...COMMON_ERRORS },
        },
      },
      async (req) => {
        const principal = principalOf(req);
        return { scope: principal.orgAdmin ? ('organisation' as const) : ('caller' as const), ...cp.otlp.status(principal.orgAdmin ? undefined : principal.id) };
      },
    );
  };
}
