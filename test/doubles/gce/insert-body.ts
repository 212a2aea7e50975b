import { API_ROOT, canonicalImage, lastSegment, type MachineTypeSpec } from './catalog.js';
import { gceTimestamp, hex, numericId } from './clock.js';
import { badRequest, invalidField, notFound } from './gce-error.js';
import { instanceLink, type GceInstance } from './instances.js';

/** What an insert is checked against: the zone's machine types, the known images and networks. */
export interface InsertContext {
  project: string;
  zone: string;
  region: string;
  machineTypes: Map<string, MachineTypeSpec>;
  /** Canonical image paths (`projects/p/global/images/…`); a `family/` path stands for its newest image. */
  images: Set<string>;
  /** Network names of the project. */
  networks: Set<string>;
  /** `regions/R/subnetworks/S` of the project. */
  subnetworks: Set<string>;
  allocatePrivateIp(): string;
  allocatePublicIp(): string;
}

/** An IAM permission a call needs, on which resource (named in the 403 when it is missing). */
export interface PermissionCheck {
  permission: string;
  resource: string;
}

export interface AcceptedInsert {
  instance: GceInstance;
  machineType: MachineTypeSpec;
  /** Every permission this insert needs beyond `compute.instances.create`, as GCE checks them. */
  permissions: PermissionCheck[];
}

const NAME = /^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
const LABEL_KEY = /^[a-z][a-z0-9_-]{0,62}$/;
const LABEL_VALUE = /^[a-z0-9_-]{0,63}$/;
const METADATA_KEY = /^[a-zA-Z0-9_-]{1,128}$/;
const METADATA_VALUE_MAX = 256 * 1024;
const METADATA_TOTAL_MAX = 512 * 1024;

interface InsertBody {
  name?: unknown;
  description?: unknown;
  machineType?: unknown;
  disks?: { boot?: boolean; autoDelete?: boolean; initializeParams?: { sourceImage?: string; diskSizeGb?: string | number; diskType?: string } }[];
  networkInterfaces?: { network?: string; subnetwork?: string; accessConfigs?: { type?: string; name?: string; networkTier?: string }[] }[];
  labels?: Record<string, unknown>;
  metadata?: { items?: { key?: string; value?: string }[] };
  scheduling?: { provisioningModel?: string; instanceTerminationAction?: string; automaticRestart?: boolean; onHostMaintenance?: string; preemptible?: boolean };
}

/** Validates an `instances.insert` body the way GCE does and builds the instance it would hold. Throws GceError. */
export function acceptInsert(raw: unknown, ctx: InsertContext): AcceptedInsert {
  const body = (raw ?? {}) as InsertBody;
  const name = typeof body.name === 'string' ? body.name : '';
  if (!NAME.test(name)) throw invalidField('resource.name', name, "Must be a match of regex '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'");
  const self = `projects/${ctx.project}/zones/${ctx.zone}/instances/${name}`;
  const permissions: PermissionCheck[] = [];

  const machineTypeRef = typeof body.machineType === 'string' ? body.machineType : '';
  if (!machineTypeRef) throw invalidField('resource.machineType', '', 'Machine type must be specified.');
  const machineType = ctx.machineTypes.get(lastSegment(machineTypeRef));
  if (!machineType || !new RegExp(`(^|/)zones/${ctx.zone}/machineTypes/`).test(machineTypeRef)) {
    throw invalidField('resource.machineType', machineTypeRef, `Machine type with name '${lastSegment(machineTypeRef)}' does not exist in zone '${ctx.zone}'.`);
  }

  const disks = body.disks ?? [];
  const boot = disks.find((d) => d.boot);
  if (!boot) throw invalidField('resource.disks', '', 'Boot disk must be specified.');
  const sourceImage = boot.initializeParams?.sourceImage;
  if (!sourceImage) throw invalidField('resource.disks[0].initializeParams.sourceImage', '', 'Source image must be specified.');
  const image = canonicalImage(sourceImage, ctx.project);
  if (!ctx.images.has(image)) throw notFound(image);
  permissions.push({ permission: 'compute.images.useReadOnly', resource: image }, { permission: 'compute.disks.create', resource: `projects/${ctx.project}/zones/${ctx.zone}/disks/${name}` });
  const imageArch = /arm64/.test(image) ? 'ARM64' : 'X86_64';
  if ((machineType.architecture ?? 'X86_64') !== imageArch) {
    throw badRequest(`The selected image '${image}' (${imageArch}) is not compatible with machine type '${machineType.name}' (${machineType.architecture ?? 'X86_64'}).`);
  }
  const diskSizeGb = Number(boot.initializeParams?.diskSizeGb ?? 10);
  if (!Number.isInteger(diskSizeGb) || diskSizeGb < 10) {
    throw invalidField('resource.disks[0].initializeParams.diskSizeGb', String(boot.initializeParams?.diskSizeGb), 'Requested disk size cannot be smaller than the image size (10 GB).');
  }

  const nics = body.networkInterfaces?.length ? body.networkInterfaces : [{ network: 'global/networks/default' }];
  const networkInterfaces: GceInstance['networkInterfaces'] = nics.map((nic, index) => {
    const networkName = lastSegment(nic.network ?? 'default');
    if (!ctx.networks.has(networkName)) throw notFound(`projects/${ctx.project}/global/networks/${networkName}`);
    const subnetworkPath = nic.subnetwork ? nic.subnetwork.replace(/^.*?(regions\/)/, '$1') : `regions/${ctx.region}/subnetworks/default`;
    if (!ctx.subnetworks.has(subnetworkPath)) throw notFound(`projects/${ctx.project}/${subnetworkPath}`);
    if (!subnetworkPath.startsWith(`regions/${ctx.region}/`)) {
      throw invalidField(`resource.networkInterfaces[${index}].subnetwork`, nic.subnetwork ?? '', `Subnetwork must be in region '${ctx.region}', the region of zone '${ctx.zone}'.`);
    }
    const subnetwork = `projects/${ctx.project}/${subnetworkPath}`;
    permissions.push({ permission: 'compute.subnetworks.use', resource: subnetwork });
    const external = (nic.accessConfigs ?? []).filter((a) => (a.type ?? 'ONE_TO_ONE_NAT') === 'ONE_TO_ONE_NAT');
    if (external.length > 0) permissions.push({ permission: 'compute.subnetworks.useExternalIp', resource: subnetwork });
    return {
      kind: 'compute#networkInterface' as const,
      name: `nic${index}`,
      network: `${API_ROOT}/projects/${ctx.project}/global/networks/${networkName}`,
      subnetwork: `${API_ROOT}/${subnetwork}`,
      networkIP: ctx.allocatePrivateIp(),
      stackType: 'IPV4_ONLY' as const,
      fingerprint: hex(16),
      ...(external.length > 0 && {
        accessConfigs: external.map((a) => ({
          kind: 'compute#accessConfig' as const,
          type: 'ONE_TO_ONE_NAT' as const,
          name: a.name ?? 'External NAT',
          natIP: ctx.allocatePublicIp(),
          networkTier: a.networkTier === 'STANDARD' ? ('STANDARD' as const) : ('PREMIUM' as const),
        })),
      }),
    };
  });

  const labels = checkLabels(body.labels);
  if (labels) permissions.push({ permission: 'compute.instances.setLabels', resource: self });
  const items = checkMetadata(body.metadata?.items);
  if (items.length > 0) permissions.push({ permission: 'compute.instances.setMetadata', resource: self });
  const scheduling = checkScheduling(body.scheduling);

  const now = new Date();
  const instance: GceInstance = {
    kind: 'compute#instance',
    id: numericId(),
    creationTimestamp: gceTimestamp(now),
    name,
    ...(typeof body.description === 'string' && { description: body.description }),
    machineType: `${API_ROOT}/projects/${ctx.project}/zones/${ctx.zone}/machineTypes/${machineType.name}`,
    status: 'PROVISIONING',
    zone: `${API_ROOT}/projects/${ctx.project}/zones/${ctx.zone}`,
    networkInterfaces,
    disks: [
      {
        kind: 'compute#attachedDisk',
        type: 'PERSISTENT',
        mode: 'READ_WRITE',
        source: `${API_ROOT}/projects/${ctx.project}/zones/${ctx.zone}/disks/${name}`,
        deviceName: name,
        index: 0,
        boot: true,
        autoDelete: boot.autoDelete ?? true,
        interface: 'SCSI',
        diskSizeGb: String(diskSizeGb),
        architecture: imageArch,
      },
    ],
    metadata: { kind: 'compute#metadata', fingerprint: hex(16), ...(items.length > 0 && { items }) },
    ...(labels && { labels }),
    labelFingerprint: hex(16),
    scheduling,
    cpuPlatform: 'Unknown CPU Platform',
    deletionProtection: false,
    startRestricted: false,
    fingerprint: hex(16),
    selfLink: instanceLink(ctx.project, ctx.zone, name),
  };
  return { instance, machineType, permissions };
}

function checkLabels(raw: Record<string, unknown> | undefined): Record<string, string> | undefined {
  if (!raw || Object.keys(raw).length === 0) return undefined;
  const entries = Object.entries(raw);
  if (entries.length > 64) throw invalidField('resource.labels', '', 'Resource cannot have more than 64 labels.');
  for (const [k, v] of entries) {
    if (!LABEL_KEY.test(k)) {
      throw invalidField(
        'resource.labels',
        k,
        `Label key '${k}' violates format constraints. The key must start with a lowercase character, can only contain lowercase letters, numeric characters, underscores and dashes. The key can be at most 63 characters long. International characters are allowed.`,
      );
    }
    if (typeof v !== 'string' || !LABEL_VALUE.test(v)) {
      throw invalidField(
        'resource.labels',
        String(v),
        `Label value '${String(v)}' violates format constraints. The value can only contain lowercase letters, numeric characters, underscores and dashes. The value can be at most 63 characters long. International characters are allowed.`,
      );
    }
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

function checkMetadata(raw: { key?: string; value?: string }[] | undefined): { key: string; value: string }[] {
  const items = (raw ?? []).map((i) => ({ key: i.key ?? '', value: i.value ?? '' }));
  let total = 0;
  for (const [i, item] of items.entries()) {
    if (!METADATA_KEY.test(item.key)) throw invalidField(`resource.metadata.items[${i}].key`, item.key, "Must be a match of regex '[a-zA-Z0-9-_]{1,128}'");
    const size = Buffer.byteLength(item.value);
    if (size > METADATA_VALUE_MAX) throw invalidField(`resource.metadata.items[${i}].value`, item.key, 'Value too large (at most 262144 bytes).');
    total += size + item.key.length;
  }
  if (total > METADATA_TOTAL_MAX) throw invalidField('resource.metadata', '', 'Metadata total size exceeds 512 KB.');
  if (new Set(items.map((i) => i.key)).size !== items.length) throw invalidField('resource.metadata', '', 'Metadata has duplicate keys.');
  return items;
}

function checkScheduling(raw: InsertBody['scheduling']): GceInstance['scheduling'] {
  const model = raw?.provisioningModel ?? 'STANDARD';
  if (model !== 'STANDARD' && model !== 'SPOT') throw invalidField('resource.scheduling.provisioningModel', model, "Must be one of 'STANDARD', 'SPOT'.");
  if (model === 'STANDARD') {
    if (raw?.instanceTerminationAction !== undefined) {
      throw invalidField('resource.scheduling.instanceTerminationAction', raw.instanceTerminationAction, 'Instance termination action is only allowed for Spot VMs.');
    }
    return { onHostMaintenance: raw?.onHostMaintenance === 'TERMINATE' ? 'TERMINATE' : 'MIGRATE', automaticRestart: raw?.automaticRestart ?? true, preemptible: false, provisioningModel: 'STANDARD' };
  }
  // Spot VMs cannot live-migrate or restart on their own.
  if (raw?.automaticRestart === true) throw invalidField('resource.scheduling.automaticRestart', 'true', 'Spot VMs cannot have automatic restart.');
  if (raw?.onHostMaintenance === 'MIGRATE') throw invalidField('resource.scheduling.onHostMaintenance', 'MIGRATE', "Spot VMs must have onHostMaintenance set to 'TERMINATE'.");
  const action = raw?.instanceTerminationAction ?? 'STOP';
  if (action !== 'STOP' && action !== 'DELETE') throw invalidField('resource.scheduling.instanceTerminationAction', action, "Must be one of 'STOP', 'DELETE'.");
  return { onHostMaintenance: 'TERMINATE', automaticRestart: false, preemptible: false, provisioningModel: 'SPOT', instanceTerminationAction: action };
}

