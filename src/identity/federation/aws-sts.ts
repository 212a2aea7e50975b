import { AssumeRoleWithSAMLCommand, STSClient } from '@aws-sdk/client-sts';
import { ForbiddenError, InvalidInputError, UnavailableError, type TesseraError } from '../../core/errors.js';
import type { AwsAccountSettings } from '../../runtime/config.js';
import { AWS_SAML_ENDPOINT } from './aws-saml-response.js';

const DEFAULT_STS_REGION = 'us-east-1';
/** The SDK's standard retry mode: throttling and 5xx answers are tried again with backoff, up to this many attempts. */
const MAX_ATTEMPTS = 3;
const CONNECT_TIMEOUT_MS = 5_000;
const REQUEST_TIMEOUT_MS = 15_000;

export interface AssumeRoleWithSamlRequest {
  account: AwsAccountSettings;
  roleArn: string;
  /** The signed samlp:Response, base64: a bearer credential for five minutes, sent to STS and nowhere else. */
  samlResponse: string;
  durationSeconds: number;
  /** Where Tessera's metadata is served, for the advice when AWS does not accept the assertion. */
  metadataUrl: string;
}

/** What STS issued. The secret access key and session token are secrets: answered once, never stored or logged. */
export interface AwsTemporaryCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: string;
  assumedRoleArn: string;
}

/**
 * STS AssumeRoleWithSAML through the AWS SDK: the call is unsigned (the assertion is the proof), so Tessera needs
 * no AWS credentials of its own. One client per STS endpoint, kept for its connection pool.
 */
export class AwsStsExchange {
  private readonly clients = new Map<string, STSClient>();

  async assumeRoleWithSaml(request: AssumeRoleWithSamlRequest): Promise<AwsTemporaryCredentials> {
    const { account, roleArn } = request;
    const command = new AssumeRoleWithSAMLCommand({
      RoleArn: roleArn,
      PrincipalArn: account.samlProviderArn,
      SAMLAssertion: request.samlResponse,
      DurationSeconds: request.durationSeconds,
    });
    const answer = await this.clientFor(account)
      .send(command)
      .catch((e: unknown) => {
        throw stsFailure(e, request, stsEndpointOf(account));
      });
    const c = answer.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
      throw new UnavailableError(`AWS STS at ${stsEndpointOf(account)} answered AssumeRoleWithSAML without credentials: try again, and report it if it persists`);
    }
    return {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      expiration: c.Expiration.toISOString(),
      assumedRoleArn: answer.AssumedRoleUser?.Arn ?? roleArn,
    };
  }

  /** Closes the clients' connections (at shutdown). */
  close(): void {
    for (const client of this.clients.values()) client.destroy();
    this.clients.clear();
  }

  private clientFor(account: AwsAccountSettings): STSClient {
    const region = account.stsRegion ?? DEFAULT_STS_REGION;
    const key = `${region} ${account.stsEndpoint ?? ''}`;
    let client = this.clients.get(key);
    if (!client) {
      client = new STSClient({
        region,
        ...(account.stsEndpoint !== undefined && { endpoint: account.stsEndpoint }),
        maxAttempts: MAX_ATTEMPTS,
        requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS },
      });
      this.clients.set(key, client);
    }
    return client;
  }
}

function stsEndpointOf(account: AwsAccountSettings): string {
  return account.stsEndpoint ?? `https://sts.${account.stsRegion ?? DEFAULT_STS_REGION}.amazonaws.com`;
}

interface SdkError {
  name?: string;
  message?: string;
  code?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number; attempts?: number };
  $retryable?: { throttling?: boolean };
}

const THROTTLING = new Set(['Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'TooManyRequestsException']);

/**
 * STS's refusals as Tessera errors whose message says what to fix, and where. What the SDK retried in vain
 * (throttling, 5xx, a dropped connection) is a 503: the caller may try again later.
 */
function stsFailure(e: unknown, request: AssumeRoleWithSamlRequest, endpoint: string): TesseraError {
  const error = (e ?? {}) as SdkError;
  const provider = request.account.samlProviderArn;
  const said = `AWS STS answered ${error.name ?? 'an error'}: ${error.message ?? 'no message'}`;
  const details = { awsError: error.name ?? null, account: request.account.id, role: request.roleArn, samlProviderArn: provider };
  switch (error.name) {
    case 'AccessDenied':
      return new ForbiddenError(
        `AWS refused ${request.roleArn} to Tessera's assertion (${said}): the role's trust policy must allow "sts:AssumeRoleWithSAML" to the ` +
          `federated principal ${provider}, with the condition StringEquals "SAML:aud": "${AWS_SAML_ENDPOINT}" — see docs/federation.md`,
        details,
      );
    case 'InvalidIdentityTokenException':
      return new ForbiddenError(
        `AWS did not accept Tessera's signed assertion (${said}): the IAM SAML provider ${provider} must hold Tessera's current metadata from ` +
          `${request.metadataUrl} — update it with: aws iam update-saml-provider --saml-provider-arn ${provider} --saml-metadata-document file://tessera-idp-metadata.xml`,
        { ...details, metadataUrl: request.metadataUrl },
      );
    case 'IDPRejectedClaimException':
      return new ForbiddenError(
        `AWS rejected a claim of Tessera's assertion (${said}): check the conditions of the trust policy of ${request.roleArn} (saml:sub, saml:aud) against docs/federation.md`,
        details,
      );
    case 'ExpiredTokenException':
      return new UnavailableError(`AWS found Tessera's assertion expired as soon as it was made (${said}): this server's clock is probably wrong — synchronise it (NTP)`, details);
    case 'ValidationError':
      return new InvalidInputError(
        `AWS did not accept the request (${said}): ask for a shorter session (durationSeconds, --duration), or raise the MaxSessionDuration of ${request.roleArn} in IAM`,
        details,
      );
    case 'RegionDisabledException':
      return new UnavailableError(`${said}: activate STS in that region for account ${request.account.id}, or set stsRegion to one where it is active`, details);
  }
  const status = error.$metadata?.httpStatusCode;
  const attempts = error.$metadata?.attempts;
  if (error.$retryable?.throttling || THROTTLING.has(error.name ?? '') || (status !== undefined && status >= 500)) {
    return new UnavailableError(`AWS STS at ${endpoint} is throttling or failing (${said}${attempts ? `, after ${attempts} attempts` : ''}): try again in a moment`, details);
  }
  if (status === undefined) {
    return new UnavailableError(`AWS STS at ${endpoint} could not be reached (${error.code ?? error.name ?? 'network error'}: ${error.message ?? ''}): check the network, or stsEndpoint in tessera.yaml`, details);
  }
  return new UnavailableError(`${said} (HTTP ${status}): see docs/federation.md, or report it with this message`, details);
}
