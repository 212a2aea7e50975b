import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createBmcCertificate, type BmcCertificate } from './certificate.js';
import { ComputerSystem, type SystemConfig } from './computer-system.js';
import { RedfishError } from './errors.js';

export type { SystemConfig } from './computer-system.js';

/**
 * A wire-level double of a BMC's Redfish service (DSP0266, schemas from DSP8010) on HTTPS at 127.0.0.1: the
 * ServiceRoot, the Systems collection, ComputerSystem resources with their Reset action and Boot override, and
 * the SessionService. Answers use the DMTF shapes, errors included (errors.ts). No Debian package provides a
 * Redfish emulator, hence this.
 */

export interface RedfishDoubleOptions {
  systems: SystemConfig[];
  username?: string;
  password?: string;
  /** The TLS identity; default a fresh self-signed certificate for 127.0.0.1. */
  certificate?: BmcCertificate;
}

/** One request as the double saw it (credentials left out). */
export interface RecordedRedfishCall {
  method: string;
  path: string;
  status: number;
  auth: 'basic' | 'session' | 'none';
}

const ROOT = '/redfish/v1';

export class RedfishDouble {
  /** `https://127.0.0.1:PORT`. */
  url = '';
  readonly certificate: BmcCertificate;
  readonly calls: RecordedRedfishCall[] = [];
  private readonly systems = new Map<string, ComputerSystem>();
  private readonly sessions = new Map<string, string>();
  private readonly sockets = new Set<Socket>();
  private readonly held: ServerResponse[] = [];
  private server!: Server;
  private silent = false;
  private failures: { status: number; retryAfterSeconds: number }[] = [];
  private username: string;
  private password: string;

  private constructor(options: RedfishDoubleOptions) {
    this.certificate = options.certificate ?? createBmcCertificate('redfish-double');
    this.username = options.username ?? 'admin';
    this.password = options.password ?? 'secret';
    for (const s of options.systems) this.systems.set(s.id, new ComputerSystem(s));
  }

  static async start(options: RedfishDoubleOptions): Promise<RedfishDouble> {
    const double = new RedfishDouble(options);
    double.server = createServer({ key: double.certificate.keyPem, cert: double.certificate.certPem }, (req, res) => void double.handle(req, res));
    double.server.on('connection', (s: Socket) => {
      double.sockets.add(s);
      s.on('close', () => double.sockets.delete(s));
    });
    await new Promise<void>((resolve) => double.server.listen(0, '127.0.0.1', resolve));
    double.url = `https://127.0.0.1:${(double.server.address() as AddressInfo).port}`;
    return double;
  }

  /** The certificate a client pins. */
  get caPem(): string {
    return this.certificate.certPem;
  }

  system(id: string): ComputerSystem {
    const s = this.systems.get(id);
    if (!s) throw new Error(`the double has no system ${id}`);
    return s;
  }

  /** The BMC hangs: connections are accepted, requests read, and nothing is ever answered (until `resume`). */
  stopAnswering(): void {
    this.silent = true;
  }

  resume(): void {
    this.silent = false;
  }

  /** The next `count` requests are answered `status` (default 503, with Retry-After) before anything else happens. */
  failNext(count: number, status = 503, retryAfterSeconds = 1): void {
    this.failures = Array.from({ length: count }, () => ({ status, retryAfterSeconds }));
  }

  /** The BMC's administrator changed the password. */
  setPassword(password: string): void {
    this.password = password;
    this.sessions.clear();
  }

  /** Every session times out at once, as after a BMC reboot: clients must log in again. */
  expireSessions(): void {
    this.sessions.clear();
  }

  /** Open sessions (tests check that a client logs out). */
  get sessionCount(): number {
    return this.sessions.size;
  }

  async close(): Promise<void> {
    for (const s of this.systems.values()) s.stop();
    for (const res of this.held) res.destroy();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'https://bmc').pathname.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    let text = '';
    for await (const chunk of req) text += String(chunk);
    if (this.silent) {
      this.held.push(res);
      return;
    }
    let auth: RecordedRedfishCall['auth'] = 'none';
    try {
      const failure = this.failures.shift();
      if (failure) {
        throw new RedfishError(failure.status, failure.status === 503 ? 'ServiceTemporarilyUnavailable' : 'GeneralError', [String(failure.retryAfterSeconds)], {
          'retry-after': String(failure.retryAfterSeconds),
        });
      }
      // The service root and the login are open to anyone (DSP0266 §13.3); everything else needs credentials.
      const open = path === ROOT || (path === `${ROOT}/SessionService/Sessions` && method === 'POST');
      if (!open) auth = this.authenticate(req);
      const body = text === '' ? undefined : parseJson(text);
      const answer = this.route(method, path, body, req);
      this.send(res, method, path, auth, answer.status, answer.body, answer.headers);
    } catch (e) {
      // A bug in the double still answers like a BMC would: 500 with a GeneralError body.
      const error = e instanceof RedfishError ? e : new RedfishError(500, 'GeneralError');
      this.send(res, method, path, auth, error.status, error.body(), error.headers);
    }
  }

  private authenticate(req: IncomingMessage): RecordedRedfishCall['auth'] {
    const token = req.headers['x-auth-token'];
    if (typeof token === 'string' && this.sessions.has(token)) return 'session';
    const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (basic) {
      const [user, ...rest] = Buffer.from(basic[1]!, 'base64').toString('utf8').split(':');
      if (user === this.username && rest.join(':') === this.password) return 'basic';
    }
    throw new RedfishError(401, 'NoValidSession', [], { 'www-authenticate': 'Basic realm="Redfish double"' });
  }

  private route(method: string, path: string, body: unknown, req: IncomingMessage): { status: number; body?: unknown; headers?: Record<string, string> } {
    if (path === ROOT) return only(method, 'GET', () => ({ status: 200, body: this.serviceRoot() }));
    if (path === `${ROOT}/Systems`) return only(method, 'GET', () => ({ status: 200, body: this.systemsCollection() }));
    if (path === `${ROOT}/SessionService/Sessions`) {
      if (method === 'POST') return this.login(body);
      return only(method, 'GET', () => ({ status: 200, body: collection('#SessionCollection.SessionCollection', path, [...this.sessions.values()].map((id) => `${path}/${id}`)) }));
    }
    const session = new RegExp(`^${ROOT}/SessionService/Sessions/([^/]+)$`).exec(path);
    if (session) {
      const token = [...this.sessions].find(([, id]) => id === session[1])?.[0];
      if (!token) throw new RedfishError(404, 'ResourceMissingAtURI', [path]);
      return only(method, 'DELETE', () => {
        this.sessions.delete(token);
        return { status: 204 };
      });
    }
    const system = new RegExp(`^${ROOT}/Systems/([^/]+)(/Actions/ComputerSystem\\.Reset)?$`).exec(path);
    const s = system ? this.systems.get(decodeURIComponent(system[1]!)) : undefined;
    if (!system || !s) throw new RedfishError(404, 'ResourceMissingAtURI', [path]);
    if (system[2]) {
      return only(method, 'POST', () => {
        s.reset(body);
        return { status: 204 };
      });
    }
    if (method === 'GET') return { status: 200, body: s.resource(), headers: { etag: s.etag } };
    if (method === 'PATCH') {
      const ifMatch = req.headers['if-match'];
      if (ifMatch !== undefined && ifMatch !== '*' && ifMatch !== s.etag) throw new RedfishError(412, 'PreconditionFailed');
      s.patch(body);
      return { status: 200, body: s.resource(), headers: { etag: s.etag } };
    }
    throw new RedfishError(405, 'OperationNotAllowed', [], { allow: 'GET, PATCH' });
  }

  private login(body: unknown): { status: number; body: unknown; headers: Record<string, string> } {
    const { UserName, Password } = (body ?? {}) as { UserName?: unknown; Password?: unknown };
    if (UserName !== this.username || Password !== this.password) throw new RedfishError(401, 'NoValidSession');
    const token = randomBytes(24).toString('hex');
    const id = randomUUID();
    this.sessions.set(token, id);
    const uri = `${ROOT}/SessionService/Sessions/${id}`;
    return {
      status: 201,
      body: { '@odata.type': '#Session.v1_7_0.Session', '@odata.id': uri, Id: id, Name: 'User Session', UserName },
      headers: { 'x-auth-token': token, location: uri },
    };
  }

  private serviceRoot(): Record<string, unknown> {
    return {
      '@odata.type': '#ServiceRoot.v1_15_0.ServiceRoot',
      '@odata.id': `${ROOT}/`,
      Id: 'RootService',
      Name: 'Root Service',
      RedfishVersion: '1.17.0',
      UUID: '92384634-2938-2342-8820-489239905423',
      Systems: { '@odata.id': `${ROOT}/Systems` },
      SessionService: { '@odata.id': `${ROOT}/SessionService` },
      Links: { Sessions: { '@odata.id': `${ROOT}/SessionService/Sessions` } },
    };
  }

  private systemsCollection(): Record<string, unknown> {
    return collection('#ComputerSystemCollection.ComputerSystemCollection', `${ROOT}/Systems`, [...this.systems.values()].map((s) => s.uri));
  }

  private send(res: ServerResponse, method: string, path: string, auth: RecordedRedfishCall['auth'], status: number, body: unknown, headers: Record<string, string> = {}): void {
    this.calls.push({ method, path, status, auth });
    res.writeHead(status, { 'odata-version': '4.0', ...(body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }), ...headers });
    res.end(body === undefined ? undefined : JSON.stringify(body));
  }
}

function only<T>(method: string, allowed: string, answer: () => T): T {
  if (method !== allowed) throw new RedfishError(405, 'OperationNotAllowed', [], { allow: allowed });
  return answer();
}

function collection(type: string, uri: string, members: string[]): Record<string, unknown> {
  return { '@odata.type': type, '@odata.id': uri, Name: 'Collection', 'Members@odata.count': members.length, Members: members.map((m) => ({ '@odata.id': m })) };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new RedfishError(400, 'MalformedJSON');
  }
}
