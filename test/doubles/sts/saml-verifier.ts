import type { Document, Element } from '@xmldom/xmldom';
import type { SamlProvider } from './saml-provider.js';
import { accessDenied, expiredToken, invalidIdentityToken } from './sts-error.js';
import { childElements, descendantElements, onlyChildElement, parseUntrustedXml, SAML_ASSERTION_NS, SAML_PROTOCOL_NS, textOf } from './xml-dom.js';
import { verifyEnvelopedSignature } from './xml-signature.js';

/** What AWS takes from a SAML response it has accepted. Every value comes from signed bytes. */
export interface VerifiedSamlAssertion {
  issuer: string;
  /** The Subject's NameID, and its Format with AWS's shortening (see {@link subjectTypeOf}). */
  subject: string;
  subjectType: string;
  /** The SubjectConfirmationData Recipient; STS returns it as `Audience` (and it is the `saml:aud` context key). */
  recipient: string;
  /** Values of https://aws.amazon.com/SAML/Attributes/Role, each split into its role and provider ARN. */
  rolePairs: Array<{ roleArn: string; providerArn: string }>;
  roleSessionName: string;
  sessionDurationSeconds?: number;
  /** AuthnStatement SessionNotOnOrAfter: the session may not outlast it. */
  sessionNotOnOrAfter?: Date;
  sourceIdentity?: string;
}

export interface ValidationClock {
  now: Date;
  /** Tolerated difference between the IdP's clock and ours, applied to NotBefore/NotOnOrAfter. */
  clockSkewMs: number;
}

const STATUS_SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
/** AWS's SAML endpoint, global or regional (IAM user guide, id_roles_providers_create_saml_assertions). */
const AWS_SIGNIN_SAML = /^https:\/\/([a-z0-9-]+\.)?signin\.aws\.amazon\.com\/saml$/;
const AWS_AUDIENCE_URN = 'urn:amazon:webservices';
const ATTRIBUTE_ROLE = 'https://aws.amazon.com/SAML/Attributes/Role';
const ATTRIBUTE_ROLE_SESSION_NAME = 'https://aws.amazon.com/SAML/Attributes/RoleSessionName';
const ATTRIBUTE_SESSION_DURATION = 'https://aws.amazon.com/SAML/Attributes/SessionDuration';
const ATTRIBUTE_SOURCE_IDENTITY = 'https://aws.amazon.com/SAML/Attributes/SourceIdentity';
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
/**
 * Not in AWS's documentation but what STS answers in the field ("Token must be redeemed within 5 minutes of
 * issuance", ExpiredTokenException — e.g. Nike-Inc/gimme-aws-creds#251, physera/onelogin-aws-cli#64).
 */
const REDEEM_WITHIN_MS = 5 * 60_000;
const SIGNATURE_INVALID = 'Response signature invalid';

/**
 * Validates a base64 SAMLResponse the way STS does for AssumeRoleWithSAML against one IAM SAML provider, and
 * returns the claims STS uses. Throws the StsError that STS would answer with.
 */
export function verifySamlResponse(samlResponseBase64: string, provider: SamlProvider, clock: ValidationClock): VerifiedSamlAssertion {
  const xml = decodeBase64Xml(samlResponseBase64);
  const assertion = authenticatedAssertion(xml, provider);

  const issuer = textOf(onlyChild(assertion, SAML_ASSERTION_NS, 'Issuer'));
  if (!issuer) throw invalidIdentityToken('Issuer is missing from the SAML assertion');
  if (provider.entityId !== undefined && issuer !== provider.entityId) {
    throw invalidIdentityToken('Issuer not present in specified provider', `Issuer ${issuer} is not the provider's entityID ${provider.entityId}`);
  }

  const subject = onlyChild(assertion, SAML_ASSERTION_NS, 'Subject');
  const recipient = checkSubjectConfirmation(subject, clock);
  checkConditions(onlyChild(assertion, SAML_ASSERTION_NS, 'Conditions'), clock);
  checkIssuance(assertion, clock);

  // IAM user guide, troubleshoot_saml: a response without a Subject NameID is answered with AccessDenied.
  const nameId = subject && onlyChild(subject, SAML_ASSERTION_NS, 'NameID');
  const subjectValue = textOf(nameId);
  if (!nameId || !subjectValue) throw accessDenied('the assertion has no Subject NameID');

  const attributes = attributeValues(assertion);
  return {
    issuer,
    subject: subjectValue,
    subjectType: subjectTypeOf(nameId.getAttribute('Format')),
    recipient,
    rolePairs: rolePairsOf(attributes.get(ATTRIBUTE_ROLE)),
    roleSessionName: roleSessionNameOf(attributes.get(ATTRIBUTE_ROLE_SESSION_NAME)),
    sessionDurationSeconds: sessionDurationOf(attributes.get(ATTRIBUTE_SESSION_DURATION)),
    sessionNotOnOrAfter: sessionNotOnOrAfterOf(assertion),
    sourceIdentity: sourceIdentityOf(attributes.get(ATTRIBUTE_SOURCE_IDENTITY)),
  };
}

function decodeBase64Xml(samlResponseBase64: string): string {
  const compact = samlResponseBase64.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) throw invalidIdentityToken('Invalid SAML response', 'SAMLAssertion is not base64');
  return Buffer.from(compact, 'base64').toString('utf8');
}

/**
 * Structure first, then signatures: the response must hold exactly one Assertion, as a direct child of the
 * Response, so there is no second Assertion for a wrapping attack to hide the signed one behind. The Assertion
 * returned is re-parsed from the bytes the signature covers, never taken from the received document.
 */
function authenticatedAssertion(xml: string, provider: SamlProvider): Element {
  const doc = parseOrReject(xml);
  const response = doc.documentElement!;
  if (response.namespaceURI !== SAML_PROTOCOL_NS || response.localName !== 'Response') {
    throw invalidIdentityToken('Invalid SAML response', `the root element is ${response.localName}, not samlp:Response`);
  }
  const status = onlyChild(response, SAML_PROTOCOL_NS, 'Status');
  const statusCode = status && onlyChild(status, SAML_PROTOCOL_NS, 'StatusCode');
  if (statusCode?.getAttribute('Value') !== STATUS_SUCCESS) {
    throw invalidIdentityToken('Invalid SAML response', `the response status is ${statusCode?.getAttribute('Value') ?? 'missing'}`);
  }
  if (descendantElements(doc, SAML_ASSERTION_NS, 'EncryptedAssertion').length > 0) {
    throw invalidIdentityToken('Invalid SAML response', 'encrypted assertions are not supported by this double');
  }
  const assertions = descendantElements(doc, SAML_ASSERTION_NS, 'Assertion');
  if (assertions.length !== 1) throw invalidIdentityToken(SIGNATURE_INVALID, `the document holds ${assertions.length} Assertion elements; exactly one is allowed`);
  const assertion = assertions[0]!;
  if (assertion.parentNode !== response) throw invalidIdentityToken(SIGNATURE_INVALID, `the Assertion is inside ${assertion.parentNode?.nodeName}, not directly in the Response`);

  const signedResponse = signedBytes(xml, response, provider);
  const signedAssertion = signedBytes(xml, assertion, provider);
  if (signedAssertion !== undefined) return parseOrReject(signedAssertion).documentElement!;
  if (signedResponse === undefined) throw invalidIdentityToken(SIGNATURE_INVALID, 'neither the Response nor its Assertion is signed');
  const covered = childElements(parseOrReject(signedResponse).documentElement!, SAML_ASSERTION_NS, 'Assertion');
  if (covered.length !== 1) throw invalidIdentityToken(SIGNATURE_INVALID, `the signed Response holds ${covered.length} Assertion elements`);
  return covered[0]!;
}

function signedBytes(xml: string, element: Element, provider: SamlProvider): string | undefined {
  try {
    return verifyEnvelopedSignature(xml, element, provider.signingCertificates);
  } catch (e) {
    throw invalidIdentityToken(SIGNATURE_INVALID, (e as Error).message);
  }
}

/**
 * IAM user guide: exactly one SubjectConfirmation, whose SubjectConfirmationData has both NotOnOrAfter and a
 * Recipient naming AWS's SAML endpoint. Returns the Recipient.
 */
function checkSubjectConfirmation(subject: Element | undefined, clock: ValidationClock): string {
  const confirmations = subject ? childElements(subject, SAML_ASSERTION_NS, 'SubjectConfirmation') : [];
  if (confirmations.length !== 1) throw invalidIdentityToken('Invalid SAML response', `expected exactly one SubjectConfirmation, found ${confirmations.length}`);
  const confirmation = confirmations[0]!;
  if (confirmation.getAttribute('Method') !== BEARER) throw invalidIdentityToken('Invalid SAML response', `SubjectConfirmation Method is ${confirmation.getAttribute('Method')}, not bearer`);
  const data = onlyChild(confirmation, SAML_ASSERTION_NS, 'SubjectConfirmationData');
  const recipient = data?.getAttribute('Recipient');
  if (!data || !recipient || !AWS_SIGNIN_SAML.test(recipient)) {
    throw invalidIdentityToken('Invalid SAML response', `SubjectConfirmationData Recipient is ${recipient || 'missing'}, not AWS's SAML endpoint`);
  }
  const notOnOrAfter = instantAttribute(data, 'NotOnOrAfter');
  if (!notOnOrAfter) throw invalidIdentityToken('Invalid SAML response', 'SubjectConfirmationData has no NotOnOrAfter');
  if (clock.now.getTime() >= notOnOrAfter.getTime() + clock.clockSkewMs) {
    throw expiredToken('Token is expired', `SubjectConfirmationData NotOnOrAfter ${notOnOrAfter.toISOString()} has passed`);
  }
  return recipient;
}

/** SAML core 2.5.1: the validity window, and (IAM user guide) AWS must be among the audiences. */
function checkConditions(conditions: Element | undefined, clock: ValidationClock): void {
  if (!conditions) throw invalidIdentityToken('Invalid SAML response', 'the assertion has no Conditions, so no AudienceRestriction naming AWS');
  const notBefore = instantAttribute(conditions, 'NotBefore');
  if (notBefore && clock.now.getTime() < notBefore.getTime() - clock.clockSkewMs) {
    throw invalidIdentityToken('Invalid SAML response', `Conditions NotBefore ${notBefore.toISOString()} is in the future`);
  }
  const notOnOrAfter = instantAttribute(conditions, 'NotOnOrAfter');
  if (notOnOrAfter && clock.now.getTime() >= notOnOrAfter.getTime() + clock.clockSkewMs) {
    throw expiredToken('Token is expired', `Conditions NotOnOrAfter ${notOnOrAfter.toISOString()} has passed`);
  }
  // Every AudienceRestriction must be satisfied on its own (SAML core 2.5.1.4), and at least one must exist.
  const restrictions = childElements(conditions, SAML_ASSERTION_NS, 'AudienceRestriction');
  const unmet = restrictions.find((r) => !childElements(r, SAML_ASSERTION_NS, 'Audience').some((a) => isAwsAudience(textOf(a))));
  if (restrictions.length === 0 || unmet) {
    const named = restrictions.flatMap((r) => childElements(r, SAML_ASSERTION_NS, 'Audience').map((a) => textOf(a)));
    throw invalidIdentityToken('Invalid SAML response', `AWS is not an audience of the assertion (audiences: ${named.join(', ') || 'none'})`);
  }
}

function isAwsAudience(audience: string | undefined): boolean {
  return audience === AWS_AUDIENCE_URN || (audience !== undefined && AWS_SIGNIN_SAML.test(audience));
}

function checkIssuance(assertion: Element, clock: ValidationClock): void {
  const issued = instantAttribute(assertion, 'IssueInstant');
  if (!issued) throw invalidIdentityToken('Invalid SAML response', 'the assertion has no IssueInstant');
  if (issued.getTime() > clock.now.getTime() + clock.clockSkewMs) {
    throw invalidIdentityToken('Invalid SAML response', `IssueInstant ${issued.toISOString()} is in the future`);
  }
  if (clock.now.getTime() - issued.getTime() > REDEEM_WITHIN_MS) {
    throw expiredToken('Token must be redeemed within 5 minutes of issuance', `issued at ${issued.toISOString()}`);
  }
}

function attributeValues(assertion: Element): Map<string, string[]> {
  const values = new Map<string, string[]>();
  for (const statement of childElements(assertion, SAML_ASSERTION_NS, 'AttributeStatement')) {
    for (const attribute of childElements(statement, SAML_ASSERTION_NS, 'Attribute')) {
      const name = attribute.getAttribute('Name') ?? '';
      const texts = childElements(attribute, SAML_ASSERTION_NS, 'AttributeValue').map((v) => textOf(v) ?? '');
      values.set(name, [...(values.get(name) ?? []), ...texts]);
    }
  }
  return values;
}

/** Each value is "role-arn,provider-arn"; AWS accepts the two in either order and IdPs often add a space after the comma. */
function rolePairsOf(values: string[] | undefined): VerifiedSamlAssertion['rolePairs'] {
  if (!values?.length) throw invalidIdentityToken('Invalid SAML response', `the assertion has no ${ATTRIBUTE_ROLE} attribute`);
  return values.flatMap((value) => {
    const parts = value.split(',').map((p) => p.trim());
    const roleArn = parts.find((p) => /^arn:aws:iam::\d{12}:role\//.test(p));
    const providerArn = parts.find((p) => /^arn:aws:iam::\d{12}:saml-provider\//.test(p));
    return parts.length === 2 && roleArn && providerArn ? [{ roleArn, providerArn }] : [];
  });
}

function roleSessionNameOf(values: string[] | undefined): string {
  const value = values?.[0];
  if (value === undefined) throw invalidIdentityToken('RoleSessionName is required in AuthnResponse');
  if (values!.length > 1 || !SESSION_NAME.test(value)) throw invalidIdentityToken('RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}', `RoleSessionName is ${JSON.stringify(values)}`);
  return value;
}

function sourceIdentityOf(values: string[] | undefined): string | undefined {
  const value = values?.[0];
  if (value === undefined) return undefined;
  if (values!.length > 1 || !SESSION_NAME.test(value) || value.startsWith('aws:')) {
    throw invalidIdentityToken('Source Identity must match [a-zA-Z_0-9+=,.@-]{2,64} and not begin with "aws:"', `SourceIdentity is ${JSON.stringify(values)}`);
  }
  return value;
}

/** IAM user guide: an integer number of seconds from 900 to 43200. */
function sessionDurationOf(values: string[] | undefined): number | undefined {
  const value = values?.[0];
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (values!.length > 1 || !Number.isInteger(seconds) || seconds < 900 || seconds > 43200) {
    throw invalidIdentityToken('Invalid SAML response', `SessionDuration ${JSON.stringify(values)} is not an integer from 900 to 43200`);
  }
  return seconds;
}

function sessionNotOnOrAfterOf(assertion: Element): Date | undefined {
  const instants = childElements(assertion, SAML_ASSERTION_NS, 'AuthnStatement')
    .map((statement) => instantAttribute(statement, 'SessionNotOnOrAfter'))
    .filter((d): d is Date => d !== undefined);
  return instants.length ? new Date(Math.min(...instants.map((d) => d.getTime()))) : undefined;
}

/**
 * STS API reference, AssumeRoleWithSAMLResponse.SubjectType: the NameID Format with the
 * `urn:oasis:names:tc:SAML:2.0:nameid-format:` prefix removed; any other format is returned unchanged. A NameID
 * without Format has SAML's default, the 1.1 `unspecified` format (SAML core 8.3).
 */
function subjectTypeOf(format: string | null): string {
  const fullFormat = format || 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified';
  return fullFormat.replace(/^urn:oasis:names:tc:SAML:2\.0:nameid-format:/, '');
}

function instantAttribute(el: Element, name: string): Date | undefined {
  const value = el.getAttribute(name);
  if (!value) return undefined;
  // xs:dateTime in SAML is UTC (SAML core 1.3.3); a value without a zone or unparseable is rejected, not guessed.
  const ms = /(Z|[+-]\d\d:\d\d)$/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) throw invalidIdentityToken('Invalid SAML response', `${el.localName} ${name} is not a UTC xs:dateTime: ${value}`);
  return new Date(ms);
}

function onlyChild(parent: Element, namespace: string, localName: string): Element | undefined {
  try {
    return onlyChildElement(parent, namespace, localName);
  } catch (e) {
    throw invalidIdentityToken('Invalid SAML response', (e as Error).message);
  }
}

function parseOrReject(xml: string): Document {
  try {
    return parseUntrustedXml(xml);
  } catch (e) {
    throw invalidIdentityToken('Invalid SAML response', `the SAML response is not well-formed XML: ${(e as Error).message}`);
  }
}
