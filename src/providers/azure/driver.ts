import type { ResourceSku, VirtualMachine, VirtualMachineInstanceView } from '@azure/arm-compute';
import type { NetworkInterface } from '@azure/arm-network';
import type { Image, Offer, Region } from '../../core/offer.js';
import { boundedMap } from '../../runtime/bounded-map.js';
import {
  ProviderError,
  type CreateRequest,
  type Driver,
  type DriverContext,
  type DriverFactory,
  type ErrorClass,
  type InstanceRef,
  type ListOptions,
  type ListPrice,
  type ObservedInstance,
  type PowerAction,
} from '../driver.js';
import { buildArmClients, type ArmClients } from './arm-clients.js';
import { parseAzureConfig, type AzureConfig, type AzureImageConfig } from './config.js';
import { classifyAzureError, isArmNotFound, isOperationFailure } from './errors.js';
import { listImages } from './images.js';
import { azureZone, DISK_TYPE, NIC_TYPE, nicNameFor, osDiskNameFor, parseResourceId, resourceId, VM_TYPE, vmNameFor } from './names.js';
import { toObserved, type ObservationScope } from './observed.js';
import { offersOf, regionsOf, sizesIn, type LocationSize } from './offers.js';
import { instanceTags } from './tags.js';
import { MAX_USER_DATA_BYTES, nicBody, vmBody } from './vm-body.js';

/**
 * The `azure` driver: VMs in one subscription and resource group through ARM, with @azure/arm-compute and
 * @azure/arm-network over Entra ID sign-in (@azure/identity). One instance is a VM, its NIC and its OS disk,
 * named from the create token (names.ts) and tagged with Tessera's id and token (tags.ts), so the driver keeps
 * no state: everything observe and list report comes from ARM. Every long-running operation (create, power,
 * delete) is polled to completion, so its final status — Failed with a code, or Succeeded — is what the caller
 * gets.
 */

export const DEFAULT_LIST_PAGE_SIZE = 100;
/** Instance views fetched at once while listing (ARM's read limits are per principal, so this stays modest). */
const INSTANCE_VIEW_CONCURRENCY = 8;
/** The size list of a location changes rarely and is large (megabytes on Azure): kept this long. */
const SKU_CACHE_MS = 60 * 60 * 1000;
/** Azure's limit is 50 tags a resource; Tessera adds three of its own. */
const MAX_USER_LABELS = 47;

export const createAzureDriver: DriverFactory = async (name, config, ctx) => AzureDriver.fromConfig(name, config, ctx);

/** Where one VM lives: enough to call its API and its NIC's and disk's. */
interface VmAddress {
  resourceGroup: string;
  name: string;
}

export class AzureDriver implements Driver {
  readonly type = 'azure';
  readonly simulated = false;
  private readonly skuCache = new Map<string, { at: number; sizes: LocationSize[] }>();

  private constructor(
    readonly name: string,
    private readonly config: AzureConfig,
    private readonly clients: ArmClients,
    private readonly listPrices: (cloud: string) => Promise<ListPrice[]>,
  ) {}

  /** Builds the driver without calling Azure: a wrong secret or an unreachable ARM shows on the first call. */
  static fromConfig(name: string, raw: unknown, ctx: DriverContext): AzureDriver {
    const config = parseAzureConfig(name, raw);
    const clients = buildArmClients(name, config, ctx.credentials);
    return new AzureDriver(name, config, clients, ctx.listPrices ?? (async () => []));
  }

  async offers(): Promise<Offer[]> {
    const [sizes, prices] = await Promise.all([this.sizes(), this.listPrices('azure')]);
    return offersOf(this.name, sizes, prices);
  }

  async regions(): Promise<Region[]> {
    return regionsOf(this.name, this.config.locations, await this.sizes());
  }

  async images(): Promise<Image[]> {
    return listImages(this.name, this.config);
  }

  async observe(ref: InstanceRef): Promise<ObservedInstance | null> {
    const address = this.addressOf(ref);
    return address ? this.observeVm(address, `observe VM ${address.name}`) : null;
  }

  async create(req: CreateRequest, token: string): Promise<ObservedInstance> {
    const image = this.validate(req, token);
    const name = vmNameFor(token);
    const at: VmAddress = { resourceGroup: this.config.resourceGroup, name };
    const what = `create VM ${name} (${req.flavor}) in ${req.zone ?? req.region}`;

    // Observe before create: a VM of this token exists already when an earlier attempt got that far. One whose
    // provisioning failed before it ever ran is sent again: a repeated PUT is how Azure retries provisioning.
    const existing = await this.observeVm(at, what);
    if (existing && existing.token !== token) {
      throw this.error('Invalid', 'NameTaken', `could not ${what}: a VM named ${name} exists in resource group ${at.resourceGroup} but was not made with this create token`);
    }
    if (existing && existing.state !== 'terminated') return existing;

    const tags = instanceTags(req, token);
    const nicName = nicNameFor(name);
    const poll = { updateIntervalInMs: this.config.pollIntervalMs };
    try {
      const nic = await this.clients.network.networkInterfaces.beginCreateOrUpdateAndWait(at.resourceGroup, nicName, nicBody(this.config, req, tags), poll);
      const zone = req.zone === null ? null : azureZone(req.region, req.zone);
      const body = vmBody(this.config, req, { name, nicId: nic.id!, azureZone: zone, image, tags });
      // A lost answer to this PUT is re-sent by the SDK (it retries on a reset connection); ARM's PUT is
      // create-or-update by name, so the retry finds the first VM.
      await this.clients.compute.virtualMachines.createOrUpdate(at.resourceGroup, name, body, poll);
    } catch (e) {
      const failed = classifyAzureError(e, { provider: this.name, action: what });
      // What a failed create made is removed: a NIC, and after a failed operation a VM that never ran; both
      // would hold quota and addresses, and the caller places the instance elsewhere or reports it. A request
      // that failed on the way (throttled, 5xx, no answer) may still have been processed: it is left for the
      // retry, which finds it by name.
      if (isOperationFailure(e) || failed.errorClass !== 'Retryable') await this.remove(at, true).catch(() => undefined);
      throw failed;
    }
    if (!req.powerOn) await this.power({ region: req.region, externalId: this.vmId(at) }, 'off');
    const made = await this.observeVm(at, what);
    if (!made) throw this.error('Retryable', 'ResourceNotFound', `could not ${what}: ARM reported the VM created but does not show it yet; Tessera looks again`);
    return made;
  }

  async delete(ref: InstanceRef): Promise<void> {
    const at = this.addressOf(ref);
    // A ref by token names a VM of Tessera's making: what a create that failed part-way left goes too.
    if (at) await this.remove(at, !ref.externalId);
  }

  async power(ref: InstanceRef, action: PowerAction): Promise<void> {
    const at = this.addressOf(ref);
    if (!at) throw this.error('NotFound', 'ResourceNotFound', `cannot power ${action} a VM without its id or create token (${describeRef(ref)})`);
    const vms = this.clients.compute.virtualMachines;
    const poll = { updateIntervalInMs: this.config.pollIntervalMs };
    const [verb, run] =
      action === 'on'
        ? ['start', () => vms.start(at.resourceGroup, at.name, poll)]
        : action === 'reboot'
          ? ['restart', () => vms.restart(at.resourceGroup, at.name, poll)]
          : this.config.stopMode === 'deallocate'
            ? ['deallocate', () => vms.deallocate(at.resourceGroup, at.name, poll)]
            : ['power off', () => vms.powerOff(at.resourceGroup, at.name, poll)];
    await this.call(`${verb} VM ${at.name}`, run);
  }

  async *list(opts: ListOptions = {}): AsyncGenerator<ObservedInstance[]> {
    const pageSize = opts.pageSize ?? DEFAULT_LIST_PAGE_SIZE;
    if (!Number.isInteger(pageSize) || pageSize < 1) throw this.error('Invalid', 'InvalidParameter', `cannot list: pageSize must be a positive integer, got ${pageSize}`);
    const bySubscription = this.config.listScope === 'subscription';
    const where = bySubscription ? `subscription ${this.config.subscriptionId}` : `resource group ${this.config.resourceGroup}`;
    const nics = await this.call(`list the NICs of ${where}`, () => this.nicsById(bySubscription));
    const vmPages = bySubscription
      ? this.clients.compute.virtualMachines.listAll().byPage()
      : this.clients.compute.virtualMachines.list(this.config.resourceGroup).byPage();
    let out: ObservedInstance[] = [];
    // ARM pages with nextLink; each ARM page is completed with instance views (power state) before it is cut
    // into the caller's pages.
    for (;;) {
      opts.signal?.throwIfAborted();
      const next = await this.call(`list the VMs of ${where}`, () => vmPages.next());
      if (next.done) break;
      const observed = await boundedMap(next.value, INSTANCE_VIEW_CONCURRENCY, async (vm) => {
        const at = parseResourceId(vm.id ?? '');
        if (!at) return null;
        const view = await this.instanceView({ resourceGroup: at.resourceGroup, name: at.name }, `list the VMs of ${where}`);
        // Deleted between the listing and its instance view: not there any more.
        if (view === null) return null;
        const vmNics = (vm.networkProfile?.networkInterfaces ?? []).map((n) => nics.get((n.id ?? '').toLowerCase())).filter((n): n is NetworkInterface => !!n);
        return toObserved(vm, view, vmNics, this.scope());
      });
      for (const o of observed) {
        if (!o) continue;
        out.push(o);
        if (out.length === pageSize) {
          yield out;
          out = [];
        }
      }
    }
    if (out.length > 0) yield out;
  }

  async close(): Promise<void> {
    // The SDK clients hold keep-alive sockets only; they close on their own when idle.
  }

  // ---- Reading ----

  /** The VM with its instance view and NIC addresses, or null when ARM has no such VM. */
  private async observeVm(at: VmAddress, what: string): Promise<ObservedInstance | null> {
    const vm = await this.getVm(at, what, true);
    if (!vm) return null;
    const nics = await boundedMap(vm.networkProfile?.networkInterfaces ?? [], 2, async (ref) => {
      const nic = parseResourceId(ref.id ?? '');
      if (!nic) return null;
      try {
        return await this.call(`${what}: read its NIC ${nic.name}`, () => this.clients.network.networkInterfaces.get(nic.resourceGroup, nic.name));
      } catch (e) {
        if (e instanceof ProviderError && e.errorClass === 'NotFound') return null;
        throw e;
      }
    });
    return toObserved(vm, vm.instanceView, nics.filter((n): n is NetworkInterface => n !== null), this.scope());
  }

  private async getVm(at: VmAddress, what: string, withInstanceView = false): Promise<VirtualMachine | null> {
    try {
      return await this.clients.compute.virtualMachines.get(at.resourceGroup, at.name, withInstanceView ? { expand: 'instanceView' } : {});
    } catch (e) {
      if (isArmNotFound(e)) return null;
      throw classifyAzureError(e, { provider: this.name, action: what });
    }
  }

  private async instanceView(at: VmAddress, what: string): Promise<VirtualMachineInstanceView | null> {
    try {
      return await this.clients.compute.virtualMachines.instanceView(at.resourceGroup, at.name);
    } catch (e) {
      if (isArmNotFound(e)) return null;
      throw classifyAzureError(e, { provider: this.name, action: what });
    }
  }

  private async nicsById(bySubscription: boolean): Promise<Map<string, NetworkInterface>> {
    const nics = new Map<string, NetworkInterface>();
    const all = bySubscription ? this.clients.network.networkInterfaces.listAll() : this.clients.network.networkInterfaces.list(this.config.resourceGroup);
    for await (const nic of all) if (nic.id) nics.set(nic.id.toLowerCase(), nic);
    return nics;
  }

  /** VM sizes of every configured location, from the Resource SKUs API (cached: it is large and rarely changes). */
  private async sizes(): Promise<LocationSize[]> {
    const perLocation = await Promise.all(
      this.config.locations.map(async (location) => {
        const cached = this.skuCache.get(location);
        if (cached && Date.now() - cached.at < SKU_CACHE_MS) return cached.sizes;
        const skus = await this.call(`list the VM sizes of ${location}`, async () => {
          const out: ResourceSku[] = [];
          for await (const sku of this.clients.compute.resourceSkus.list({ filter: `location eq '${location}'` })) out.push(sku);
          return out;
        });
        const sizes = sizesIn(location, skus);
        this.skuCache.set(location, { at: Date.now(), sizes });
        return sizes;
      }),
    );
    return perLocation.flat();
  }

  // ---- Helpers ----

  /** Checks a request against this provider's configuration before anything is sent; the image's reference. */
  private validate(req: CreateRequest, token: string): AzureImageConfig {
    const invalid = (message: string) => this.error('Invalid', 'InvalidParameter', `cannot create instance '${req.name}': ${message}`);
    if (token === '') throw invalid('a create needs a non-empty idempotency token');
    if (!this.config.locations.includes(req.region)) {
      throw invalid(`location '${req.region}' is not one of this provider's locations (${this.config.locations.join(', ')}); choose one of those, or add it to locations with its subnet`);
    }
    if (req.zone !== null && azureZone(req.region, req.zone) === null) {
      throw invalid(`zone '${req.zone}' is not a zone of ${req.region}: Azure zones are named ${req.region}-1, ${req.region}-2, ${req.region}-3`);
    }
    const image = this.config.images[req.image];
    if (!image) throw invalid(`image '${req.image}' is not configured for this provider; configured images: ${Object.keys(this.config.images).join(', ')} (add it under images)`);
    if (req.userData !== null && Buffer.byteLength(req.userData, 'utf8') > MAX_USER_DATA_BYTES) {
      throw invalid(`user data is ${Buffer.byteLength(req.userData, 'utf8')} bytes; Azure takes at most ${MAX_USER_DATA_BYTES} (64 KiB): fetch the rest from the VM`);
    }
    if (Object.keys(req.labels).length > MAX_USER_LABELS) {
      throw invalid(`an Azure resource holds at most 50 tags and Tessera uses 3: give at most ${MAX_USER_LABELS} labels (got ${Object.keys(req.labels).length})`);
    }
    return image;
  }

  /** Where a ref's VM lives: its resource id, else the name its token gives; null when the ref names neither. */
  private addressOf(ref: InstanceRef): VmAddress | null {
    if (ref.externalId) {
      const parts = parseResourceId(ref.externalId);
      if (!parts || parts.type.toLowerCase() !== VM_TYPE.toLowerCase() || parts.subscriptionId.toLowerCase() !== this.config.subscriptionId.toLowerCase()) {
        throw this.error('Invalid', 'InvalidResourceId', `cannot use '${ref.externalId}': it is not the resource id of a VM in subscription ${this.config.subscriptionId}`);
      }
      return { resourceGroup: parts.resourceGroup, name: parts.name };
    }
    return ref.token ? { resourceGroup: this.config.resourceGroup, name: vmNameFor(ref.token) } : null;
  }

  private vmId(at: VmAddress): string {
    return this.resourceIdOf(at, VM_TYPE, at.name);
  }

  private resourceIdOf(at: VmAddress, type: string, name: string): string {
    return resourceId(this.config.subscriptionId, at.resourceGroup, type, name);
  }

  /**
   * Deletes a VM, then its NICs and OS disk (data disks are left alone: they may hold what the user wants to
   * keep). Each step waits for its operation; what is gone already is skipped. When the VM itself is gone and
   * `leftovers` is set, the NIC and disk named after it are deleted — what a create that failed part-way left.
   */
  private async remove(at: VmAddress, leftovers: boolean): Promise<void> {
    const what = `delete VM ${at.name}`;
    const poll = { updateIntervalInMs: this.config.pollIntervalMs };
    const vm = await this.getVm(at, what);
    let nicIds: string[] = [];
    let diskId: string | null = null;
    if (vm) {
      nicIds = (vm.networkProfile?.networkInterfaces ?? []).map((n) => n.id ?? '').filter((id) => id !== '');
      const osDisk = vm.storageProfile?.osDisk;
      diskId = osDisk?.managedDisk?.id ?? (osDisk?.name ? this.resourceIdOf(at, DISK_TYPE, osDisk.name) : null);
      await this.ignoringNotFound(what, () => this.clients.compute.virtualMachines.delete(at.resourceGroup, at.name, poll));
    } else if (leftovers) {
      nicIds = [this.resourceIdOf(at, NIC_TYPE, nicNameFor(at.name))];
      diskId = this.resourceIdOf(at, DISK_TYPE, osDiskNameFor(at.name));
    }
    for (const nic of nicIds.map(parseResourceId)) {
      if (nic) await this.ignoringNotFound(`${what}: delete its NIC ${nic.name}`, () => this.clients.network.networkInterfaces.beginDeleteAndWait(nic.resourceGroup, nic.name, poll));
    }
    const disk = diskId ? parseResourceId(diskId) : null;
    if (disk) await this.ignoringNotFound(`${what}: delete its OS disk ${disk.name}`, () => this.clients.compute.disks.delete(disk.resourceGroup, disk.name, poll));
  }

  private async ignoringNotFound(what: string, run: () => PromiseLike<unknown>): Promise<void> {
    try {
      await this.call(what, run);
    } catch (e) {
      if (!(e instanceof ProviderError && e.errorClass === 'NotFound')) throw e;
    }
  }

  /** Runs one SDK call (a poller is awaited to completion) and classifies what it throws. */
  private async call<T>(what: string, run: () => PromiseLike<T>): Promise<T> {
    try {
      return await run();
    } catch (e) {
      throw classifyAzureError(e, { provider: this.name, action: what });
    }
  }

  private scope(): ObservationScope {
    return { provider: this.name, config: this.config };
  }

  private error(cls: ErrorClass, code: string, message: string): ProviderError {
    return new ProviderError(cls, `azure provider '${this.name}' ${message}`, this.name, code);
  }
}

function describeRef(ref: InstanceRef): string {
  return ref.externalId ? `id ${ref.externalId}` : ref.token ? `create token ${ref.token}` : '(no id or token)';
}
