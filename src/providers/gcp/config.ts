import { z } from 'zod';
import { section } from '../../core/config-schema.js';
import { InvalidInputError } from '../../core/errors.js';

/**
 * One `gcp` provider's block from tessera.yaml: the project, the regions (and zones) Tessera may place VMs in,
 * their network, the image names it offers, and how the Compute Engine API is reached. Keys are checked strictly,
 * so a typo (`region:` for `regions:`) is an error, not a silent default.
 */

/** GCP project ids: 6–30 lowercase letters, digits and hyphens (domain-scoped ids carry a `domain:` prefix). */
const PROJECT_ID = /^([a-z][-a-z0-9.]*:)?[a-z][-a-z0-9]{4,28}[a-z0-9]$/;
/** `us-central1`, `europe-west4`, `northamerica-northeast1`. */
const REGION = /^[a-z]+-[a-z]+\d+$/;
/** `us-central1-a`. */
const ZONE = /^[a-z]+-[a-z]+\d+-[a-z]$/;
/** A boot image: `projects/P/global/images/NAME`, `…/images/family/FAMILY`, `global/images/…` (this project) or the full API URL. */
export const IMAGE_PATH = /^(https:\/\/(www|compute)\.googleapis\.com\/compute\/v1\/)?(projects\/[^/\s]+\/)?global\/images\/(family\/)?[a-z][-a-z0-9]*$/;
const NETWORK_PATH = /^(https:\/\/(www|compute)\.googleapis\.com\/compute\/v1\/)?(projects\/[^/\s]+\/)?global\/networks\/[a-z][-a-z0-9]*$/;
const SUBNETWORK_PATH = /^(https:\/\/(www|compute)\.googleapis\.com\/compute\/v1\/)?(projects\/[^/\s]+\/)?regions\/([a-z]+-[a-z]+\d+)\/subnetworks\/[a-z][-a-z0-9]*$/;
/** A host name or IP address, without scheme or port: what the SDK's `apiEndpoint` takes. */
const HOST = /^[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?$/;

const ImagePath = z.string().regex(IMAGE_PATH, 'must be an image path such as projects/debian-cloud/global/images/family/debian-12 (or its full https://compute.googleapis.com/compute/v1/… URL)');

export const GcpImageConfig = z.union(
  [
    ImagePath,
    section({
      source: ImagePath,
      os: z.string().min(1).default('linux'),
      arch: z.enum(['x86_64', 'arm64']).optional(),
    }),
  ],
  { error: () => 'an image is an image path (projects/debian-cloud/global/images/family/debian-12) or {source, os?, arch?}' },
);
export type GcpImageConfig = z.output<typeof GcpImageConfig>;

/** Used when a config names no images: the public families of current Debian, Ubuntu LTS and Container-Optimized OS. */
export const DEFAULT_GCP_IMAGES: Record<string, z.input<typeof GcpImageConfig>> = {
  'debian-12': 'projects/debian-cloud/global/images/family/debian-12',
  'ubuntu-24.04': 'projects/ubuntu-os-cloud/global/images/family/ubuntu-2404-lts-amd64',
  'ubuntu-24.04-arm64': { source: 'projects/ubuntu-os-cloud/global/images/family/ubuntu-2404-lts-arm64', arch: 'arm64' },
  'cos-stable': 'projects/cos-cloud/global/images/family/cos-stable',
};

const RegionEntry = section({
  name: z.string().regex(REGION, 'must be a Compute Engine region name such as us-central1'),
  /** The zones Tessera may use there; omitted: every zone the API lists for the region. */
  zones: z.array(z.string().regex(ZONE, 'must be a zone name such as us-central1-a')).min(1).optional(),
  /** The subnetwork VMs in this region join, e.g. regions/us-central1/subnetworks/apps; omitted: the network's own. */
  subnetwork: z.string().regex(SUBNETWORK_PATH, 'must be a subnetwork path such as regions/us-central1/subnetworks/default').optional(),
})
  .refine((r) => (r.zones ?? []).every((z) => z.startsWith(`${r.name}-`)), { message: 'every zone must belong to its region (us-central1-a is in us-central1)', path: ['zones'] })
  .refine((r) => r.subnetwork === undefined || SUBNETWORK_PATH.exec(r.subnetwork)?.[4] === r.name, {
    message: 'the subnetwork must be in this region (regions/REGION/subnetworks/NAME)',
    path: ['subnetwork'],
  });

/** `us-central1` is shorthand for `{name: us-central1}`. */
export const GcpRegionConfig = z.preprocess((value) => (typeof value === 'string' ? { name: value } : value), RegionEntry);
export type GcpRegionConfig = z.output<typeof RegionEntry>;

const REGIONS_HINT = 'list at least one region, e.g. regions: [us-central1] or [{name: us-central1, zones: [us-central1-a]}]';

export const GcpConfig = section({
  /** The project VMs are made in; omitted: the service-account key's project_id, else the environment's (ADC). */
  project: z.string().regex(PROJECT_ID, 'must be a project id (6–30 lowercase letters, digits and hyphens), not the project name or number').optional(),
  regions: z
    .array(GcpRegionConfig, { error: (issue) => (issue.input === undefined ? REGIONS_HINT : undefined) })
    .min(1, REGIONS_HINT)
    .refine((regions) => new Set(regions.map((r) => r.name)).size === regions.length, { message: 'region names must be unique' }),
  /** The VPC network of every VM's interface. */
  network: z.string().regex(NETWORK_PATH, 'must be a network path such as global/networks/default').default('global/networks/default'),
  /** Give each VM an ephemeral public IPv4 address (an access config), as the console does by default. */
  externalIp: z.boolean().default(true),
  /** Image names requests may use, each an image path; a request may also name a full image path itself. */
  images: z.record(z.string().min(1), GcpImageConfig).prefault(DEFAULT_GCP_IMAGES),
  bootDisk: section({
    sizeGb: z.number().int().min(10, 'GCE boot disks are at least 10 GB').max(65536).default(10),
    /** A disk type of the zone: pd-balanced, pd-ssd, pd-standard, hyperdisk-balanced, … */
    type: z.string().regex(/^[a-z][-a-z0-9]*$/, 'must be a disk type name such as pd-balanced').default('pd-balanced'),
  }).prefault({}),
  /** What GCE does to a Spot VM it reclaims: STOP keeps its disk (Tessera sees it stopped), DELETE removes it. */
  spotTerminationAction: z.enum(['STOP', 'DELETE']).default('STOP'),
  /**
   * The metadata key user data is written to: `user-data` (read by cloud-init) or `startup-script` (run by the
   * guest agent on every boot). `auto` picks user-data for `#cloud-config` and MIME multipart, else startup-script.
   */
  userDataKey: z.enum(['auto', 'user-data', 'startup-script']).default('auto'),
  /** Another Compute API host, e.g. a Private Service Connect endpoint (compute-myendpoint.p.googleapis.com). */
  apiEndpoint: z.string().regex(HOST, 'must be a host name or IP address without scheme or port, e.g. compute-psc.p.googleapis.com').optional(),
  port: z.number().int().min(1).max(65535).optional(),
  /** `http` only for a local test endpoint: bearer tokens must otherwise never cross the network in clear. */
  protocol: z.enum(['https', 'http']).default('https'),
  /** Another OAuth token endpoint for the service-account key (Private Service Connect, tests). */
  tokenUrl: z.string().refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), { message: 'must be an http(s) URL such as https://oauth2.googleapis.com/token' }).optional(),
  /** Pause between two `zoneOperations.wait` calls for an operation that is not DONE yet. */
  operationPollIntervalMs: z.number().int().min(10).max(60_000).default(1_000),
  /** How long create waits for its insert operation before reporting the VM as still pending. */
  operationTimeoutSeconds: z.number().positive().max(3600).default(600),
  /** Retries of one API call that failed with a retryable error (throttling, 5xx, a dropped connection). */
  retry: section({
    maxAttempts: z.number().int().min(1).max(10).default(4),
    baseDelayMs: z.number().int().min(0).default(500),
    maxDelayMs: z.number().int().min(0).default(20_000),
  }).prefault({}),
})
  .refine((c) => c.port === undefined || c.apiEndpoint !== undefined, { message: 'port applies to apiEndpoint: set apiEndpoint too', path: ['port'] })
  .refine((c) => c.protocol === 'https' || c.apiEndpoint !== undefined, {
    message: 'protocol http is only for a local test endpoint given as apiEndpoint; Google APIs are reached over https',
    path: ['protocol'],
  });
export type GcpConfig = z.output<typeof GcpConfig>;
export type GcpConfigInput = z.input<typeof GcpConfig>;

/** Validates a provider block; the message names the provider and each offending field. */
export function parseGcpConfig(providerName: string, raw: unknown): GcpConfig {
  const result = GcpConfig.safeParse(raw ?? {});
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`).join('; ');
    throw new InvalidInputError(`gcp provider '${providerName}' has an invalid configuration: ${problems}`, { provider: providerName });
  }
  return result.data;
}

/** `regions[1].zones`, as a person would write it. */
function formatPath(path: PropertyKey[]): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : `${out ? '.' : ''}${String(part)}`;
  return out || '(root)';
}
