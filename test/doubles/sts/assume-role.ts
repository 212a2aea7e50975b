import type { IncomingHttpHeaders } from 'node:http';
import type { IamDirectory } from './assume-role-with-saml.js';
import { credentialsXml, element, STS_XML_NAMESPACE } from './query-protocol.js';
import { StsError, validationError } from './sts-error.js';
import { mintTemporaryCredentials, type TemporaryCredentials } from './temporary-credentials.js';

/**
 * sts:AssumeRole, for callers that hold AWS credentials (an operator's keys or profile) and take on a role, as
 * Tessera's aws driver does with `assumeRole` configured. Unlike AssumeRoleWithSAML the call is SigV4-signed:
 * the double requires a well-formed signature (it keeps no key list, so it does not verify it) and records the
 * signing key in the call's headers. Any role of the directory may be assumed: the double models no IAM trust
 * policy for IAM principals — a test asserts what was asked (RoleArn, ExternalId, RoleSessionName) instead.
 */

export interface AssumeRoleResult {
  credentials: TemporaryCredentials;
  assumedRoleUser: { arn: string; assumedRoleId: string };
  packedPolicySize: number;
  /** The access key that signed the request. */
  callerAccessKeyId: string;
  externalId?: string;
  sourceIdentity?: string;
}

const SIGV4 = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/\d{8}\/[^/]+\/sts\/aws4_request, ?SignedHeaders=[a-z0-9;-]+, ?Signature=[0-9a-f]{64}$/;
const DEFAULT_DURATION_SECONDS = 3600;

export function isAssumeRole(params: URLSearchParams): boolean {
  return params.get('Action') === 'AssumeRole' && params.get('Version') === '2011-06-15';
}

/** The AssumeRole operation: the signature's presence, the members' constraints, the role, then fresh credentials. */
export function assumeRole(params: URLSearchParams, headers: IncomingHttpHeaders, iam: IamDirectory, now: Date): AssumeRoleResult {
  const authorization = typeof headers.authorization === 'string' ? SIGV4.exec(headers.authorization) : null;
  if (!authorization) throw new StsError('MissingAuthenticationToken', 403, 'Request is missing Authentication Token', 'AssumeRole must be SigV4-signed for service sts');
  const callerAccessKeyId = authorization[1]!;

  const request = validatedRequest(params);
  const role = iam.roles.get(request.roleArn);
  if (!role) {
    throw new StsError('AccessDenied', 403, `User: ${callerAccessKeyId} is not authorized to perform: sts:AssumeRole on resource: ${request.roleArn}`, `role ${request.roleArn} does not exist`);
  }
  const seconds = request.durationSeconds ?? DEFAULT_DURATION_SECONDS;
  if (seconds > role.maxSessionDurationSeconds) throw validationError('The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
  const expiration = new Date(Math.floor(now.getTime() / 1000) * 1000 + seconds * 1000);
  return {
    credentials: mintTemporaryCredentials(expiration),
    assumedRoleUser: { arn: `arn:aws:sts::${role.accountId}:assumed-role/${role.name}/${request.sessionName}`, assumedRoleId: `${role.uniqueId}:${request.sessionName}` },
    packedPolicySize: 0,
    callerAccessKeyId,
    externalId: request.externalId,
    sourceIdentity: request.sourceIdentity,
  };
}

interface ValidatedRequest {
  roleArn: string;
  sessionName: string;
  externalId?: string;
  durationSeconds?: number;
  sourceIdentity?: string;
}

/** The member constraints of the STS API reference (AssumeRole), reported together as STS does. */
function validatedRequest(params: URLSearchParams): ValidatedRequest {
  const violations: string[] = [];
  const check = (member: string, value: string | null, min: number, max: number, pattern: RegExp | null, required: boolean): string | undefined => {
    if (value === null) {
      if (required) violations.push(`Value null at '${member}' failed to satisfy constraint: Member must not be null`);
      return undefined;
    }
    if (value.length < min) violations.push(`Value '${value}' at '${member}' failed to satisfy constraint: Member must have length greater than or equal to ${min}`);
    else if (value.length > max) violations.push(`Value '${value}' at '${member}' failed to satisfy constraint: Member must have length less than or equal to ${max}`);
    else if (pattern && !pattern.test(value)) violations.push(`Value '${value}' at '${member}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${pattern.source}`);
    return value;
  };
  const roleArn = check('roleArn', params.get('RoleArn'), 20, 2048, null, true);
  const sessionName = check('roleSessionName', params.get('RoleSessionName'), 2, 64, /^[\w+=,.@-]*$/, true);
  const externalId = check('externalId', params.get('ExternalId'), 2, 1224, /^[\w+=,.@:/-]*$/, false);
  const sourceIdentity = check('sourceIdentity', params.get('SourceIdentity'), 2, 64, /^[\w+=,.@-]*$/, false);
  const durationText = params.get('DurationSeconds');
  const durationSeconds = durationText === null ? undefined : Number(durationText);
  if (durationSeconds !== undefined && (!Number.isInteger(durationSeconds) || durationSeconds < 900 || durationSeconds > 43200)) {
    violations.push(`Value '${durationText}' at 'durationSeconds' failed to satisfy constraint: Member must be an integer from 900 to 43200`);
  }
  if (violations.length > 0) throw validationError(`${violations.length} validation error${violations.length > 1 ? 's' : ''} detected: ${violations.join('; ')}`);
  return { roleArn: roleArn!, sessionName: sessionName!, externalId, durationSeconds, sourceIdentity };
}

export function renderAssumeRoleResponse(result: AssumeRoleResult, requestId: string): string {
  const { credentials, assumedRoleUser } = result;
  return [
    `<AssumeRoleResponse xmlns="${STS_XML_NAMESPACE}">`,
    '  <AssumeRoleResult>',
    ...(result.sourceIdentity === undefined ? [] : [element('SourceIdentity', result.sourceIdentity)]),
    '    <AssumedRoleUser>',
    element('Arn', assumedRoleUser.arn, 6),
    element('AssumedRoleId', assumedRoleUser.assumedRoleId, 6),
    '    </AssumedRoleUser>',
    ...credentialsXml(credentials),
    element('PackedPolicySize', String(result.packedPolicySize)),
    '  </AssumeRoleResult>',
    '  <ResponseMetadata>',
    element('RequestId', requestId),
    '  </ResponseMetadata>',
    '</AssumeRoleResponse>',
    '',
  ].join('\n');
}
