import type { AvailabilityZone, InstanceTypeInfo } from '@aws-sdk/client-ec2';

/** What one region has to offer, as EC2 describes it: its instance types and its zones. */
export interface RegionFacts {
  instanceTypes: Map<string, InstanceTypeFacts>;
  /** Available availability zones (not Local or Wavelength Zones, which need their own opt-in). */
  zones: ZoneFacts[];
}

export interface InstanceTypeFacts {
  name: string;
  vcpus: number;
  memoryGiB: number;
  gpus: number;
  arch: string;
  bareMetal: boolean;
}

export interface ZoneFacts {
  /** The account's name for the zone (`us-east-1a`): names are shuffled between accounts. */
  name: string;
  /** The zone's id (`use1-az4`), the same in every account: what price lists name. */
  id: string;
}

export function instanceTypeFacts(info: InstanceTypeInfo): InstanceTypeFacts {
  const arch = info.ProcessorInfo?.SupportedArchitectures?.find((a) => a === 'x86_64' || a === 'arm64') ?? info.ProcessorInfo?.SupportedArchitectures?.[0] ?? 'x86_64';
  return {
    name: info.InstanceType ?? '',
    vcpus: info.VCpuInfo?.DefaultVCpus ?? 0,
    // GiB to three decimals: 0.5 GiB types stay exact, and no float noise reaches an offer.
    memoryGiB: Math.round(((info.MemoryInfo?.SizeInMiB ?? 0) / 1024) * 1000) / 1000,
    gpus: (info.GpuInfo?.Gpus ?? []).reduce((sum, g) => sum + (g.Count ?? 0), 0),
    arch,
    bareMetal: info.BareMetal ?? false,
  };
}

export function zoneFacts(zones: AvailabilityZone[]): ZoneFacts[] {
  return zones
    .filter((z) => (z.ZoneType ?? 'availability-zone') === 'availability-zone' && (z.State ?? 'available') === 'available' && z.ZoneName)
    .map((z) => ({ name: z.ZoneName!, id: z.ZoneId ?? z.ZoneName! }));
}

/**
 * Region facts kept for a while (they change when AWS launches a type, not from one call to the next). Callers
 * asking at the same time share one lookup; a failed lookup is not kept.
 */
export class RegionFactsCache {
  private readonly entries = new Map<string, { facts: Promise<RegionFacts>; at: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly load: (region: string) => Promise<RegionFacts>,
  ) {}

  get(region: string): Promise<RegionFacts> {
    const entry = this.entries.get(region);
    if (entry && Date.now() - entry.at < this.ttlMs) return entry.facts;
    const facts = this.load(region);
    const fresh = { facts, at: Date.now() };
    this.entries.set(region, fresh);
    facts.catch(() => {
      if (this.entries.get(region) === fresh) this.entries.delete(region);
    });
    return facts;
  }
}
