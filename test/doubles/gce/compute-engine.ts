import { API_ROOT, DEFAULT_IMAGES, DEFAULT_MACHINE_TYPES, DEFAULT_REGIONS, lastSegment, type MachineTypeSpec, type RegionSpec } from './catalog.js';
import { gceTimestamp, Timers } from './clock.js';
import type { GceFaults } from './faults.js';
import { alreadyExists, forbidden, invalidField, notFound, quotaExceeded, resourceNotReady } from './gce-error.js';
import { acceptInsert, type PermissionCheck } from './insert-body.js';
import { InstanceStore, instanceLink, type GceInstance } from './instances.js';
import { parseFilter } from './list-filter.js';
import { OperationBook, type GceOperation, type OperationFailure } from './operations.js';
import { pageOf } from './paging.js';

export interface ComputeEngineOptions {
  regions?: RegionSpec[];
  machineTypes?: MachineTypeSpec[];
  /** Canonical image paths the project may boot from (`projects/debian-cloud/global/images/family/debian-12`). */
  images?: string[];
  /** Network names; default `default`. */
  networks?: string[];
  /** `regions/R/subnetworks/S`; default: `default` in every region. */
  subnetworks?: string[];
  /** Permissions every caller holds; omitted: all of them. */
  grantedPermissions?: string[];
  /** A project's CPUS quota per region: an insert beyond it is refused at once with 403 quotaExceeded. */
  cpuQuota?: Record<string, number>;
  /** How long each state change takes (operation PENDING → DONE, instance STAGING → RUNNING, …). Default 150 ms. */
  transitionMs?: number;
  /** The longest a `zoneOperations.wait` call blocks before answering a not-yet-DONE operation (GCE: 2 min). */
  waitMaxMs?: number;
}

/** Who is calling (from the bearer token) and the call's own requestId. */
export interface CallContext {
  user: string;
  requestId: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The state and behaviour of one Compute Engine (any number of projects): instances, their zonal operations, and
 * the catalog. Every mutating call answers with an Operation at once and makes its change over `transitionMs`, as
 * GCE does; failures that GCE reports in the operation (capacity, the quota fault) land there, not on the call.
 */
export class ComputeEngine {
  readonly timers = new Timers();
  private readonly store = new InstanceStore();
  private readonly ops = new OperationBook();
  private readonly regions: RegionSpec[];
  private readonly machineTypes: MachineTypeSpec[];
  private readonly images: Set<string>;
  private readonly networks: Set<string>;
  private readonly subnetworks: Set<string>;
  private readonly granted: Set<string> | null;
  private readonly transitionMs: number;
  private readonly waitMaxMs: number;
  private nextPrivate = 2;
  private nextPublic = 10;
  private closed = false;

  constructor(
    private readonly options: ComputeEngineOptions,
    private readonly faults: GceFaults,
  ) {
    this.regions = options.regions ?? DEFAULT_REGIONS;
    this.machineTypes = options.machineTypes ?? DEFAULT_MACHINE_TYPES;
    this.images = new Set(options.images ?? DEFAULT_IMAGES);
    this.networks = new Set(options.networks ?? ['default']);
    this.subnetworks = new Set(options.subnetworks ?? this.regions.map((r) => `regions/${r.name}/subnetworks/default`));
    this.granted = options.grantedPermissions ? new Set(options.grantedPermissions) : null;
    this.transitionMs = options.transitionMs ?? 150;
    this.waitMaxMs = options.waitMaxMs ?? 2_000;
  }

  close(): void {
    this.closed = true;
    this.timers.cancelAll();
  }

  // ---- Instances ----

  insert(project: string, zone: string, body: unknown, call: CallContext): GceOperation {
    const region = this.regionOf(project, zone);
    this.requirePermission('compute.instances.create', `projects/${project}/zones/${zone}/instances/${nameOf(body)}`);
    const earlier = this.repeated(project, call.requestId);
    if (earlier) return earlier;
    const accepted = acceptInsert(body, {
      project,
      zone,
      region,
      machineTypes: new Map(this.typesIn(zone).map((t) => [t.name, t])),
      images: this.images,
      networks: this.networks,
      subnetworks: this.subnetworks,
      allocatePrivateIp: () => `10.128.${Math.floor(this.nextPrivate / 250)}.${(this.nextPrivate++ % 250) + 2}`,
      allocatePublicIp: () => `34.120.${Math.floor(this.nextPublic / 250)}.${(this.nextPublic++ % 250) + 2}`,
    });
    this.requirePermissions(accepted.permissions);
    const { instance, machineType } = accepted;
    if (this.store.find(project, zone, instance.name)) throw alreadyExists(`projects/${project}/zones/${zone}/instances/${instance.name}`);
    const limit = this.options.cpuQuota?.[project];
    if (limit !== undefined) {
      const used = this.store.cpusInUse(project, (z) => this.regionOf(project, z), region, (url) => this.cpusOf(url));
      if (used + machineType.guestCpus > limit) throw quotaExceeded('CPUS', limit, region);
    }

    this.store.add(project, zone, instance);
    const op = this.ops.create(project, zone, 'insert', { link: instance.selfLink, id: instance.id }, call.user, call.requestId);
    const failure = this.insertFailure(project, zone, region, machineType);
    this.timers.after(this.transitionMs / 3, () => {
      OperationBook.start(op);
      if (instance.status === 'PROVISIONING') instance.status = 'STAGING';
    });
    this.timers.after(this.transitionMs, () => {
      if (failure) {
        // A create that failed leaves no instance behind.
        this.store.remove(project, zone, instance.name);
      } else {
        instance.status = 'RUNNING';
        instance.lastStartTimestamp = gceTimestamp(new Date());
      }
      OperationBook.finish(op, failure ?? undefined);
    });
    return structuredClone(op);
  }

  get(project: string, zone: string, name: string): GceInstance {
    this.regionOf(project, zone);
    this.requirePermission('compute.instances.get', `projects/${project}/zones/${zone}/instances/${name}`);
    return structuredClone(this.existing(project, zone, name));
  }

  start(project: string, zone: string, name: string, call: CallContext): GceOperation {
    return this.mutate(project, zone, name, 'start', 'compute.instances.start', call, (instance) => {
      if (instance.status === 'STOPPING') throw resourceNotReady(`projects/${project}/zones/${zone}/instances/${name}`);
      if (instance.status !== 'TERMINATED') return (op) => this.finishSoon(op);
      const capacity = this.faults.capacityFor(zone, this.regionOf(project, zone));
      if (capacity) return (op) => this.finishSoon(op, capacityFailure(capacity, project, zone));
      return (op) => {
        instance.status = 'STAGING';
        this.timers.after(this.transitionMs, () => {
          instance.status = 'RUNNING';
          instance.lastStartTimestamp = gceTimestamp(new Date());
          OperationBook.finish(op);
        });
      };
    });
  }

  stop(project: string, zone: string, name: string, call: CallContext): GceOperation {
    return this.mutate(project, zone, name, 'stop', 'compute.instances.stop', call, (instance) => {
      if (instance.status === 'TERMINATED' || instance.status === 'STOPPING') return (op) => this.finishSoon(op);
      return (op) => {
        instance.status = 'STOPPING';
        this.timers.after(this.transitionMs, () => {
          instance.status = 'TERMINATED';
          instance.lastStopTimestamp = gceTimestamp(new Date());
          OperationBook.finish(op);
        });
      };
    });
  }

  reset(project: string, zone: string, name: string, call: CallContext): GceOperation {
    return this.mutate(project, zone, name, 'reset', 'compute.instances.reset', call, (instance) => {
      // A hard reset: the instance stays RUNNING throughout; it cannot reset what is not running.
      if (instance.status !== 'RUNNING') throw resourceNotReady(`projects/${project}/zones/${zone}/instances/${name}`);
      return (op) => this.finishSoon(op);
    });
  }

  delete(project: string, zone: string, name: string, call: CallContext): GceOperation {
    return this.mutate(project, zone, name, 'delete', 'compute.instances.delete', call, (instance) => (op) => {
      instance.status = 'STOPPING';
      this.timers.after(this.transitionMs, () => {
        this.store.remove(project, zone, instance.name);
        OperationBook.finish(op);
      });
    });
  }

  aggregatedInstances(project: string, query: URLSearchParams): Record<string, unknown> {
    this.requirePermission('compute.instances.list', `projects/${project}`);
    const filter = parseFilter(query.get('filter'));
    const page = pageOf(
      this.store.inProject(project).filter((s) => filter(s.instance)),
      query,
    );
    const items: Record<string, unknown> = {};
    // Every zone appears on every page: with its instances, or with GCE's NO_RESULTS_ON_PAGE warning.
    for (const zone of this.allZones()) {
      const here = page.items.filter((s) => s.zone === zone).map((s) => structuredClone(s.instance));
      items[`zones/${zone}`] = here.length > 0 ? { instances: here } : noResultsWarning(`zones/${zone}`);
    }
    return {
      kind: 'compute#instanceAggregatedList',
      id: `projects/${project}/aggregated/instances`,
      items,
      selfLink: `${API_ROOT}/projects/${project}/aggregated/instances`,
      ...(page.nextPageToken && { nextPageToken: page.nextPageToken }),
    };
  }

  listInstances(project: string, zone: string, query: URLSearchParams): Record<string, unknown> {
    this.regionOf(project, zone);
    this.requirePermission('compute.instances.list', `projects/${project}/zones/${zone}`);
    const filter = parseFilter(query.get('filter'));
    const page = pageOf(
      this.store.inProject(project).filter((s) => s.zone === zone && filter(s.instance)),
      query,
    );
    return {
      kind: 'compute#instanceList',
      id: `projects/${project}/zones/${zone}/instances`,
      items: page.items.map((s) => structuredClone(s.instance)),
      selfLink: `${API_ROOT}/projects/${project}/zones/${zone}/instances`,
      ...(page.nextPageToken && { nextPageToken: page.nextPageToken }),
    };
  }

  /** Puts an instance in place, RUNNING, as if made earlier by someone else (for listing and adoption tests). */
  seed(project: string, zone: string, body: unknown): GceInstance {
    const region = this.regionOf(project, zone);
    const { instance } = acceptInsert(body, {
      project,
      zone,
      region,
      machineTypes: new Map(this.typesIn(zone).map((t) => [t.name, t])),
      images: this.images,
      networks: this.networks,
      subnetworks: this.subnetworks,
      allocatePrivateIp: () => `10.128.${Math.floor(this.nextPrivate / 250)}.${(this.nextPrivate++ % 250) + 2}`,
      allocatePublicIp: () => `34.120.${Math.floor(this.nextPublic / 250)}.${(this.nextPublic++ % 250) + 2}`,
    });
    if (this.store.find(project, zone, instance.name)) throw alreadyExists(instance.selfLink);
    instance.status = 'RUNNING';
    this.store.add(project, zone, instance);
    return structuredClone(instance);
  }

  instances(): { project: string; zone: string; instance: GceInstance }[] {
    return this.store.all();
  }

  // ---- Operations ----

  getOperation(project: string, zone: string, name: string): GceOperation {
    this.regionOf(project, zone);
    this.requirePermission('compute.zoneOperations.get', `projects/${project}/zones/${zone}/operations/${name}`);
    const op = this.ops.find(project, zone, name);
    if (!op) throw notFound(`projects/${project}/zones/${zone}/operations/${name}`);
    return structuredClone(op);
  }

  /** Answers when the operation is DONE, or after `waitMaxMs` with it as it is then (the client asks again). */
  async waitOperation(project: string, zone: string, name: string): Promise<GceOperation> {
    this.getOperation(project, zone, name);
    const live = this.ops.find(project, zone, name)!;
    const deadline = Date.now() + this.waitMaxMs;
    while (live.status !== 'DONE' && Date.now() < deadline && !this.closed) await new Promise((r) => setTimeout(r, 10));
    return structuredClone(live);
  }

  operations(): GceOperation[] {
    return this.ops.all();
  }

  // ---- Catalog ----

  listZones(project: string, query: URLSearchParams): Record<string, unknown> {
    this.requirePermission('compute.zones.list', `projects/${project}`);
    const zones = this.regions.flatMap((r) =>
      r.zones.map((z) => ({
        kind: 'compute#zone',
        id: stableId(z),
        creationTimestamp: '1969-12-31T16:00:00.000-08:00',
        name: z,
        description: z,
        status: 'UP',
        region: `${API_ROOT}/projects/${project}/regions/${r.name}`,
        selfLink: `${API_ROOT}/projects/${project}/zones/${z}`,
      })),
    );
    const page = pageOf(zones, query);
    return { kind: 'compute#zoneList', id: `projects/${project}/zones`, items: page.items, selfLink: `${API_ROOT}/projects/${project}/zones`, ...(page.nextPageToken && { nextPageToken: page.nextPageToken }) };
  }

  listRegions(project: string, query: URLSearchParams): Record<string, unknown> {
    this.requirePermission('compute.regions.list', `projects/${project}`);
    const regions = this.regions.map((r) => ({
      kind: 'compute#region',
      id: stableId(r.name),
      creationTimestamp: '1969-12-31T16:00:00.000-08:00',
      name: r.name,
      description: r.name,
      status: 'UP',
      zones: r.zones.map((z) => `${API_ROOT}/projects/${project}/zones/${z}`),
      selfLink: `${API_ROOT}/projects/${project}/regions/${r.name}`,
    }));
    const page = pageOf(regions, query);
    return { kind: 'compute#regionList', id: `projects/${project}/regions`, items: page.items, selfLink: `${API_ROOT}/projects/${project}/regions`, ...(page.nextPageToken && { nextPageToken: page.nextPageToken }) };
  }

  listMachineTypes(project: string, zone: string, query: URLSearchParams): Record<string, unknown> {
    this.regionOf(project, zone);
    this.requirePermission('compute.machineTypes.list', `projects/${project}/zones/${zone}`);
    const page = pageOf(
      this.typesIn(zone).map((t) => machineTypeResource(project, zone, t)),
      query,
    );
    return {
      kind: 'compute#machineTypeList',
      id: `projects/${project}/zones/${zone}/machineTypes`,
      items: page.items,
      selfLink: `${API_ROOT}/projects/${project}/zones/${zone}/machineTypes`,
      ...(page.nextPageToken && { nextPageToken: page.nextPageToken }),
    };
  }

  aggregatedMachineTypes(project: string, query: URLSearchParams): Record<string, unknown> {
    this.requirePermission('compute.machineTypes.list', `projects/${project}`);
    const all = this.allZones().flatMap((zone) => this.typesIn(zone).map((t) => ({ zone, type: machineTypeResource(project, zone, t) })));
    const page = pageOf(all, query);
    const items: Record<string, unknown> = {};
    for (const zone of this.allZones()) {
      const here = page.items.filter((e) => e.zone === zone).map((e) => e.type);
      items[`zones/${zone}`] = here.length > 0 ? { machineTypes: here } : noResultsWarning(`zones/${zone}`);
    }
    return {
      kind: 'compute#machineTypeAggregatedList',
      id: `projects/${project}/aggregated/machineTypes`,
      items,
      selfLink: `${API_ROOT}/projects/${project}/aggregated/machineTypes`,
      ...(page.nextPageToken && { nextPageToken: page.nextPageToken }),
    };
  }

  // ---- Helpers ----

  /** The region of a zone the double knows; an unknown zone is a 404, as on GCE. */
  regionOf(project: string, zone: string): string {
    const region = this.regions.find((r) => r.zones.includes(zone));
    if (!region) throw notFound(`projects/${project}/zones/${zone}`);
    return region.name;
  }

  private allZones(): string[] {
    return this.regions.flatMap((r) => r.zones).sort();
  }

  private typesIn(zone: string): MachineTypeSpec[] {
    return this.machineTypes.filter((t) => !t.zones || t.zones.includes(zone));
  }

  private cpusOf(machineTypeUrl: string): number {
    return this.machineTypes.find((t) => t.name === lastSegment(machineTypeUrl))?.guestCpus ?? 0;
  }

  private existing(project: string, zone: string, name: string): GceInstance {
    const instance = this.store.find(project, zone, name);
    if (!instance) throw notFound(`projects/${project}/zones/${zone}/instances/${name}`);
    return instance;
  }

  private requirePermission(permission: string, resource: string): void {
    if ((this.granted && !this.granted.has(permission)) || this.faults.isDenied(permission)) throw forbidden(permission, resource);
  }

  private requirePermissions(checks: PermissionCheck[]): void {
    for (const c of checks) this.requirePermission(c.permission, c.resource);
  }

  /** The operation an earlier call with the same requestId started; a malformed requestId is refused. */
  private repeated(project: string, requestId: string | null): GceOperation | undefined {
    if (requestId === null) return undefined;
    if (!UUID.test(requestId) || /^[0-]+$/.test(requestId)) {
      throw invalidField('requestId', requestId, 'The request id must be a valid UUID with the exception that zero UUID is not supported (00000000-0000-0000-0000-000000000000).');
    }
    const op = this.ops.byRequest(project, requestId);
    return op && structuredClone(op);
  }

  /**
   * One state-changing call on an existing instance. `check` looks at the instance and throws to refuse the call;
   * otherwise it returns what to do once the operation is recorded — so a refused call leaves no operation behind.
   */
  private mutate(
    project: string,
    zone: string,
    name: string,
    type: string,
    permission: string,
    call: CallContext,
    check: (instance: GceInstance) => (op: GceOperation) => void,
  ): GceOperation {
    this.regionOf(project, zone);
    this.requirePermission(permission, `projects/${project}/zones/${zone}/instances/${name}`);
    const earlier = this.repeated(project, call.requestId);
    if (earlier) return earlier;
    const instance = this.existing(project, zone, name);
    const act = check(instance);
    const op = this.ops.create(project, zone, type, { link: instanceLink(project, zone, instance.name), id: instance.id }, call.user, call.requestId);
    act(op);
    return structuredClone(op);
  }

  private finishSoon(op: GceOperation, failure?: OperationFailure): void {
    this.timers.after(this.transitionMs / 3, () => OperationBook.finish(op, failure));
  }

  private insertFailure(project: string, zone: string, region: string, machineType: MachineTypeSpec): OperationFailure | null {
    const capacity = this.faults.capacityFor(zone, region);
    if (capacity) return capacityFailure(capacity, project, zone);
    if (this.faults.quotaOn) {
      return {
        code: 'QUOTA_EXCEEDED',
        message: `Quota 'CPUS' exceeded.  Limit: ${Math.max(0, machineType.guestCpus - 1).toFixed(1)} in region ${region}.`,
        httpStatus: 403,
        httpMessage: 'FORBIDDEN',
      };
    }
    return null;
  }
}

function capacityFailure(code: string, project: string, zone: string): OperationFailure {
  const message =
    code === 'ZONE_RESOURCE_POOL_EXHAUSTED'
      ? `The zone 'projects/${project}/zones/${zone}' does not have enough resources available to fulfill the request.  Try a different zone, or try again later.`
      : `The zone 'projects/${project}/zones/${zone}' does not have enough resources available to fulfill the request.  '(resource type:compute)'.`;
  return { code, message, httpStatus: 503, httpMessage: 'SERVICE UNAVAILABLE' };
}

function noResultsWarning(scope: string): Record<string, unknown> {
  return { warning: { code: 'NO_RESULTS_ON_PAGE', message: `There are no results for scope '${scope}' on this page.`, data: [{ key: 'scope', value: scope }] } };
}

function machineTypeResource(project: string, zone: string, t: MachineTypeSpec): Record<string, unknown> {
  return {
    kind: 'compute#machineType',
    id: stableId(t.name),
    creationTimestamp: '1969-12-31T16:00:00.000-08:00',
    name: t.name,
    description: t.description ?? t.name,
    guestCpus: t.guestCpus,
    memoryMb: t.memoryMb,
    imageSpaceGb: 0,
    maximumPersistentDisks: 128,
    maximumPersistentDisksSizeGb: '263168',
    zone,
    selfLink: `${API_ROOT}/projects/${project}/zones/${zone}/machineTypes/${t.name}`,
    isSharedCpu: t.isSharedCpu ?? false,
    ...(t.accelerators && { accelerators: t.accelerators }),
    ...(t.architecture && { architecture: t.architecture }),
  };
}

/** A stable uint64-looking id for catalog entries (FNV-1a of the name, in decimal). */
function stableId(name: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const c of Buffer.from(name)) hash = ((hash ^ BigInt(c)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return hash.toString();
}

function nameOf(body: unknown): string {
  const name = (body as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : '';
}
