import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { section } from '../../core/config-schema.js';
import { InvalidInputError } from '../../core/errors.js';

/**
 * One `azure` provider's block from tessera.yaml: which subscription and resource group Tessera works in, the
 * locations it may place VMs in (each with the subnet their NICs join), how it signs in, and the image names it
 * offers. Keys are checked strictly so that a typo (`location:` for `locations:`) is an error, not a default.
 */

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
/** Azure's rule for resource group names. */
const RESOURCE_GROUP = /^[-\w._()]{0,89}[-\w_()]$/;
/** Location names as ARM writes them: `eastus`, `westeurope`, `usgovvirginia`. */
const LOCATION = /^[a-z][a-z0-9]{1,40}$/;
const SUBNET_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/virtualNetworks\/[^/]+\/subnets\/[^/]+$/i;
const IMAGE_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Compute\/(images|galleries)\/.+$/i;

/** An https URL: ARM and Entra ID are only ever reached over TLS, since every request carries a bearer token. */
const HttpsUrl = z
  .string()
  .refine((value) => URL.canParse(value) && new URL(value).protocol === 'https:', {
    message: 'must be an https:// URL: Azure bearer tokens are never sent over plain http',
  });

/** A marketplace (platform) image, as `az vm image list` shows it. */
const MarketplaceImage = section({
  publisher: z.string().min(1),
  offer: z.string().min(1),
  sku: z.string().min(1),
  version: z.string().min(1).default('latest'),
  arch: z.enum(['x86_64', 'arm64']).default('x86_64'),
});

/** A custom image or a Compute Gallery image (version) by its full resource id. */
const CustomImage = section({
  id: z.string().regex(IMAGE_ID, 'must be the full resource id of a Microsoft.Compute image or gallery image, e.g. /subscriptions/…/resourceGroups/…/providers/Microsoft.Compute/galleries/g/images/i/versions/1.0.0'),
  arch: z.enum(['x86_64', 'arm64']).default('x86_64'),
});

export const AzureImageConfig = z.union([MarketplaceImage, CustomImage], {
  error: () => 'an image is either {publisher, offer, sku, version?, arch?} (a marketplace image) or {id, arch?} (a custom or gallery image)',
});
export type AzureImageConfig = z.output<typeof AzureImageConfig>;

/** Used when a config names no images: current Ubuntu and Debian LTS marketplace images. */
export const DEFAULT_AZURE_IMAGES: Record<string, z.input<typeof AzureImageConfig>> = {
  'ubuntu-24.04': { publisher: 'Canonical', offer: 'ubuntu-24_04-lts', sku: 'server' },
  'ubuntu-22.04': { publisher: 'Canonical', offer: '0001-com-ubuntu-server-jammy', sku: '22_04-lts-gen2' },
  'debian-12': { publisher: 'Debian', offer: 'debian-12', sku: '12-gen2' },
};

const SshPublicKey = z
  .string()
  .regex(/^(ssh-rsa|ssh-ed25519|ecdsa-sha2-nistp\d+) [A-Za-z0-9+/=]+( .*)?$/, 'must be an OpenSSH public key line, e.g. "ssh-ed25519 AAAA… user@host"');

export const AzureConfig = section({
  subscriptionId: z.string().regex(GUID, 'must be the subscription id, a GUID such as 00000000-0000-0000-0000-000000000000'),
  /** Where Tessera creates VMs, NICs and disks; it must exist already. */
  resourceGroup: z.string().regex(RESOURCE_GROUP, 'must be an Azure resource group name (letters, digits, "-", "_", ".", "(", ")"; at most 90)'),
  /** The locations Tessera places VMs in; each is a Tessera region (its availability zones are `LOCATION-N`). */
  locations: z
    .array(z.string().regex(LOCATION, 'must be an ARM location name in lower case, such as eastus or westeurope'))
    .min(1, 'list at least one location, e.g. [eastus]')
    .refine((l) => new Set(l).size === l.length, { message: 'locations must be unique' }),
  /** The subnet every NIC joins (its virtual network must be in the VM's location). */
  subnetId: z.string().regex(SUBNET_ID, 'must be a subnet resource id: /subscriptions/…/resourceGroups/…/providers/Microsoft.Network/virtualNetworks/VNET/subnets/SUBNET').optional(),
  /** Per-location subnets, for providers that span locations (a virtual network lives in one location). */
  subnetIds: z.record(z.string(), z.string().regex(SUBNET_ID, 'must be a subnet resource id')).optional(),
  /** Image names Tessera offers, each a marketplace image or a custom/gallery image id. */
  images: z.record(z.string().min(1), AzureImageConfig).prefault(DEFAULT_AZURE_IMAGES),
  /** The Linux administrator account; Tessera sets no password, only SSH keys. */
  adminUsername: z
    .string()
    .regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'must be a Linux user name (lower case, at most 32 characters)')
    .refine((u) => !['root', 'admin', 'administrator', 'guest', 'user'].includes(u), { message: 'Azure refuses reserved user names such as root and admin' })
    .default('tessera'),
  sshPublicKeys: z.array(SshPublicKey).min(1, 'give at least one SSH public key: Azure Linux VMs need one when no password is set'),
  osDiskType: z.enum(['Standard_LRS', 'StandardSSD_LRS', 'Premium_LRS', 'StandardSSD_ZRS', 'Premium_ZRS']).default('StandardSSD_LRS'),
  /**
   * What power "off" does. `deallocate` (the default) releases the VM's hardware, so compute billing stops —
   * what a user switching a machine off expects; `powerOff` keeps the hardware reserved and keeps billing it.
   */
  stopMode: z.enum(['deallocate', 'powerOff']).default('deallocate'),
  /** What Azure does to a Spot VM it evicts: `Deallocate` keeps its disk (reported stopped), `Delete` removes it. */
  spotEvictionPolicy: z.enum(['Deallocate', 'Delete']).default('Deallocate'),
  /** How Tessera signs in: a service principal's secret (stored credentials), the host's managed identity, or DefaultAzureCredential. */
  credential: z.enum(['client-secret', 'managed-identity', 'default']).default('client-secret'),
  /** A user-assigned managed identity's client id (`credential: managed-identity`); omitted: the system-assigned one. */
  managedIdentityClientId: z.string().regex(GUID, 'must be a client id (GUID)').optional(),
  /** ARM's base URL: change it for a sovereign cloud or Azure Stack Hub. */
  endpoint: HttpsUrl.default('https://management.azure.com'),
  /** Entra ID's base URL (login.microsoftonline.us for US Government, login.chinacloudapi.cn for China, or an AD FS). */
  authorityHost: HttpsUrl.default('https://login.microsoftonline.com'),
  /** The token scope for ARM; omitted: `ENDPOINT/.default`, right for public and sovereign clouds (Azure Stack Hub names its own). */
  tokenScope: z.string().min(1).optional(),
  /** An extra CA (PEM text or a file path) to trust besides the system's, e.g. an Azure Stack Hub's enterprise CA. */
  caCertificate: z.string().min(1).optional(),
  /** Which VMs list() reports: the resource group's (default) or every VM in the subscription. */
  listScope: z.enum(['resourceGroup', 'subscription']).default('resourceGroup'),
  /** How often a long-running operation (create, start, delete, …) is polled when ARM does not say (Retry-After). */
  pollIntervalMs: z.number().int().min(1).default(2_000),
  /** Retries of one ARM call on throttling (honouring Retry-After), 5xx and network errors, by the SDK itself. */
  maxRetries: z.number().int().min(0).max(10).default(3),
  /** First back-off of those retries when ARM gives no Retry-After; it doubles each time. */
  retryDelayMs: z.number().int().min(1).default(1_000),
})
  .refine((c) => c.locations.every((l) => c.subnetIds?.[l] ?? c.subnetId), {
    message: 'every location needs a subnet: give subnetId (one subnet for all) or subnetIds {LOCATION: SUBNET_ID}',
    path: ['subnetId'],
  })
  .refine((c) => Object.keys(c.subnetIds ?? {}).every((l) => c.locations.includes(l)), {
    message: 'subnetIds names a location that is not in locations',
    path: ['subnetIds'],
  })
  .refine((c) => c.credential === 'managed-identity' || c.managedIdentityClientId === undefined, {
    message: 'managedIdentityClientId applies to credential: managed-identity only',
    path: ['managedIdentityClientId'],
  });
export type AzureConfig = z.output<typeof AzureConfig>;
export type AzureConfigInput = z.input<typeof AzureConfig>;

/** The stored credentials of `credential: client-secret`: a service principal of one tenant. */
export const AzureClientSecret = z.strictObject({
  tenantId: z.string().min(1, 'tenantId is the directory (tenant) id, a GUID or a domain such as contoso.onmicrosoft.com'),
  clientId: z.string().regex(GUID, 'clientId is the application (client) id of the service principal, a GUID'),
  clientSecret: z.string().min(1, 'clientSecret is the secret value (not its id)'),
});
export type AzureClientSecret = z.output<typeof AzureClientSecret>;

/** Validates a provider block; the message names the provider and each offending field. */
export function parseAzureConfig(providerName: string, raw: unknown): AzureConfig {
  const result = AzureConfig.safeParse(raw ?? {});
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`).join('; ');
    throw new InvalidInputError(`azure provider '${providerName}' has an invalid configuration: ${problems}`, { provider: providerName });
  }
  return result.data;
}

/** Checks the stored credentials; they are never echoed back, only which fields are wrong. */
export function parseClientSecret(providerName: string, stored: Record<string, string> | null): AzureClientSecret {
  if (!stored) {
    throw new InvalidInputError(
      `azure provider '${providerName}' signs in with a client secret (credential: client-secret) but has no stored credentials: ` +
        `store {tenantId, clientId, clientSecret} with 'tessera provider credentials ${providerName} --from-file FILE', or set credential: managed-identity`,
      { provider: providerName },
    );
  }
  const result = AzureClientSecret.safeParse(stored);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`).join('; ');
    throw new InvalidInputError(`azure provider '${providerName}' has unusable stored credentials: ${problems}`, { provider: providerName });
  }
  return result.data;
}

/** The subnet NICs in `location` join. */
export function subnetFor(config: AzureConfig, location: string): string {
  return (config.subnetIds?.[location] ?? config.subnetId)!;
}

/** The configured CA as PEM: inline text is used as is, anything else is read as a file path. */
export function readCaCertificate(providerName: string, source: string): string {
  if (source.includes('-----BEGIN CERTIFICATE-----')) return source;
  try {
    const pem = readFileSync(source, 'utf8');
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('the file holds no PEM certificate');
    return pem;
  } catch (e) {
    throw new InvalidInputError(`azure provider '${providerName}': caCertificate '${source}' could not be read (${(e as Error).message}); give PEM text or the path of a PEM file`, {
      provider: providerName,
    });
  }
}

/** `images.web.publisher`, as a person would write it. */
function formatPath(path: PropertyKey[]): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : `${out ? '.' : ''}${String(part)}`;
  return out || '(root)';
}
