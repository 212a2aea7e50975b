import { z } from 'zod';
import { usdPerHour } from '../../core/config-schema.js';
import { InvalidInputError } from '../../core/errors.js';
import { DEFAULT_IPMI_SETTINGS } from './ipmi.js';
import { DEFAULT_REDFISH_SETTINGS } from './redfish.js';

/**
 * One `baremetal` provider's block from tessera.yaml. Machines are not configured here: they are enrolled
 * (`tessera baremetal enroll`) into the provider's pool. The config says what may be asked of them.
 */

const UsdAmount = usdPerHour('0.50');

/** A flavor is a class of machines: every machine whose facts meet these minimums belongs to it. */
export const FlavorRequirements = z.object({
  cpus: z.number().int().positive(),
  memoryGiB: z.number().positive(),
  /** Total disk size, all disks together. */
  diskGiB: z.number().min(0).default(0),
  gpus: z.number().int().min(0).default(0),
  arch: z.string().min(1).default('x86_64'),
  /** What an hour of such a machine costs the organisation (power, space, depreciation); shown and used in placement. */
  priceUsdPerHour: UsdAmount.default('0'),
});
export type FlavorRequirements = z.output<typeof FlavorRequirements>;

/** A provisioning or wipe step outside Tessera: a program run directly (no shell), or a URL that gets a JSON POST. */
export const HookConfig = z.union(
  [
    z.object({
      command: z.array(z.string().min(1)).min(1),
      timeoutSeconds: z.number().positive().default(600),
    }),
    z.object({
      url: z.url({ protocol: /^https?$/ }),
      headers: z.record(z.string(), z.string()).default({}),
      timeoutSeconds: z.number().positive().default(600),
    }),
  ],
  { error: 'a hook is {command: [program, args…]} or {url: https://…}' },
);
export type HookConfig = z.output<typeof HookConfig>;

const FLAVOR_NAME = /^[a-z0-9][a-z0-9.-]{0,62}$/;

export const BaremetalConfig = z.object({
  /** The site; its zones are the racks of the enrolled machines. */
  region: z.string().min(1).default('dc1'),
  location: z.string().nullable().default(null),
  flavors: z
    .record(z.string().regex(FLAVOR_NAME, { message: 'a flavor name is lowercase letters, digits, "." and "-", e.g. bm.small' }), FlavorRequirements)
    .refine((f) => Object.keys(f).length > 0, { message: 'name at least one flavor, e.g. bm.small: {cpus: 8, memoryGiB: 32}' }),
  /** What the provisioning hook can install. */
  images: z.array(z.string().min(1)).min(1).default(['ubuntu-24.04', 'ubuntu-22.04', 'debian-12', 'rocky-9']),
  /** What a machine boots from after allocation: PXE (an installer on the network) or its disk (preinstalled). */
  bootDevice: z.enum(['pxe', 'disk']).default('pxe'),
  /** At most this many machines allocated at once (a quota); null: no limit. */
  maxAllocated: z.number().int().min(0).nullable().default(null),
  /** Runs at create with the instance's user-data; none: the machine is only booted. */
  provisioning: HookConfig.nullable().default(null),
  /** Runs at delete, after power-off, before the machine goes back to the pool. */
  wipe: HookConfig.nullable().default(null),
  ipmi: z
    .object({
      ipmitool: z.string().min(1).default(DEFAULT_IPMI_SETTINGS.ipmitool),
      cipherSuite: z.number().int().min(0).max(17).default(DEFAULT_IPMI_SETTINGS.cipherSuite),
      timeoutSeconds: z.number().int().positive().default(DEFAULT_IPMI_SETTINGS.timeoutSeconds),
      retries: z.number().int().min(1).max(10).default(DEFAULT_IPMI_SETTINGS.retries),
    })
    .prefault({}),
  redfish: z
    .object({
      auth: z.enum(['basic', 'session']).default(DEFAULT_REDFISH_SETTINGS.auth),
      timeoutSeconds: z.number().positive().default(DEFAULT_REDFISH_SETTINGS.timeoutMs / 1000),
    })
    .prefault({}),
  /** How many BMCs a listing asks at once. */
  listConcurrency: z.number().int().min(1).max(64).default(8),
  /** SQLite file of the pool; default `<dataDir>/baremetal/<provider name>.db`. */
  poolFile: z.string().min(1).optional(),
});
export type BaremetalConfig = z.output<typeof BaremetalConfig>;
export type BaremetalConfigInput = z.input<typeof BaremetalConfig>;

/** Validates a provider block, with a message that names the provider and the offending field. */
export function parseBaremetalConfig(providerName: string, raw: unknown): BaremetalConfig {
  const result = BaremetalConfig.safeParse(raw ?? {});
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new InvalidInputError(`baremetal provider '${providerName}' has an invalid configuration: ${problems}`, { provider: providerName });
  }
  return result.data;
}
