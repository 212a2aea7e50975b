import { ArmError } from './arm-error.js';

/**
 * The Resource SKUs API (`GET /subscriptions/{id}/providers/Microsoft.Compute/skus`): every Compute SKU with its
 * locations, zones (`locationInfo`), capabilities (`vCPUs`, `MemoryGB`, `GPUs`, `CpuArchitectureType`,
 * `LowPriorityCapable`, …) and the subscription's restrictions (`NotAvailableForSubscription` for a location or
 * for zones of one). `$filter=location eq 'X'` is the one filter the API supports.
 */

export interface SkuConfig {
  name: string;
  family: string;
  vcpus: number;
  memoryGiB: number;
  gpus?: number;
  arch?: 'x64' | 'Arm64';
  /** Whether Spot (low priority) VMs may be of this size; default true. */
  spot?: boolean;
  locations: { name: string; zones?: string[] }[];
  /** Where the subscription may not use the size: a whole location, or some of its zones. */
  restrictedIn?: { location: string; zones?: string[] }[];
}

export class SkuCatalog {
  constructor(private readonly skus: SkuConfig[]) {}

  find(name: string): SkuConfig | undefined {
    return this.skus.find((s) => s.name.toLowerCase() === name.toLowerCase());
  }

  /** Every location some size is offered in. */
  locations(): string[] {
    return [...new Set(this.skus.flatMap((s) => s.locations.map((l) => l.name)))];
  }

  zonesOf(sku: SkuConfig, location: string): string[] | null {
    const at = sku.locations.find((l) => l.name === location);
    return at ? (at.zones ?? []) : null;
  }

  /** Whether the subscription may not use `sku` in `location` (zone `zone`, if given). */
  restricted(sku: SkuConfig, location: string, zone: string | null): boolean {
    return (sku.restrictedIn ?? []).some((r) => r.location === location && (r.zones === undefined || (zone !== null && r.zones.includes(zone))));
  }

  /** The listing, filtered as `$filter` asks. */
  list(filter: string | null): Record<string, unknown>[] {
    let location: string | null = null;
    if (filter !== null) {
      const m = /^\s*location\s+eq\s+'([^']+)'\s*$/i.exec(filter);
      if (!m) throw new ArmError(400, 'InvalidParameter', `The filter '${filter}' is not supported. Only the location filter is supported: $filter=location eq '{location}'.`);
      location = m[1]!.toLowerCase();
    }
    const out: Record<string, unknown>[] = [];
    for (const sku of this.skus) {
      const locations = sku.locations.filter((l) => location === null || l.name === location);
      if (locations.length === 0) continue;
      out.push(this.render(sku, locations));
    }
    // A disk SKU, as the real listing mixes resource types: readers must keep to virtualMachines.
    if (location !== null) out.push({ resourceType: 'disks', name: 'Premium_LRS', tier: 'Premium', size: 'P1', locations: [location], locationInfo: [{ location, zones: [] }], capabilities: [], restrictions: [] });
    return out;
  }

  private render(sku: SkuConfig, locations: { name: string; zones?: string[] }[]): Record<string, unknown> {
    const restrictions = (sku.restrictedIn ?? [])
      .filter((r) => locations.some((l) => l.name === r.location))
      .map((r) =>
        r.zones === undefined
          ? { type: 'Location', values: [r.location], restrictionInfo: { locations: [r.location] }, reasonCode: 'NotAvailableForSubscription' }
          : { type: 'Zone', values: [r.location], restrictionInfo: { locations: [r.location], zones: r.zones }, reasonCode: 'NotAvailableForSubscription' },
      );
    return {
      resourceType: 'virtualMachines',
      name: sku.name,
      tier: 'Standard',
      size: sku.name.replace(/^Standard_/, ''),
      family: sku.family,
      locations: locations.map((l) => l.name),
      locationInfo: locations.map((l) => ({ location: l.name, zones: l.zones ?? [], zoneDetails: [] })),
      capabilities: [
        { name: 'vCPUs', value: String(sku.vcpus) },
        { name: 'MemoryGB', value: String(sku.memoryGiB) },
        { name: 'GPUs', value: String(sku.gpus ?? 0) },
        { name: 'CpuArchitectureType', value: sku.arch ?? 'x64' },
        { name: 'LowPriorityCapable', value: sku.spot === false ? 'False' : 'True' },
        { name: 'HyperVGenerations', value: 'V1,V2' },
      ],
      restrictions,
    };
  }
}
