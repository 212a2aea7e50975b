import { randomUUID } from 'node:crypto';
import { ArmError, invalidParameter, notFound } from './arm-error.js';
import { asObject, bodyObject, requireLinked, type ArmAnswer, type ArmRequest } from './arm-request.js';
import type { AsyncOperation } from './operations.js';
import { pageOf } from './paging.js';
import { key, type DiskRecord, type PowerState, type VmRecord } from './resources.js';
import type { SkuConfig } from './skus.js';
import type { ArmWorld } from './world.js';

/**
 * The Microsoft.Compute resource provider of the double: virtual machines (create-or-update, get with
 * `$expand=instanceView`, instanceView, list with nextLink, delete, and the start / powerOff / restart /
 * deallocate actions, all long-running), managed disks (get, delete) and the operation status resources. A VM
 * moves through ARM's provisioning states (Creating → Succeeded | Failed, Deleting) and power states
 * (starting → running → stopping → stopped, deallocating → deallocated) on timers, so clients see what they
 * would see on Azure: an accepted request, then a change.
 */

export const VM_TYPE = 'Microsoft.Compute/virtualMachines';
export const DISK_TYPE = 'Microsoft.Compute/disks';
const FORBIDDEN_TAG_CHARACTERS = /[<>%&\\?/]/;
/** Azure's limit on customData once base64-encoded (64 KiB of text). */
const MAX_CUSTOM_DATA = 87_380;

export interface ImageCatalog {
  /** Marketplace images as `publisher:offer:sku` (any version; case-insensitive). */
  platform: string[];
  /** Custom and gallery image ids. */
  custom: string[];
}

type VmAction = 'start' | 'powerOff' | 'restart' | 'deallocate';
const VM_ACTIONS: Record<string, VmAction> = { start: 'start', poweroff: 'powerOff', restart: 'restart', deallocate: 'deallocate' };

/** What a create decided, before the VM exists. */
interface CreatePlan {
  location: string;
  zone: string | null;
  sku: SkuConfig;
  nicIds: { id: string; deleteWithVm: boolean }[];
  osDisk: { name: string; storageAccountType: string; deleteWithVm: boolean };
}

export class ComputeProvider {
  constructor(
    private readonly world: ArmWorld,
    private readonly images: ImageCatalog,
  ) {}

  // ---- Virtual machines ----

  listVms(req: ArmRequest): ArmAnswer {
    const rg = req.resourceGroup?.toLowerCase();
    const vms = [...this.world.vms.values()].filter((vm) => rg === undefined || vm.resourceGroup.toLowerCase() === rg).sort((a, b) => a.name.localeCompare(b.name));
    const page = pageOf(vms, req.url, this.world.baseUrl, this.world.pageSize);
    return { status: 200, body: { value: page.value.map((vm) => this.renderVm(vm, false)), ...(page.nextLink ? { nextLink: page.nextLink } : {}) } };
  }

  getVm(req: ArmRequest): ArmAnswer {
    const vm = this.vm(req);
    const expand = req.url.searchParams.get('$expand');
    return { status: 200, body: this.renderVm(vm, expand?.toLowerCase() === 'instanceview') };
  }

  instanceView(req: ArmRequest): ArmAnswer {
    return { status: 200, body: this.renderInstanceView(this.vm(req)) };
  }

  putVm(req: ArmRequest): ArmAnswer {
    const body = bodyObject(req);
    const rg = req.resourceGroup!;
    const id = this.world.resourceId(rg, VM_TYPE, req.name!);
    const existing = this.world.vms.get(key(id));
    if (existing && existing.provisioningState === 'Deleting') {
      throw new ArmError(409, 'OperationNotAllowed', `The operation 'Create or update' is not allowed on VM '${existing.name}' since the VM is marked for deletion. You can only retry the Delete operation (or wait for an ongoing one to complete).`);
    }
    if (existing && existing.provisioningState !== 'Failed') return this.updateVm(existing, body, req);

    const plan = this.planCreate(req, id, body);
    const faults = this.world.faults;
    const injected = faults.takeCreateFailure();
    if (injected?.via === 'sync') throw new ArmError(injected.status ?? 400, injected.code, injected.message);

    const props = asObject(body.properties);
    const vm: VmRecord = existing ?? {
      id,
      name: req.name!,
      resourceGroup: rg,
      location: plan.location,
      tags: {},
      properties: {},
      provisioningState: 'Creating',
      powerState: null,
      vmId: randomUUID(),
      timeCreated: new Date().toISOString(),
    };
    vm.location = plan.location;
    vm.zones = plan.zone ? [plan.zone] : undefined;
    vm.tags = { ...(asObject(body.tags) as Record<string, string>) };
    vm.properties = structuredClone(props);
    vm.provisioningState = 'Creating';
    vm.powerState = null;
    delete vm.failure;
    this.world.vms.set(key(id), vm);
    this.attach(vm, plan);

    // The outcome is known now (the fault state at the time of the request) but shows only at the end.
    const failure =
      injected?.via === 'operation'
        ? { code: injected.code, message: injected.message }
        : faults.capacityHits(plan.location, plan.zone)
          ? allocationFailure(plan.zone)
          : null;
    const op = this.world.operations.start('Microsoft.Compute', plan.location);
    this.finishLater(vm, op, this.world.transitionMs, () => {
      if (failure) {
        vm.provisioningState = 'Failed';
        vm.failure = failure;
        this.world.operations.fail(op, failure.code, failure.message);
      } else {
        vm.provisioningState = 'Succeeded';
        vm.powerState = 'running';
        this.world.operations.succeed(op);
      }
    });
    return {
      status: existing ? 200 : 201,
      body: this.renderVm(vm, false),
      headers: { 'azure-asyncoperation': this.opHeaders(op, req)['azure-asyncoperation']! },
      dropConnection: faults.takeDropCreate(),
    };
  }

  deleteVm(req: ArmRequest): ArmAnswer {
    const id = this.world.resourceId(req.resourceGroup!, VM_TYPE, req.name!);
    const vm = this.world.vms.get(key(id));
    if (!vm) return { status: 204 };
    if (vm.pending) {
      this.world.cancel(vm.pending.timer);
      if (vm.pending.op.status === 'InProgress') {
        vm.pending.op.status = 'Canceled';
        vm.pending.op.endTime = new Date().toISOString();
      }
      delete vm.pending;
    }
    vm.provisioningState = 'Deleting';
    if (vm.powerState === 'running' || vm.powerState === 'starting') vm.powerState = 'stopping';
    const op = this.world.operations.start('Microsoft.Compute', vm.location);
    this.finishLater(vm, op, this.world.transitionMs, () => {
      this.world.vms.delete(key(vm.id));
      this.releaseDependents(vm);
      this.world.operations.succeed(op);
    });
    return { status: 202, headers: this.opHeaders(op, req) };
  }

  vmAction(req: ArmRequest): ArmAnswer {
    const vm = this.vm(req);
    const action = VM_ACTIONS[(req.subPath ?? '').toLowerCase()]!;
    if (vm.provisioningState === 'Deleting') {
      throw new ArmError(409, 'OperationNotAllowed', `Operation '${action}' is not allowed on VM '${vm.name}' since the VM is marked for deletion. You can only retry the Delete operation (or wait for an ongoing one to complete).`);
    }
    if (vm.pending) {
      throw new ArmError(409, 'OperationNotAllowed', `Operation '${action}' is not allowed on VM '${vm.name}' since another operation is in progress on it. Retry after it completes.`);
    }
    if (action === 'restart' && vm.powerState !== 'running') {
      throw new ArmError(409, 'OperationNotAllowed', `Cannot restart VM '${vm.name}' since it is not running (power state: ${vm.powerState ?? 'unknown'}). Start it instead.`);
    }
    const [during, after]: [PowerState, PowerState] =
      action === 'start' || action === 'restart' ? ['starting', 'running'] : action === 'powerOff' ? ['stopping', 'stopped'] : ['deallocating', 'deallocated'];
    const allocating = action === 'start' && vm.powerState === 'deallocated';
    const failure = allocating && this.world.faults.capacityHits(vm.location, vm.zones?.[0] ?? null) ? allocationFailure(vm.zones?.[0] ?? null) : null;
    const before = vm.powerState;
    const op = this.world.operations.start('Microsoft.Compute', vm.location);
    vm.powerState = during;
    this.finishLater(vm, op, this.world.transitionMs, () => {
      if (failure) {
        vm.powerState = before;
        this.world.operations.fail(op, failure.code, failure.message);
      } else {
        vm.powerState = after;
        this.world.operations.succeed(op);
      }
    });
    return { status: 202, headers: this.opHeaders(op, req) };
  }

  // ---- Disks ----

  getDisk(req: ArmRequest): ArmAnswer {
    const disk = this.world.disks.get(key(this.world.resourceId(req.resourceGroup!, DISK_TYPE, req.name!)));
    if (!disk) throw notFound(DISK_TYPE, req.name!, req.resourceGroup!);
    return { status: 200, body: renderDisk(disk) };
  }

  deleteDisk(req: ArmRequest): ArmAnswer {
    const disk = this.world.disks.get(key(this.world.resourceId(req.resourceGroup!, DISK_TYPE, req.name!)));
    if (!disk) return { status: 204 };
    if (disk.managedBy && this.world.vms.has(key(disk.managedBy))) {
      throw new ArmError(409, 'OperationNotAllowed', `Disk ${disk.name} is attached to VM ${disk.managedBy}.`);
    }
    const op = this.world.operations.start('Microsoft.Compute', disk.location);
    this.world.after(this.world.quickMs, () => {
      this.world.disks.delete(key(disk.id));
      this.world.operations.succeed(op);
    });
    return { status: 202, headers: this.opHeaders(op, req) };
  }

  // ---- Create ----

  /** Every check Azure makes before accepting a VM create, in the order it answers them. */
  private planCreate(req: ArmRequest, id: string, body: Record<string, unknown>): CreatePlan {
    const skus = this.world.skus;
    const location = typeof body.location === 'string' ? body.location.toLowerCase() : '';
    if (!location) throw new ArmError(400, 'LocationRequired', 'The location property is required for this definition.');
    if (!skus.locations().includes(location)) {
      throw new ArmError(
        400,
        'LocationNotAvailableForResourceType',
        `The provided location '${location}' is not available for resource type '${VM_TYPE}'. List of available regions for the resource type is '${skus.locations().join(',')}'.`,
      );
    }
    const props = asObject(body.properties);
    checkTags(body.tags);

    const vmSize = asObject(props.hardwareProfile).vmSize;
    const sku = typeof vmSize === 'string' ? skus.find(vmSize) : undefined;
    const zonesHere = sku ? skus.zonesOf(sku, location) : null;
    if (!sku || zonesHere === null) {
      throw invalidParameter(`The requested VM size '${String(vmSize)}' is not available in the current region '${location}'. Read more about VM sizes at https://aka.ms/azure-regionservices`, 'vmSize');
    }
    const zones = Array.isArray(body.zones) ? (body.zones as unknown[]).map(String) : [];
    if (zones.length > 1) throw invalidParameter('A virtual machine can be placed in one availability zone only.', 'zones');
    const zone = zones[0] ?? null;
    if (zone !== null && !zonesHere.includes(zone)) {
      throw invalidParameter(`The zone(s) '${zone}' for resource '${id}' is not supported. The supported zones for location '${location}' are '${zonesHere.join(',')}'`, 'zones');
    }
    const faults = this.world.faults;
    if (skus.restricted(sku, location, zone) || (faults.capacityAnswer === 'SkuNotAvailable' && faults.capacityHits(location, zone))) {
      throw new ArmError(
        409,
        'SkuNotAvailable',
        `The requested VM size for resource 'Following SKUs have failed for Capacity Restrictions: ${sku.name}' is currently not available in location '${location}'${zone ? ` zones '${zone}'` : ''}. Please try another size or deploy to a different location or zones. See https://aka.ms/azureskunotavailable for details.`,
      );
    }

    const storage = asObject(props.storageProfile);
    this.checkImage(req, asObject(storage.imageReference), location);
    const osDisk = asObject(storage.osDisk);
    if (String(osDisk.createOption ?? '').toLowerCase() !== 'fromimage') throw invalidParameter("Only osDisk.createOption 'FromImage' is supported by this double.", 'osDisk.createOption');
    checkOsProfile(asObject(props.osProfile));

    const nicIds = this.checkNics(req, asObject(props.networkProfile), location, id);
    checkPriority(props, sku);

    if (faults.quotaOn || this.overQuota(location, sku.vcpus)) {
      const limit = this.world.vcpuQuota[location] ?? 10;
      const usage = this.vcpusIn(location);
      throw new ArmError(
        409,
        'OperationNotAllowed',
        `Operation could not be completed as it results in exceeding approved Total Regional Cores quota. Additional details - Deployment Model: Resource Manager, Location: ${location}, Current Limit: ${limit}, Current Usage: ${usage}, Additional Required: ${sku.vcpus}, (Minimum) New Limit Required: ${usage + sku.vcpus}. Submit a request for Quota increase at https://aka.ms/ProdportalCRP/#blade/Microsoft_Azure_Capacity/UsageAndQuota.ReactView by specifying parameters listed in the 'Details' section for deployment to succeed.`,
      );
    }
    const managed = asObject(osDisk.managedDisk);
    return {
      location,
      zone,
      sku,
      nicIds,
      osDisk: {
        name: typeof osDisk.name === 'string' ? osDisk.name : `${String(body.name ?? id.split('/').pop())}_OsDisk_1_${randomUUID().replace(/-/g, '')}`,
        storageAccountType: typeof managed.storageAccountType === 'string' ? managed.storageAccountType : 'Premium_LRS',
        deleteWithVm: String(osDisk.deleteOption ?? 'Detach').toLowerCase() === 'delete',
      },
    };
  }

  private checkImage(req: ArmRequest, ref: Record<string, unknown>, location: string): void {
    if (typeof ref.id === 'string') {
      const linked = /\/galleries\//i.test(ref.id) ? 'Microsoft.Compute/galleries/images/versions/read' : 'Microsoft.Compute/images/read';
      requireLinked(req, linked, ref.id);
      if (!this.images.custom.some((i) => i.toLowerCase() === (ref.id as string).toLowerCase())) {
        throw new ArmError(404, 'ImageNotFound', `The Image '${ref.id}' cannot be found in '${location}' region.`);
      }
      return;
    }
    const urn = [ref.publisher, ref.offer, ref.sku].map((p) => String(p ?? '')).join(':');
    if (!this.images.platform.some((p) => p.toLowerCase() === urn.toLowerCase())) {
      throw new ArmError(404, 'PlatformImageNotFound', `The platform image '${urn}:${String(ref.version ?? 'latest')}' is not available. Verify that all fields in the storage profile are correct. For more details about storage profile information, please refer to https://aka.ms/storageprofile`);
    }
  }

  private checkNics(req: ArmRequest, network: Record<string, unknown>, location: string, vmId: string): { id: string; deleteWithVm: boolean }[] {
    const refs = Array.isArray(network.networkInterfaces) ? (network.networkInterfaces as unknown[]).map(asObject) : [];
    if (refs.length === 0) throw invalidParameter('Required parameter \'networkProfile\' is missing (null): a VM needs at least one network interface.', 'networkProfile');
    return refs.map((ref) => {
      const id = String(ref.id ?? '');
      requireLinked(req, 'Microsoft.Network/networkInterfaces/join/action', id);
      const nic = this.world.nics.get(key(id));
      if (!nic) throw new ArmError(400, 'InvalidResourceReference', `Resource ${id} referenced by resource ${vmId} was not found. Please make sure that the referenced resource exists, and that both resources are in the same region.`);
      if (nic.location !== location) throw invalidParameter(`The network interface ${id} is in location '${nic.location}', not in the VM's location '${location}'.`, 'networkInterfaces');
      if (nic.virtualMachineId && key(nic.virtualMachineId) !== key(vmId) && this.world.vms.has(key(nic.virtualMachineId))) {
        throw new ArmError(400, 'NicInUse', `Network Interface ${id} is used by existing resource ${nic.virtualMachineId}. In order to use it for another VM, it must be dissociated from the resource.`);
      }
      return { id: nic.id, deleteWithVm: String(asObject(ref.properties).deleteOption ?? 'Detach').toLowerCase() === 'delete' };
    });
  }

  private vcpusIn(location: string): number {
    let used = 0;
    for (const vm of this.world.vms.values()) {
      if (vm.location !== location || vm.provisioningState === 'Failed' || vm.powerState === 'deallocated') continue;
      used += this.world.skus.find(String(asObject(vm.properties.hardwareProfile).vmSize))?.vcpus ?? 0;
    }
    return used;
  }

  private overQuota(location: string, vcpus: number): boolean {
    const limit = this.world.vcpuQuota[location];
    return limit !== undefined && this.vcpusIn(location) + vcpus > limit;
  }

  /** Makes the OS disk and claims the NICs, as Azure does when it accepts the create. */
  private attach(vm: VmRecord, plan: CreatePlan): void {
    const diskId = this.world.resourceId(vm.resourceGroup, DISK_TYPE, plan.osDisk.name);
    this.world.disks.set(key(diskId), {
      id: diskId,
      name: plan.osDisk.name,
      resourceGroup: vm.resourceGroup,
      location: vm.location,
      zones: vm.zones,
      storageAccountType: plan.osDisk.storageAccountType,
      sizeGiB: 30,
      managedBy: vm.id,
      timeCreated: new Date().toISOString(),
    });
    for (const ref of plan.nicIds) this.world.nics.get(key(ref.id))!.virtualMachineId = vm.id;
  }

  /** A PUT on an existing VM: tags and size may change; an operation still under way is the answer's operation. */
  private updateVm(vm: VmRecord, body: Record<string, unknown>, req: ArmRequest): ArmAnswer {
    checkTags(body.tags);
    if (vm.pending) return { status: 200, body: this.renderVm(vm, false), headers: { 'azure-asyncoperation': this.opHeaders(vm.pending.op, req)['azure-asyncoperation']! } };
    vm.tags = { ...(asObject(body.tags) as Record<string, string>) };
    const size = asObject(asObject(body.properties).hardwareProfile).vmSize;
    if (typeof size === 'string') asObject(vm.properties.hardwareProfile).vmSize = size;
    vm.provisioningState = 'Updating';
    const op = this.world.operations.start('Microsoft.Compute', vm.location);
    this.finishLater(vm, op, this.world.quickMs, () => {
      vm.provisioningState = 'Succeeded';
      this.world.operations.succeed(op);
    });
    return { status: 200, body: this.renderVm(vm, false), headers: { 'azure-asyncoperation': this.opHeaders(op, req)['azure-asyncoperation']! } };
  }

  /** After a VM is deleted: its NICs and OS disk are deleted with it (deleteOption Delete) or set free. */
  private releaseDependents(vm: VmRecord): void {
    const network = asObject(vm.properties.networkProfile);
    for (const ref of (Array.isArray(network.networkInterfaces) ? network.networkInterfaces : []).map(asObject)) {
      const nic = this.world.nics.get(key(String(ref.id)));
      if (!nic) continue;
      if (String(asObject(ref.properties).deleteOption ?? '').toLowerCase() === 'delete') this.world.nics.delete(key(nic.id));
      else nic.virtualMachineId = null;
    }
    const osDisk = asObject(asObject(vm.properties.storageProfile).osDisk);
    for (const disk of this.world.disks.values()) {
      if (disk.managedBy === null || key(disk.managedBy) !== key(vm.id)) continue;
      if (String(osDisk.deleteOption ?? '').toLowerCase() === 'delete') this.world.disks.delete(key(disk.id));
      else disk.managedBy = null;
    }
  }

  // ---- Helpers ----

  private vm(req: ArmRequest): VmRecord {
    const vm = this.world.vms.get(key(this.world.resourceId(req.resourceGroup!, VM_TYPE, req.name!)));
    if (!vm) throw notFound(VM_TYPE, req.name!, req.resourceGroup!);
    return vm;
  }

  private finishLater(vm: VmRecord, op: AsyncOperation, ms: number, finish: () => void): void {
    const timer = this.world.after(ms, () => {
      delete vm.pending;
      finish();
    });
    vm.pending = { op, timer };
  }

  private opHeaders(op: AsyncOperation, req: ArmRequest): Record<string, string> {
    return this.world.operations.headers(op, this.world.baseUrl, this.world.subscriptionId, req.apiVersion);
  }

  private renderVm(vm: VmRecord, withInstanceView: boolean): Record<string, unknown> {
    const props = structuredClone(vm.properties);
    const osProfile = asObject(props.osProfile);
    // Azure never returns customData or a password.
    delete osProfile.customData;
    delete osProfile.adminPassword;
    const storage = asObject(props.storageProfile);
    const osDisk = asObject(storage.osDisk);
    const disk = [...this.world.disks.values()].find((d) => d.managedBy !== null && key(d.managedBy) === key(vm.id));
    if (disk) {
      osDisk.name = disk.name;
      osDisk.managedDisk = { ...asObject(osDisk.managedDisk), id: disk.id };
    }
    return {
      name: vm.name,
      id: vm.id,
      type: VM_TYPE,
      location: vm.location,
      ...(vm.zones ? { zones: vm.zones } : {}),
      tags: vm.tags,
      properties: {
        ...props,
        osProfile,
        storageProfile: { ...storage, osDisk: { osType: 'Linux', diskSizeGB: 30, ...osDisk } },
        vmId: vm.vmId,
        provisioningState: vm.provisioningState,
        timeCreated: vm.timeCreated,
        ...(withInstanceView ? { instanceView: this.renderInstanceView(vm) } : {}),
      },
    };
  }

  private renderInstanceView(vm: VmRecord): Record<string, unknown> {
    const now = new Date().toISOString();
    const provisioning = vm.failure
      ? { code: `ProvisioningState/failed/${vm.failure.code}`, level: 'Error', displayStatus: 'Provisioning failed', message: vm.failure.message, time: now }
      : { code: `ProvisioningState/${vm.provisioningState.toLowerCase()}`, level: 'Info', displayStatus: `Provisioning ${vm.provisioningState === 'Succeeded' ? 'succeeded' : 'in progress'}`, time: now };
    const statuses: Record<string, unknown>[] = [provisioning];
    if (vm.powerState) statuses.push({ code: `PowerState/${vm.powerState}`, level: 'Info', displayStatus: `VM ${vm.powerState}` });
    return { computerName: asObject(vm.properties.osProfile).computerName, osName: 'ubuntu', statuses };
  }
}

function allocationFailure(zone: string | null): { code: string; message: string } {
  return zone
    ? { code: 'ZonalAllocationFailed', message: 'Allocation failed. We do not have sufficient capacity for the requested VM size in this zone. Read more about improving likelihood of allocation success at http://aka.ms/allocation-guidance' }
    : { code: 'AllocationFailed', message: 'Allocation failed. We do not have sufficient capacity for the requested VM size in this region. Read more about improving likelihood of allocation success at http://aka.ms/allocation-guidance' };
}

function checkTags(tags: unknown): void {
  const names = Object.keys(asObject(tags));
  const bad = names.filter((n) => FORBIDDEN_TAG_CHARACTERS.test(n));
  if (bad.length > 0) {
    throw new ArmError(400, 'InvalidTagNameCharacters', `The tag names '${bad.join(',')}' have reserved characters '<,>,%,&,\\,?,/' or control characters.`);
  }
  if (names.length > 50) throw invalidParameter(`The resource has ${names.length} tags; at most 50 are allowed.`, 'tags');
}

function checkOsProfile(os: Record<string, unknown>): void {
  if (typeof os.adminUsername !== 'string' || os.adminUsername === '') throw invalidParameter("Required parameter 'adminUsername' is missing (null).", 'adminUsername');
  const linux = asObject(os.linuxConfiguration);
  const keys = asObject(linux.ssh).publicKeys;
  if (linux.disablePasswordAuthentication === true && (!Array.isArray(keys) || keys.length === 0)) {
    throw invalidParameter('Required parameter \'linuxConfiguration.ssh.publicKeys\' is missing: password authentication is disabled, so an SSH public key is needed.', 'linuxConfiguration');
  }
  if (linux.disablePasswordAuthentication !== true && typeof os.adminPassword !== 'string') throw invalidParameter("Required parameter 'adminPassword' is missing (null).", 'adminPassword');
  if (typeof os.customData === 'string' && os.customData.length > MAX_CUSTOM_DATA) throw invalidParameter(`Custom data in OSProfile must be in Base64 encoding and with a maximum length of ${MAX_CUSTOM_DATA} characters.`, 'customData');
}

function checkPriority(props: Record<string, unknown>, sku: SkuConfig): void {
  const priority = String(props.priority ?? 'Regular').toLowerCase();
  if (priority !== 'spot') {
    if (props.evictionPolicy !== undefined) throw invalidParameter('Eviction policy can be set only on a Spot virtual machine.', 'evictionPolicy');
    return;
  }
  if (sku.spot === false) throw invalidParameter(`The VM size '${sku.name}' cannot be used with Spot priority.`, 'priority');
  if (!['deallocate', 'delete'].includes(String(props.evictionPolicy ?? 'Deallocate').toLowerCase())) throw invalidParameter(`The eviction policy '${String(props.evictionPolicy)}' is not valid.`, 'evictionPolicy');
  const maxPrice = asObject(props.billingProfile).maxPrice;
  if (maxPrice !== undefined && (typeof maxPrice !== 'number' || (maxPrice !== -1 && maxPrice <= 0))) {
    throw invalidParameter(`The value '${String(maxPrice)}' of billingProfile.maxPrice is not valid: give -1 (up to the on-demand price) or a price greater than 0.`, 'billingProfile.maxPrice');
  }
}

function renderDisk(disk: DiskRecord): Record<string, unknown> {
  return {
    name: disk.name,
    id: disk.id,
    type: DISK_TYPE,
    location: disk.location,
    ...(disk.zones ? { zones: disk.zones } : {}),
    ...(disk.managedBy ? { managedBy: disk.managedBy } : {}),
    sku: { name: disk.storageAccountType },
    properties: { osType: 'Linux', diskSizeGB: disk.sizeGiB, diskState: disk.managedBy ? 'Attached' : 'Unattached', provisioningState: 'Succeeded', timeCreated: disk.timeCreated },
  };
}
