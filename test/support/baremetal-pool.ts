import { createSecretKey } from 'node:crypto';
import type { CreateRequest, SecretBox } from '../../src/providers/driver.js';
import type { BaremetalConfigInput } from '../../src/providers/baremetal/config.js';
import type { EnrollMachineInput } from '../../src/providers/baremetal/machine.js';
import { decryptSecret, encryptSecret } from '../../src/runtime/secrets.js';
import type { RedfishDouble } from '../doubles/redfish/server.js';
import type { IpmiSim } from './ipmi-sim.js';

/** Shared pieces of the baremetal tests: a secret box, flavors, enrollments for ipmi_sim and the Redfish double. */

/** The same key the test control planes use (test/support/control-plane.ts). */
export const TEST_SECRET_KEY_BASE64 = Buffer.alloc(32, 7).toString('base64');

export function testSecretBox(): SecretBox {
  const key = createSecretKey(Buffer.from(TEST_SECRET_KEY_BASE64, 'base64'));
  return { seal: (p) => encryptSecret(key, p), open: (s) => decryptSecret(key, s) as Record<string, string> };
}

/** `bm.small` fits every test machine (8 CPUs, 32 GiB); `bm.huge` none. */
export const TEST_FLAVORS: BaremetalConfigInput['flavors'] = {
  'bm.small': { cpus: 8, memoryGiB: 32, priceUsdPerHour: '0.40' },
  'bm.large': { cpus: 32, memoryGiB: 256, priceUsdPerHour: '1.60' },
  'bm.huge': { cpus: 512, memoryGiB: 8192, priceUsdPerHour: '20' },
};

/** Short BMC timeouts, so that a dead BMC fails a test in seconds. */
export function testConfig(overrides: Partial<BaremetalConfigInput> = {}): BaremetalConfigInput {
  return { region: 'dc1', flavors: TEST_FLAVORS, ipmi: { timeoutSeconds: 1, retries: 1 }, redfish: { timeoutSeconds: 1.5 }, ...overrides };
}

const SMALL_FACTS = (i: number) => ({
  cpus: 8,
  memoryGiB: 32,
  disks: [{ sizeGiB: 480, type: 'ssd' as const }],
  nics: [{ mac: `52:54:00:00:00:${i.toString(16).padStart(2, '0')}`, address: `10.0.0.${10 + i}` }],
});

export function ipmiEnrollment(name: string, sim: IpmiSim, i = 0, rack = 'rack-a'): EnrollMachineInput {
  return { name, rack, facts: SMALL_FACTS(i), bmc: { protocol: 'ipmi', endpoint: `${sim.host}:${sim.port}`, username: sim.username, password: sim.password } };
}

export function redfishEnrollment(name: string, bmc: RedfishDouble, systemId: string, password: string, i = 0, rack = 'rack-a'): EnrollMachineInput {
  return { name, rack, facts: SMALL_FACTS(i), bmc: { protocol: 'redfish', endpoint: bmc.url, systemId, caPem: bmc.caPem, username: 'admin', password } };
}

/** A create request in region dc1 for `bm.small`; `name` must be unique per call (it makes the Tessera id). */
export function bareMetalRequest(name: string, overrides: Partial<CreateRequest> = {}): CreateRequest {
  return {
    tesseraId: `i-bm${name.replace(/[^a-z0-9]/g, '').padEnd(14, '0').slice(0, 14)}`,
    name: `bm-${name}`,
    region: 'dc1',
    zone: null,
    flavor: 'bm.small',
    image: 'ubuntu-24.04',
    market: 'on-demand',
    userData: '#cloud-config\nhostname: test\n',
    labels: { suite: 'baremetal' },
    powerOn: true,
    ...overrides,
  };
}
