import type { ListPrice } from '../../../src/providers/driver.js';
import type { AzureConfigInput } from '../../../src/providers/azure/config.js';
import { TESSERA_AZURE_ROLE } from '../../../src/providers/azure/role.js';
import { AzureArmDouble, type AzureArmDoubleOptions } from './server.js';

/**
 * One small Azure estate for the driver's tests: a subscription with resource group `tessera-rg`, a subnet in
 * eastus and one in westus2, a handful of VM sizes (one restricted, one Spot-incapable), two marketplace images
 * and a custom one, and Tessera's service principal holding exactly the driver's documented role.
 */

export const SUBSCRIPTION_ID = '11111111-2222-3333-4444-555555555555';
export const TENANT_ID = '99999999-8888-7777-6666-555555555555';
export const CLIENT_ID = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
export const CLIENT_SECRET = 'tessera-test-secret';
export const RESOURCE_GROUP = 'tessera-rg';
export const SUBNET_EASTUS = `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/net-rg/providers/Microsoft.Network/virtualNetworks/vnet-eastus/subnets/default`;
export const SUBNET_WESTUS2 = `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/net-rg/providers/Microsoft.Network/virtualNetworks/vnet-westus2/subnets/default`;
export const CUSTOM_IMAGE_ID = `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/images-rg/providers/Microsoft.Compute/images/golden-2024`;
export const MISSING_IMAGE_ID = `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/images-rg/providers/Microsoft.Compute/images/deleted-last-year`;
export const SSH_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEq9Hq7bFQ3kQq8m0m0m0m0m0m0m0m0m0m0m0m0m0m0m tessera@test';

export function doubleOptions(overrides: Partial<AzureArmDoubleOptions> = {}): AzureArmDoubleOptions {
  return {
    subscriptionId: SUBSCRIPTION_ID,
    tenantId: TENANT_ID,
    principals: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, actions: TESSERA_AZURE_ROLE.Actions }],
    resourceGroups: [RESOURCE_GROUP, 'net-rg', 'images-rg', 'other-rg'],
    subnets: [
      { id: SUBNET_EASTUS, location: 'eastus', addressPrefix: '10.1.0.0/24' },
      { id: SUBNET_WESTUS2, location: 'westus2', addressPrefix: '10.2.0.0/24' },
    ],
    skus: [
      { name: 'Standard_B2s', family: 'standardBSFamily', vcpus: 2, memoryGiB: 4, locations: [{ name: 'eastus', zones: ['1', '2', '3'] }, { name: 'westus2', zones: ['1', '2', '3'] }] },
      { name: 'Standard_D2s_v5', family: 'standardDSv5Family', vcpus: 2, memoryGiB: 8, locations: [{ name: 'eastus', zones: ['1', '2', '3'] }, { name: 'westus2' }], restrictedIn: [{ location: 'eastus', zones: ['3'] }] },
      { name: 'Standard_D4ps_v5', family: 'standardDPSv5Family', vcpus: 4, memoryGiB: 16, arch: 'Arm64', locations: [{ name: 'eastus', zones: ['1', '2'] }] },
      { name: 'Standard_NC6s_v3', family: 'standardNCSv3Family', vcpus: 6, memoryGiB: 112, gpus: 1, spot: false, locations: [{ name: 'eastus' }] },
      { name: 'Standard_HB120rs_v3', family: 'standardHBrsv3Family', vcpus: 120, memoryGiB: 448, locations: [{ name: 'eastus' }], restrictedIn: [{ location: 'eastus' }] },
    ],
    images: { platform: ['Canonical:ubuntu-24_04-lts:server', 'Debian:debian-12:12-gen2'], custom: [CUSTOM_IMAGE_ID] },
    transitionMs: 120,
    quickMs: 20,
    ...overrides,
  };
}

export function startArmDouble(overrides: Partial<AzureArmDoubleOptions> = {}): Promise<AzureArmDouble> {
  return AzureArmDouble.start(doubleOptions(overrides));
}

/** A driver configuration pointed at the double: its URL for ARM and Entra ID, its certificate trusted, fast polls. */
export function driverConfig(arm: AzureArmDouble, extra: Partial<AzureConfigInput> = {}): AzureConfigInput {
  return {
    subscriptionId: SUBSCRIPTION_ID,
    resourceGroup: RESOURCE_GROUP,
    locations: ['eastus', 'westus2'],
    subnetIds: { eastus: SUBNET_EASTUS, westus2: SUBNET_WESTUS2 },
    images: {
      'ubuntu-24.04': { publisher: 'Canonical', offer: 'ubuntu-24_04-lts', sku: 'server' },
      'debian-12': { publisher: 'Debian', offer: 'debian-12', sku: '12-gen2' },
      golden: { id: CUSTOM_IMAGE_ID },
      vanished: { id: MISSING_IMAGE_ID },
    },
    sshPublicKeys: [SSH_KEY],
    endpoint: arm.url,
    authorityHost: arm.url,
    caCertificate: arm.caPem,
    pollIntervalMs: 25,
    retryDelayMs: 20,
    ...extra,
  };
}

export const CREDENTIALS = { tenantId: TENANT_ID, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET };

/** Catalog prices for some of the sizes (Standard_D4ps_v5 has none, so it offers nothing). */
export const LIST_PRICES: ListPrice[] = [
  price('eastus', 'Standard_B2s', 'on-demand', 41_600, 2, 4),
  price('eastus', 'Standard_B2s', 'spot', 8_300, 2, 4),
  price('eastus', 'Standard_D2s_v5', 'on-demand', 96_000, 2, 8),
  price('westus2', 'Standard_D2s_v5', 'on-demand', 96_000, 2, 8),
  price('eastus', 'Standard_NC6s_v3', 'on-demand', 3_060_000, 6, 112, 1),
  price('eastus', 'Standard_NC6s_v3', 'spot', 612_000, 6, 112, 1),
  price('eastus', 'Standard_HB120rs_v3', 'on-demand', 3_600_000, 120, 448),
];

function price(region: string, flavor: string, market: 'on-demand' | 'spot', priceMicrosPerHour: number, vcpus: number, memoryGiB: number, gpus = 0): ListPrice {
  return { region, zone: null, flavor, market, vcpus, memoryGiB, gpus, arch: 'x86_64', priceMicrosPerHour };
}
