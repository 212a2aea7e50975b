import type { VirtualMachine } from '@azure/arm-compute';
import type { NetworkInterface } from '@azure/arm-network';
import type { CreateRequest } from '../driver.js';
import { subnetFor, type AzureConfig, type AzureImageConfig } from './config.js';
import { imageReferenceOf } from './images.js';
import { osDiskNameFor } from './names.js';

/**
 * The bodies of the two PUTs that make one Tessera instance: its NIC, then its VM. Both carry the same tags, so
 * a NIC left behind by a create that failed half-way is still recognisably Tessera's.
 */

export function nicBody(config: AzureConfig, req: CreateRequest, tags: Record<string, string>): NetworkInterface {
  return {
    location: req.region,
    tags,
    ipConfigurations: [{ name: 'primary', primary: true, subnet: { id: subnetFor(config, req.region) }, privateIPAllocationMethod: 'Dynamic' }],
  };
}

export function vmBody(
  config: AzureConfig,
  req: CreateRequest,
  vm: { name: string; nicId: string; azureZone: string | null; image: AzureImageConfig; tags: Record<string, string> },
): VirtualMachine {
  const spot: Partial<VirtualMachine> =
    req.market === 'spot'
      ? // maxPrice -1: pay up to the on-demand price and never be evicted for price, only for capacity.
        { priority: 'Spot', evictionPolicy: config.spotEvictionPolicy, billingProfile: { maxPrice: -1 } }
      : {};
  return {
    location: req.region,
    ...(vm.azureZone ? { zones: [vm.azureZone] } : {}),
    tags: vm.tags,
    hardwareProfile: { vmSize: req.flavor },
    storageProfile: {
      imageReference: imageReferenceOf(vm.image),
      osDisk: {
        // Named, so delete can find it even when the VM is already gone.
        name: osDiskNameFor(vm.name),
        createOption: 'FromImage',
        managedDisk: { storageAccountType: config.osDiskType },
        // Azure removes the disk and NIC with the VM; Tessera deletes them too, for VMs made without this.
        deleteOption: 'Delete',
      },
    },
    osProfile: {
      computerName: computerNameFor(req.name, vm.name),
      adminUsername: config.adminUsername,
      linuxConfiguration: {
        disablePasswordAuthentication: true,
        ssh: { publicKeys: config.sshPublicKeys.map((keyData) => ({ path: `/home/${config.adminUsername}/.ssh/authorized_keys`, keyData })) },
      },
      // cloud-init reads customData on Azure.
      ...(req.userData !== null ? { customData: Buffer.from(req.userData, 'utf8').toString('base64') } : {}),
    },
    networkProfile: { networkInterfaces: [{ id: vm.nicId, primary: true, deleteOption: 'Delete' }] },
    ...spot,
  };
}

/** Azure's limit on customData: 64 KiB once base64-encoded is 87,380 characters; the raw text must fit in 65,535 bytes. */
export const MAX_USER_DATA_BYTES = 65_535;

/** A Linux host name from the instance name: letters, digits and hyphens, at most 63; the VM name when nothing is left. */
export function computerNameFor(instanceName: string, vmName: string): string {
  const name = instanceName
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return name === '' || /^\d+$/.test(name) ? vmName.slice(0, 63) : name;
}
