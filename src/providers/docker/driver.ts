import type Docker from 'dockerode';
import type { Image, Offer, Region } from '../../core/offer.js';
import {
  ProviderError,
  TESSERA_ID_LABEL,
  TESSERA_TOKEN_LABEL,
  type CreateRequest,
  type Driver,
  type DriverFactory,
  type ErrorClass,
  type InstanceRef,
  type ListOptions,
  type ObservedInstance,
  type PowerAction,
} from '../driver.js';
import { boundedMap } from '../../runtime/bounded-map.js';
import { fitCount, Reservations, resourcesFit, roomOf, type HostRoom, type HostUsage, type Reservation } from './capacity.js';
import { parseDockerConfig, type DockerConfig } from './config.js';
import { factsFromInspect, factsFromSummary, type ContainerFacts, type ContainerLimits } from './container-facts.js';
import { engineMessage, statusOf } from './errors.js';
import { buildFlavors, type DockerFlavor } from './flavors.js';
import { DockerHost, type HostFacts } from './host.js';
import { containerLabels, containerName, FLAVOR_LABEL, tesseraFilter } from './labels.js';
import { needsLimits, toObserved, type ObservationScope } from './observed.js';
import { holdsResources, takesSlot } from './state.js';
import { pageSizeOf, regroup } from '../list-pages.js';

/**
 * The `docker` driver: Docker Engines (one per zone, by unix socket or tcp:// with TLS) behind the driver
 * contract. An instance is a container; its flavor becomes CPU and memory limits; Tessera's id and create token
 * ride in its labels, so the driver keeps no state of its own beyond which host holds which container (a cache).
 */

export const DEFAULT_LIST_PAGE_SIZE = 1000;
/** Containers made by others are inspected (for their limits) this many at a time while listing. */
const INSPECT_CONCURRENCY = 8;

export const createDockerDriver: DriverFactory = async (name, config) => DockerDriver.fromConfig(name, config);

/** The Tessera containers of one host as one listing saw them, and what they hold. */
interface TesseraListing {
  /** When the listing was sent (reservations settled before then are in it). */
  listedAt: number;
  containers: Docker.ContainerInfo[];
  usage: HostUsage;
  /** By create token: whether that container holds its CPU and memory now. */
  holding: Map<string, boolean>;
}

interface HostState {
  host: DockerHost;
  facts: HostFacts;
  listing: TesseraListing;
}

interface Located {
  host: DockerHost;
  facts: ContainerFacts;
}

export class DockerDriver implements Driver {
  readonly type = 'docker';
  readonly simulated = false;
  private readonly reservations = new Reservations();
  /** Which host holds a container: learned from every answer, so a call by id goes to one host, not all. */
  private readonly hostOfContainer = new Map<string, DockerHost>();

  private constructor(
    readonly name: string,
    private readonly config: DockerConfig,
    private readonly hosts: DockerHost[],
    private readonly flavors: Map<string, DockerFlavor>,
  ) {}

  /** Builds the driver without contacting any engine: a host that is down at start-up is only reported later. */
  static fromConfig(name: string, raw: unknown): DockerDriver {
    const config = parseDockerConfig(name, raw);
    const timeoutMs = config.requestTimeoutSeconds * 1000;
    const hosts = config.hosts.map((h, i) =>
      DockerHost.fromConfig(name, i, h, { timeoutMs, maxContainers: config.maxContainers ?? null, maxParallelCreates: config.maxParallelCreates }),
    );
    return new DockerDriver(name, config, hosts, buildFlavors(config.flavors));
  }

  async offers(): Promise<Offer[]> {
    const rooms = await this.fromReachableHosts((h) => this.stateOf(h).then((s) => ({ ...s, room: this.roomNow(s) })));
    // Roomiest host first: placement keeps this order among equally priced offers, so requests that name no
    // zone go where there is most room.
    rooms.sort((a, b) => spareShare(b.room) - spareShare(a.room));
    return rooms.flatMap(({ host, facts, room }) =>
      [...this.flavors.values()].map((f) => ({
        provider: this.name,
        region: this.config.region,
        zone: host.name,
        flavor: f.name,
        vcpus: f.vcpus,
        memoryGiB: f.memoryGiB,
        gpus: 0,
        arch: facts.arch,
        kind: 'container' as const,
        market: 'on-demand' as const,
        priceMicrosPerHour: f.priceMicrosPerHour,
        available: fitCount(room, f),
      })),
    );
  }

  async regions(): Promise<Region[]> {
    return [{ provider: this.name, name: this.config.region, zones: this.hosts.map((h) => h.name), location: null }];
  }

  /** The `repository:tag` references present on the hosts (no registry is ever asked). */
  async images(): Promise<Image[]> {
    const perHost = await this.fromReachableHosts(async (h) => {
      const [facts, images] = await Promise.all([h.hostFacts(), h.call('list its images', (d) => d.listImages())]);
      return { facts, tags: images.flatMap((i) => i.RepoTags ?? []).filter((t) => t !== '<none>:<none>') };
    });
    const byName = new Map<string, Image>();
    for (const { facts, tags } of perHost) {
      for (const tag of tags) if (!byName.has(tag)) byName.set(tag, { provider: this.name, name: tag, os: facts.os, arch: facts.arch });
    }
    return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  async observe(ref: InstanceRef): Promise<ObservedInstance | null> {
    const found = await this.locate(ref);
    return found ? toObserved(found.facts, this.scope(found.host)) : null;
  }

  async create(req: CreateRequest, token: string): Promise<ObservedInstance> {
    if (token === '') throw this.error('Invalid', 'MissingParameter', 'a create needs a non-empty idempotency token');
    const flavor = this.validate(req);
    const candidates = req.zone === null ? this.hosts : [this.hostNamed(req.zone)!];
    // One listing per candidate host finds a container a crashed attempt left behind (by its token) and counts
    // what the host holds.
    const settled = await Promise.allSettled(candidates.map((h) => this.stateOf(h)));
    for (const s of settled) {
      if (s.status !== 'fulfilled') continue;
      const left = s.value.listing.containers.find((c) => c.Labels[TESSERA_TOKEN_LABEL] === token);
      if (left) return this.resume(s.value.host, left.Id, req, token);
    }
    // A host that did not answer may hold this create's container: making another elsewhere could double it.
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    const states = settled.map((s) => (s as PromiseFulfilledResult<HostState>).value);

    // From the check to the reservation there is no await: for this process, one step.
    const { host, reservation } = this.place(states, flavor, req, token);
    try {
      return await this.createOn(host, req, token, flavor);
    } finally {
      this.reservations.settle(reservation);
    }
  }

  async delete(ref: InstanceRef): Promise<void> {
    const cached = ref.externalId ? this.hostOfContainer.get(ref.externalId) : undefined;
    if (ref.externalId && cached) return this.remove(cached, ref.externalId, ref.externalId);
    const found = await this.locate(ref);
    if (found) await this.remove(found.host, found.facts.id, found.facts.name);
  }

  async power(ref: InstanceRef, action: PowerAction): Promise<void> {
    const found = await this.locate(ref);
    if (!found) {
      throw this.error('NotFound', 'NoSuchContainer', `docker provider '${this.name}' has no container ${describeRef(ref)}: it was removed outside Tessera`);
    }
    const { host, facts } = found;
    const container = host.client.getContainer(facts.id);
    const t = this.config.stopTimeoutSeconds;
    const what = `${action === 'on' ? 'start' : action === 'off' ? 'stop' : 'restart'} container ${facts.name}`;
    try {
      if (action === 'on') {
        if (facts.state === 'paused') await container.unpause();
        else if (facts.state !== 'running') await container.start();
      } else if (action === 'off') {
        await container.stop({ t }); // the engine thaws a paused container itself
      } else {
        await container.restart({ t });
      }
    } catch (e) {
      if (statusOf(e) === 304) return; // already started / already stopped: the wanted state
      throw host.classify(e, what);
    }
  }

  async *list(opts: ListOptions = {}): AsyncGenerator<ObservedInstance[]> {
    const pageSize = pageSizeOf(opts.pageSize, DEFAULT_LIST_PAGE_SIZE, (m) => this.error('Invalid', 'InvalidParameterValue', m));
    yield* regroup(this.containersByHost(opts.signal), pageSize, opts.signal);
  }

  /**
   * Docker lists a host's containers in one answer: host after host. A host that does not answer fails the
   * listing: skipping it would make its containers look deleted.
   */
  private async *containersByHost(signal?: AbortSignal): AsyncGenerator<ObservedInstance[]> {
    for (const host of this.hosts) {
      signal?.throwIfAborted();
      const summaries = await host.call('list its containers', (d) => d.listContainers({ all: true }));
      this.forgetAllBut(host, new Set(summaries.map((s) => s.Id)));
      const facts = await boundedMap(summaries, INSPECT_CONCURRENCY, async (s) => {
        this.hostOfContainer.set(s.Id, host);
        const f = factsFromSummary(s);
        // Containers made by others carry no flavor label: their limits name their flavor.
        return needsLimits(f) ? this.inspectFacts(host, s.Id) : f;
      });
      // Null: removed between the listing and the inspect.
      yield facts.flatMap((f) => (f ? [toObserved(f, this.scope(host))] : []));
    }
  }

  async close(): Promise<void> {
    for (const h of this.hosts) h.close();
  }

  // ---- Create ----

  /** Checks a request against what this provider sells; each message lists the valid choices. */
  private validate(req: CreateRequest): DockerFlavor {
    const invalid = (message: string) => this.error('Invalid', 'InvalidParameterValue', message);
    if (req.region !== this.config.region) {
      throw invalid(`region '${req.region}' does not exist in docker provider '${this.name}'; its one region is '${this.config.region}'`);
    }
    const flavor = this.flavors.get(req.flavor);
    if (!flavor) throw invalid(`flavor '${req.flavor}' does not exist in docker provider '${this.name}'; valid flavors: ${[...this.flavors.keys()].join(', ')}`);
    if (req.zone !== null && !this.hostNamed(req.zone)) {
      throw invalid(`zone '${req.zone}' is not a host of docker provider '${this.name}'; its hosts (zones): ${this.hosts.map((h) => h.name).join(', ')}`);
    }
    if (req.market !== 'on-demand') throw invalid(`docker hosts have no ${req.market} market; ask for market 'on-demand'`);
    if (req.userData !== null) {
      throw invalid('docker containers do not run cloud-init, so user data cannot be applied: build the configuration into the image, and create the instance without user data');
    }
    return flavor;
  }

  /** Chooses the host (the requested one, else the one with most room for the flavor) and reserves room there. */
  private place(states: HostState[], flavor: DockerFlavor, req: CreateRequest, token: string): { host: DockerHost; reservation: Reservation } {
    const rooms = states.map((s) => ({ host: s.host, room: this.roomNow(s) }));
    const withSlots = rooms.filter((r) => r.room.freeSlots === null || r.room.freeSlots > 0);
    if (withSlots.length === 0) {
      const where = rooms.map((r) => `host '${r.host.name}' holds ${r.host.maxContainers! - r.room.freeSlots!} Tessera containers, its maxContainers ${r.host.maxContainers}`);
      throw this.error(
        'Quota',
        'ContainerLimitExceeded',
        `docker provider '${this.name}' has no container slot left: ${where.join('; ')}; delete an instance there, ${req.zone === null ? '' : 'choose another zone, '}or raise maxContainers`,
      );
    }
    const fitting = withSlots.filter((r) => resourcesFit(r.room, flavor));
    if (fitting.length === 0) {
      const where = withSlots.map((r) => describeRoom(r.host, r.room));
      throw this.error(
        'Capacity',
        'InsufficientHostCapacity',
        `flavor '${flavor.name}' (${flavor.vcpus} vCPU, ${flavor.memoryGiB} GiB) does not fit: ${where.join('; ')}; ` +
          `try a smaller flavor${req.zone === null ? '' : ' or another zone'}, stop or delete instances there, or raise overcommit`,
      );
    }
    // Stable: among equals, the hosts keep their configured order.
    fitting.sort((a, b) => fitCount(b.room, flavor) - fitCount(a.room, flavor));
    const host = fitting[0]!.host;
    return { host, reservation: this.reservations.reserve(host.name, token, flavor) };
  }

  private async createOn(host: DockerHost, req: CreateRequest, token: string, flavor: DockerFlavor): Promise<ObservedInstance> {
    const name = containerName(req);
    const id = await host.createSlots.run(() => this.makeAndStart(host, req, token, flavor, name));
    // Docker names are unique per host: a taken name may be this very create's container, made by a racing retry.
    if (id === null) return this.onNameTaken(host, name, req, token);
    return this.readBack(host, id, name);
  }

  /** The engine's part of a create: the container, then its start. Null when the name is taken already. */
  private async makeAndStart(host: DockerHost, req: CreateRequest, token: string, flavor: DockerFlavor, name: string): Promise<string | null> {
    let id: string;
    try {
      const made = await host.client.createContainer({
        name,
        Image: req.image,
        Hostname: hostnameFor(req.name),
        Labels: containerLabels(req, token),
        HostConfig: {
          NanoCpus: flavor.nanoCpus,
          Memory: flavor.memoryBytes,
          // No swap beyond the flavor's memory: the limit is the flavor, not twice it.
          MemorySwap: flavor.memoryBytes,
          ...(this.config.network !== undefined && { NetworkMode: this.config.network }),
        },
      });
      id = made.id;
    } catch (e) {
      if (statusOf(e) === 404) throw this.imageMissing(host, req.image, e);
      if (statusOf(e) === 409) return null;
      throw host.classify(e, `create container ${name}`);
    }
    this.hostOfContainer.set(id, host);
    if (req.powerOn) await this.start(host, id, name, { removeIfInvalid: true });
    return id;
  }

  /** A container this create token made earlier (a crashed or lost attempt): finished, not made again. */
  private async resume(host: DockerHost, id: string, req: CreateRequest, token: string): Promise<ObservedInstance> {
    const facts = await this.inspectFacts(host, id);
    if (!facts) {
      throw this.error('Retryable', 'ContainerVanished', `container ${id} of create ${token} disappeared from host '${host.name}' while being resumed; Tessera retries`);
    }
    if (facts.state === 'dead' || facts.state === 'removing') {
      // Docker cannot start a dead container; once it is gone, the retry makes a fresh one.
      await host.client.getContainer(id).remove({ force: true }).catch(() => undefined);
      throw this.error(
        'Retryable',
        'ContainerDead',
        `container ${facts.name} of create ${token} on host '${host.name}' is ${facts.state} and cannot be started; it is being removed and the create will be retried`,
      );
    }
    if (req.powerOn && facts.state === 'created') {
      await this.start(host, id, facts.name, { removeIfInvalid: false });
      return this.readBack(host, id, facts.name);
    }
    return toObserved(facts, this.scope(host));
  }

  /** Docker names are unique per host: the container already there decides what the clash means. */
  private async onNameTaken(host: DockerHost, name: string, req: CreateRequest, token: string): Promise<ObservedInstance> {
    const holder = await this.inspectFacts(host, name);
    if (!holder) {
      throw this.error('Retryable', 'NameConflict', `container name ${name} on host '${host.name}' was taken and is free again; Tessera retries`);
    }
    if (holder.labels[TESSERA_TOKEN_LABEL] === token) return this.resume(host, holder.id, req, token);
    if (holder.labels[TESSERA_ID_LABEL] === req.tesseraId) {
      throw this.error(
        'Retryable',
        'EarlierAttemptExists',
        `container ${name} on host '${host.name}' is left from an earlier create attempt of instance ${req.tesseraId}; ` +
          `Tessera retries once it is removed (remove it with docker rm -f ${name} if it stays)`,
      );
    }
    const owner = holder.labels[TESSERA_ID_LABEL] ? `it belongs to Tessera instance ${holder.labels[TESSERA_ID_LABEL]}` : 'it was made outside Tessera';
    throw this.error(
      'Invalid',
      'ContainerNameInUse',
      `host '${host.name}' already has a container named ${name} (${owner}): rename or remove it there (docker rename ${name} NEW-NAME, or docker rm ${name}), ` +
        'or create the instance under another name',
    );
  }

  private async start(host: DockerHost, id: string, name: string, opts: { removeIfInvalid: boolean }): Promise<void> {
    try {
      await host.client.getContainer(id).start();
    } catch (e) {
      if (statusOf(e) === 304) return; // already running
      const said = engineMessage(e);
      const err =
        statusOf(e) === 404 && /network/i.test(said)
          ? this.error(
              'Invalid',
              'NetworkNotFound',
              `container ${name} cannot join network '${this.config.network}' on host '${host.name}' (${said}): create it there (docker network create ${this.config.network}) or change the provider's network setting`,
            )
          : host.classify(e, `start container ${name}`);
      // A container that can never start is removed, so the next attempt (after a fix) starts clean.
      if (opts.removeIfInvalid && err.errorClass === 'Invalid') await host.client.getContainer(id).remove({ force: true }).catch(() => undefined);
      throw err;
    }
  }

  private imageMissing(host: DockerHost, image: string, e: unknown): ProviderError {
    return this.error(
      'Invalid',
      'ImageNotFound',
      `image '${image}' is not on docker host '${host.name}' (${engineMessage(e)}), and Tessera never pulls from a registry: ` +
        `put it there first (docker load -i IMAGE.tar, or docker import ROOTFS.tar ${image}) or choose an image the host has (tessera image list)`,
    );
  }

  /** The container as it is now, after a create or a start (addresses are given at start). */
  private async readBack(host: DockerHost, id: string, name: string): Promise<ObservedInstance> {
    const facts = await this.inspectFacts(host, id);
    if (!facts) throw this.error('Retryable', 'ContainerVanished', `container ${name} on host '${host.name}' was removed right after it was made; Tessera retries`);
    return toObserved(facts, this.scope(host));
  }

  // ---- Hosts and their containers ----

  /** Drops what the cache knows of a host's containers that a full listing no longer shows (removed by others). */
  private forgetAllBut(host: DockerHost, listed: Set<string>): void {
    for (const [id, h] of this.hostOfContainer) if (h === host && !listed.has(id)) this.hostOfContainer.delete(id);
  }

  private hostNamed(name: string): DockerHost | undefined {
    return this.hosts.find((h) => h.name === name);
  }

  private scope(host: DockerHost): ObservationScope {
    return { provider: this.name, region: this.config.region, zone: host.name, flavors: this.flavors };
  }

  /** Runs `fn` on every host; hosts that fail are left out, unless all fail (then the provider is down). */
  private async fromReachableHosts<T>(fn: (h: DockerHost) => Promise<T>): Promise<T[]> {
    const settled = await Promise.allSettled(this.hosts.map(fn));
    const answered = settled.filter((s): s is PromiseFulfilledResult<Awaited<T>> => s.status === 'fulfilled').map((s) => s.value);
    if (answered.length === 0) throw (settled[0] as PromiseRejectedResult).reason;
    return answered;
  }

  private async stateOf(host: DockerHost): Promise<HostState> {
    const [facts, listing] = await Promise.all([host.hostFacts(), this.tesseraListing(host)]);
    return { host, facts, listing };
  }

  /** The host's room now: its listing plus this process's creates in flight. Synchronous, on purpose. */
  private roomNow(s: HostState): HostRoom {
    const usage = this.reservations.addTo(s.host.name, s.listing.usage, s.listing.holding, s.listing.listedAt);
    return roomOf(s.facts, usage, this.config.overcommit, s.host.maxContainers);
  }

  private async tesseraListing(host: DockerHost): Promise<TesseraListing> {
    const listedAt = Date.now();
    const containers = await host.call('list its Tessera containers', (d) => d.listContainers({ all: true, filters: tesseraFilter() }));
    const usage: HostUsage = { nanoCpus: 0, memoryBytes: 0, containers: 0 };
    const holding = new Map<string, boolean>();
    const unsized: string[] = [];
    for (const c of containers) {
      this.hostOfContainer.set(c.Id, host);
      const holds = holdsResources(c.State);
      const token = c.Labels[TESSERA_TOKEN_LABEL];
      if (token !== undefined) holding.set(token, holds);
      if (takesSlot(c.State)) usage.containers += 1;
      if (!holds) continue;
      const flavor = this.flavors.get(c.Labels[FLAVOR_LABEL] ?? '');
      if (flavor) {
        usage.nanoCpus += flavor.nanoCpus;
        usage.memoryBytes += flavor.memoryBytes;
      } else {
        unsized.push(c.Id);
      }
    }
    // A flavor no longer configured (or a label set by hand): the container's limits are read from the engine.
    const limits = await boundedMap(unsized, INSPECT_CONCURRENCY, async (id) => (await this.inspectFacts(host, id))?.limits ?? null);
    for (const l of limits.filter((x): x is ContainerLimits => x !== null)) {
      usage.nanoCpus += l.nanoCpus;
      usage.memoryBytes += l.memoryBytes;
    }
    return { listedAt, containers, usage, holding };
  }

  /** Inspects a container by id or name; null when the host has no such container. */
  private async inspectFacts(host: DockerHost, idOrName: string): Promise<ContainerFacts | null> {
    try {
      const facts = factsFromInspect(await host.client.getContainer(idOrName).inspect());
      this.hostOfContainer.set(facts.id, host);
      return facts;
    } catch (e) {
      if (statusOf(e) === 404) return null;
      throw host.classify(e, `inspect container ${idOrName}`);
    }
  }

  /** Finds a container by provider id or by create token, on whichever host holds it. */
  private async locate(ref: InstanceRef): Promise<Located | null> {
    if (ref.externalId) return this.locateById(ref.externalId);
    if (ref.token) return this.locateByToken(ref.token);
    throw this.error('Invalid', 'MissingParameter', 'a container reference needs an externalId or a token');
  }

  private async locateById(id: string): Promise<Located | null> {
    const cached = this.hostOfContainer.get(id);
    // A container never moves: if its known host no longer has it, it is gone.
    const hosts = cached ? [cached] : this.hosts;
    const settled = await Promise.allSettled(hosts.map(async (host) => ({ host, facts: await this.inspectFacts(host, id) })));
    for (const s of settled) if (s.status === 'fulfilled' && s.value.facts) return { host: s.value.host, facts: s.value.facts };
    // Absent from the hosts that answered; a host that did not may still hold it.
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    this.hostOfContainer.delete(id);
    return null;
  }

  private async locateByToken(token: string): Promise<Located | null> {
    const settled = await Promise.allSettled(
      this.hosts.map(async (host) => ({
        host,
        found: await host.call(`find the container of create ${token}`, (d) => d.listContainers({ all: true, filters: tesseraFilter(token) })),
      })),
    );
    for (const s of settled) {
      if (s.status !== 'fulfilled' || s.value.found.length === 0) continue;
      const { host, found } = s.value;
      const facts = factsFromSummary(found[0]!);
      this.hostOfContainer.set(facts.id, host);
      if (!needsLimits(facts)) return { host, facts };
      const inspected = await this.inspectFacts(host, facts.id);
      return inspected ? { host, facts: inspected } : null;
    }
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    return null;
  }

  private async remove(host: DockerHost, id: string, name: string): Promise<void> {
    try {
      // Forced: a running container is killed at once (delete means gone); v: its anonymous volumes go with it.
      await host.client.getContainer(id).remove({ force: true, v: true });
    } catch (e) {
      const status = statusOf(e);
      const goneOrGoing = status === 404 || (status === 409 && /already in progress/i.test(engineMessage(e)));
      if (!goneOrGoing) throw host.classify(e, `remove container ${name}`);
    }
    this.hostOfContainer.delete(id);
  }

  private error(errorClass: ErrorClass, providerCode: string, message: string): ProviderError {
    return new ProviderError(errorClass, message, this.name, providerCode);
  }
}

/** The share of the host still free, by its scarcer resource (0 when either is used up). */
function spareShare(room: HostRoom): number {
  return Math.min(room.freeNanoCpus / room.capacityNanoCpus || 0, room.freeMemoryBytes / room.capacityMemoryBytes || 0);
}

function describeRoom(host: DockerHost, room: HostRoom): string {
  const cpus = (n: number) => Number((n / 1e9).toFixed(2));
  const gib = (n: number) => Number((n / 2 ** 30).toFixed(2));
  return (
    `host '${host.name}' has ${cpus(Math.max(0, room.freeNanoCpus))} of ${cpus(room.capacityNanoCpus)} vCPUs ` +
    `and ${gib(Math.max(0, room.freeMemoryBytes))} of ${gib(room.capacityMemoryBytes)} GiB free (overcommit included)`
  );
}

/** A container's hostname: the instance name, cut to what a DNS label allows. */
function hostnameFor(name: string): string {
  return name.replace(/[^a-zA-Z0-9-]+/g, '-').replace(/^-+/, '').slice(0, 63).replace(/-+$/, '') || 'instance';
}

function describeRef(ref: InstanceRef): string {
  return ref.externalId ? ref.externalId : `with create token ${ref.token}`;
}
