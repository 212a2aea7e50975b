import { z } from 'zod';
import { section } from '../../core/config-schema.js';
import { InvalidInputError } from '../../core/errors.js';

/**
 * One `aws` provider's block from tessera.yaml: the EC2 regions it uses (with optional networking per region),
 * the images it offers (a name mapped to an AMI per region), how it authenticates, and how hard the SDK retries.
 * Keys are strict: a typo would otherwise fall back to a default without a word.
 */

/** EC2 ids: the prefix, then 8 (older) or 17 hex digits. */
const ec2Id = (prefix: string) =>
  z.string().regex(new RegExp(`^${prefix}-([0-9a-f]{8}|[0-9a-f]{17})$`), `must be an EC2 id like ${prefix}-0123456789abcdef0`);

export const AMI_ID = /^ami-([0-9a-f]{8}|[0-9a-f]{17})$/;
const REGION_NAME = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const RegionName = z.string().regex(REGION_NAME, 'must be an AWS region name such as us-east-1 or eu-west-1');

const HttpUrl = z
  .string()
  .refine((value) => /^https?:\/\/[^/\s]+(\/.*)?$/.test(value), { message: 'must be an http:// or https:// URL, e.g. https://ec2.us-east-1.amazonaws.com' });

export const AwsRegionConfig = section({
  name: RegionName,
  /** The subnet new instances join; its zone wins over a request's zone (EC2 refuses a mismatch). Omitted: the default VPC. */
  subnetId: ec2Id('subnet').optional(),
  /** Security groups of new instances; omitted: the VPC's default group. */
  securityGroupIds: z.array(ec2Id('sg')).min(1, 'list at least one security group, or leave securityGroupIds out').optional(),
});
export type AwsRegionConfig = z.output<typeof AwsRegionConfig>;

export const AwsImageConfig = section({
  /** What requests name, e.g. `ubuntu-24.04`. */
  name: z
    .string()
    .min(1)
    .refine((name) => !AMI_ID.test(name), { message: 'an image name must not itself look like an AMI id (requests may name an ami-… id directly)' }),
  os: z.string().min(1).default('linux'),
  arch: z.enum(['x86_64', 'arm64']).default('x86_64'),
  /** The AMI of this image in each region (AMI ids differ between regions). */
  amis: z.record(RegionName, ec2Id('ami')).refine((amis) => Object.keys(amis).length > 0, { message: 'map at least one region to an AMI id, e.g. { us-east-1: ami-0123456789abcdef0 }' }),
});
export type AwsImageConfig = z.output<typeof AwsImageConfig>;

export const AwsAssumeRoleConfig = section({
  roleArn: z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, 'must be an IAM role ARN such as arn:aws:iam::123456789012:role/tessera'),
  /** The external id the role's trust policy requires (sts:ExternalId), if any. */
  externalId: z.string().regex(/^[\w+=,.@:/-]{2,1224}$/, 'must be 2-1224 characters of letters, digits and +=,.@:/-').optional(),
  /** Appears in CloudTrail as the session name; default `tessera-<provider>`. */
  sessionName: z.string().regex(/^[\w+=,.@-]{2,64}$/, 'must be 2-64 characters of letters, digits and +=,.@-').optional(),
  /** Lifetime of each set of temporary credentials (they are renewed before they expire). */
  durationSeconds: z.number().int().min(900).max(43200).default(3600),
});
export type AwsAssumeRoleConfig = z.output<typeof AwsAssumeRoleConfig>;

export const AwsConfig = section({
  regions: z
    .array(AwsRegionConfig)
    .min(1, 'list at least one region, e.g. regions: [{ name: us-east-1 }]')
    .refine((regions) => new Set(regions.map((r) => r.name)).size === regions.length, { message: 'region names must be unique' }),
  images: z
    .array(AwsImageConfig)
    .refine((images) => new Set(images.map((i) => i.name)).size === images.length, { message: 'image names must be unique' })
    .default([]),
  /** A profile of the shared AWS config and credentials files (~/.aws/config, ~/.aws/credentials). */
  profile: z.string().min(1).optional(),
  /** A role to assume on top of the stored keys, the profile, or the SDK's default credentials. */
  assumeRole: AwsAssumeRoleConfig.optional(),
  /** Another EC2 endpoint (an EC2-compatible private cloud, or a test double); one endpoint serves every region. */
  endpoint: HttpUrl.optional(),
  /** Another STS endpoint for the role assumption (with `assumeRole` only). */
  stsEndpoint: HttpUrl.optional(),
  /** Attempts per call, the first included, with the SDK's standard backoff between them (throttling, 5xx, dropped connections). */
  maxAttempts: z.number().int().min(1).max(10).default(3),
  /** Longest wait for one answer. */
  requestTimeoutSeconds: z.number().positive().default(30),
  /** How long the instance types and zones of a region are reused before EC2 is asked again. */
  catalogCacheSeconds: z.number().int().min(0).default(3600),
})
  .refine((c) => c.stsEndpoint === undefined || c.assumeRole !== undefined, {
    message: 'stsEndpoint is only used to assume a role: add assumeRole { roleArn } or remove stsEndpoint',
    path: ['stsEndpoint'],
  })
  .superRefine((c, ctx) => {
    const regions = new Set(c.regions.map((r) => r.name));
    c.images.forEach((image, i) => {
      for (const region of Object.keys(image.amis)) {
        if (!regions.has(region)) {
          ctx.addIssue({
            code: 'custom',
            path: ['images', i, 'amis', region],
            message: `region ${region} is not one of this provider's regions (${[...regions].join(', ')}): add it to regions or remove this AMI`,
          });
        }
      }
    });
  });
export type AwsConfig = z.output<typeof AwsConfig>;
export type AwsConfigInput = z.input<typeof AwsConfig>;

/** Validates a provider block; the message names the provider and each offending field. */
export function parseAwsConfig(providerName: string, raw: unknown): AwsConfig {
  const result = AwsConfig.safeParse(raw ?? {});
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`).join('; ');
    throw new InvalidInputError(`aws provider '${providerName}' has an invalid configuration: ${problems}`, { provider: providerName });
  }
  return result.data;
}

/** The keys `tessera provider credentials NAME --from-file F` may store for an aws provider. */
export interface StaticKeys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

const CREDENTIAL_KEYS = ['accessKeyId', 'secretAccessKey', 'sessionToken'];

/** The stored keys, checked; null when none are stored. */
export function parseStoredKeys(providerName: string, stored: Record<string, string> | null): StaticKeys | null {
  if (stored === null || Object.keys(stored).length === 0) return null;
  const invalid = (what: string) =>
    new InvalidInputError(
      `the credentials stored for aws provider '${providerName}' ${what}; store a JSON object {"accessKeyId": "AKIA…", "secretAccessKey": "…"} ` +
        `(plus "sessionToken" for temporary keys) with tessera provider credentials ${providerName} --from-file FILE`,
      { provider: providerName },
    );
  const unknown = Object.keys(stored).filter((k) => !CREDENTIAL_KEYS.includes(k));
  if (unknown.length > 0) throw invalid(`have unknown key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')} (allowed: ${CREDENTIAL_KEYS.join(', ')})`);
  const { accessKeyId, secretAccessKey, sessionToken } = stored;
  if (!accessKeyId || !secretAccessKey) throw invalid(`lack ${!accessKeyId ? 'accessKeyId' : 'secretAccessKey'}`);
  if (!/^[A-Z0-9]{16,128}$/.test(accessKeyId)) throw invalid('have an accessKeyId that is not an AWS access key id (16-128 upper-case letters and digits, e.g. AKIA…)');
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
}

/** `images[1].amis.us-east-1`, as a person would write it. */
function formatPath(path: PropertyKey[]): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : `${out ? '.' : ''}${String(part)}`;
  return out || '(root)';
}
