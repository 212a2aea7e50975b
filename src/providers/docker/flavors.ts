import { usdToMicros } from '../../core/money.js';
import type { DockerFlavorConfig } from './config.js';
import type { ContainerLimits } from './container-facts.js';

/** A flavor as the engine sees it: the limits a container gets, and what it costs. */
export interface DockerFlavor {
  name: string;
  vcpus: number;
  memoryGiB: number;
  /** HostConfig.NanoCpus. */
  nanoCpus: number;
  /** HostConfig.Memory. */
  memoryBytes: number;
  /** 0 when the config gives no price: a private host's running cost is not known to the driver. */
  priceMicrosPerHour: number;
}

const GIB = 2 ** 30;

export function buildFlavors(configs: DockerFlavorConfig[]): Map<string, DockerFlavor> {
  return new Map(
    configs.map((f) => [
      f.name,
      {
        name: f.name,
        vcpus: f.vcpus,
        memoryGiB: f.memoryGiB,
        nanoCpus: Math.round(f.vcpus * 1e9),
        memoryBytes: Math.round(f.memoryGiB * GIB),
        priceMicrosPerHour: f.priceUsdPerHour === undefined ? 0 : usdToMicros(String(f.priceUsdPerHour)),
      },
    ]),
  );
}

/**
 * The flavor name reported for a container Tessera did not make: the configured flavor whose limits it has
 * exactly, else a name that states its limits (`custom-0.5vcpu-256mib`, `any` for no limit), else `unlimited`.
 * Derived from the limits alone, so list and observe always agree (a difference would read as drift).
 */
export function flavorOfLimits(limits: ContainerLimits, flavors: Map<string, DockerFlavor>): string {
  if (limits.nanoCpus === 0 && limits.memoryBytes === 0) return 'unlimited';
  for (const f of flavors.values()) {
    if (f.nanoCpus === limits.nanoCpus && f.memoryBytes === limits.memoryBytes) return f.name;
  }
  const cpu = limits.nanoCpus === 0 ? 'any' : String(Number((limits.nanoCpus / 1e9).toFixed(3)));
  const mib = limits.memoryBytes === 0 ? 'any' : String(Math.round(limits.memoryBytes / 2 ** 20));
  return `custom-${cpu}vcpu-${mib}mib`;
}
