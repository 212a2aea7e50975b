import { usdToMicros } from '../../core/money.js';
import type { Image, Offer, Region } from '../../core/offer.js';
import {
  ProviderError,
  type CreateRequest,
  type Driver,
  type DriverFactory,
  type ErrorClass,
  type InstanceRef,
  type ListOptions,
  type ObservedInstance,
  type PowerAction,
} from '../driver.js';
import { howManyFit, roomOn, whyNoRoom, type HostRoom } from './capacity.js';
import { buildSeedIso } from './cloud-init-seed.js';
import { memoryMiB, parseLibvirtConfig, type LibvirtConfig, type LibvirtFlavorConfig, type LibvirtImageConfig } from './config.js';
import { hostnameFor, identityFor, uuidForToken, volumesFor } from './domain-identity.js';
import { buildDomainXml } from './domain-xml.js';
import { readAllDomains, readDomain, readHostResources, type DomainSnapshot } from './host-inventory.js';
import { isActive, observedState, toObserved } from './observed.js';
import { ensurePool } from './storage-pool.js';
import { Virsh, type CommandHook } from './virsh.js';
import { baseImagePath, createOverlay, deleteVolumes, uploadSeed } from './volumes.js';

/**
 * The `libvirt` driver: KVM/QEMU hosts through `virsh`. An instance is a domain; its disk a qcow2 overlay on a
 * base image in a directory pool; its first-boot configuration a cloud-init NoCloud seed ISO; Tessera's instance
 * id and create token live in the domain's `<metadata>`, so everything is found again from libvirt alone.
 */

export const DEFAULT_LIST_PAGE_SIZE = 500;
/** How often a power-off looks whether the guest has shut down yet. */
const SHUTDOWN_POLL_MS = 250;

export interface LibvirtDriverHooks {
  /** Called before every virsh process (tests: watch the commands, or throw to simulate a crash at one). */
  beforeCommand?: CommandHook;
}

/** The factory the registry loads (`type: libvirt` in tessera.yaml). */
export const createLibvirtDriver: DriverFactory = async (name, config) => openLibvirtDriver(name, config);

export async function openLibvirtDriver(name: string, config: unknown, hooks: LibvirtDriverHooks = {}): Promise<LibvirtDriver> {
  return new LibvirtDriver(name, parseLibvirtConfig(name, config), hooks);
}

/** One host's domains, read together so a create's checks (token, quota, room) agree with each other. */
interface HostView {
  virsh: Virsh;
  domains: DomainSnapshot[];
}

export class LibvirtDriver implements Driver {
  readonly type = 'libvirt';
  readonly simulated = false;
  private readonly hosts: Virsh[];
  /** Creates in flight in this process, by token: a second call with the same token waits for the first. */
  private readonly creating = new Map<string, Promise<ObservedInstance>>();

  constructor(
    readonly name: string,
    private readonly config: LibvirtConfig,
    hooks: LibvirtDriverHooks = {},
  ) {
    this.hosts = config.hosts.map(
      (h) => new Virsh(name, h, { timeoutMs: config.commandTimeoutSeconds * 1000, beforeCommand: hooks.beforeCommand }),
    );
  }

  async offers(): Promise<Offer[]> {
    const rooms = await this.reachable(async (virsh) => {
      const [resources, domains] = await Promise.all([readHostResources(virsh), readAllDomains(virsh)]);
      return { room: roomOn(virsh.host.name, resources, domains, this.config.overcommit), domains };
    });
    const quotaLeft = this.quotaLeft(rooms.flatMap((r) => r.domains));
    return rooms.flatMap(({ room }) =>
      this.config.flavors.map((f) => ({
        provider: this.name,
        region: this.config.region,
        zone: room.host,
        flavor: f.name,
        vcpus: f.vcpus,
        memoryGiB: f.memoryGiB,
        gpus: 0,
        arch: 'x86_64',
        kind: 'vm' as const,
        market: 'on-demand' as const,
        priceMicrosPerHour: usdToMicros(String(f.priceUsdPerHour)),
        available: Math.min(howManyFit(room, f), quotaLeft ?? Number.MAX_SAFE_INTEGER),
      })),
    );
  }

  async regions(): Promise<Region[]> {
    return [{ provider: this.name, name: this.config.region, zones: this.config.hosts.map((h) => h.name), location: null }];
  }

  async images(): Promise<Image[]> {
    return this.config.images.map((i) => ({ provider: this.name, name: i.name, os: i.os ?? i.name.split(/[-_.]/)[0]!, arch: 'x86_64' }));
  }

  async observe(ref: InstanceRef): Promise<ObservedInstance | null> {
    const found = await this.find(ref);
    return found ? this.view(found.snapshot) : null;
  }

  create(req: CreateRequest, token: string): Promise<ObservedInstance> {
    if (token === '') return Promise.reject(this.error('Invalid', 'MissingParameter', 'a create needs a non-empty idempotency token'));
    const running = this.creating.get(token);
    if (running) return running.catch(() => this.create(req, token));
    const attempt = this.createOnce(req, token).finally(() => this.creating.delete(token));
    this.creating.set(token, attempt);
    return attempt;
  }

  async delete(ref: InstanceRef): Promise<void> {
    if (ref.region !== this.config.region) return;
    const found = await this.find(ref);
    if (!found) {
      // No domain, but a create that crashed before `define` may have left its volumes, named after the token.
      const uuid = ref.token ? uuidForToken(ref.token) : ref.externalId;
      if (uuid) await this.reachable((virsh) => deleteVolumes(virsh, this.config.pool.name, Object.values(volumesFor(uuid))));
      return;
    }
    const { virsh, snapshot } = found;
    const uuid = snapshot.facts.uuid;
    if (isActive(snapshot.state)) await this.tolerate(virsh.run(['destroy', uuid]), 'OperationInvalid', 'DomainNotFound');
    await this.tolerate(virsh.run(['undefine', uuid, '--nvram', '--managed-save']), 'DomainNotFound');
    // Only what Tessera made is removed: an adopted domain's disks belong to whoever made them.
    const made = snapshot.facts.tessera;
    if (made) await deleteVolumes(virsh, made.pool, Object.values(volumesFor(uuid)));
  }

  async power(ref: InstanceRef, action: PowerAction): Promise<void> {
    const found = await this.find(ref);
    if (!found) {
      throw this.error('NotFound', 'DomainNotFound', `libvirt provider '${this.name}' has no domain ${ref.externalId ?? `with token ${ref.token}`}`);
    }
    const { virsh, snapshot } = found;
    const uuid = snapshot.facts.uuid;
    const state = observedState(snapshot.state, snapshot.reason);
    if (action === 'on') {
      if (snapshot.state === 'paused') await virsh.run(['resume', uuid]);
      else if (snapshot.state === 'pmsuspended') await virsh.run(['dompmwakeup', uuid]);
      else if (state === 'stopped') await this.tolerate(virsh.run(['start', uuid]), 'OperationInvalid');
    } else if (action === 'off') {
      if (isActive(snapshot.state)) await this.powerOff(virsh, uuid);
    } else {
      if (state !== 'running') {
        throw this.error('Invalid', 'OperationInvalid', `domain ${snapshot.facts.name} is ${snapshot.state}; power it on instead of rebooting`);
      }
      // A hard reset, not `virsh reboot`: a reboot is an ACPI request that a guest without ACPI support (or still
      // in its firmware, or hung) never honours, and the caller would wait forever for a reboot that never comes.
      await virsh.run(['reset', uuid]);
    }
  }

  async *list(opts: ListOptions = {}): AsyncGenerator<ObservedInstance[]> {
    const pageSize = opts.pageSize ?? DEFAULT_LIST_PAGE_SIZE;
    if (!Number.isInteger(pageSize) || pageSize < 1) {
      throw this.error('Invalid', 'InvalidParameterValue', `pageSize must be a positive integer, got ${pageSize}`);
    }
    opts.signal?.throwIfAborted();
    // Every host must answer: a listing without one host would make its domains look deleted.
    const views = await this.readAll();
    const all = views.flatMap((v) => v.domains.map((d) => this.view(d)));
    for (let i = 0; i < all.length; i += pageSize) {
      opts.signal?.throwIfAborted();
      yield all.slice(i, i + pageSize);
    }
  }

  async close(): Promise<void> {}

  // ---- Internals ----

  private async createOnce(req: CreateRequest, token: string): Promise<ObservedInstance> {
    const views = await this.readAll();
    // Observe before create: a domain carrying this token is the answer, whatever happened to the first call.
    for (const { virsh, domains } of views) {
      const existing = domains.find((d) => d.facts.tessera?.token === token);
      if (!existing) continue;
      // Defined by an attempt that crashed before `start`: finish what it began.
      if (req.powerOn && observedState(existing.state, existing.reason) === 'stopped') {
        await this.tolerate(virsh.run(['start', existing.facts.uuid]), 'OperationInvalid');
      }
      return this.observeOn(virsh, existing.facts.uuid);
    }

    const { flavor, image } = this.validate(req);
    const left = this.quotaLeft(views.flatMap((v) => v.domains));
    if (left !== null && left <= 0) {
      throw this.error(
        'Quota',
        'DomainLimitExceeded',
        `libvirt provider '${this.name}' holds ${this.config.maxDomains} domain(s), its maxDomains: delete one, or raise maxDomains in the provider config`,
      );
    }
    const virsh = await this.chooseHost(req, flavor, views);
    const id = identityFor(req.name, token);
    const pool = this.config.pool.name;
    await ensurePool(virsh, this.config.pool);
    const base = await baseImagePath(virsh, pool, image);

    // Left by an attempt that crashed before `define` (nothing refers to them): made again from scratch.
    await deleteVolumes(virsh, pool, [id.diskVolume, id.seedVolume]);
    try {
      await createOverlay(virsh, pool, id.diskVolume, base);
      const seed = await this.buildSeed(req, hostnameFor(req.name));
      try {
        await uploadSeed(virsh, pool, id.seedVolume, seed.path, seed.bytes);
      } finally {
        await seed.dispose();
      }
      const xml = buildDomainXml({
        type: this.config.domainType,
        name: id.domainName,
        uuid: id.uuid,
        title: req.name,
        vcpus: flavor.vcpus,
        memoryMiB: memoryMiB(flavor.memoryGiB),
        disk: { pool, volume: id.diskVolume },
        seed: { pool, volume: id.seedVolume },
        network: this.config.network,
        metadata: {
          id: req.tesseraId,
          token,
          provider: this.name,
          name: req.name,
          flavor: flavor.name,
          image: image.name,
          created: new Date().toISOString(),
          pool,
          labels: req.labels,
        },
      });
      await virsh.runWithFile(xml, (file) => ['define', file]);
    } catch (e) {
      // Undefined volumes would never be found again, so they go; a crash here instead leaves them to the retry.
      // A define that timed out may have happened all the same: its domain needs them.
      const defined = await readDomain(virsh, id.uuid).catch(() => 'unknown' as const);
      if (defined === null) await deleteVolumes(virsh, pool, [id.diskVolume, id.seedVolume]).catch(() => undefined);
      throw e;
    }
    if (req.powerOn) await virsh.run(['start', id.uuid]);
    return this.observeOn(virsh, id.uuid);
  }

  private async buildSeed(req: CreateRequest, hostname: string) {
    try {
      return await buildSeedIso({ instanceId: req.tesseraId, hostname, userData: req.userData });
    } catch (e) {
      // The machine running Tessera lacks a tool: fixable there, so worth retrying rather than failing the instance.
      throw this.error('Retryable', 'SeedBuildFailed', `libvirt provider '${this.name}': ${(e as Error).message}`);
    }
  }

  /** Checks a create against the config; each message lists the valid choices. */
  private validate(req: CreateRequest): { flavor: LibvirtFlavorConfig; image: LibvirtImageConfig } {
    const invalid = (message: string) => this.error('Invalid', 'InvalidParameterValue', message);
    const names = (items: { name: string }[]) => items.map((i) => i.name).join(', ');
    if (req.region !== this.config.region) {
      throw invalid(`region '${req.region}' is not served by libvirt provider '${this.name}'; its region is '${this.config.region}'`);
    }
    if (req.market !== 'on-demand') throw invalid(`libvirt hosts have no spot market; use market 'on-demand'`);
    const flavor = this.config.flavors.find((f) => f.name === req.flavor);
    if (!flavor) throw invalid(`flavor '${req.flavor}' does not exist in libvirt provider '${this.name}'; valid flavors: ${names(this.config.flavors)}`);
    const image = this.config.images.find((i) => i.name === req.image);
    if (!image) throw invalid(`image '${req.image}' does not exist in libvirt provider '${this.name}'; valid images: ${names(this.config.images)}`);
    if (req.zone !== null && !this.config.hosts.some((h) => h.name === req.zone)) {
      throw invalid(`zone '${req.zone}' is not a host of libvirt provider '${this.name}'; hosts: ${names(this.config.hosts)}`);
    }
    return { flavor, image };
  }

  /** The requested host, or else the host with the most free vCPUs that fits the flavor. */
  private async chooseHost(req: CreateRequest, flavor: LibvirtFlavorConfig, views: HostView[]): Promise<Virsh> {
    const candidates = req.zone === null ? views : views.filter((v) => v.virsh.host.name === req.zone);
    const rooms: { virsh: Virsh; room: HostRoom }[] = [];
    for (const v of candidates) {
      rooms.push({ virsh: v.virsh, room: roomOn(v.virsh.host.name, await readHostResources(v.virsh), v.domains, this.config.overcommit) });
    }
    const fitting = rooms.filter((r) => whyNoRoom(r.room, flavor) === null).sort((a, b) => b.room.freeVcpus - a.room.freeVcpus);
    if (fitting.length > 0) return fitting[0]!.virsh;
    const reasons = rooms.map((r) => whyNoRoom(r.room, flavor)).join('; ');
    throw this.error('Capacity', 'InsufficientHostCapacity', `no room for flavor '${flavor.name}': ${reasons}; try a smaller flavor or another host, or raise overcommit`);
  }

  /** Domains this provider made, against maxDomains; null when there is no limit. */
  private quotaLeft(domains: DomainSnapshot[]): number | null {
    if (this.config.maxDomains === null) return null;
    const mine = domains.filter((d) => d.facts.tessera?.provider === this.name).length;
    return Math.max(0, this.config.maxDomains - mine);
  }

  /** ACPI shutdown, then — if the guest has not gone within the grace — destroy (a hard power-off). */
  private async powerOff(virsh: Virsh, uuid: string): Promise<void> {
    const graceMs = this.config.shutdownGraceSeconds * 1000;
    if (graceMs > 0) {
      await this.tolerate(virsh.run(['shutdown', uuid]), 'OperationInvalid');
      const deadline = Date.now() + graceMs;
      while (Date.now() < deadline) {
        const state = (await virsh.runOrNull(['domstate', uuid]))?.trim();
        if (state === undefined || state === 'shut off') return;
        await new Promise((r) => setTimeout(r, SHUTDOWN_POLL_MS));
      }
    }
    await this.tolerate(virsh.run(['destroy', uuid]), 'OperationInvalid', 'DomainNotFound');
  }

  /** A ref names a domain by UUID if it has one, else by create token. */
  private async find(ref: InstanceRef): Promise<{ virsh: Virsh; snapshot: DomainSnapshot } | null> {
    if (!ref.externalId && !ref.token) throw this.error('Invalid', 'MissingParameter', 'a machine reference needs an externalId or a token');
    if (ref.region !== this.config.region) return null;
    const answers = await Promise.allSettled(
      this.hosts.map(async (virsh) => {
        const snapshot = ref.externalId
          ? await readDomain(virsh, ref.externalId)
          : ((await readAllDomains(virsh)).find((d) => d.facts.tessera?.token === ref.token) ?? null);
        return snapshot ? { virsh, snapshot } : null;
      }),
    );
    for (const a of answers) if (a.status === 'fulfilled' && a.value) return a.value;
    // Not on any host that answered; a host that did not answer may hold it, so "gone" cannot be said.
    const failed = answers.find((a): a is PromiseRejectedResult => a.status === 'rejected');
    if (failed) throw failed.reason;
    return null;
  }

  private async observeOn(virsh: Virsh, uuid: string): Promise<ObservedInstance> {
    const snapshot = await readDomain(virsh, uuid);
    if (!snapshot) {
      throw this.error('Retryable', 'DomainVanished', `domain ${uuid} on libvirt host '${virsh.host.name}' vanished right after it was made; Tessera looks again`);
    }
    return this.view(snapshot);
  }

  private view(snapshot: DomainSnapshot): ObservedInstance {
    return toObserved(snapshot, { region: this.config.region, flavors: this.config.flavors, images: this.config.images });
  }

  private async readAll(): Promise<HostView[]> {
    return Promise.all(this.hosts.map(async (virsh) => ({ virsh, domains: await readAllDomains(virsh) })));
  }

  /** Runs `work` on every host; hosts that fail are left out unless all fail (then the first failure is thrown). */
  private async reachable<T>(work: (virsh: Virsh) => Promise<T>): Promise<T[]> {
    const answers = await Promise.allSettled(this.hosts.map(work));
    const ok = answers.filter((a): a is PromiseFulfilledResult<Awaited<T>> => a.status === 'fulfilled').map((a) => a.value);
    if (ok.length === 0) throw (answers[0] as PromiseRejectedResult).reason;
    return ok;
  }

  /** Awaits a virsh call whose failure with one of these provider codes means "already so". */
  private async tolerate(call: Promise<unknown>, ...codes: string[]): Promise<void> {
    try {
      await call;
    } catch (e) {
      if (e instanceof ProviderError && codes.includes(e.providerCode ?? '')) return;
      throw e;
    }
  }

  private error(errorClass: ErrorClass, providerCode: string, message: string): ProviderError {
    return new ProviderError(errorClass, message, this.name, providerCode);
  }
}
