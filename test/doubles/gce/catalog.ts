/**
 * What the double's Compute Engine offers: regions with their zones, machine types and public images. The
 * defaults are a small, real-looking slice of GCE (names, vCPU and memory figures as GCE publishes them).
 */

export interface RegionSpec {
  name: string;
  zones: string[];
}

export interface MachineTypeSpec {
  name: string;
  guestCpus: number;
  memoryMb: number;
  /** `X86_64` or `ARM64`, as the API reports it. */
  architecture?: 'X86_64' | 'ARM64';
  isSharedCpu?: boolean;
  accelerators?: { guestAcceleratorType: string; guestAcceleratorCount: number }[];
  /** Zones that offer it; omitted: every zone. */
  zones?: string[];
  description?: string;
}

export const DEFAULT_REGIONS: RegionSpec[] = [
  { name: 'us-central1', zones: ['us-central1-a', 'us-central1-b', 'us-central1-c', 'us-central1-f'] },
  { name: 'europe-west1', zones: ['europe-west1-b', 'europe-west1-c', 'europe-west1-d'] },
];

export const DEFAULT_MACHINE_TYPES: MachineTypeSpec[] = [
  { name: 'e2-micro', guestCpus: 2, memoryMb: 1024, isSharedCpu: true, description: 'Efficient Instance, 2 vCPU (1/4 shared physical core) and 1 GB of memory' },
  { name: 'e2-small', guestCpus: 2, memoryMb: 2048, isSharedCpu: true, description: 'Efficient Instance, 2 vCPU (1/2 shared physical core) and 2 GB of memory' },
  { name: 'e2-medium', guestCpus: 2, memoryMb: 4096, isSharedCpu: true, description: 'Efficient Instance, 2 vCPU (1 shared physical core) and 4 GB of memory' },
  { name: 'e2-standard-2', guestCpus: 2, memoryMb: 8192, description: 'Efficient Instance, 2 vCPUs, 8 GB RAM' },
  { name: 'e2-standard-4', guestCpus: 4, memoryMb: 16384, description: 'Efficient Instance, 4 vCPUs, 16 GB RAM' },
  { name: 'n2-standard-8', guestCpus: 8, memoryMb: 32768, description: '8 vCPUs 32 GB RAM' },
  { name: 't2a-standard-1', guestCpus: 1, memoryMb: 4096, architecture: 'ARM64', zones: ['us-central1-a', 'us-central1-b', 'us-central1-f'], description: '1 vCPU, 4 GB RAM' },
  {
    name: 'g2-standard-4',
    guestCpus: 4,
    memoryMb: 16384,
    accelerators: [{ guestAcceleratorType: 'nvidia-l4', guestAcceleratorCount: 1 }],
    zones: ['us-central1-a', 'us-central1-b', 'europe-west1-b'],
    description: '4 vCPUs, 16 GB RAM, 1 NVIDIA L4',
  },
];

/** Public images, by their canonical path; a `family/` path resolves to the family's newest image. */
export const DEFAULT_IMAGES: string[] = [
  'projects/debian-cloud/global/images/family/debian-12',
  'projects/debian-cloud/global/images/debian-12-bookworm-v20240515',
  'projects/ubuntu-os-cloud/global/images/family/ubuntu-2404-lts-amd64',
  'projects/ubuntu-os-cloud/global/images/family/ubuntu-2404-lts-arm64',
  'projects/cos-cloud/global/images/family/cos-stable',
];

export const API_ROOT = 'https://www.googleapis.com/compute/v1';

/** `projects/p/global/images/x`, from a full URL, a project-relative `global/images/x` or the canonical path. */
export function canonicalImage(source: string, project: string): string {
  const path = source.replace(/^https:\/\/(www|compute)\.googleapis\.com\/compute\/v1\//, '');
  return path.startsWith('global/') ? `projects/${project}/${path}` : path;
}

/** The last path segment of a resource URL or partial path (`zones/z/machineTypes/e2-small` → `e2-small`). */
export function lastSegment(urlOrPath: string): string {
  return urlOrPath.slice(urlOrPath.lastIndexOf('/') + 1);
}
