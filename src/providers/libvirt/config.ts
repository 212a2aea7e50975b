import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { usdPerHour } from '../../core/config-schema.js';
import { InvalidInputError } from '../../core/errors.js';

/**
 * One `libvirt` provider's block from tessera.yaml: KVM/QEMU hosts reached through `virsh`. Every host is a zone
 * of one region; instances are domains whose disk is a qcow2 overlay on a base image in a storage pool.
 */

/**
 * The connection URIs Tessera accepts: the local system daemon, or a remote one over SSH or TLS. A query string
 * is kept as written (e.g. `?socket=/run/…` for a private daemon, `?keyfile=…` for SSH). `test:///` is refused:
 * every `virsh` process gets a fresh in-memory test driver, so nothing defined would still exist on the next call.
 */
const LIBVIRT_URI = /^qemu(\+(ssh|tls|libssh|libssh2))?:\/\/[^/?#]*\/(system|session)(\?[^#]*)?$/;

const UsdAmount = usdPerHour('0.02');

export const LibvirtHostConfig = z.object({
  /** The zone this host is; requests name it to pin a domain to the host. */
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'a host name is 1–63 letters, digits, ".", "_" or "-" (it is shown as a zone)'),
  uri: z.string().regex(LIBVIRT_URI, "use qemu:///system, qemu+ssh://user@host/system or qemu+tls://host/system (test:/// URIs cannot hold domains between virsh calls)"),
});
export type LibvirtHostConfig = z.output<typeof LibvirtHostConfig>;

export const LibvirtImageConfig = z
  .object({
    /** What a request's `image` names. */
    name: z.string().min(1).max(255),
    /** A qcow2 file on every host (absolute path). */
    path: z.string().refine(isAbsolute, 'an image path must be absolute on the host').optional(),
    /** Or a qcow2 volume in the provider's pool. */
    volume: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._+-]*$/, 'a volume name is letters, digits, ".", "_", "+" or "-", not starting with a sign').optional(),
    /** Shown by `tessera image list`; defaults to the name's first word (`debian-12` → `debian`). */
    os: z.string().min(1).optional(),
  })
  .refine((i) => (i.path === undefined) !== (i.volume === undefined), { message: 'an image has exactly one of path or volume' });
export type LibvirtImageConfig = z.output<typeof LibvirtImageConfig>;

export const LibvirtFlavorConfig = z.object({
  name: z.string().min(1).max(63),
  vcpus: z.number().int().positive(),
  /** Whole MiB: 0.25 is 256 MiB. */
  memoryGiB: z
    .number()
    .positive()
    .refine((g) => Math.abs(g * 1024 - Math.round(g * 1024)) < 1e-6, { message: 'memoryGiB must be a whole number of MiB (e.g. 0.25, 0.5, 1.5)' }),
  /**
   * A host you own has no hourly bill, so without a price the offer costs 0 and placement prefers it over any
   * public cloud. Give the amortised cost to rank it honestly.
   */
  priceUsdPerHour: UsdAmount.default('0'),
});
export type LibvirtFlavorConfig = z.output<typeof LibvirtFlavorConfig>;

const DEFAULT_FLAVORS: z.input<typeof LibvirtFlavorConfig>[] = [
  { name: 'kvm.1x1', vcpus: 1, memoryGiB: 1 },
  { name: 'kvm.2x4', vcpus: 2, memoryGiB: 4 },
  { name: 'kvm.4x8', vcpus: 4, memoryGiB: 8 },
  { name: 'kvm.8x16', vcpus: 8, memoryGiB: 16 },
];

export const LibvirtConfig = z
  .object({
    region: z.string().min(1).default('local'),
    hosts: z.array(LibvirtHostConfig).min(1, 'name at least one host: hosts: [{name: kvm-a, uri: qemu:///system}]'),
    /** A directory pool on every host, created (and built) there if missing. */
    pool: z.object({
      name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a pool name is letters, digits, ".", "_" or "-"'),
      path: z.string().refine(isAbsolute, 'the pool path must be absolute on the host'),
    }),
    images: z.array(LibvirtImageConfig).min(1, 'name at least one base image: images: [{name: debian-12, path: /var/lib/libvirt/images/debian-12.qcow2}]'),
    flavors: z.array(LibvirtFlavorConfig).min(1).prefault(DEFAULT_FLAVORS),
    /**
     * `user`: QEMU's user-mode networking (outbound only, no root-owned bridge or iptables rules; no address to
     * report). Any other value names a libvirt network (e.g. `default`), whose DHCP leases give addresses.
     */
    network: z.string().min(1).default('user'),
    /** `kvm` on real hosts; `qemu` (TCG, slow but needs no /dev/kvm) on hosts without hardware virtualisation. */
    domainType: z.enum(['kvm', 'qemu']).default('kvm'),
    /** The most domains this provider may hold (across its hosts); null: no limit. */
    maxDomains: z.number().int().min(0).nullable().default(null),
    /** How far the hosts' vCPUs and memory are sold beyond what they have (OpenStack's allocation ratios). */
    overcommit: z
      .object({ cpu: z.number().positive().default(4), memory: z.number().positive().default(1) })
      .prefault({}),
    /** How long a power-off waits for the guest to honour ACPI shutdown before it is destroyed (powered off hard). */
    shutdownGraceSeconds: z.number().min(0).default(30),
    /** A `virsh` call that takes longer is killed and reported as retryable (an SSH host that stopped answering). */
    commandTimeoutSeconds: z.number().positive().default(60),
  })
  .superRefine((c, ctx) => {
    for (const [list, what] of [
      [c.hosts, 'host'],
      [c.images, 'image'],
      [c.flavors, 'flavor'],
    ] as const) {
      const seen = new Set<string>();
      for (const [i, item] of list.entries()) {
        if (seen.has(item.name)) ctx.addIssue({ code: 'custom', path: [`${what}s`, i, 'name'], message: `${what} "${item.name}" is listed twice` });
        seen.add(item.name);
      }
    }
  });
export type LibvirtConfig = z.output<typeof LibvirtConfig>;
export type LibvirtConfigInput = z.input<typeof LibvirtConfig>;

/** Validates a provider block, with a message that names the provider and every offending field. */
export function parseLibvirtConfig(providerName: string, raw: unknown): LibvirtConfig {
  const result = LibvirtConfig.safeParse(raw ?? {});
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new InvalidInputError(`libvirt provider '${providerName}' has an invalid configuration: ${problems}`, { provider: providerName });
  }
  return result.data;
}

/** A flavor's memory in MiB, as a domain's `<memory unit='MiB'>` wants it. */
export function memoryMiB(memoryGiB: number): number {
  return Math.round(memoryGiB * 1024);
}
