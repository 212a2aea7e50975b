import { tmpdir } from 'node:os';
import type { CreateRequest, DriverContext } from '../../src/providers/driver.js';
import { createAzureDriver } from '../../src/providers/azure/driver.js';
import type { AzureArmDouble } from '../doubles/azure-arm/server.js';
import { CREDENTIALS, driverConfig, LIST_PRICES, startArmDouble } from '../doubles/azure-arm/fixtures.js';
import { conformanceRequest, driverConformance } from './conformance.js';
import { freePort } from '../support/server-process.js';

/**
 * The driver conformance suite against the ARM double: every case goes through @azure/identity (client secret
 * at the double's Entra ID endpoint) and @azure/arm-compute / @azure/arm-network over HTTPS, with the principal
 * holding only the driver's documented role.
 */

let arm: AzureArmDouble | undefined;
const ctx: DriverContext = { dataDir: tmpdir(), credentials: CREDENTIALS, listPrices: async () => LIST_PRICES };

function double(): AzureArmDouble {
  if (!arm) throw new Error('the ARM double is not running: open() starts it');
  return arm;
}

function request(name: string, overrides: Partial<CreateRequest> = {}): CreateRequest {
  return conformanceRequest(name, { region: 'eastus', flavor: 'Standard_B2s', image: 'ubuntu-24.04' }, overrides);
}

driverConformance({
  label: 'azure (ARM double over HTTPS, client-secret sign-in)',
  kind: 'vm',
  open: async () => {
    // westus2 has no vCPU quota left: the quota case asks for a VM there.
    arm = await startArmDouble({ vcpuQuota: { westus2: 0 } });
    // The capacity case: Azure cannot allocate anything in eastus zone 2.
    arm.faults.capacityIn('eastus-2');
    return createAzureDriver('conformance-azure', { ...driverConfig(arm) }, ctx);
  },
  close: async () => arm?.close(),
  request: (name) => request(name),
  provoke: {
    // An image id that the subscription does not have: ARM answers 404 ImageNotFound.
    invalid: (name) => request(name, { image: 'vanished' }),
    // The create is accepted, and its operation ends Failed with ZonalAllocationFailed.
    capacity: (name) => request(name, { zone: 'eastus-2' }),
    quota: (name) => ({
      driver: () => createAzureDriver('conformance-azure-quota', driverConfig(double()), ctx),
      request: request(name, { region: 'westus2' }),
    }),
    retryable: async () => createAzureDriver('conformance-azure-down', driverConfig(double(), { endpoint: `https://127.0.0.1:${await freePort()}`, maxRetries: 0 }), ctx),
  },
  settleMs: 15_000,
});
