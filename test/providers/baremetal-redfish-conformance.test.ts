import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBaremetalDriver } from '../../src/providers/baremetal/driver.js';
import { RedfishDouble } from '../doubles/redfish/server.js';
import { bareMetalRequest, redfishEnrollment, testConfig, testSecretBox } from '../support/baremetal-pool.js';
import { driverConformance } from './conformance.js';

/**
 * The conformance suite against the baremetal driver over Redfish: four machines behind one HTTPS Redfish
 * double (a multi-node chassis: four ComputerSystems, each taking 300 ms through PoweringOn/PoweringOff), with
 * its certificate pinned.
 */

const dataDir = mkdtempSync(join(tmpdir(), 'tessera-bm-redfish-conformance-'));
const secrets = testSecretBox();
const PASSWORD = 'redfish-conformance-pw';
const doubles: RedfishDouble[] = [];
const CONFIG = testConfig({ redfish: { auth: 'session', timeoutSeconds: 1.5 } });

driverConformance({
  label: 'baremetal (Redfish: undici ↔ the Redfish double, session auth)',
  kind: 'baremetal',
  open: async () => {
    const chassis = await RedfishDouble.start({ systems: ['1', '2', '3', '4'].map((id) => ({ id, cpus: 8, memoryGiB: 32, transitionMs: 300 })), password: PASSWORD });
    doubles.push(chassis);
    const driver = await createBaremetalDriver('conformance-bm-redfish', CONFIG, { dataDir, secrets });
    for (const [i, id] of ['1', '2', '3', '4'].entries()) await driver.enroll(redfishEnrollment(`node-${id}`, chassis, id, PASSWORD, i));
    return driver;
  },
  close: async () => {
    await Promise.all(doubles.map((d) => d.close()));
    rmSync(dataDir, { recursive: true, force: true });
  },
  request: (name) => bareMetalRequest(name),
  provoke: {
    invalid: (name) => bareMetalRequest(name, { flavor: 'bm.nope' }),
    capacity: (name) => bareMetalRequest(name, { flavor: 'bm.huge' }),
    quota: (name) => ({
      driver: () => createBaremetalDriver('conformance-bm-redfish-quota', { ...CONFIG, maxAllocated: 0 }, { dataDir, secrets }),
      request: bareMetalRequest(name),
    }),
    // A machine allocated under the token the suite then observes, whose BMC then hangs (accepts, never answers).
    retryable: async () => {
      const bmc = await RedfishDouble.start({ systems: [{ id: '1', cpus: 8, memoryGiB: 32 }], password: PASSWORD });
      doubles.push(bmc);
      const driver = await createBaremetalDriver('conformance-bm-redfish-down', CONFIG, { dataDir, secrets });
      await driver.enroll(redfishEnrollment('node-down', bmc, '1', PASSWORD, 9));
      await driver.create(bareMetalRequest('x'), 'tsr-conformance-x-0');
      bmc.stopAnswering();
      return driver;
    },
  },
  settleMs: 20_000,
});
