import type { AsyncOperation } from './operations.js';

/** What the double holds: the resources of one subscription, keyed by lower-cased resource id (ARM ids are case-insensitive). */

export type ProvisioningState = 'Creating' | 'Updating' | 'Succeeded' | 'Failed' | 'Deleting';
export type PowerState = 'starting' | 'running' | 'stopping' | 'stopped' | 'deallocating' | 'deallocated';

export interface VmRecord {
  id: string;
  name: string;
  resourceGroup: string;
  location: string;
  zones?: string[];
  tags: Record<string, string>;
  /** `properties` as the last PUT sent them (read-only ones are added when rendered). */
  properties: Record<string, unknown>;
  provisioningState: ProvisioningState;
  /** Null until the VM first runs (a VM being created, or whose create failed). */
  powerState: PowerState | null;
  vmId: string;
  timeCreated: string;
  /** Why provisioning failed (shown in the instance view as ProvisioningState/failed/CODE). */
  failure?: { code: string; message: string };
  /** The operation under way on it, with the timer that will end it. */
  pending?: { op: AsyncOperation; timer: NodeJS.Timeout };
}

export interface NicRecord {
  id: string;
  name: string;
  resourceGroup: string;
  location: string;
  tags: Record<string, string>;
  ipConfigurationName: string;
  subnetId: string;
  privateIp: string;
  provisioningState: ProvisioningState;
  /** The VM using it, if any. */
  virtualMachineId: string | null;
  resourceGuid: string;
}

export interface DiskRecord {
  id: string;
  name: string;
  resourceGroup: string;
  location: string;
  zones?: string[];
  storageAccountType: string;
  sizeGiB: number;
  /** The VM it is attached to, if any. */
  managedBy: string | null;
  timeCreated: string;
}

/** A subnet NICs may join. */
export interface SubnetConfig {
  id: string;
  location: string;
  /** IPv4 CIDR, e.g. 10.0.1.0/24; Azure keeps the first four addresses and the last for itself. */
  addressPrefix: string;
}

export function key(id: string): string {
  return id.toLowerCase();
}
