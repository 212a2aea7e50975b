import { X509Certificate } from 'node:crypto';
import { z } from 'zod';
import { BMC_PROTOCOLS, type BmcPowerState } from './bmc.js';

/**
 * A machine of the bare-metal pool: what it is (facts), how to reach its BMC, and what it is doing now.
 * The zod schemas are what enrollment accepts (the API validates with them, and so does the driver).
 */

/** Machine names are hostnames: lowercase letters, digits and "-" (they also make up instance external ids). */
export const MACHINE_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const MAC = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i;

export const MachineFacts = z
  .object({
    cpus: z.number().int().positive().describe('physical cores (or threads, as long as flavors count the same way)'),
    memoryGiB: z.number().positive(),
    disks: z.array(z.object({ sizeGiB: z.number().positive(), name: z.string().max(63).optional(), type: z.enum(['ssd', 'hdd', 'nvme']).optional() })).max(64).default([]),
    nics: z
      .array(
        z.object({
          mac: z.string().regex(MAC, { message: 'a MAC address looks like 52:54:00:12:34:56' }).transform((m) => m.toLowerCase()),
          name: z.string().max(63).optional(),
          /** The address the machine will have on this NIC once installed, if known (reported as its private address). */
          address: z.string().max(64).optional(),
        }),
      )
      .max(32)
      .default([]),
    gpus: z.number().int().min(0).default(0),
    arch: z.string().min(1).max(32).default('x86_64'),
  })
  .meta({ id: 'BaremetalMachineFacts' });
export type MachineFacts = z.output<typeof MachineFacts>;

/** `host` or `host:port` (IPv4, a hostname, or `[IPv6]`), port 623 by default. */
const IPMI_ENDPOINT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/;

const Login = { username: z.string().min(1).max(64), password: z.string().min(1).max(256) };

export const EnrollBmc = z.discriminatedUnion('protocol', [
  z.object({
    protocol: z.literal('ipmi'),
    endpoint: z.string().regex(IPMI_ENDPOINT, { message: 'an IPMI endpoint is host or host:port, e.g. 10.0.0.5:623' }),
    ...Login,
    username: z.string().min(1).max(16, { message: 'IPMI 2.0 user names are at most 16 characters' }),
    password: Login.password.refine((p) => Buffer.byteLength(p) <= 20, { message: 'IPMI 2.0 passwords are at most 20 bytes: set a shorter one on the BMC' }),
  }),
  z.object({
    protocol: z.literal('redfish'),
    endpoint: z
      .string()
      .max(512)
      .refine(isHttpsBase, { message: 'a Redfish endpoint is https://host[:port] (no path): the service root is found at /redfish/v1' }),
    systemId: z.string().min(1).max(128).regex(/^[^/?#]+$/, { message: 'a system id is one path segment, e.g. 1 or System.Embedded.1' }).optional(),
    caPem: z.string().max(16_384).refine(isCertificate, { message: 'caPem must be a PEM certificate (-----BEGIN CERTIFICATE-----…)' }).optional(),
    ...Login,
  }),
]);
export type EnrollBmc = z.output<typeof EnrollBmc>;

export const EnrollMachine = z
  .object({
    name: z.string().regex(MACHINE_NAME, { message: 'a machine name is lowercase letters, digits and "-" (at most 63), e.g. r1-node-07' }),
    rack: z.string().regex(MACHINE_NAME, { message: 'a rack name is lowercase letters, digits and "-", e.g. rack-a' }),
    facts: MachineFacts,
    bmc: EnrollBmc,
  })
  .meta({ id: 'BaremetalEnrollment' });
export type EnrollMachine = z.output<typeof EnrollMachine>;
export type EnrollMachineInput = z.input<typeof EnrollMachine>;

/** Where the BMC is; the login is kept apart, sealed. */
export interface BmcRecord {
  protocol: (typeof BMC_PROTOCOLS)[number];
  /** `host:port` for IPMI, `https://host[:port]` for Redfish. */
  endpoint: string;
  systemId: string | null;
  /** The Redfish BMC's pinned certificate. */
  caPem: string | null;
}

/** One instance's hold on a machine, from allocation to release. */
export interface Allocation {
  /** New for each allocation, so a machine handed to a second instance is a different instance to Tessera. */
  id: string;
  token: string;
  tesseraId: string;
  instanceName: string;
  flavor: string;
  image: string;
  labels: Record<string, string>;
  allocatedAt: string;
  /** When the create that owns it last started (or took over) provisioning. */
  provisionStartedAt: string;
  /** Null until the boot device is set, the hook has run and the power is on: the create has not finished. */
  provisionedAt: string | null;
}

export type MachineState = 'available' | 'allocated' | 'unreachable';

export interface PoolMachine {
  name: string;
  rack: string;
  facts: MachineFacts;
  bmc: BmcRecord;
  /** `{username, password}` sealed with the server's secret key (src/runtime/secrets.ts). */
  sealedCredentials: string;
  enrolledAt: string;
  allocation: Allocation | null;
  /** Set while the BMC does not answer: since when, and what the last attempt said. */
  unreachable: { since: string; lastError: string } | null;
  /** The power state the BMC last reported. */
  lastPower: { state: BmcPowerState; at: string } | null;
  /** The last create or delete that failed on this machine, and at which step. */
  lastFailure: { at: string; step: string; message: string; tesseraId: string | null } | null;
}

/** An unreachable machine stays allocated if it was; `unreachable` wins because it is what needs a person. */
export function machineState(m: PoolMachine): MachineState {
  if (m.unreachable) return 'unreachable';
  return m.allocation ? 'allocated' : 'available';
}

/** The external id of an allocation: the machine and the allocation, e.g. `r1-node-07@k3j9x0q2`. */
export function externalIdOf(machine: string, allocationId: string): string {
  return `${machine}@${allocationId}`;
}

export function parseExternalId(externalId: string): { machine: string; allocationId: string } | null {
  const at = externalId.lastIndexOf('@');
  if (at <= 0) return null;
  return { machine: externalId.slice(0, at), allocationId: externalId.slice(at + 1) };
}

function isHttpsBase(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' && (url.pathname === '/' || url.pathname === '') && url.search === '' && url.hash === '' && url.username === '';
  } catch {
    return false;
  }
}

function isCertificate(pem: string): boolean {
  try {
    new X509Certificate(pem);
    return true;
  } catch {
    return false;
  }
}
