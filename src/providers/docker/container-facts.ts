import type Docker from 'dockerode';

/**
 * What the driver needs to know of one container, the same whether it came from a listing
 * (`GET /containers/json`) or an inspect: the two answers differ in shape and in detail.
 */
export interface ContainerFacts {
  id: string;
  /** Without docker's leading slash. */
  name: string;
  /** The reference the container was created from (the listing may show a digest once a tag moves). */
  image: string;
  /** `created`, `running`, `paused`, `restarting`, `removing`, `exited` or `dead`. */
  state: string;
  labels: Record<string, string>;
  /** ISO 8601, to the second (the listing gives no more). */
  createdAt: string;
  /** Each attached network's addresses (empty strings while stopped). */
  networks: { ipv4: string; ipv6: string }[];
  /** CPU and memory limits; null when they were not read (a listing does not carry them). */
  limits: ContainerLimits | null;
}

export interface ContainerLimits {
  /** Billionths of a CPU; 0 means no limit. */
  nanoCpus: number;
  /** Bytes; 0 means no limit. */
  memoryBytes: number;
}

export function factsFromSummary(c: Docker.ContainerInfo): ContainerFacts {
  return {
    id: c.Id,
    name: (c.Names[0] ?? c.Id).replace(/^\//, ''),
    image: c.Image,
    state: c.State,
    labels: { ...c.Labels },
    createdAt: new Date(c.Created * 1000).toISOString(),
    networks: networksOf(c.NetworkSettings?.Networks),
    limits: null,
  };
}

export function factsFromInspect(c: Docker.ContainerInspectInfo): ContainerFacts {
  const host = c.HostConfig;
  // `--cpus` sets NanoCpus; the older `--cpu-quota/--cpu-period` pair means the same thing.
  const nanoCpus = host.NanoCpus || (host.CpuQuota && host.CpuPeriod ? Math.round((host.CpuQuota / host.CpuPeriod) * 1e9) : 0);
  return {
    id: c.Id,
    name: c.Name.replace(/^\//, ''),
    image: c.Config.Image,
    state: c.State.Status,
    labels: { ...c.Config.Labels },
    createdAt: new Date(Math.floor(Date.parse(c.Created) / 1000) * 1000).toISOString(),
    networks: networksOf(c.NetworkSettings?.Networks as Record<string, { IPAddress?: string; GlobalIPv6Address?: string }> | undefined),
    limits: { nanoCpus, memoryBytes: host.Memory ?? 0 },
  };
}

function networksOf(networks: Record<string, { IPAddress?: string; GlobalIPv6Address?: string }> | undefined): ContainerFacts['networks'] {
  return Object.values(networks ?? {}).map((n) => ({ ipv4: n.IPAddress ?? '', ipv6: n.GlobalIPv6Address ?? '' }));
}
