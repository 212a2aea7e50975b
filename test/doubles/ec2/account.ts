import { randomBytes } from 'node:crypto';
import { DEFAULT_AMIS, DEFAULT_INSTANCE_TYPES, DEFAULT_REGIONS, type AmiConfig, type InstanceTypeConfig, type RegionConfig, type ZoneConfig } from './catalog.js';
import type { Ec2Faults } from './faults.js';
import type { SimulatedInstance } from './instance.js';

/** A default subnet of one zone (every zone has one in the default VPC, as on a new account). */
export interface Subnet {
  id: string;
  zone: string;
  /** The third octet of 172.31.X.Y: each zone owns a /20 of the default VPC's 172.31.0.0/16. */
  thirdOctetBase: number;
}

/** What one idempotent RunInstances left behind: the request it answered and what it made. */
export interface ClientTokenRecord {
  fingerprint: string;
  reservationId: string;
  instanceIds: string[];
}

export class RegionState {
  readonly name: string;
  readonly zones: ZoneConfig[];
  readonly notOptedIn: boolean;
  readonly instanceTypes: Set<string>;
  readonly amis: Map<string, AmiConfig>;
  readonly vpcId: string;
  readonly subnets: Map<string, Subnet>;
  readonly defaultSecurityGroup: { id: string; name: string };
  /** In launch order: listings come back in a stable order, so pages never skip or repeat. */
  readonly instances = new Map<string, SimulatedInstance>();
  readonly clientTokens = new Map<string, ClientTokenRecord>();
  private nextPrivateHost = 10;

  constructor(config: RegionConfig, allTypes: Map<string, InstanceTypeConfig>) {
    this.name = config.name;
    this.zones = config.zones;
    this.notOptedIn = config.notOptedIn ?? false;
    this.instanceTypes = new Set(config.instanceTypes ?? allTypes.keys());
    this.amis = new Map((config.images ?? DEFAULT_AMIS).map((a) => [a.id, a]));
    this.vpcId = hexId('vpc');
    this.subnets = new Map();
    config.zones.forEach((z, i) => {
      const id = hexId('subnet');
      this.subnets.set(id, { id, zone: z.name, thirdOctetBase: i * 16 });
    });
    this.defaultSecurityGroup = { id: hexId('sg'), name: 'default' };
  }

  zone(name: string): ZoneConfig | undefined {
    return this.zones.find((z) => z.name === name);
  }

  subnetOfZone(zone: string): Subnet {
    return [...this.subnets.values()].find((s) => s.zone === zone)!;
  }

  allocatePrivateIp(subnet: Subnet): string {
    const n = this.nextPrivateHost++;
    return `172.31.${subnet.thirdOctetBase + Math.floor(n / 250)}.${(n % 250) + 4}`;
  }

  /** Instances a Describe may show: terminated ones vanish after a while, as on EC2 (about an hour there). */
  visibleInstances(now: number, terminatedVisibleMs: number): SimulatedInstance[] {
    const out: SimulatedInstance[] = [];
    for (const i of this.instances.values()) {
      i.advance(now);
      if (i.terminatedAt !== null && now - i.terminatedAt >= terminatedVisibleMs) continue;
      out.push(i);
    }
    return out;
  }
}

export interface AccountOptions {
  accountId: string;
  regions: RegionConfig[];
  instanceTypes: InstanceTypeConfig[];
  transitionMs: number;
  terminatedVisibleMs: number;
  maxPageSize: number | null;
  /** Instances (not terminated) one region may hold; beyond it RunInstances answers InstanceLimitExceeded. */
  maxInstances: number | null;
  now: () => number;
}

/** The account the double serves: its regions and everything in them. */
export class Ec2Account {
  readonly regions: Map<string, RegionState>;
  readonly instanceTypes: Map<string, InstanceTypeConfig>;
  private publicHost = 1;

  constructor(
    readonly options: AccountOptions,
    readonly faults: Ec2Faults,
  ) {
    this.instanceTypes = new Map(options.instanceTypes.map((t) => [t.name, t]));
    this.regions = new Map(options.regions.map((r) => [r.name, new RegionState(r, this.instanceTypes)]));
  }

  static defaults(): Pick<AccountOptions, 'regions' | 'instanceTypes'> {
    return { regions: DEFAULT_REGIONS, instanceTypes: DEFAULT_INSTANCE_TYPES };
  }

  now(): number {
    return this.options.now();
  }

  /** Public addresses from a documentation-free block, handed out in order. */
  allocatePublicIp = (): string => {
    const n = this.publicHost++;
    return `3.80.${Math.floor(n / 250)}.${(n % 250) + 1}`;
  };
}

/** An EC2-style resource id: prefix, dash, 17 lower-case hex digits. */
export function hexId(prefix: string): string {
  return `${prefix}-${randomBytes(9).toString('hex').slice(0, 17)}`;
}
