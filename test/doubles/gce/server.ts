import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ComputeEngine, type CallContext, type ComputeEngineOptions } from './compute-engine.js';
import { GceFaults } from './faults.js';
import { GceError, notFound, unauthenticated } from './gce-error.js';
import type { GceInstance } from './instances.js';
import { scopesAllow, TokenIssuer, type ServiceAccountPublicKey } from './oauth-token.js';
import type { GceOperation } from './operations.js';

export type { DoubleFaults } from './faults.js';
export type { GceInstance } from './instances.js';
export type { GceOperation } from './operations.js';

export interface GceDoubleOptions extends ComputeEngineOptions {
  /** Service accounts whose signed JWTs the token endpoint accepts. */
  serviceAccounts?: ServiceAccountPublicKey[];
  /** Bearer tokens accepted without the token endpoint (for an OAuth2Client holding an access token). */
  accessTokens?: string[];
  /** What a throttling answer asks the client to wait (Retry-After and RetryInfo). Default 1 s. */
  retryAfterSeconds?: number;
}

/** One request as the double received and answered it. */
export interface RecordedGceCall {
  /** The API method, e.g. `compute.instances.insert`, or `oauth2.token`. */
  action: string;
  method: string;
  path: string;
  query: Record<string, string>;
  requestId: string | null;
  body: unknown;
  status: number;
  /** The answer was withheld and the connection destroyed (dropNextCreateResponse). */
  dropped: boolean;
}

export interface GceDouble {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** For the SDK's `apiEndpoint` / `port` / `protocol: 'http'`. */
  host: string;
  port: number;
  /** The OAuth token endpoint (`POST /token`), for the driver's `tokenUrl`. */
  tokenUrl: string;
  faults: GceFaults;
  /** Every instance of every project, as they are now (copies). */
  instances(): { project: string; zone: string; instance: GceInstance }[];
  operations(): GceOperation[];
  /** Puts a RUNNING instance in place without an API call, as if someone made it before (copies in, copy out). */
  seed(project: string, zone: string, body: Record<string, unknown>): GceInstance;
  /** Every request so far, in arrival order (a live array). */
  calls: RecordedGceCall[];
  /** How many calls of one action arrived (whatever their answer). */
  callCount(action: string): number;
  close(): Promise<void>;
}

interface Route {
  action: string;
  method: string;
  pattern: RegExp;
  handle(engine: ComputeEngine, p: string[], query: URLSearchParams, body: unknown, call: CallContext): unknown;
}

const P = '/compute/v1/projects/([^/]+)';
const ROUTES: Route[] = [
  { action: 'compute.zones.list', method: 'GET', pattern: re(`${P}/zones`), handle: (e, [p], q) => e.listZones(p!, q) },
  { action: 'compute.regions.list', method: 'GET', pattern: re(`${P}/regions`), handle: (e, [p], q) => e.listRegions(p!, q) },
  { action: 'compute.instances.aggregatedList', method: 'GET', pattern: re(`${P}/aggregated/instances`), handle: (e, [p], q) => e.aggregatedInstances(p!, q) },
  { action: 'compute.machineTypes.aggregatedList', method: 'GET', pattern: re(`${P}/aggregated/machineTypes`), handle: (e, [p], q) => e.aggregatedMachineTypes(p!, q) },
  { action: 'compute.machineTypes.list', method: 'GET', pattern: re(`${P}/zones/([^/]+)/machineTypes`), handle: (e, [p, z], q) => e.listMachineTypes(p!, z!, q) },
  { action: 'compute.instances.list', method: 'GET', pattern: re(`${P}/zones/([^/]+)/instances`), handle: (e, [p, z], q) => e.listInstances(p!, z!, q) },
  { action: 'compute.instances.insert', method: 'POST', pattern: re(`${P}/zones/([^/]+)/instances`), handle: (e, [p, z], _q, b, c) => e.insert(p!, z!, b, c) },
  { action: 'compute.instances.get', method: 'GET', pattern: re(`${P}/zones/([^/]+)/instances/([^/]+)`), handle: (e, [p, z, i]) => e.get(p!, z!, i!) },
  { action: 'compute.instances.delete', method: 'DELETE', pattern: re(`${P}/zones/([^/]+)/instances/([^/]+)`), handle: (e, [p, z, i], _q, _b, c) => e.delete(p!, z!, i!, c) },
  { action: 'compute.instances.start', method: 'POST', pattern: re(`${P}/zones/([^/]+)/instances/([^/]+)/start`), handle: (e, [p, z, i], _q, _b, c) => e.start(p!, z!, i!, c) },
  { action: 'compute.instances.stop', method: 'POST', pattern: re(`${P}/zones/([^/]+)/instances/([^/]+)/stop`), handle: (e, [p, z, i], _q, _b, c) => e.stop(p!, z!, i!, c) },
  { action: 'compute.instances.reset', method: 'POST', pattern: re(`${P}/zones/([^/]+)/instances/([^/]+)/reset`), handle: (e, [p, z, i], _q, _b, c) => e.reset(p!, z!, i!, c) },
  { action: 'compute.zoneOperations.get', method: 'GET', pattern: re(`${P}/zones/([^/]+)/operations/([^/]+)`), handle: (e, [p, z, o]) => e.getOperation(p!, z!, o!) },
  { action: 'compute.zoneOperations.wait', method: 'POST', pattern: re(`${P}/zones/([^/]+)/operations/([^/]+)/wait`), handle: (e, [p, z, o]) => e.waitOperation(p!, z!, o!) },
];

function re(path: string): RegExp {
  return new RegExp(`^${path}$`);
}

/**
 * Starts a wire-level double of the Compute Engine REST API v1 (and Google's OAuth token endpoint) on 127.0.0.1,
 * a free port. It speaks the JSON that @google-cloud/compute's REST transport sends and expects, so the SDK runs
 * against it unchanged: bearer tokens, Operation resources, Google's error envelope, requestId de-duplication,
 * aggregatedList paging. State lives in memory for the double's lifetime.
 */
export async function startGceDouble(options: GceDoubleOptions = {}): Promise<GceDouble> {
  const faults = new GceFaults(options.retryAfterSeconds ?? 1);
  const engine = new ComputeEngine(options, faults);
  let tokenUrl = '';
  const issuer = new TokenIssuer(options.serviceAccounts ?? [], options.accessTokens ?? [], () => tokenUrl);
  const calls: RecordedGceCall[] = [];

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://double');
    const text = await readBody(req);
    if (faults.latencyMs > 0) await new Promise((r) => setTimeout(r, faults.latencyMs));
    const query = url.searchParams;
    const record: RecordedGceCall = {
      action: 'unknown',
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(query),
      requestId: query.get('requestId'),
      body: null,
      status: 200,
      dropped: false,
    };
    calls.push(record);

    if (url.pathname === '/token' && req.method === 'POST') {
      record.action = 'oauth2.token';
      const granted = issuer.grant(new URLSearchParams(text));
      record.status = granted.status;
      return send(res, granted.status, granted.body);
    }

    let status = 200;
    let payload: unknown;
    const headers: Record<string, string> = {};
    const route = ROUTES.find((r) => r.method === req.method && r.pattern.test(url.pathname));
    if (route) record.action = route.action;
    try {
      if (!route) throw notFound(url.pathname);
      const principal = issuer.principalOf(req.headers.authorization);
      if (!principal) {
        throw unauthenticated(
          'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
        );
      }
      if (!scopesAllow(principal, req.method ?? 'GET')) throw new GceError(403, 'insufficientPermissions', 'Request had insufficient authentication scopes.', 'PERMISSION_DENIED');
      record.body = parseJson(text);
      const fault = faults.takeCallFault();
      if (fault) throw fault;
      const params = route.pattern.exec(url.pathname)!.slice(1).map(decodeURIComponent);
      payload = await route.handle(engine, params, query, record.body, { user: principal.email, requestId: query.get('requestId') });
    } catch (e) {
      // Anything but a GceError is a bug in the double: answer 500 as Google would, keep the stack for the test.
      const error = e instanceof GceError ? e : new GceError(500, 'backendError', `bug in the GCE double: ${(e as Error).stack}`, 'INTERNAL');
      status = error.httpStatus;
      payload = error.envelope();
      if (error.retryAfterSeconds !== undefined) headers['retry-after'] = String(error.retryAfterSeconds);
    }
    record.status = status;
    if (route?.action === 'compute.instances.insert' && faults.takeDropCreate()) {
      // Processed, never answered: the client sees the connection reset and cannot tell whether it worked.
      record.dropped = true;
      req.socket.destroy();
      return;
    }
    send(res, status, payload, headers);
  }

  const server = createServer((req, res) => void answer(req, res).catch(() => res.destroy()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  tokenUrl = `${url}/token`;

  return {
    url,
    host: '127.0.0.1',
    port,
    tokenUrl,
    faults,
    instances: () => engine.instances(),
    operations: () => engine.operations(),
    seed: (project, zone, body) => engine.seed(project, zone, structuredClone(body)),
    calls,
    callCount: (action) => calls.filter((c) => c.action === action).length,
    close: () =>
      new Promise<void>((resolve, reject) => {
        engine.close();
        server.close((e) => (e ? reject(e) : resolve()));
        // The SDK keeps connections alive; without this, close() would wait for them to idle out.
        server.closeAllConnections();
      }),
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    throw new GceError(400, 'parseError', 'This API does not support parsing form-encoded input.', 'INVALID_ARGUMENT');
  }
}

function send(res: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(payload);
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}
