import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBaremetalDriver } from '../../src/providers/baremetal/driver.js';
import { bareMetalRequest, ipmiEnrollment, testConfig, testSecretBox } from '../support/baremetal-pool.js';
import { startIpmiSim, type IpmiSim } from '../support/ipmi-sim.js';
import { driverConformance } from './conformance.js';

/**
 * The conformance suite against the baremetal driver over IPMI: four machines, each BMC an ipmi_sim driven by
 * ipmitool (the suite holds three machines at once and deletes a fourth).
 */

const dataDir = mkdtempSync(join(tmpdir(), 'tessera-bm-ipmi-conformance-'));
const secrets = testSecretBox();
const sims: IpmiSim[] = [];
const CONFIG = testConfig();

driverConformance({
  label: 'baremetal (IPMI: ipmitool ↔ ipmi_sim)',
  kind: 'baremetal',
  open: async () => {
    sims.push(...(await Promise.all([0, 1, 2, 3].map((i) => startIpmiSim({ name: `bmc${i}`, password: `ipmi-pw-${i}` })))));
    const driver = await createBaremetalDriver('conformance-bm-ipmi', CONFIG, { dataDir, secrets });
    for (const [i, sim] of sims.entries()) await driver.enroll(ipmiEnrollment(`node-${i}`, sim, i));
    return driver;
  },
  close: async () => {
    await Promise.all(sims.map((s) => s.dispose()));
    rmSync(dataDir, { recursive: true, force: true });
  },
  request: (name) => bareMetalRequest(name),
  provoke: {
    invalid: (name) => bareMetalRequest(name, { flavor: 'bm.nope' }),
    // A flavor every machine falls short of.
    capacity: (name) => bareMetalRequest(name, { flavor: 'bm.huge' }),
    quota: (name) => ({
      driver: () => createBaremetalDriver('conformance-bm-ipmi-quota', { ...CONFIG, maxAllocated: 0 }, { dataDir, secrets }),
      request: bareMetalRequest(name),
    }),
    // A machine allocated under the token the suite then observes, whose BMC has stopped answering.
    retryable: async () => {
      const sim = await startIpmiSim({ name: 'bmc-down' });
      sims.push(sim);
      const driver = await createBaremetalDriver('conformance-bm-ipmi-down', CONFIG, { dataDir, secrets });
      await driver.enroll(ipmiEnrollment('node-down', sim, 9));
      await driver.create(bareMetalRequest('x'), 'tsr-conformance-x-0');
      await sim.stop();
      return driver;
    },
  },
  settleMs: 20_000,
});
