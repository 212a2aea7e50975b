import { z } from 'zod';
import { section, usdPerHour } from '../../core/config-schema.js';
import { InvalidInputError } from '../../core/errors.js';

/**
 * One `docker` provider's block from tessera.yaml: the Docker Engines it drives (each one a zone of one region),
 * the flavors it sells and how full a host may get. Keys are checked strictly: a typo such as `host:` for
 * `hosts:` would otherwise fall back to the default socket without a word.
 */

const UsdAmount = usdPerHour('0.012');

/** Docker's own rule for container and network names; host names also become zone names and label values. */
const ZONE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;

/** A PEM document given inline, or the path of a file holding one (read when the driver is built). */
const PemSource = z.string().min(1, 'give a PEM file path or the PEM text itself');

export const DockerTlsConfig = section({
  /** The certificate authority that signed the engine's certificate. */
  ca: PemSource,
  /** Tessera's client certificate and its key (the engine runs with --tlsverify). */
  cert: PemSource,
  key: PemSource,
});
export type DockerTlsConfig = z.output<typeof DockerTlsConfig>;

export const DockerHostConfig = section({
  /** The zone this host is reported as; unique within the provider. */
  name: z.string().regex(ZONE_NAME, 'must be letters, digits, ".", "_" or "-" (at most 63), starting with a letter or digit'),
  /** The engine's unix socket, e.g. /var/run/docker.sock. */
  socketPath: z.string().min(1).optional(),
  /** The engine's TCP endpoint, e.g. tcp://10.0.0.5:2376 (with `tls`) or tcp://10.0.0.5:2375 (without). */
  url: z
    .string()
    .refine((value) => /^tcp:\/\/[^/:]+(:\d{1,5})?\/?$/.test(value), { message: 'must look like tcp://HOST:PORT, e.g. tcp://10.0.0.5:2376' })
    .optional(),
  tls: DockerTlsConfig.optional(),
  /** This host's own limit on Tessera containers; overrides the provider-wide `maxContainers`. */
  maxContainers: z.number().int().min(0).optional(),
})
  .refine((h) => (h.socketPath === undefined) !== (h.url === undefined), {
    message: 'give exactly one of socketPath (a unix socket such as /var/run/docker.sock) or url (tcp://HOST:PORT)',
  })
  .refine((h) => h.tls === undefined || h.url !== undefined, {
    message: 'tls applies to a tcp:// url only; a unix socket is protected by its file permissions',
    path: ['tls'],
  });
export type DockerHostConfig = z.output<typeof DockerHostConfig>;

export const DockerFlavorConfig = section({
  name: z.string().min(1),
  /** Becomes the container's CPU limit (HostConfig.NanoCpus); fractions are allowed. */
  vcpus: z.number().positive(),
  /** Becomes the container's memory limit (HostConfig.Memory). */
  memoryGiB: z.number().positive(),
  /** What the flavor costs per hour; without it offers carry price 0 (a private host's cost is not known). */
  priceUsdPerHour: UsdAmount.optional(),
});
export type DockerFlavorConfig = z.output<typeof DockerFlavorConfig>;

/** Used when a config names no flavors: cN is N vCPUs, from half a CPU and a quarter GiB to 4 vCPU / 8 GiB. */
export const DEFAULT_DOCKER_FLAVORS: z.input<typeof DockerFlavorConfig>[] = [
  { name: 'c1.tiny', vcpus: 0.5, memoryGiB: 0.25 },
  { name: 'c1.small', vcpus: 1, memoryGiB: 0.5 },
  { name: 'c1.medium', vcpus: 1, memoryGiB: 1 },
  { name: 'c2.medium', vcpus: 2, memoryGiB: 2 },
  { name: 'c2.large', vcpus: 2, memoryGiB: 4 },
  { name: 'c4.large', vcpus: 4, memoryGiB: 8 },
];

const Factor = z.number().positive('must be greater than 0 (1 means no overcommit)');

export const DockerConfig = section({
  /** The one region all hosts belong to. */
  region: z.string().regex(ZONE_NAME, 'must be letters, digits, ".", "_" or "-", starting with a letter or digit').default('local'),
  hosts: z
    .array(DockerHostConfig)
    .min(1, 'list at least one Docker host ({name, socketPath} or {name, url, tls})')
    .refine((hosts) => new Set(hosts.map((h) => h.name)).size === hosts.length, { message: 'host names must be unique: each is a zone' })
    .default([{ name: 'local', socketPath: '/var/run/docker.sock' }]),
  flavors: z
    .array(DockerFlavorConfig)
    .min(1)
    .refine((flavors) => new Set(flavors.map((f) => f.name)).size === flavors.length, { message: 'flavor names must be unique' })
    .prefault(DEFAULT_DOCKER_FLAVORS),
  /** Tessera containers one host may hold (any state): the provider's quota. Omitted: no limit. */
  maxContainers: z.number().int().min(0).optional(),
  /** How far the limits of running Tessera containers may exceed the host's CPUs and memory (1: not at all). */
  overcommit: section({ cpu: Factor.default(1), memory: Factor.default(1) }).prefault({}),
  /** A docker network every new container joins (it must exist on every host); omitted: the engine's default bridge. */
  network: z.string().min(1).optional(),
  /**
   * Creates (create and start) sent to one engine at once; more wait their turn. An engine given dozens at a time
   * gets slower in total (measured with dockerd 20.10: 50 at once took as long as 50 one after another, 8 at
   * once half that).
   */
  maxParallelCreates: z.number().int().min(1).default(8),
  /** Seconds a container gets to exit on SIGTERM before it is killed, on power off and reboot. */
  stopTimeoutSeconds: z.number().int().min(0).default(10),
  /** Longest wait for one engine call; must exceed stopTimeoutSeconds, since a stop waits that long. */
  requestTimeoutSeconds: z.number().positive().default(30),
}).refine((c) => c.requestTimeoutSeconds > c.stopTimeoutSeconds, {
  message: 'requestTimeoutSeconds must be greater than stopTimeoutSeconds: a stop call waits for the container to exit',
  path: ['requestTimeoutSeconds'],
});
export type DockerConfig = z.output<typeof DockerConfig>;
export type DockerConfigInput = z.input<typeof DockerConfig>;

/** Validates a provider block; the message names the provider and each offending field. */
export function parseDockerConfig(providerName: string, raw: unknown): DockerConfig {
  const result = DockerConfig.safeParse(raw ?? {});
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`).join('; ');
    throw new InvalidInputError(`docker provider '${providerName}' has an invalid configuration: ${problems}`, { provider: providerName });
  }
  return result.data;
}

/** `hosts[1].tls.ca`, as a person would write it. */
export function formatPath(path: PropertyKey[]): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : `${out ? '.' : ''}${String(part)}`;
  return out || '(root)';
}
