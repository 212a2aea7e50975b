/**
 * A stand-in for the Tessera API, for the CLI's own tests only: answers the /v1 contract over node:http with
 * in-memory data, records every request, and lets a test script how instances change and what the watch says.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { initialInstanceStatus, type Instance, type Phase } from '../../src/core/instance.js';
import type { EventRecord, FlavorInfo, ImageInfo, ProjectInfo, ProviderInfo, RegionInfo } from '../../src/cli/api-types.js';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: unknown;
}

/** One change an instance goes through: a phase, and for Failed the reason and message. */
export type Step = Phase | { phase: Phase; reason?: string; message?: string };

/** Answers a request instead of the default routes when it returns true. */
export type Override = (req: RecordedRequest, res: ServerResponse) => boolean;

interface Watcher {
  res: ServerResponse;
  kind: string | null;
  id: string | null;
}

let idCounter = 0;

/** A complete Instance with plausible defaults; ids have the real shape (`i-` and 16 characters). */
export function makeInstance(overrides: Partial<Instance> & { phase?: Phase } = {}): Instance {
  const { phase, ...rest } = overrides;
  const id = `i-${String(++idCounter).padStart(16, '0')}`;
  const now = new Date().toISOString();
  return {
    id,
    kind: 'Instance',
    project: 'default',
    name: `web-${idCounter}`,
    labels: {},
    generation: 1,
    resourceVersion: 1,
    createdAt: now,
    updatedAt: now,
    deletedAt: null,
    spec: {
      provider: 'sim',
      region: 'sim-east',
      zone: null,
      flavor: 'sim.small',
      requirements: null,
      image: 'ubuntu-24.04',
      market: 'on-demand',
      userData: null,
      powerState: 'on',
      driftPolicy: 'report',
      managed: true,
      reboots: 0,
    },
    status: {
      ...initialInstanceStatus(),
      phase: phase ?? 'Pending',
      observedGeneration: phase && phase !== 'Pending' ? 1 : 0,
      scheduling: { reason: 'cheapest offer that fits', priceMicrosPerHour: 38_400, alternatives: [] },
    },
    ...rest,
  };
}

export class FakeApi {
  readonly requests: RecordedRequest[] = [];
  readonly instances = new Map<string, Instance>();
  readonly events: EventRecord[] = [];
  readonly overrides: Override[] = [];
  providers: ProviderInfo[] = [
    provider('sim', 'sim', true),
    provider('docker', 'docker', false),
  ];
  flavors: FlavorInfo[] = [
    { provider: 'sim', name: 'sim.small', vcpus: 2, memoryGiB: 4, gpus: 0, arch: 'x86_64', kind: 'vm', simulated: true, regions: ['sim-east'], priceFromMicrosPerHour: 38_400 },
    { provider: 'sim', name: 'sim.large', vcpus: 8, memoryGiB: 32, gpus: 0, arch: 'x86_64', kind: 'vm', simulated: true, regions: ['sim-east', 'sim-west'], priceFromMicrosPerHour: 1_250_000 },
    { provider: 'docker', name: 'container.2x4', vcpus: 2, memoryGiB: 4, gpus: 0, arch: 'x86_64', kind: 'container', simulated: false, regions: ['local'], priceFromMicrosPerHour: 5_000 },
  ];
  regions: RegionInfo[] = [
    { provider: 'sim', name: 'sim-east', zones: ['sim-east-a', 'sim-east-b'], location: 'Simulated East', simulated: true },
    { provider: 'docker', name: 'local', zones: [], location: null, simulated: false },
  ];
  images: ImageInfo[] = [
    { provider: 'sim', name: 'ubuntu-24.04', os: 'linux', arch: 'x86_64' },
    { provider: 'docker', name: 'debian:12', os: 'linux', arch: 'x86_64' },
  ];
  projects: ProjectInfo[] = [{ id: 'p-0000000000000001', name: 'default', description: 'everything else', createdAt: new Date().toISOString() }];
  /** When false, GET /v1/watch answers 404, as an older or proxied server might; the CLI must poll instead. */
  watchAvailable = true;
  /** Called when a watch opens, e.g. to start playing steps once the CLI is listening. */
  onWatchOpened: ((query: URLSearchParams) => void) | undefined;
  /** Steps applied one per GET of that instance: how a polling client sees an instance change. */
  readonly stepsOnGet = new Map<string, Step[]>();

  private readonly watchers = new Set<Watcher>();
  private server!: Server;
  private seq = 0;
  url = '';

  static async start(): Promise<FakeApi> {
    const api = new FakeApi();
    api.server = createServer((req, res) => void api.handle(req, res));
    await new Promise<void>((resolve) => api.server.listen(0, '127.0.0.1', resolve));
    api.url = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
    return api;
  }

  async close(): Promise<void> {
    for (const watcher of this.watchers) watcher.res.end();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Ends every open watch stream, as a server restart or a proxy's idle timeout would. */
  endWatches(): void {
    for (const watcher of this.watchers) watcher.res.end();
  }

  add(instance: Instance): Instance {
    this.instances.set(instance.id, instance);
    return instance;
  }

  /** Applies one step to a stored instance and tells the watchers, as the controller and event log would. */
  apply(id: string, step: Step): void {
    const current = this.instances.get(id);
    if (!current) throw new Error(`no instance ${id}`);
    const { phase, reason, message } = typeof step === 'string' ? { phase: step, reason: undefined, message: undefined } : step;
    const next: Instance = {
      ...current,
      resourceVersion: current.resourceVersion + 1,
      updatedAt: new Date().toISOString(),
      status: {
        ...current.status,
        phase,
        reason: reason ?? null,
        message: message ?? null,
        observedGeneration: current.generation,
        observedReboots: current.spec.reboots,
      },
    };
    this.instances.set(id, next);
    this.publish('Instance', id, 'Updated', reason ?? `Phase${phase}`, message ?? `now ${phase}`, next);
  }

  /** Removes an instance and publishes its removal without a resource, as the watch does for deletions. */
  remove(id: string): void {
    this.instances.delete(id);
    this.publish('Instance', id, 'Deleted', 'Deleted', 'instance is gone', null);
  }

  /** Plays steps a little apart, so the CLI sees them arrive one by one. */
  async play(id: string, steps: Step[], delayMs = 20): Promise<void> {
    for (const step of steps) {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      if (step === 'Deleted') this.remove(id);
      else this.apply(id, step);
    }
  }

  publish(kind: string, resourceId: string, type: string, reason: string, message: string, resource: unknown): void {
    const event: EventRecord = { seq: ++this.seq, at: new Date().toISOString(), kind, resourceId, project: 'default', type, reason, message };
    this.events.push(event);
    for (const watcher of this.watchers) {
      if ((watcher.kind && watcher.kind !== kind) || (watcher.id && watcher.id !== resourceId)) continue;
      const data = JSON.stringify({ seq: event.seq, type, kind, resourceId, reason, message, resource });
      watcher.res.write(`id: ${event.seq}\nevent: ${type}\ndata: ${data}\n\n`);
    }
  }

  requestsTo(method: string, path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && r.path === path);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    let text = '';
    for await (const chunk of req) text += String(chunk);
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: text ? JSON.parse(text) : undefined,
    };
    this.requests.push(recorded);
    if (this.overrides.some((override) => override(recorded, res))) return;
    this.route(recorded, res);
  }

  private route(req: RecordedRequest, res: ServerResponse): void {
    const { method, path, query } = req;
    const instanceMatch = /^\/v1\/instances\/([^/]+)(?:\/(start|stop|reboot|adopt))?$/.exec(path);
    if (method === 'GET' && path === '/v1/providers') return sendJson(res, 200, { items: this.providers });
    if (method === 'GET' && path === '/v1/flavors') {
      const items = this.flavors.filter(
        (f) => (!query.get('provider') || f.provider === query.get('provider')) && (!query.get('region') || f.regions.includes(query.get('region')!)),
      );
      return sendJson(res, 200, { items });
    }
    if (method === 'GET' && path === '/v1/regions') return sendJson(res, 200, { items: this.regions });
    if (method === 'GET' && path === '/v1/images') return sendJson(res, 200, { items: this.images });
    if (method === 'GET' && path === '/v1/projects') return sendJson(res, 200, { items: this.projects });
    if (method === 'POST' && path === '/v1/projects') {
      const body = req.body as { name: string; description?: string };
      const project = { id: `p-${String(this.projects.length + 1).padStart(16, '0')}`, name: body.name, description: body.description ?? null, createdAt: new Date().toISOString() };
      this.projects.push(project);
      return sendJson(res, 201, project);
    }
    if (method === 'GET' && path === '/v1/events') return this.listEvents(query, res);
    if (method === 'GET' && path === '/v1/watch') return this.openWatch(query, res);
    if (method === 'GET' && path === '/v1/instances') return this.listInstances(query, res);
    if (method === 'POST' && path === '/v1/instances') return this.createInstance(req.body as Record<string, unknown>, res);
    if (instanceMatch) return this.instanceById(method, instanceMatch[1]!, instanceMatch[2], res);
    sendError(res, 404, 'NotFound', `no route ${method} ${path}`);
  }

  private listInstances(query: URLSearchParams, res: ServerResponse): void {
    const filters = ['provider', 'region', 'phase', 'project', 'name'] as const;
    const matching = [...this.instances.values()].filter((i) =>
      filters.every((f) => {
        const wanted = query.get(f);
        if (!wanted) return true;
        const actual = f === 'provider' || f === 'region' ? i.spec[f] : f === 'phase' ? i.status.phase : i[f];
        return actual === wanted;
      }),
    );
    const start = Number(query.get('cursor') ?? 0);
    const limit = Number(query.get('limit') ?? 100);
    const items = matching.slice(start, start + limit);
    const nextCursor = start + limit < matching.length ? String(start + limit) : null;
    sendJson(res, 200, { items, nextCursor });
  }

  private createInstance(body: Record<string, unknown>, res: ServerResponse): void {
    const name = body['name'];
    if (typeof name !== 'string') return sendError(res, 400, 'InvalidInput', 'name is required');
    const created = makeInstance({ name, project: (body['project'] as string) ?? 'default', labels: (body['labels'] as Record<string, string>) ?? {} });
    if (body['powerState'] === 'off') created.spec.powerState = 'off';
    this.add(created);
    this.publish('Instance', created.id, 'Created', 'Created', 'instance requested', created);
    sendJson(res, 202, created);
  }

  private instanceById(method: string, id: string, action: string | undefined, res: ServerResponse): void {
    let instance = this.instances.get(id);
    if (!instance) return sendError(res, 404, 'NotFound', `instance ${id} not found`);
    if (method === 'GET' && !action) {
      const step = this.stepsOnGet.get(id)?.shift();
      if (step === 'Deleted') {
        this.remove(id);
        return sendError(res, 404, 'NotFound', `instance ${id} not found`);
      }
      if (step) this.apply(id, step);
      return sendJson(res, 200, this.instances.get(id));
    }
    if (method === 'DELETE' && !action) {
      instance = { ...instance, deletedAt: new Date().toISOString(), generation: instance.generation + 1, status: { ...instance.status, phase: 'Deleting' } };
      this.instances.set(id, instance);
      return sendJson(res, 202, instance);
    }
    if (method === 'POST' && action === 'adopt') {
      instance = { ...instance, spec: { ...instance.spec, managed: true } };
      this.instances.set(id, instance);
      return sendJson(res, 200, instance);
    }
    if (method === 'POST' && action) {
      const powerState = action === 'stop' ? 'off' : 'on';
      const reboots = instance.spec.reboots + (action === 'reboot' ? 1 : 0);
      instance = { ...instance, generation: instance.generation + 1, spec: { ...instance.spec, powerState, reboots } };
      this.instances.set(id, instance);
      return sendJson(res, 202, instance);
    }
    sendError(res, 405, 'MethodNotAllowed', `${method} is not allowed here`);
  }

  private listEvents(query: URLSearchParams, res: ServerResponse): void {
    const after = Number(query.get('after') ?? 0);
    const limit = Number(query.get('limit') ?? 100);
    const items = this.events
      .filter((e) => e.seq > after)
      .filter((e) => (!query.get('kind') || e.kind === query.get('kind')) && (!query.get('resourceId') || e.resourceId === query.get('resourceId')))
      .slice(0, limit);
    sendJson(res, 200, { items, nextCursor: null });
  }

  private openWatch(query: URLSearchParams, res: ServerResponse): void {
    if (!this.watchAvailable) return sendError(res, 404, 'NotFound', 'no route GET /v1/watch');
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    res.write(': watching\n\n');
    const watcher: Watcher = { res, kind: query.get('kind'), id: query.get('id') };
    this.watchers.add(watcher);
    res.on('close', () => this.watchers.delete(watcher));
    this.onWatchOpened?.(query);
  }
}

function provider(name: string, type: string, simulated: boolean): ProviderInfo {
  return {
    name,
    type,
    simulated,
    health: 'ok',
    circuit: { state: 'closed', consecutiveFailures: 0, openedAt: null, retryAt: null },
    rateLimit: { perSecond: 10, burst: 20, available: 20, queued: 0 },
    lastError: null,
    lastSyncAt: null,
    instances: 0,
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

export function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { error: { code, message, requestId: 'req-test-1' } });
}
