import { fromIni, fromNodeProviderChain, fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { ProviderError } from '../driver.js';
import type { AwsConfig, StaticKeys } from './config.js';

/**
 * Where the driver's AWS credentials come from, in this order: keys stored for the provider (`tessera provider
 * credentials`), else a profile of the shared AWS files, else the SDK's default chain (environment, SSO, the
 * instance's or task's role); with `assumeRole`, the role is taken on top of whichever of these applies.
 * One provider is shared by every region's client, so a role is assumed once and renewed before it expires.
 */
export interface CredentialSource {
  provider: AwsCredentialIdentityProvider;
  /** In words, for error messages, e.g. `the role arn:… assumed with the profile ops`. Never holds a secret. */
  description: string;
}

/** The SDK's credential provider and identity types, as the public credential providers declare them. */
type AwsCredentialIdentityProvider = ReturnType<typeof fromIni>;
type AwsCredentialIdentity = Awaited<ReturnType<AwsCredentialIdentityProvider>>;

/** Renew temporary credentials this long before they expire, so no call is signed with a dying key. */
const RENEW_BEFORE_MS = 5 * 60_000;

export function credentialSource(providerName: string, config: AwsConfig, stored: StaticKeys | null): CredentialSource {
  let base: AwsCredentialIdentityProvider;
  let description: string;
  if (stored) {
    const keys: AwsCredentialIdentity = { accessKeyId: stored.accessKeyId, secretAccessKey: stored.secretAccessKey, sessionToken: stored.sessionToken };
    base = async () => keys;
    description = `the access key ${stored.accessKeyId} stored for provider '${providerName}'`;
  } else if (config.profile !== undefined) {
    base = fromIni({ profile: config.profile });
    description = `the profile '${config.profile}' of the shared AWS config files`;
  } else {
    base = fromNodeProviderChain();
    description = "the AWS SDK's default credentials (environment, shared files, SSO, or the instance's role)";
  }
  if (config.assumeRole) {
    const role = config.assumeRole;
    base = fromTemporaryCredentials({
      params: {
        RoleArn: role.roleArn,
        RoleSessionName: role.sessionName ?? `tessera-${providerName}`.replace(/[^\w+=,.@-]/g, '-').slice(0, 64),
        DurationSeconds: role.durationSeconds,
        ...(role.externalId !== undefined && { ExternalId: role.externalId }),
      },
      masterCredentials: base,
      clientConfig: {
        region: config.regions[0]!.name,
        maxAttempts: config.maxAttempts,
        ...(config.stsEndpoint !== undefined && { endpoint: config.stsEndpoint }),
      },
    });
    description = `the role ${role.roleArn}${role.externalId !== undefined ? ' (with its external id)' : ''} assumed with ${description}`;
  }
  return { provider: shared(base, (e) => credentialError(providerName, description, config, e)), description };
}

/**
 * One credential lookup for all callers at a time, kept until shortly before it expires; a failure is not kept,
 * so the next call tries again. Failures become ProviderErrors here, where it is known they concern credentials.
 */
function shared(provider: AwsCredentialIdentityProvider, classify: (e: unknown) => ProviderError): AwsCredentialIdentityProvider {
  let current: Promise<AwsCredentialIdentity> | null = null;
  let renewAt = Infinity;
  return (props) => {
    if (current === null || Date.now() >= renewAt) {
      renewAt = Infinity;
      // The first caller's client settings (region, logger) serve the lookup for all: they differ only by region.
      const lookup: Promise<AwsCredentialIdentity> = provider(props).then(
        (identity) => {
          renewAt = identity.expiration ? identity.expiration.getTime() - RENEW_BEFORE_MS : Infinity;
          return identity;
        },
        (e: unknown) => {
          if (current === lookup) current = null;
          throw classify(e);
        },
      );
      current = lookup;
    }
    return current;
  };
}

/** Codes STS answers that mean "try again later" rather than "these credentials or this role are wrong". */
const STS_TRANSIENT = new Set(['Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'InternalFailure', 'ServiceUnavailable', 'TimeoutError', 'RegionDisabledException']);
const NETWORK = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|socket hang up/;

function credentialError(providerName: string, description: string, config: AwsConfig, e: unknown): ProviderError {
  const err = (e ?? {}) as { name?: string; message?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  const code = err.name ?? 'CredentialsError';
  const said = (err.message ?? String(e)).trim().replace(/\.$/, '');
  const where = `aws provider '${providerName}' could not get AWS credentials from ${description}`;
  const status = err.$metadata?.httpStatusCode;
  if (STS_TRANSIENT.has(code) || (status !== undefined && status >= 500) || NETWORK.test(`${err.code ?? ''} ${said}`)) {
    return new ProviderError('Retryable', `${where}: ${said} (${code}); Tessera retries`, providerName, code);
  }
  if (code === 'CredentialsProviderError') {
    const how =
      config.profile !== undefined
        ? `check that profile '${config.profile}' exists in ~/.aws/config or ~/.aws/credentials of the user running Tessera (or AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE)`
        : `store keys with tessera provider credentials ${providerName} --from-file FILE, or set profile or assumeRole in the provider's configuration`;
    return new ProviderError('Invalid', `${where}: ${said}; ${how}`, providerName, code);
  }
  if (config.assumeRole) {
    return new ProviderError(
      'Invalid',
      `${where}: STS refused sts:AssumeRole (${code}): ${said}; the role's trust policy must allow the caller` +
        `${config.assumeRole.externalId !== undefined ? ' with this sts:ExternalId' : ''}, and the caller's policy must allow sts:AssumeRole on ${config.assumeRole.roleArn}`,
      providerName,
      code,
    );
  }
  return new ProviderError('Invalid', `${where}: ${said} (${code})`, providerName, code);
}
