import type { ArmFaults } from './faults.js';
import { AsyncOperations } from './operations.js';
import { key, type DiskRecord, type NicRecord, type SubnetConfig, type VmRecord } from './resources.js';
import type { SkuCatalog } from './skus.js';

/** The state of the double's one subscription, shared by its resource providers (Compute, Network). */
export class ArmWorld {
  readonly vms = new Map<string, VmRecord>();
  readonly nics = new Map<string, NicRecord>();
  readonly disks = new Map<string, DiskRecord>();
  readonly subnets: Map<string, SubnetConfig>;
  readonly resourceGroups: Set<string>;
  readonly operations = new AsyncOperations();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Set once the server listens. */
  baseUrl = '';

  constructor(
    readonly subscriptionId: string,
    resourceGroups: string[],
    subnets: SubnetConfig[],
    readonly skus: SkuCatalog,
    readonly faults: ArmFaults,
    /** How long a VM takes to be created, start, stop, restart or be deleted. */
    readonly transitionMs: number,
    /** How long a NIC, a disk delete and the like take. */
    readonly quickMs: number,
    /** Regional vCPU quotas (location → vCPUs); locations not named have no limit. */
    readonly vcpuQuota: Record<string, number>,
    readonly pageSize: number,
  ) {
    this.resourceGroups = new Set(resourceGroups.map(key));
    this.subnets = new Map(subnets.map((s) => [key(s.id), s]));
  }

  resourceId(resourceGroup: string, type: string, name: string): string {
    return `/subscriptions/${this.subscriptionId}/resourceGroups/${resourceGroup}/providers/${type}/${name}`;
  }

  /** Runs `fn` after `ms`, unless the double is closed first. */
  after(ms: number, fn: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
    return timer;
  }

  cancel(timer: NodeJS.Timeout): void {
    clearTimeout(timer);
    this.timers.delete(timer);
  }

  stopTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
