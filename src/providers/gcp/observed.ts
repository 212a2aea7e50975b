import type { protos } from '@google-cloud/compute';
import type { ObservedInstance, ObservedState } from '../driver.js';
import { IMAGE_METADATA_KEY } from './instance-body.js';
import { decodeLabels } from './labels.js';
import { externalIdOf, lastSegment, regionOfZone } from './names.js';

type Instance = protos.google.cloud.compute.v1.IInstance;

/**
 * A GCE instance status, normalised. GCE reports a stopped VM as TERMINATED (not a deleted one: a deleted VM is
 * simply gone), and a suspended one as SUSPENDED; both are `stopped`, which power on undoes.
 */
const STATES: Record<string, ObservedState> = {
  PROVISIONING: 'pending',
  STAGING: 'pending',
  RUNNING: 'running',
  REPAIRING: 'pending',
  STOPPING: 'stopping',
  SUSPENDING: 'stopping',
  STOPPED: 'stopped',
  SUSPENDED: 'stopped',
  TERMINATED: 'stopped',
};

export function observedState(status: string | null | undefined): ObservedState {
  // A status newer than this mapping is reported as pending: it is changing.
  return STATES[status ?? ''] ?? 'pending';
}

/** How a GCE instance looks to Tessera; one made outside Tessera reports null id and token. */
export function toObserved(instance: Instance): ObservedInstance {
  const zone = lastSegment(instance.zone ?? '');
  const name = instance.name ?? String(instance.id ?? '');
  const metadata = new Map((instance.metadata?.items ?? []).map((i) => [i.key ?? '', i.value ?? '']));
  const { tesseraId, token, labels } = decodeLabels({ ...(instance.labels ?? {}) }, metadata);
  const scheduling = instance.scheduling;
  return {
    externalId: externalIdOf(zone, name),
    token,
    tesseraId,
    name,
    region: regionOfZone(zone),
    zone,
    flavor: lastSegment(instance.machineType ?? ''),
    image: metadata.get(IMAGE_METADATA_KEY) ?? imageFromLicense(instance) ?? 'unknown',
    market: scheduling?.provisioningModel === 'SPOT' || scheduling?.preemptible === true ? 'spot' : 'on-demand',
    kind: 'vm',
    state: observedState(instance.status),
    addresses: addressesOf(instance),
    labels,
    createdAt: instance.creationTimestamp ? new Date(instance.creationTimestamp).toISOString() : new Date(0).toISOString(),
  };
}

function addressesOf(instance: Instance): ObservedInstance['addresses'] {
  const out: ObservedInstance['addresses'] = [];
  for (const nic of instance.networkInterfaces ?? []) {
    if (nic.networkIP) out.push({ type: 'private', address: nic.networkIP });
    if (nic.ipv6Address) out.push({ type: 'private', address: nic.ipv6Address });
    for (const ac of nic.accessConfigs ?? []) if (ac.natIP) out.push({ type: 'public', address: ac.natIP });
    for (const ac of nic.ipv6AccessConfigs ?? []) if (ac.externalIpv6) out.push({ type: 'public', address: ac.externalIpv6 });
  }
  return out;
}

/** For a VM made outside Tessera: the boot disk's OS license (`…/licenses/debian-12-bookworm`) says what it runs. */
function imageFromLicense(instance: Instance): string | null {
  const boot = instance.disks?.find((d) => d.boot) ?? instance.disks?.[0];
  const license = boot?.licenses?.[0];
  return license ? lastSegment(license) : null;
}
