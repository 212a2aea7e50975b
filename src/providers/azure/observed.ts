import type { VirtualMachine, VirtualMachineInstanceView } from '@azure/arm-compute';
import type { NetworkInterface } from '@azure/arm-network';
import type { ObservedInstance, ObservedState } from '../driver.js';
import type { AzureConfig } from './config.js';
import { imageNameOf } from './images.js';
import { tesseraZone } from './names.js';
import { IMAGE_TAG, ID_TAG, labelsOfTags, TOKEN_TAG, tagValue } from './tags.js';

/**
 * How an Azure VM looks to Tessera. Its state comes from two places: the model's `provisioningState` (Creating,
 * Updating, Succeeded, Failed, Deleting) and the instance view's `PowerState/*` status (starting, running,
 * stopping, stopped, deallocating, deallocated). The power state wins when the instance view has one.
 */

const POWER_STATES: Record<string, ObservedState> = {
  starting: 'pending',
  running: 'running',
  stopping: 'stopping',
  // Powered off but still holding (and billing) its hardware.
  stopped: 'stopped',
  deallocating: 'stopping',
  deallocated: 'stopped',
  // Hibernated VMs are deallocated with their memory kept on disk.
  hibernated: 'stopped',
};

export function observedState(vm: VirtualMachine, view: VirtualMachineInstanceView | undefined): ObservedState {
  const provisioning = (vm.provisioningState ?? '').toLowerCase();
  if (provisioning === 'deleting') return 'terminating';
  const power = powerStateOf(view);
  if (power && POWER_STATES[power]) return POWER_STATES[power];
  // No power state: a VM being created is pending. One whose create failed before it ever ran (an allocation
  // failure) holds nothing and never will by itself: reported as gone, so that the create is made again —
  // the same PUT, which is how Azure retries provisioning.
  if (provisioning === 'failed') return 'terminated';
  return 'pending';
}

/** `running` from `PowerState/running`; null when the instance view has no power state (yet). */
export function powerStateOf(view: VirtualMachineInstanceView | undefined): string | null {
  const status = view?.statuses?.find((s) => s.code?.toLowerCase().startsWith('powerstate/'));
  return status?.code ? status.code.slice('PowerState/'.length).toLowerCase() : null;
}

export interface ObservationScope {
  provider: string;
  config: AzureConfig;
}

export function toObserved(vm: VirtualMachine, view: VirtualMachineInstanceView | undefined, nics: NetworkInterface[], scope: ObservationScope): ObservedInstance {
  const location = vm.location ?? 'unknown';
  const zone = vm.zones?.[0];
  return {
    externalId: vm.id ?? '',
    token: tagValue(vm.tags, TOKEN_TAG),
    tesseraId: tagValue(vm.tags, ID_TAG),
    name: vm.name ?? '',
    region: location,
    zone: zone ? tesseraZone(location, zone) : null,
    flavor: vm.hardwareProfile?.vmSize ?? 'unknown',
    image: tagValue(vm.tags, IMAGE_TAG) ?? imageNameOf(scope.config, vm.storageProfile?.imageReference),
    market: vm.priority?.toLowerCase() === 'spot' ? 'spot' : 'on-demand',
    kind: 'vm',
    state: observedState(vm, view),
    addresses: addressesOf(nics),
    labels: labelsOfTags(vm.tags),
    createdAt: (vm.timeCreated ?? new Date(0)).toISOString(),
  };
}

function addressesOf(nics: NetworkInterface[]): ObservedInstance['addresses'] {
  const out: ObservedInstance['addresses'] = [];
  for (const nic of nics) {
    for (const ip of nic.ipConfigurations ?? []) if (ip.privateIPAddress) out.push({ type: 'private', address: ip.privateIPAddress });
  }
  return out;
}
