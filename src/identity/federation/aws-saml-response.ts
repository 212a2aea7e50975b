import { appendElement, NAMEID_PERSISTENT, newDocument, newSamlId, SAML_ASSERTION_NS, SAML_PROTOCOL_NS, samlInstant, serializeXml } from './saml-xml.js';

/**
 * AWS's SAML endpoint: the Recipient and the audience of every assertion for AWS, and where the console sign-in
 * form posts (IAM user guide, "Configure SAML assertions for the authentication response").
 */
export const AWS_SAML_ENDPOINT = 'https://signin.aws.amazon.com/saml';
export const AWS_ROLE_ATTRIBUTE = 'https://aws.amazon.com/SAML/Attributes/Role';
export const AWS_ROLE_SESSION_NAME_ATTRIBUTE = 'https://aws.amazon.com/SAML/Attributes/RoleSessionName';
export const AWS_SESSION_DURATION_ATTRIBUTE = 'https://aws.amazon.com/SAML/Attributes/SessionDuration';

/** STS takes an assertion for five minutes after it is issued; it is good for nothing else. */
export const AWS_ASSERTION_LIFETIME_MS = 5 * 60_000;
/** NotBefore lies this far back, so that a Tessera clock slightly ahead of AWS's does not make the assertion "not yet valid". */
const CLOCK_LEEWAY_MS = 60_000;

const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
const STATUS_SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const ATTRIBUTE_NAME_FORMAT_URI = 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri';
/** Tessera authenticated the caller by an API token or a session, not by a password typed for this assertion. */
const AUTHN_CONTEXT_UNSPECIFIED = 'urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified';

export interface AwsAssertionClaims {
  /** Tessera's IdP entity id: the IAM SAML provider made from Tessera's metadata knows it. */
  issuer: string;
  /** The principal's name: the assertion's persistent NameID (`saml:sub` in IAM conditions). */
  subject: string;
  roleArn: string;
  samlProviderArn: string;
  sessionSeconds: number;
  now?: Date;
}

/**
 * An unsigned samlp:Response carrying one Assertion for AWS: Subject with a bearer confirmation addressed to
 * AWS, Conditions with AWS as the audience, an AuthnStatement, and the attributes AWS reads — the single role
 * being asked for (a `role-arn,provider-arn` pair), the session name and length. Sign it with
 * {@link signAssertion} before it leaves.
 */
export function awsSamlResponseXml(claims: AwsAssertionClaims): string {
  const now = claims.now ?? new Date();
  const issued = samlInstant(now);
  const expires = samlInstant(new Date(now.getTime() + AWS_ASSERTION_LIFETIME_MS));

  const { root: response, doc } = newDocument(SAML_PROTOCOL_NS, 'samlp:Response', { saml: SAML_ASSERTION_NS });
  setAttributes(response, { ID: newSamlId(), Version: '2.0', IssueInstant: issued, Destination: AWS_SAML_ENDPOINT });
  appendElement(response, SAML_ASSERTION_NS, 'saml:Issuer', {}, claims.issuer);
  appendElement(appendElement(response, SAML_PROTOCOL_NS, 'samlp:Status'), SAML_PROTOCOL_NS, 'samlp:StatusCode', { Value: STATUS_SUCCESS });

  const assertion = appendElement(response, SAML_ASSERTION_NS, 'saml:Assertion', { ID: newSamlId(), Version: '2.0', IssueInstant: issued });
  // The Issuer comes first: the signature goes right after it (the schema's order).
  appendElement(assertion, SAML_ASSERTION_NS, 'saml:Issuer', {}, claims.issuer);

  const subject = appendElement(assertion, SAML_ASSERTION_NS, 'saml:Subject');
  appendElement(subject, SAML_ASSERTION_NS, 'saml:NameID', { Format: NAMEID_PERSISTENT }, claims.subject);
  const confirmation = appendElement(subject, SAML_ASSERTION_NS, 'saml:SubjectConfirmation', { Method: BEARER });
  appendElement(confirmation, SAML_ASSERTION_NS, 'saml:SubjectConfirmationData', { NotOnOrAfter: expires, Recipient: AWS_SAML_ENDPOINT });

  const conditions = appendElement(assertion, SAML_ASSERTION_NS, 'saml:Conditions', {
    NotBefore: samlInstant(new Date(now.getTime() - CLOCK_LEEWAY_MS)),
    NotOnOrAfter: expires,
  });
  appendElement(appendElement(conditions, SAML_ASSERTION_NS, 'saml:AudienceRestriction'), SAML_ASSERTION_NS, 'saml:Audience', {}, AWS_SAML_ENDPOINT);

  const authn = appendElement(assertion, SAML_ASSERTION_NS, 'saml:AuthnStatement', { AuthnInstant: issued, SessionIndex: newSamlId() });
  appendElement(appendElement(authn, SAML_ASSERTION_NS, 'saml:AuthnContext'), SAML_ASSERTION_NS, 'saml:AuthnContextClassRef', {}, AUTHN_CONTEXT_UNSPECIFIED);

  const attributes = appendElement(assertion, SAML_ASSERTION_NS, 'saml:AttributeStatement');
  const attribute = (name: string, value: string) =>
    appendElement(appendElement(attributes, SAML_ASSERTION_NS, 'saml:Attribute', { Name: name, NameFormat: ATTRIBUTE_NAME_FORMAT_URI }), SAML_ASSERTION_NS, 'saml:AttributeValue', {}, value);
  attribute(AWS_ROLE_ATTRIBUTE, `${claims.roleArn},${claims.samlProviderArn}`);
  attribute(AWS_ROLE_SESSION_NAME_ATTRIBUTE, roleSessionName(claims.subject));
  attribute(AWS_SESSION_DURATION_ATTRIBUTE, String(claims.sessionSeconds));

  return serializeXml(doc);
}

const SESSION_NAME_CHARACTER = /[\w+=,.@-]/;

/**
 * A RoleSessionName AWS accepts (`[\w+=,.@-]{2,64}`, IAM user guide): other characters become `_`, the name is
 * cut to 64 characters, and a one-letter name gets a `tessera-` prefix. It shows in CloudTrail as the session
 * of the assumed role, so it stays recognisably the principal's name.
 */
export function roleSessionName(name: string): string {
  const cleaned = [...name].map((c) => (SESSION_NAME_CHARACTER.test(c) ? c : '_')).join('');
  const named = cleaned.length >= 2 ? cleaned : `tessera-${cleaned}`;
  return named.slice(0, 64);
}

function setAttributes(element: { setAttribute(name: string, value: string): void }, attributes: Record<string, string>): void {
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
}
