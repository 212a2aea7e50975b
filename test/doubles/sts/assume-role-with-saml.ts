import { createHash } from 'node:crypto';
import type { IamRole } from './iam-role.js';
import type { SamlProvider } from './saml-provider.js';
import { verifySamlResponse, type ValidationClock } from './saml-verifier.js';
import { accessDenied, invalidIdentityToken, validationError, expiredToken } from './sts-error.js';
import { mintTemporaryCredentials, type TemporaryCredentials } from './temporary-credentials.js';

/** The IAM side of one or more AWS accounts: what AssumeRoleWithSAML consults besides the assertion. */
export interface IamDirectory {
  providers: ReadonlyMap<string, SamlProvider>;
  roles: ReadonlyMap<string, IamRole>;
}

export interface AssumeRoleWithSamlResult {
  credentials: TemporaryCredentials;
  assumedRoleUser: { arn: string; assumedRoleId: string };
  packedPolicySize: number;
  subject: string;
  subjectType: string;
  issuer: string;
  audience: string;
  nameQualifier: string;
  sourceIdentity?: string;
}

const DEFAULT_DURATION_SECONDS = 3600;
/** Session policies (inline plus managed ARNs) may use 2,048 plaintext characters (STS API reference). */
const SESSION_POLICY_PLAINTEXT_LIMIT = 2048;

/**
 * The AssumeRoleWithSAML operation on already-decoded Query parameters: parameter constraints, then the
 * assertion, then IAM (role mapping, trust, session length), then fresh credentials.
 */
export function assumeRoleWithSaml(params: URLSearchParams, iam: IamDirectory, clock: ValidationClock): AssumeRoleWithSamlResult {
  const request = validatedRequest(params);
  const provider = iam.providers.get(request.principalArn);
  if (!provider) throw invalidIdentityToken("Specified provider doesn't exist", `no SAML provider ${request.principalArn} is configured`);

  const assertion = verifySamlResponse(request.samlAssertion, provider, clock);
  // The requested role must be one the IdP mapped the user to, paired with this very provider.
  if (!assertion.rolePairs.some((pair) => pair.roleArn === request.roleArn && pair.providerArn === request.principalArn)) {
    throw accessDenied(`the Role attribute does not pair ${request.roleArn} with ${request.principalArn}`);
  }
  const role = iam.roles.get(request.roleArn);
  if (!role) throw accessDenied(`role ${request.roleArn} does not exist`);
  if (role.trustedProviderArn !== provider.arn) throw accessDenied(`the trust policy of ${role.arn} does not name ${provider.arn}`);

  const requestedSeconds = request.durationSeconds ?? DEFAULT_DURATION_SECONDS;
  if (requestedSeconds > role.maxSessionDurationSeconds) {
    throw validationError('The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
  }
  // The session ends at the earliest of DurationSeconds, the SessionDuration attribute (which "can be used to
  // shorten" an API session) and the AuthnStatement's SessionNotOnOrAfter (STS API reference, IAM user guide).
  const now = clock.now.getTime();
  const endsAt = Math.min(
    now + requestedSeconds * 1000,
    now + (assertion.sessionDurationSeconds ?? requestedSeconds) * 1000,
    assertion.sessionNotOnOrAfter?.getTime() ?? Infinity,
  );
  if (endsAt <= now) throw expiredToken('Token is expired', `SessionNotOnOrAfter ${assertion.sessionNotOnOrAfter?.toISOString()} has passed`);
  // STS expresses Expiration in whole seconds.
  const expiration = new Date(Math.floor(endsAt / 1000) * 1000);

  return {
    credentials: mintTemporaryCredentials(expiration),
    assumedRoleUser: {
      arn: `arn:aws:sts::${role.accountId}:assumed-role/${role.name}/${assertion.roleSessionName}`,
      assumedRoleId: `${role.uniqueId}:${assertion.roleSessionName}`,
    },
    packedPolicySize: packedPolicySize(request.sessionPolicyPlaintext),
    subject: assertion.subject,
    subjectType: assertion.subjectType,
    issuer: assertion.issuer,
    audience: assertion.recipient,
    nameQualifier: nameQualifier(assertion.issuer, provider),
    sourceIdentity: assertion.sourceIdentity,
  };
}

interface ValidatedRequest {
  roleArn: string;
  principalArn: string;
  samlAssertion: string;
  durationSeconds?: number;
  /** Policy plus the PolicyArns, as plaintext: only their size matters to this double. */
  sessionPolicyPlaintext: string;
}

/**
 * The API's member constraints (STS API reference, AssumeRoleWithSAML request parameters), reported all at once
 * in the "N validation error(s) detected" form STS uses.
 */
function validatedRequest(params: URLSearchParams): ValidatedRequest {
  const violations: string[] = [];
  const lengthWithin = (member: string, value: string | null, min: number, max: number, echo = true): string => {
    const shown = echo ? `'${value}'` : 'provided';
    if (value === null) violations.push(`Value null at '${member}' failed to satisfy constraint: Member must not be null`);
    else if (value.length < min) violations.push(`Value ${shown} at '${member}' failed to satisfy constraint: Member must have length greater than or equal to ${min}`);
    else if (value.length > max) violations.push(`Value ${shown} at '${member}' failed to satisfy constraint: Member must have length less than or equal to ${max}`);
    return value ?? '';
  };
  const roleArn = lengthWithin('roleArn', params.get('RoleArn'), 20, 2048);
  const principalArn = lengthWithin('principalArn', params.get('PrincipalArn'), 20, 2048);
  const samlAssertion = lengthWithin('sAMLAssertion', params.get('SAMLAssertion'), 4, 100_000, false);

  const durationText = params.get('DurationSeconds');
  const durationSeconds = durationText === null ? undefined : Number(durationText);
  if (durationSeconds !== undefined && (!Number.isInteger(durationSeconds) || durationSeconds < 900 || durationSeconds > 43200)) {
    violations.push(`Value '${durationText}' at 'durationSeconds' failed to satisfy constraint: Member must be an integer from 900 to 43200`);
  }
  if (violations.length > 0) {
    throw validationError(`${violations.length} validation error${violations.length > 1 ? 's' : ''} detected: ${violations.join('; ')}`);
  }

  const policyArns = [...params.entries()].filter(([key]) => /^PolicyArns\.member\.\d+\.arn$/.test(key)).map(([, arn]) => arn);
  return { roleArn, principalArn, samlAssertion, durationSeconds, sessionPolicyPlaintext: (params.get('Policy') ?? '') + policyArns.join('') };
}

/**
 * AWS reports the packed size of the session policies as a percentage of a binary limit it does not publish;
 * the share of the documented plaintext limit stands in for it (0 without session policies).
 */
function packedPolicySize(sessionPolicyPlaintext: string): number {
  return Math.ceil((100 * sessionPolicyPlaintext.length) / SESSION_POLICY_PLAINTEXT_LIMIT);
}

/** STS API reference: BASE64(SHA1(Issuer + account ID + "/" + provider friendly name)). */
function nameQualifier(issuer: string, provider: SamlProvider): string {
  return createHash('sha1').update(`${issuer}${provider.accountId}/${provider.name}`).digest('base64');
}
