import type { Instance, InstanceStateName } from '@aws-sdk/client-ec2';
import { TESSERA_ID_LABEL, TESSERA_TOKEN_LABEL, type ObservedInstance, type ObservedState } from '../driver.js';
import type { ImageCatalog } from './images.js';
import { IMAGE_TAG, nameTag, reportedLabels, tagsOf } from './tags.js';

const STATES: Record<InstanceStateName, ObservedState> = {
  pending: 'pending',
  running: 'running',
  'shutting-down': 'terminating',
  terminated: 'terminated',
  stopping: 'stopping',
  stopped: 'stopped',
};

/** How an EC2 instance looks to Tessera; `region` is the region it was read from (an instance does not say). */
export function toObserved(instance: Instance, region: string, images: ImageCatalog): ObservedInstance {
  const tags = tagsOf(instance.Tags);
  const id = instance.InstanceId ?? '';
  const addresses: ObservedInstance['addresses'] = [];
  if (instance.PrivateIpAddress) addresses.push({ type: 'private', address: instance.PrivateIpAddress });
  if (instance.PublicIpAddress) addresses.push({ type: 'public', address: instance.PublicIpAddress });
  const flavor = instance.InstanceType ?? 'unknown';
  return {
    externalId: id,
    token: tags[TESSERA_TOKEN_LABEL] ?? null,
    tesseraId: tags[TESSERA_ID_LABEL] ?? null,
    name: nameTag(tags) ?? id,
    region,
    zone: instance.Placement?.AvailabilityZone ?? null,
    flavor,
    image: tags[IMAGE_TAG] ?? images.nameOf(instance.ImageId ?? '', region),
    market: instance.InstanceLifecycle === 'spot' ? 'spot' : 'on-demand',
    // `.metal` types give the whole host, without a hypervisor.
    kind: flavor.endsWith('.metal') || /\.metal-/.test(flavor) ? 'baremetal' : 'vm',
    // A state EC2 adds later reads as pending: it is changing.
    state: STATES[instance.State?.Name as InstanceStateName] ?? 'pending',
    addresses,
    labels: reportedLabels(tags),
    createdAt: (instance.LaunchTime ?? new Date(0)).toISOString(),
  };
}

/** Of several instances carrying one token (a relaunch after a terminated one), the live one, else the latest. */
export function preferLive(instances: ObservedInstance[]): ObservedInstance | null {
  const live = instances.filter((i) => i.state !== 'terminated' && i.state !== 'terminating');
  const pool = live.length > 0 ? live : instances;
  return pool.sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0] ?? null;
}
