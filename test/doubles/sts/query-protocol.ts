import type { AssumeRoleWithSamlResult } from './assume-role-with-saml.js';
import type { StsError } from './sts-error.js';
import type { TemporaryCredentials } from './temporary-credentials.js';

/**
 * The AWS Query protocol as STS speaks it (API version 2011-06-15): a form-encoded POST carrying `Action`,
 * `Version` and the operation's members, answered with XML in the STS namespace. This is what
 * @aws-sdk/client-sts 3.x sends (its AwsQueryProtocol), and what the CLI and other SDKs send too.
 */
export const STS_API_VERSION = '2011-06-15';
export const STS_XML_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';

export function renderAssumeRoleWithSamlResponse(result: AssumeRoleWithSamlResult, requestId: string): string {
  const { credentials, assumedRoleUser } = result;
  return [
    `<AssumeRoleWithSAMLResponse xmlns="${STS_XML_NAMESPACE}">`,
    '  <AssumeRoleWithSAMLResult>',
    element('Audience', result.audience),
    '    <AssumedRoleUser>',
    element('AssumedRoleId', assumedRoleUser.assumedRoleId, 6),
    element('Arn', assumedRoleUser.arn, 6),
    '    </AssumedRoleUser>',
    ...credentialsXml(credentials),
    element('Issuer', result.issuer),
    element('NameQualifier', result.nameQualifier),
    element('PackedPolicySize', String(result.packedPolicySize)),
    element('Subject', result.subject),
    element('SubjectType', result.subjectType),
    ...(result.sourceIdentity === undefined ? [] : [element('SourceIdentity', result.sourceIdentity)]),
    '  </AssumeRoleWithSAMLResult>',
    '  <ResponseMetadata>',
    element('RequestId', requestId),
    '  </ResponseMetadata>',
    '</AssumeRoleWithSAMLResponse>',
    '',
  ].join('\n');
}

export function renderErrorResponse(error: StsError, requestId: string): string {
  return [
    `<ErrorResponse xmlns="${STS_XML_NAMESPACE}">`,
    '  <Error>',
    element('Type', error.type),
    element('Code', error.code),
    element('Message', error.message),
    '  </Error>',
    element('RequestId', requestId, 2),
    '</ErrorResponse>',
    '',
  ].join('\n');
}

/** The `<Credentials>` block every STS assume-role answer carries. */
export function credentialsXml(credentials: TemporaryCredentials): string[] {
  return [
    '    <Credentials>',
    element('AccessKeyId', credentials.accessKeyId, 6),
    element('SecretAccessKey', credentials.secretAccessKey, 6),
    element('SessionToken', credentials.sessionToken, 6),
    element('Expiration', credentials.expiration.toISOString().replace('.000Z', 'Z'), 6),
    '    </Credentials>',
  ];
}

export function element(name: string, text: string, indent = 4): string {
  return `${' '.repeat(indent)}<${name}>${escapeXmlText(text)}</${name}>`;
}

function escapeXmlText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
