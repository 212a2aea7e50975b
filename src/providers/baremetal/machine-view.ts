import { X509Certificate } from 'node:crypto';
import { z } from 'zod';
import type { BaremetalConfig } from './config.js';
import { satisfies } from './flavors.js';
import { externalIdOf, MachineFacts, machineState, type PoolMachine } from './machine.js';

/**
 * A pool machine as the API and CLI show it. The BMC login is not in it — not even the username: it is sealed
 * with the password and never leaves the driver.
 */

const PowerState = z.enum(['on', 'off', 'powering-on', 'powering-off']);

export const MachineView = z
  .object({
    provider: z.string(),
    name: z.string(),
    rack: z.string(),
    state: z.enum(['available', 'allocated', 'unreachable']),
    facts: MachineFacts,
    /** The configured flavors this machine satisfies. */
    flavors: z.array(z.string()),
    bmc: z.object({
      protocol: z.enum(['ipmi', 'redfish']),
      endpoint: z.string(),
      systemId: z.string().nullable(),
      /** SHA-256 fingerprint of the pinned certificate (Redfish), so a person can compare it with the BMC's. */
      certificateFingerprint: z.string().nullable(),
    }),
    allocation: z
      .object({
        externalId: z.string(),
        tesseraId: z.string(),
        instanceName: z.string(),
        flavor: z.string(),
        image: z.string(),
        allocatedAt: z.string(),
        provisionedAt: z.string().nullable(),
      })
      .nullable(),
    unreachable: z.object({ since: z.string(), lastError: z.string() }).nullable(),
    lastPower: z.object({ state: PowerState, at: z.string() }).nullable(),
    lastFailure: z.object({ at: z.string(), step: z.string(), message: z.string(), tesseraId: z.string().nullable() }).nullable(),
    enrolledAt: z.string(),
  })
  .meta({ id: 'BaremetalMachine' });
export type MachineView = z.output<typeof MachineView>;

/** `inspect`: the view plus what the BMC says right now. */
export const MachineInspection = MachineView.extend({
  live: z.object({
    checkedAt: z.string(),
    /** Null when the BMC could not be asked (see `error`). */
    powerState: PowerState.nullable(),
    error: z.string().nullable(),
  }),
}).meta({ id: 'BaremetalMachineInspection' });
export type MachineInspection = z.output<typeof MachineInspection>;

export function toMachineView(provider: string, m: PoolMachine, config: BaremetalConfig): MachineView {
  const a = m.allocation;
  return {
    provider,
    name: m.name,
    rack: m.rack,
    state: machineState(m),
    facts: m.facts,
    flavors: Object.entries(config.flavors)
      .filter(([, f]) => satisfies(m.facts, f))
      .map(([name]) => name),
    bmc: {
      protocol: m.bmc.protocol,
      endpoint: m.bmc.endpoint,
      systemId: m.bmc.systemId,
      certificateFingerprint: m.bmc.caPem ? new X509Certificate(m.bmc.caPem).fingerprint256 : null,
    },
    allocation: a
      ? {
          externalId: externalIdOf(m.name, a.id),
          tesseraId: a.tesseraId,
          instanceName: a.instanceName,
          flavor: a.flavor,
          image: a.image,
          allocatedAt: a.allocatedAt,
          provisionedAt: a.provisionedAt,
        }
      : null,
    unreachable: m.unreachable,
    lastPower: m.lastPower,
    lastFailure: m.lastFailure,
    enrolledAt: m.enrolledAt,
  };
}
