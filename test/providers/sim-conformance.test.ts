import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CreateRequest } from '../../src/providers/driver.js';
import { createSimDriver } from '../../src/providers/sim/driver.js';
import type { SimConfigInput } from '../../src/providers/sim/config.js';
import { conformanceRequest, driverConformance } from './conformance.js';

const dataDir = mkdtempSync(join(tmpdir(), 'tessera-sim-conformance-'));
const CLOUD: SimConfigInput = {
  regions: [{ name: 'sim-1', zones: ['sim-1a'], capacityVcpus: 64 }],
  flavors: [
    { name: 'small', vcpus: 1, memoryGiB: 2, priceUsdPerHour: '0.01' },
    { name: 'huge', vcpus: 128, memoryGiB: 512, priceUsdPerHour: '4' },
  ],
  provisionSeconds: 0.2,
  stopSeconds: 0.2,
};

function request(name: string, overrides: Partial<CreateRequest> = {}): CreateRequest {
  return conformanceRequest(name, { region: 'sim-1', flavor: 'small', image: 'debian-12' }, overrides);
}

driverConformance({
  label: 'sim',
  kind: 'vm',
  open: () => createSimDriver('conformance-sim', CLOUD, { dataDir }),
  close: async () => rmSync(dataDir, { recursive: true, force: true }),
  request: (name) => request(name),
  provoke: {
    invalid: (name) => request(name, { image: 'no-such-image' }),
    capacity: (name) => request(name, { flavor: 'huge' }),
    quota: (name) => ({
      driver: () => createSimDriver('conformance-sim-quota', { ...CLOUD, failureRates: { quota: 1 } }, { dataDir }),
      request: request(name),
    }),
    retryable: () => createSimDriver('conformance-sim-down', { ...CLOUD, failAll: true }, { dataDir }),
  },
});
