import { memoryMiB, type LibvirtConfig, type LibvirtFlavorConfig } from './config.js';
import type { DomainSnapshot, HostResources } from './host-inventory.js';
import { isActive } from './observed.js';

/**
 * Room on a host, in what Tessera sells: vCPUs and memory. What is sellable is the host's size (`nodeinfo`) times
 * the overcommit ratios; what is taken is every Tessera domain in any state (a stopped instance keeps its claim,
 * so starting it again never fails for room) and every foreign domain that is running (Tessera does not plan
 * other people's stopped domains, but it does not pretend their running ones are not there).
 */
export interface HostRoom {
  host: string;
  sellableVcpus: number;
  sellableMemoryMiB: number;
  freeVcpus: number;
  freeMemoryMiB: number;
  /** Unused right now (`freecell`): a domain to be started must fit in it, whatever the overcommit allows. */
  unusedMemoryMiB: number;
}

export function roomOn(host: string, resources: HostResources, domains: DomainSnapshot[], overcommit: LibvirtConfig['overcommit']): HostRoom {
  let vcpus = 0;
  let memory = 0;
  for (const d of domains) {
    if (d.facts.tessera === null && !isActive(d.state)) continue;
    vcpus += d.facts.vcpus;
    memory += d.facts.memoryMiB;
  }
  const sellableVcpus = Math.floor(resources.cpus * overcommit.cpu);
  const sellableMemoryMiB = Math.floor(resources.memoryMiB * overcommit.memory);
  return {
    host,
    sellableVcpus,
    sellableMemoryMiB,
    freeVcpus: Math.max(0, sellableVcpus - vcpus),
    freeMemoryMiB: Math.max(0, sellableMemoryMiB - memory),
    unusedMemoryMiB: resources.freeMemoryMiB,
  };
}

/** How many more domains of this flavor fit. */
export function howManyFit(room: HostRoom, flavor: LibvirtFlavorConfig): number {
  const mem = memoryMiB(flavor.memoryGiB);
  return Math.max(0, Math.min(Math.floor(room.freeVcpus / flavor.vcpus), Math.floor(room.freeMemoryMiB / mem), Math.floor(room.unusedMemoryMiB / mem)));
}

/** Why a flavor does not fit, for the Capacity error; null when it does. */
export function whyNoRoom(room: HostRoom, flavor: LibvirtFlavorConfig): string | null {
  const mem = memoryMiB(flavor.memoryGiB);
  if (flavor.vcpus > room.freeVcpus) {
    return `host '${room.host}' has ${room.freeVcpus} of ${room.sellableVcpus} sellable vCPUs free and flavor '${flavor.name}' needs ${flavor.vcpus}`;
  }
  if (mem > room.freeMemoryMiB) {
    return `host '${room.host}' has ${room.freeMemoryMiB} of ${room.sellableMemoryMiB} MiB sellable memory free and flavor '${flavor.name}' needs ${mem} MiB`;
  }
  if (mem > room.unusedMemoryMiB) {
    return `host '${room.host}' has only ${room.unusedMemoryMiB} MiB of memory unused right now and flavor '${flavor.name}' needs ${mem} MiB`;
  }
  return null;
}
