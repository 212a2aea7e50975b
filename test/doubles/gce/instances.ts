import { API_ROOT } from './catalog.js';

/** The statuses of a GCE instance the double goes through (GCE reports a stopped instance as TERMINATED). */
export type InstanceStatus = 'PROVISIONING' | 'STAGING' | 'RUNNING' | 'STOPPING' | 'TERMINATED';

/** An instance as `instances.get` returns it (the fields the double fills). */
export interface GceInstance {
  kind: 'compute#instance';
  id: string;
  creationTimestamp: string;
  name: string;
  description?: string;
  machineType: string;
  status: InstanceStatus;
  zone: string;
  networkInterfaces: {
    kind: 'compute#networkInterface';
    name: string;
    network: string;
    subnetwork: string;
    networkIP: string;
    stackType: 'IPV4_ONLY';
    fingerprint: string;
    accessConfigs?: { kind: 'compute#accessConfig'; type: 'ONE_TO_ONE_NAT'; name: string; natIP?: string; networkTier: 'PREMIUM' | 'STANDARD' }[];
  }[];
  disks: {
    kind: 'compute#attachedDisk';
    type: 'PERSISTENT';
    mode: 'READ_WRITE';
    source: string;
    deviceName: string;
    index: number;
    boot: boolean;
    autoDelete: boolean;
    interface: 'SCSI';
    diskSizeGb: string;
    architecture: 'X86_64' | 'ARM64';
  }[];
  metadata: { kind: 'compute#metadata'; fingerprint: string; items?: { key: string; value: string }[] };
  labels?: Record<string, string>;
  labelFingerprint: string;
  scheduling: {
    onHostMaintenance: 'MIGRATE' | 'TERMINATE';
    automaticRestart: boolean;
    preemptible: boolean;
    provisioningModel: 'STANDARD' | 'SPOT';
    instanceTerminationAction?: 'STOP' | 'DELETE';
  };
  cpuPlatform: string;
  deletionProtection: boolean;
  startRestricted: boolean;
  fingerprint: string;
  selfLink: string;
  lastStartTimestamp?: string;
  lastStopTimestamp?: string;
}

interface StoredInstance {
  project: string;
  zone: string;
  instance: GceInstance;
}

/** The project's instances by zone and name (names are unique within a zone). */
export class InstanceStore {
  private readonly byKey = new Map<string, StoredInstance>();

  add(project: string, zone: string, instance: GceInstance): void {
    this.byKey.set(key(project, zone, instance.name), { project, zone, instance });
  }

  /** By name, or by the numeric id (GCE accepts either in the `instance` path parameter). */
  find(project: string, zone: string, nameOrId: string): GceInstance | undefined {
    const byName = this.byKey.get(key(project, zone, nameOrId));
    if (byName) return byName.instance;
    for (const s of this.byKey.values()) if (s.project === project && s.zone === zone && s.instance.id === nameOrId) return s.instance;
    return undefined;
  }

  remove(project: string, zone: string, name: string): void {
    this.byKey.delete(key(project, zone, name));
  }

  /** The project's instances in the order aggregatedList pages them: by zone, then by name. */
  inProject(project: string): { zone: string; instance: GceInstance }[] {
    return [...this.byKey.values()]
      .filter((s) => s.project === project)
      .sort((a, b) => a.zone.localeCompare(b.zone) || a.instance.name.localeCompare(b.instance.name))
      .map(({ zone, instance }) => ({ zone, instance }));
  }

  /** vCPUs of the project's instances in a region that hold quota (every status but TERMINATED). */
  cpusInUse(project: string, regionOf: (zone: string) => string, region: string, cpusOf: (machineTypeUrl: string) => number): number {
    let total = 0;
    for (const s of this.byKey.values()) {
      if (s.project === project && regionOf(s.zone) === region && s.instance.status !== 'TERMINATED') total += cpusOf(s.instance.machineType);
    }
    return total;
  }

  all(): { project: string; zone: string; instance: GceInstance }[] {
    return [...this.byKey.values()].map((s) => ({ project: s.project, zone: s.zone, instance: structuredClone(s.instance) }));
  }
}

function key(project: string, zone: string, name: string): string {
  return `${project}/${zone}/${name}`;
}

export function instanceLink(project: string, zone: string, name: string): string {
  return `${API_ROOT}/projects/${project}/zones/${zone}/instances/${name}`;
}
