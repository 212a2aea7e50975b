import type { DockerFlavor } from './flavors.js';
import type { HostFacts } from './host.js';

/**
 * How full a host is, as Tessera counts it: the CPU and memory limits of its running Tessera containers against
 * the host's CPUs and memory times the overcommit factors, and its Tessera containers against `maxContainers`.
 * Docker enforces none of this (a limit is a ceiling per container, not a reservation), so Tessera does; the
 * containers of other tools are not counted, since most carry no limits to count.
 */

export interface HostUsage {
  nanoCpus: number;
  memoryBytes: number;
  /** Tessera containers on the host, in any state but removing or dead. */
  containers: number;
}

export interface HostRoom {
  /** Billionths of a CPU still free under the overcommit factor (may be negative when over-full). */
  freeNanoCpus: number;
  freeMemoryBytes: number;
  /** Containers that may still be made; null: no limit. */
  freeSlots: number | null;
  capacityNanoCpus: number;
  capacityMemoryBytes: number;
}

export function roomOf(facts: HostFacts, usage: HostUsage, overcommit: { cpu: number; memory: number }, maxContainers: number | null): HostRoom {
  const capacityNanoCpus = facts.cpus * 1e9 * overcommit.cpu;
  const capacityMemoryBytes = facts.memoryBytes * overcommit.memory;
  return {
    freeNanoCpus: capacityNanoCpus - usage.nanoCpus,
    freeMemoryBytes: capacityMemoryBytes - usage.memoryBytes,
    freeSlots: maxContainers === null ? null : maxContainers - usage.containers,
    capacityNanoCpus,
    capacityMemoryBytes,
  };
}

/** How many more containers of `flavor` fit; the smallest of what CPU, memory and the quota allow. */
export function fitCount(room: HostRoom, flavor: DockerFlavor): number {
  const byCpu = Math.floor(room.freeNanoCpus / flavor.nanoCpus);
  const byMemory = Math.floor(room.freeMemoryBytes / flavor.memoryBytes);
  const bySlots = room.freeSlots ?? Number.POSITIVE_INFINITY;
  return Math.max(0, Math.min(byCpu, byMemory, bySlots));
}

/** Room for the flavor's CPU and memory (the quota is checked apart: it is a different error). */
export function resourcesFit(room: HostRoom, flavor: DockerFlavor): boolean {
  return flavor.nanoCpus <= room.freeNanoCpus && flavor.memoryBytes <= room.freeMemoryBytes;
}

export interface Reservation {
  host: string;
  token: string;
  flavor: DockerFlavor;
  /** When the create finished (started, or gave up); null while it runs. */
  settledAt: number | null;
}

/** A settled reservation is dropped after this long: any listing sent later sees its container. */
const SETTLED_KEEP_MS = 60_000;

/**
 * Creates in flight in this process, so that concurrent creates on one host cannot all pass the same check.
 * A create's listing and its check-and-reserve run without an await between the check and the reservation, so
 * in this process the check is exact; another Tessera process sharing a host can still overshoot by the
 * creates both run at the same moment.
 *
 * A reservation counts for a listing unless that listing already shows its container holding resources; it keeps
 * counting for listings sent before the create settled (they may predate the container's start).
 */
export class Reservations {
  private readonly byHost = new Map<string, Reservation[]>();

  reserve(host: string, token: string, flavor: DockerFlavor): Reservation {
    const r: Reservation = { host, token, flavor, settledAt: null };
    const list = this.byHost.get(host) ?? [];
    list.push(r);
    this.byHost.set(host, list);
    return r;
  }

  settle(r: Reservation): void {
    r.settledAt = Date.now();
  }

  /**
   * Adds this process's reservations to a listing's usage. `listed` maps the create tokens of the listed
   * Tessera containers to whether each holds resources; `listedAt` is when the listing was sent.
   */
  addTo(host: string, usage: HostUsage, listed: Map<string, boolean>, listedAt: number): HostUsage {
    const now = Date.now();
    const kept = (this.byHost.get(host) ?? []).filter((r) => r.settledAt === null || now - r.settledAt < SETTLED_KEEP_MS);
    this.byHost.set(host, kept);
    const total = { ...usage };
    for (const r of kept) {
      if (r.settledAt !== null && r.settledAt < listedAt) continue; // the listing saw the finished container
      const holding = listed.get(r.token);
      if (holding === undefined) total.containers += 1;
      if (holding !== true) {
        total.nanoCpus += r.flavor.nanoCpus;
        total.memoryBytes += r.flavor.memoryBytes;
      }
    }
    return total;
  }
}
