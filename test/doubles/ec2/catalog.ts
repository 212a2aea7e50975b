/**
 * What the double's account can use: regions (with the account's zone-name ↔ zone-id mapping, which EC2
 * shuffles per account), instance types with their sizes, and AMIs. Defaults are a small, realistic estate.
 */

export interface ZoneConfig {
  /** The account's name for the zone, e.g. `us-east-1a`. */
  name: string;
  /** The zone's id, the same in every account, e.g. `use1-az4`. */
  id: string;
  /** Instance types this zone does not offer: a create there answers `Unsupported`. */
  unsupportedTypes?: string[];
}

export interface RegionConfig {
  name: string;
  zones: ZoneConfig[];
  /** An opt-in region the account has not enabled: calls to it fail with AuthFailure, DescribeRegions hides it. */
  notOptedIn?: boolean;
  /** Instance types offered in this region (default: every type of the double). */
  instanceTypes?: string[];
  /** AMIs that exist in this region (default: the double's default AMIs). */
  images?: AmiConfig[];
}

export interface InstanceTypeConfig {
  name: string;
  vcpus: number;
  memoryMiB: number;
  arch: 'x86_64' | 'arm64';
  gpus?: number;
  bareMetal?: boolean;
}

export interface AmiConfig {
  id: string;
  arch: 'x86_64' | 'arm64';
}

export const DEFAULT_INSTANCE_TYPES: InstanceTypeConfig[] = [
  { name: 't3.micro', vcpus: 2, memoryMiB: 1024, arch: 'x86_64' },
  { name: 'c6i.large', vcpus: 2, memoryMiB: 4096, arch: 'x86_64' },
  { name: 'm6i.large', vcpus: 2, memoryMiB: 8192, arch: 'x86_64' },
  { name: 'm6i.xlarge', vcpus: 4, memoryMiB: 16384, arch: 'x86_64' },
  { name: 'm7g.large', vcpus: 2, memoryMiB: 8192, arch: 'arm64' },
  { name: 'g5.xlarge', vcpus: 4, memoryMiB: 16384, arch: 'x86_64', gpus: 1 },
  { name: 'm6i.metal', vcpus: 128, memoryMiB: 524288, arch: 'x86_64', bareMetal: true },
];

/** One x86 and one arm AMI, present in every default region (ids are per region on AWS; one pair keeps tests short). */
export const DEFAULT_AMIS: AmiConfig[] = [
  { id: 'ami-0a1b2c3d4e5f60718', arch: 'x86_64' },
  { id: 'ami-0f1e2d3c4b5a69788', arch: 'arm64' },
];

export const DEFAULT_REGIONS: RegionConfig[] = [
  {
    name: 'us-east-1',
    zones: [
      { name: 'us-east-1a', id: 'use1-az4' },
      { name: 'us-east-1b', id: 'use1-az6' },
      { name: 'us-east-1c', id: 'use1-az1', unsupportedTypes: ['m7g.large'] },
    ],
  },
  {
    name: 'eu-west-1',
    zones: [
      { name: 'eu-west-1a', id: 'euw1-az3' },
      { name: 'eu-west-1b', id: 'euw1-az1' },
      { name: 'eu-west-1c', id: 'euw1-az2' },
    ],
  },
  { name: 'af-south-1', zones: [{ name: 'af-south-1a', id: 'afs1-az1' }], notOptedIn: true },
];

/** AWS's documented example key pair (IAM user guide): the double's default credentials. */
export const EXAMPLE_ACCESS_KEY = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
