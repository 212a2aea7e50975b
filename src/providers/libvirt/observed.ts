import { basename } from 'node:path';
import { TESSERA_ID_LABEL, TESSERA_TOKEN_LABEL, type ObservedInstance, type ObservedState } from '../driver.js';
import { memoryMiB, type LibvirtFlavorConfig, type LibvirtImageConfig } from './config.js';
import type { DomainFacts } from './domain-facts.js';
import type { DomainSnapshot } from './host-inventory.js';

/**
 * How a domain looks to Tessera. `virsh domstate` → ObservedState:
 *   running, idle (blocked)            → running
 *   paused                             → running (it holds its vCPUs and memory and resumes where it was;
 *                                        Tessera does not resume it by itself), but `paused (starting up)` → pending
 *   in shutdown                        → stopping
 *   shut off, crashed, pmsuspended     → stopped (a power-on starts, restarts or wakes it)
 *   no state                           → pending
 */
export function observedState(state: string, reason: string | null): ObservedState {
  switch (state) {
    case 'running':
    case 'idle':
    case 'blocked':
      return 'running';
    case 'paused':
      return reason === 'starting up' ? 'pending' : 'running';
    case 'in shutdown':
      return 'stopping';
    case 'shut off':
    case 'crashed':
    case 'pmsuspended':
      return 'stopped';
    default:
      return 'pending';
  }
}

/** Holds vCPUs and memory on the host right now (a stopped or crashed domain holds neither). */
export function isActive(state: string): boolean {
  return state !== 'shut off' && state !== 'crashed';
}

/** `custom-2x4`, `custom-1x0.25`: a shape no configured flavor has, named by its vCPUs and GiB. */
export function customFlavorName(vcpus: number, memMiB: number): string {
  const gib = Math.round((memMiB / 1024) * 1000) / 1000;
  return `custom-${vcpus}x${gib}`;
}

export interface ObservedContext {
  region: string;
  flavors: LibvirtFlavorConfig[];
  images: LibvirtImageConfig[];
}

/**
 * A Tessera domain reports the flavor it was made with while its shape still matches it; resized outside Tessera
 * (`virsh setvcpus`, `setmaxmem`), it reports its new shape, which the controller sees as drift. A foreign domain
 * reports the first configured flavor of its shape, or a `custom-…` name.
 */
function flavorOf(facts: DomainFacts, flavors: LibvirtFlavorConfig[]): string {
  const sameShape = (f: LibvirtFlavorConfig) => f.vcpus === facts.vcpus && memoryMiB(f.memoryGiB) === facts.memoryMiB;
  if (facts.tessera) {
    const made = flavors.find((f) => f.name === facts.tessera!.flavor);
    // A flavor removed from the config since cannot be compared: trust what was recorded.
    if (!made || sameShape(made)) return facts.tessera.flavor;
  }
  return flavors.find(sameShape)?.name ?? customFlavorName(facts.vcpus, facts.memoryMiB);
}

/**
 * A foreign domain's image: the configured image its first disk is, else that disk's file (or volume) name. Read
 * only from what libvirt shows in every state — the backing chain appears in `dumpxml` only while a domain runs,
 * and an image that changed with the power state would look like drift to the controller.
 */
function imageOf(facts: DomainFacts, images: LibvirtImageConfig[]): string {
  if (facts.tessera) return facts.tessera.image;
  const disk = facts.disks.find((d) => d.device === 'disk');
  if (!disk) return 'none';
  const known = images.find((i) => (disk.file !== null && i.path === disk.file) || (i.volume !== undefined && i.volume === disk.volume));
  if (known) return known.name;
  const file = disk.file ?? disk.volume;
  return file ? basename(file) : 'unknown';
}

export function toObserved(snapshot: DomainSnapshot, ctx: ObservedContext): ObservedInstance {
  const { facts } = snapshot;
  const t = facts.tessera;
  return {
    externalId: facts.uuid,
    token: t?.token ?? null,
    tesseraId: t?.id ?? null,
    name: t?.name ?? facts.name,
    region: ctx.region,
    zone: snapshot.host,
    flavor: flavorOf(facts, ctx.flavors),
    image: imageOf(facts, ctx.images),
    market: 'on-demand',
    kind: 'vm',
    state: observedState(snapshot.state, snapshot.reason),
    addresses: snapshot.addresses.map((address) => ({ type: 'private' as const, address })),
    labels: t ? { ...t.labels, [TESSERA_ID_LABEL]: t.id, [TESSERA_TOKEN_LABEL]: t.token } : {},
    // libvirt does not record when a domain was defined; a foreign domain gets the epoch rather than a made-up date.
    createdAt: t?.created ?? new Date(0).toISOString(),
  };
}
