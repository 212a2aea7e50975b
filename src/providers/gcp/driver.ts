import { randomUUID } from 'node:crypto';
import type { protos } from '@google-cloud/compute';
import type { Image, Offer, Region } from '../../core/offer.js';
import {
  ProviderError,
  type CreateRequest,
  type Driver,
  type DriverContext,
  type DriverFactory,
  type ErrorClass,
  type InstanceRef,
  type ListOptions,
  type ObservedInstance,
  type PowerAction,
} from '../driver.js';
import { ComputeClients } from './clients.js';
import { parseGcpConfig, type GcpConfig } from './config.js';
import { gcpAuth, resolveProject } from './credentials.js';
import type { CallContext } from './errors.js';
import { imageCatalog, imagesOf, resolveImage, type GcpImage } from './images.js';
import { instanceBody } from './instance-body.js';
import { tokenFilter } from './labels.js';
import { instanceNameFor, parseExternalId, regionOfZone } from './names.js';
import { buildOffers } from './offers.js';
import { toObserved } from './observed.js';
import { operationFailure, waitForOperation, type OperationWaitOptions } from './operations.js';
import { requestIdFor } from './request-id.js';
import { retryingPages, withRetries } from './retry.js';
import { pageSizeOf, regroup } from '../list-pages.js';

type Instance = protos.google.cloud.compute.v1.IInstance;

/**
 * The `gcp` driver: Compute Engine VMs through @google-cloud/compute over its REST transport. A VM is named from
 * its Tessera id and carries Tessera's id and create token as labels; every create is sent with a requestId
 * derived from the token, so a retried or repeated create returns GCE's first operation and never makes a second
 * VM. Capacity and quota verdicts arrive in the insert's operation, so create follows it to DONE; power and delete
 * return once GCE has accepted their operation (the state is observed afterwards, like every other driver's).
 */

export const DEFAULT_LIST_PAGE_SIZE = 500;
/** GCE's own ceiling on `maxResults`. */
const MAX_RESULTS = 500;
/** The async iterators fetch page by page anyway; saying so spares the SDK's warning about its autoPaginate default. */
const ONE_PAGE_AT_A_TIME = { autoPaginate: false };

export const createGcpDriver: DriverFactory = async (name, config, ctx) => GcpDriver.open(name, config, ctx);

interface Located {
  zone: string;
  name: string;
}

export class GcpDriver implements Driver {
  readonly type = 'gcp';
  readonly simulated = false;
  /** Zones per configured region: from the config, else asked of the API once. */
  private zonesByRegion: Promise<Map<string, string[]>> | null = null;

  private constructor(
    readonly name: string,
    private readonly config: GcpConfig,
    private readonly project: string,
    private readonly clients: ComputeClients,
    private readonly imagesByName: Map<string, GcpImage>,
    private readonly ctx: DriverContext,
  ) {}

  /** Builds the driver without calling the Compute API: a cloud that is unreachable at start-up is reported later. */
  static async open(name: string, raw: unknown, ctx: DriverContext): Promise<GcpDriver> {
    const config = parseGcpConfig(name, raw);
    const auth = await gcpAuth(name, config, ctx.credentials);
    const project = await resolveProject(name, config, auth);
    return new GcpDriver(name, config, project, new ComputeClients(config, auth.auth), imageCatalog(config), ctx);
  }

  async offers(): Promise<Offer[]> {
    const prices = (await this.ctx.listPrices?.('gcp')) ?? [];
    if (prices.length === 0) return [];
    const regions = await this.regionZones();
    const zones = [...regions.entries()].flatMap(([region, zs]) => zs.map((zone) => ({ region, zone })));
    const withTypes = await Promise.all(zones.map(async (z) => ({ ...z, machineTypes: await this.machineTypesIn(z.zone) })));
    return buildOffers(this.name, withTypes, prices);
  }

  async regions(): Promise<Region[]> {
    const regions = await this.regionZones();
    return [...regions.entries()].map(([name, zones]) => ({ provider: this.name, name, zones, location: null }));
  }

  async images(): Promise<Image[]> {
    return imagesOf(this.name, this.imagesByName);
  }

  async observe(ref: InstanceRef): Promise<ObservedInstance | null> {
    if (ref.externalId) {
      const at = this.parseRef(ref.externalId);
      const instance = await this.getInstance(at.zone, at.name);
      return instance ? toObserved(instance) : null;
    }
    if (ref.token) {
      const instance = await this.findByToken(ref.token);
      return instance ? toObserved(instance) : null;
    }
    return null;
  }

  async create(req: CreateRequest, token: string): Promise<ObservedInstance> {
    if (token === '') throw this.error('Invalid', 'MissingParameter', 'a create needs a non-empty idempotency token');
    const imageSource = resolveImage(this.name, this.imagesByName, req.image);
    const zones = await this.candidateZones(req);
    // With no zone asked for, the region's zones are tried in turn when one has no room (GCE capacity is zonal)
    // or does not offer the machine type. The order is fixed per instance, so a retry asks the same zone first.
    // An earlier attempt may have landed in a later zone, beyond what GCE still de-duplicates by requestId (and
    // the name is unique per zone only): across zones, the token is looked for first.
    if (zones.length > 1) {
      const earlier = await this.findByToken(token);
      if (earlier) return toObserved(earlier);
    }
    const failures: ProviderError[] = [];
    for (const [i, zone] of zones.entries()) {
      try {
        return await this.createIn(zone, req, token, imageSource);
      } catch (e) {
        const last = i === zones.length - 1;
        if (!(e instanceof ProviderError) || last || !(e.errorClass === 'Capacity' || isMachineTypeMissing(e))) throw preferCapacity(e, failures);
        failures.push(e);
      }
    }
    throw new Error('unreachable: a region has at least one zone');
  }

  async delete(ref: InstanceRef): Promise<void> {
    const at = await this.locate(ref);
    if (!at) return;
    const requestId = randomUUID(); // one per delete: its retries are the same request to GCE
    try {
      await withRetries(this.config.retry, this.call(`delete instance ${at.name} in ${at.zone}`), () =>
        this.clients.instances.delete({ project: this.project, zone: at.zone, instance: at.name, requestId }),
      );
    } catch (e) {
      if (e instanceof ProviderError && e.errorClass === 'NotFound') return; // already gone
      throw e;
    }
  }

  async power(ref: InstanceRef, action: PowerAction): Promise<void> {
    const at = await this.locate(ref);
    if (!at) throw this.error('NotFound', 'notFound', `there is no instance ${describeRef(ref)} in project ${this.project}: it was deleted outside Tessera`);
    const requestId = randomUUID();
    const target = { project: this.project, zone: at.zone, instance: at.name, requestId };
    const verb = action === 'on' ? 'start' : action === 'off' ? 'stop' : 'reset';
    const ctx = this.call(`${verb} instance ${at.name} in ${at.zone}`);
    try {
      if (action === 'on') await withRetries(this.config.retry, ctx, () => this.clients.instances.start(target));
      else if (action === 'off') await withRetries(this.config.retry, ctx, () => this.clients.instances.stop(target));
      else await this.reboot(at, target, ctx);
    } catch (e) {
      if (e instanceof ProviderError && e.errorClass === 'NotFound') {
        throw this.error('NotFound', 'notFound', `there is no instance ${at.name} in ${at.zone} to ${verb}: it was deleted outside Tessera`);
      }
      throw e;
    }
  }

  async *list(opts: ListOptions = {}): AsyncGenerator<ObservedInstance[]> {
    const pageSize = pageSizeOf(opts.pageSize, DEFAULT_LIST_PAGE_SIZE, (m) => this.error('Invalid', 'InvalidParameterValue', m));
    yield* regroup(this.everyInstance(Math.min(pageSize, MAX_RESULTS)), pageSize, opts.signal);
  }

  /** Every instance of the project, in every zone (not only the configured ones): discovery adopts what exists. */
  private async *everyInstance(maxResults: number): AsyncGenerator<ObservedInstance[]> {
    const scopes = this.clients.instances.aggregatedListAsync({ project: this.project, maxResults }, ONE_PAGE_AT_A_TIME);
    for await (const [, scoped] of retryingPages(this.config.retry, this.call('list instances'), scopes)) {
      yield (scoped.instances ?? []).map(toObserved);
    }
  }

  async close(): Promise<void> {
    await this.clients.close();
  }

  // ---- Create ----

  private async createIn(zone: string, req: CreateRequest, token: string, imageSource: string): Promise<ObservedInstance> {
    const name = instanceNameFor(req);
    const ctx = this.call(`create instance ${name} in ${zone}`);
    const body = instanceBody({ provider: this.name, config: this.config, region: this.regionConfig(req.region), zone, name, imageSource }, req, token);
    const requestId = requestIdFor(token, zone);
    let operation: protos.google.cloud.compute.v1.IOperation;
    try {
      // Safe to repeat: a lost answer is retried with the same requestId, and GCE returns the first operation.
      const [started] = await withRetries(this.config.retry, ctx, () =>
        this.clients.instances.insert({ project: this.project, zone, requestId, instanceResource: body }),
      );
      operation = started.latestResponse as protos.google.cloud.compute.v1.IOperation;
    } catch (e) {
      if (e instanceof ProviderError && e.providerCode === 'alreadyExists') return this.onNameTaken(zone, name, req, token);
      // On an insert, 404 means something the VM refers to is missing (image, network, subnetwork, zone).
      if (e instanceof ProviderError && e.errorClass === 'NotFound') {
        throw new ProviderError('Invalid', `${e.message}; check the image, network and subnetwork the instance uses`, this.name, e.providerCode ?? 'notFound');
      }
      throw e;
    }

    const done = await waitForOperation(this.operationOptions(), zone, operation, ctx);
    if (done) {
      const failed = operationFailure(done, ctx);
      if (failed) throw failed;
    }
    const instance = await this.getInstance(zone, name);
    if (!instance) {
      throw this.error(
        'Retryable',
        done ? 'InstanceVanished' : 'OperationPending',
        done
          ? `instance ${name} in ${zone} was created and is gone again (deleted, or a Spot VM reclaimed with DELETE); Tessera retries`
          : `instance ${name} in ${zone} is still being created after ${this.config.operationTimeoutSeconds} s; Tessera looks again`,
      );
    }
    const observed = toObserved(instance);
    if (observed.token !== token) return this.onNameTaken(zone, name, req, token);
    if (!req.powerOn && done) {
      // GCE has no "create stopped": the VM boots once and is stopped straight away.
      await withRetries(this.config.retry, this.call(`stop new instance ${name} in ${zone}`), () =>
        this.clients.instances.stop({ project: this.project, zone, instance: name, requestId: requestIdFor(`${token}/stop`, zone) }),
      );
      return toObserved((await this.getInstance(zone, name)) ?? instance);
    }
    return observed;
  }

  /** The instance name is taken in this zone: whose instance it is decides what that means. */
  private async onNameTaken(zone: string, name: string, req: CreateRequest, token: string): Promise<ObservedInstance> {
    const holder = await this.getInstance(zone, name);
    if (!holder) throw this.error('Retryable', 'NameConflict', `instance name ${name} in ${zone} was taken and is free again; Tessera retries`);
    const observed = toObserved(holder);
    if (observed.token === token) return observed;
    if (observed.tesseraId === req.tesseraId) {
      throw this.error(
        'Retryable',
        'EarlierAttemptExists',
        `instance ${name} in ${zone} is left from an earlier create attempt of instance ${req.tesseraId} (token ${observed.token ?? 'none'}); ` +
          `Tessera retries once it is deleted (delete it with gcloud compute instances delete ${name} --zone ${zone} if it stays)`,
      );
    }
    const owner = observed.tesseraId ? `it belongs to Tessera instance ${observed.tesseraId}` : 'it was made outside Tessera';
    throw this.error('Invalid', 'InstanceNameInUse', `zone ${zone} already has an instance named ${name} (${owner}): delete or rename it, or create the instance under another name`);
  }

  /** The zones a create may use: the one asked for, else the region's, starting at one fixed per instance. */
  private async candidateZones(req: CreateRequest): Promise<string[]> {
    const regions = await this.regionZones();
    const zones = regions.get(req.region);
    if (!zones) {
      throw this.error('Invalid', 'UnknownRegion', `region '${req.region}' is not one of gcp provider '${this.name}''s regions (${[...regions.keys()].join(', ')}): add it to the provider's regions or choose another`);
    }
    if (req.zone !== null) {
      if (!zones.includes(req.zone)) {
        throw this.error('Invalid', 'UnknownZone', `zone '${req.zone}' is not one of region ${req.region}'s zones for gcp provider '${this.name}' (${zones.join(', ')})`);
      }
      return [req.zone];
    }
    const start = spreadIndex(req.tesseraId, zones.length);
    return [...zones.slice(start), ...zones.slice(0, start)];
  }

  /** A reset restarts a running VM; a stopped one is started instead (GCE refuses to reset what is not running). */
  private async reboot(at: Located, target: { project: string; zone: string; instance: string; requestId: string }, ctx: CallContext): Promise<void> {
    const instance = await this.getInstance(at.zone, at.name);
    if (!instance) throw this.error('NotFound', 'notFound', `there is no instance ${at.name} in ${at.zone} to reset: it was deleted outside Tessera`);
    const stopped = instance.status === 'TERMINATED' || instance.status === 'STOPPED';
    if (stopped) await withRetries(this.config.retry, ctx, () => this.clients.instances.start(target));
    else await withRetries(this.config.retry, ctx, () => this.clients.instances.reset(target));
  }

  // ---- Finding instances ----

  private async getInstance(zone: string, name: string): Promise<Instance | null> {
    try {
      const [instance] = await withRetries(this.config.retry, this.call(`read instance ${name} in ${zone}`), () =>
        this.clients.instances.get({ project: this.project, zone, instance: name }),
      );
      return instance;
    } catch (e) {
      if (e instanceof ProviderError && e.errorClass === 'NotFound') return null;
      throw e;
    }
  }

  /** The instance a create token made, anywhere in the project: one filtered aggregatedList call. */
  private async findByToken(token: string): Promise<Instance | null> {
    const scopes = this.clients.instances.aggregatedListAsync({ project: this.project, filter: tokenFilter(token), maxResults: MAX_RESULTS }, ONE_PAGE_AT_A_TIME);
    for await (const [, scoped] of retryingPages(this.config.retry, this.call(`find the instance of create token ${token}`), scopes)) {
      // The label may hold a hash of a long token: the exact token is compared after decoding.
      const found = (scoped.instances ?? []).find((i) => toObserved(i).token === token);
      if (found) return found;
    }
    return null;
  }

  private async locate(ref: InstanceRef): Promise<Located | null> {
    if (ref.externalId) return this.parseRef(ref.externalId);
    if (!ref.token) return null;
    const instance = await this.findByToken(ref.token);
    return instance ? { zone: toObserved(instance).zone!, name: instance.name! } : null;
  }

  private parseRef(externalId: string): Located {
    const at = parseExternalId(externalId);
    if (!at) throw this.error('Invalid', 'InvalidExternalId', `'${externalId}' is not a GCE instance id as Tessera writes them (ZONE/NAME, e.g. us-central1-a/web-3k9x0q2m7c1ab4de)`);
    return at;
  }

  // ---- Regions and machine types ----

  private regionConfig(region: string) {
    return this.config.regions.find((r) => r.name === region);
  }

  private regionZones(): Promise<Map<string, string[]>> {
    this.zonesByRegion ??= this.loadRegionZones().catch((e: unknown) => {
      this.zonesByRegion = null; // not cached: the next call asks again
      throw e;
    });
    return this.zonesByRegion;
  }

  private async loadRegionZones(): Promise<Map<string, string[]>> {
    const out = new Map(this.config.regions.map((r) => [r.name, r.zones ?? []]));
    if (this.config.regions.every((r) => r.zones !== undefined)) return out;
    const listed = new Map<string, string[]>();
    for await (const zone of retryingPages(this.config.retry, this.call('list zones'), this.clients.zones.listAsync({ project: this.project }, ONE_PAGE_AT_A_TIME))) {
      if (!zone.name || zone.status === 'DOWN') continue;
      const region = regionOfZone(zone.name);
      listed.set(region, [...(listed.get(region) ?? []), zone.name]);
    }
    for (const r of this.config.regions) {
      if (r.zones !== undefined) continue;
      const zones = (listed.get(r.name) ?? []).sort();
      if (zones.length === 0) throw this.error('Invalid', 'UnknownRegion', `Compute Engine lists no zones in region '${r.name}' for project ${this.project}: check the region name in the provider's regions`);
      out.set(r.name, zones);
    }
    return out;
  }

  private async machineTypesIn(zone: string): Promise<protos.google.cloud.compute.v1.IMachineType[]> {
    const out: protos.google.cloud.compute.v1.IMachineType[] = [];
    const pages = this.clients.machineTypes.listAsync({ project: this.project, zone, maxResults: MAX_RESULTS }, ONE_PAGE_AT_A_TIME);
    for await (const t of retryingPages(this.config.retry, this.call(`list machine types in ${zone}`), pages)) out.push(t);
    return out;
  }

  // ---- Helpers ----

  private operationOptions(): OperationWaitOptions {
    return {
      clients: this.clients,
      project: this.project,
      retry: this.config.retry,
      pollIntervalMs: this.config.operationPollIntervalMs,
      timeoutMs: this.config.operationTimeoutSeconds * 1000,
    };
  }

  private call(action: string): CallContext {
    return { provider: this.name, action };
  }

  private error(cls: ErrorClass, code: string, message: string): ProviderError {
    return new ProviderError(cls, `gcp provider '${this.name}': ${message}`, this.name, code);
  }
}

/** A zone that does not offer the machine type answers 400 naming it; another zone may. */
function isMachineTypeMissing(e: ProviderError): boolean {
  return e.errorClass === 'Invalid' && /machine ?type/i.test(e.message) && /does not exist|not found|not available/i.test(e.message);
}

/**
 * After trying several zones: when the last one merely lacks the machine type, an earlier zone's lack of room
 * says more (Capacity sends placement elsewhere; Invalid would fail the instance). Any other answer stands.
 */
function preferCapacity(last: unknown, earlier: ProviderError[]): unknown {
  if (!(last instanceof ProviderError) || !isMachineTypeMissing(last)) return last;
  return earlier.find((e) => e.errorClass === 'Capacity') ?? last;
}

/** A stable index in [0, n) from an id, so creates spread over a region's zones the same way every time. */
function spreadIndex(id: string, n: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193) >>> 0;
  return hash % n;
}

function describeRef(ref: InstanceRef): string {
  return ref.externalId ? ref.externalId : `with create token ${ref.token ?? '(none)'}`;
}
