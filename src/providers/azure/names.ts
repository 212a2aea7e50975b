import { createHash } from 'node:crypto';

/**
 * Names of what Tessera makes in Azure, and the resource ids that point at them.
 *
 * A VM's name is a pure function of the create token (which Tessera derives from the instance id and the create
 * attempt): ARM's PUT is create-or-update by name, so a repeated create — a retry after a lost answer, or a
 * second controller pass — lands on the same VM instead of making another, and observe-by-token is one GET.
 * A fresh attempt (a recreate) has a fresh token, hence a new name, so it never collides with a VM that is
 * still being deleted. A token that is already a valid VM name is used as is, keeping the Tessera id readable
 * in the portal; any other token is hashed.
 */

/** Lower case only: Azure resource names are case-insensitive, so two tokens differing in case must not meet. */
const READABLE_TOKEN = /^[a-z0-9][a-z0-9-]{0,48}[a-z0-9]$/;

export function vmNameFor(token: string): string {
  if (READABLE_TOKEN.test(token)) return token;
  return `tsr-${createHash('sha256').update(token).digest('hex').slice(0, 24)}`;
}

export function nicNameFor(vmName: string): string {
  return `${vmName}-nic`;
}

export function osDiskNameFor(vmName: string): string {
  return `${vmName}-osdisk`;
}

/** The parts of an ARM resource id Tessera needs to call the resource's API. */
export interface ResourceIdParts {
  subscriptionId: string;
  resourceGroup: string;
  /** `Microsoft.Compute/virtualMachines`, as written in the id. */
  type: string;
  name: string;
}

const RESOURCE_ID = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/([^/]+\/[^/]+)\/([^/]+)$/i;

/** Null when `id` is not the id of a top-level resource in a resource group. */
export function parseResourceId(id: string): ResourceIdParts | null {
  const m = RESOURCE_ID.exec(id);
  return m ? { subscriptionId: m[1]!, resourceGroup: m[2]!, type: m[3]!, name: m[4]! } : null;
}

export function resourceId(subscriptionId: string, resourceGroup: string, type: string, name: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/${type}/${name}`;
}

export const VM_TYPE = 'Microsoft.Compute/virtualMachines';
export const NIC_TYPE = 'Microsoft.Network/networkInterfaces';
export const DISK_TYPE = 'Microsoft.Compute/disks';

/** Azure zones are `1`, `2`, `3` within a location; Tessera names them `LOCATION-N` so a zone names its region too. */
export function tesseraZone(location: string, azureZone: string): string {
  return `${location}-${azureZone}`;
}

/** The Azure zone of a Tessera zone in `location` (`eastus-2` → `2`; a bare `2` is accepted too), or null. */
export function azureZone(location: string, zone: string): string | null {
  if (/^\d+$/.test(zone)) return zone;
  const prefix = `${location}-`;
  return zone.startsWith(prefix) && /^\d+$/.test(zone.slice(prefix.length)) ? zone.slice(prefix.length) : null;
}
