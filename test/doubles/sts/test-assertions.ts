/**
 * Test-only: builds, signs and deliberately breaks SAML 2.0 Responses addressed to AWS, to drive the STS double
 * (and later the tests of Tessera's own IdP). Nothing here belongs in production code.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLSerializer, type Element } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import { childElements, onlyChildElement, parseUntrustedXml, SAML_ASSERTION_NS, SAML_PROTOCOL_NS, XMLDSIG_NS } from './xml-dom.js';

export const AWS_SAML_ENDPOINT = 'https://signin.aws.amazon.com/saml';
export const ROLE_ATTRIBUTE = 'https://aws.amazon.com/SAML/Attributes/Role';
export const ROLE_SESSION_NAME_ATTRIBUTE = 'https://aws.amazon.com/SAML/Attributes/RoleSessionName';
export const SESSION_DURATION_ATTRIBUTE = 'https://aws.amazon.com/SAML/Attributes/SessionDuration';
export const SOURCE_IDENTITY_ATTRIBUTE = 'https://aws.amazon.com/SAML/Attributes/SourceIdentity';

/** A key pair and a self-signed certificate for it, both PEM. */
export interface SigningIdentity {
  privateKeyPem: string;
  certificatePem: string;
}

/**
 * Node makes the key; node cannot issue X.509 certificates, so the openssl CLI self-signs one for it. openssl
 * reads the key from a file (it will not take one from a pipe), which lives only for that call.
 */
export function createSigningIdentity(commonName: string): SigningIdentity {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const dir = mkdtempSync(join(tmpdir(), 'tessera-saml-key-'));
  try {
    const keyFile = join(dir, 'key.pem');
    writeFileSync(keyFile, privateKeyPem, { mode: 0o600 });
    const certificatePem = execFileSync('openssl', ['req', '-new', '-x509', '-sha256', '-days', '2', '-subj', `/CN=${commonName}`, '-key', keyFile], { encoding: 'utf8' });
    return { privateKeyPem, certificatePem };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Minimal IdP metadata, the document an administrator uploads to IAM when creating the SAML provider. */
export function idpMetadataXml(entityId: string, signingCertificatePem: string): string {
  const certificate = signingCertificatePem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, '');
  return (
    `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="${XMLDSIG_NS}" entityID="${escapeXml(entityId)}">` +
    '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">' +
    `<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${certificate}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>` +
    `<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${escapeXml(entityId)}/sso"/>` +
    '</md:IDPSSODescriptor></md:EntityDescriptor>'
  );
}

/** The Role attribute value AWS expects: the role ARN and the provider ARN, comma-separated. */
export function roleAttributeValue(roleArn: string, providerArn: string): string {
  return `${roleArn},${providerArn}`;
}

/** What goes into a Response. Unset fields get values AWS accepts; `null` leaves the element or attribute out. */
export interface SamlResponseSpec {
  issuer: string;
  /** Values of the Role attribute (see {@link roleAttributeValue}); an empty list leaves the attribute out. */
  roles: string[];
  /** Defaults to the real clock; every other instant defaults relative to it. */
  now?: Date;
  roleSessionName?: string | null;
  nameId?: string | null;
  nameIdFormat?: string;
  recipient?: string;
  /** The Audience values of a single AudienceRestriction; an empty list leaves Conditions without one. */
  audiences?: string[];
  issueInstant?: Date;
  notBefore?: Date;
  notOnOrAfter?: Date;
  subjectNotOnOrAfter?: Date;
  sessionDuration?: number;
  sessionNotOnOrAfter?: Date;
  sourceIdentity?: string;
}

/** An unsigned samlp:Response holding one saml:Assertion, in the shape IdPs send to AWS. */
export function buildSamlResponse(spec: SamlResponseSpec): string {
  const now = spec.now ?? new Date();
  const inMinutes = (minutes: number) => new Date(now.getTime() + minutes * 60_000);
  const instant = (date: Date) => date.toISOString();
  const issueInstant = spec.issueInstant ?? now;
  const nameId = spec.nameId === undefined ? 'alice@tessera.test' : spec.nameId;
  const roleSessionName = spec.roleSessionName === undefined ? 'alice@tessera.test' : spec.roleSessionName;
  const audiences = spec.audiences ?? [AWS_SAML_ENDPOINT];

  const attributes: Array<[string, string[]]> = [
    [ROLE_ATTRIBUTE, spec.roles],
    [ROLE_SESSION_NAME_ATTRIBUTE, roleSessionName === null ? [] : [roleSessionName]],
    [SESSION_DURATION_ATTRIBUTE, spec.sessionDuration === undefined ? [] : [String(spec.sessionDuration)]],
    [SOURCE_IDENTITY_ATTRIBUTE, spec.sourceIdentity === undefined ? [] : [spec.sourceIdentity]],
  ];
  const attributeXml = attributes
    .filter(([, values]) => values.length > 0)
    .map(([name, values]) => `<saml:Attribute Name="${name}">${values.map((v) => `<saml:AttributeValue>${escapeXml(v)}</saml:AttributeValue>`).join('')}</saml:Attribute>`)
    .join('');
  const sessionNotOnOrAfter = spec.sessionNotOnOrAfter ? ` SessionNotOnOrAfter="${instant(spec.sessionNotOnOrAfter)}"` : '';

  return (
    `<samlp:Response xmlns:samlp="${SAML_PROTOCOL_NS}" xmlns:saml="${SAML_ASSERTION_NS}" ID="${newId()}" Version="2.0" IssueInstant="${instant(issueInstant)}" Destination="${AWS_SAML_ENDPOINT}">` +
    `<saml:Issuer>${escapeXml(spec.issuer)}</saml:Issuer>` +
    '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>' +
    `<saml:Assertion ID="${newId()}" Version="2.0" IssueInstant="${instant(issueInstant)}">` +
    `<saml:Issuer>${escapeXml(spec.issuer)}</saml:Issuer>` +
    '<saml:Subject>' +
    (nameId === null ? '' : `<saml:NameID Format="${spec.nameIdFormat ?? 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent'}">${escapeXml(nameId)}</saml:NameID>`) +
    '<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">' +
    `<saml:SubjectConfirmationData NotOnOrAfter="${instant(spec.subjectNotOnOrAfter ?? inMinutes(5))}" Recipient="${escapeXml(spec.recipient ?? AWS_SAML_ENDPOINT)}"/>` +
    '</saml:SubjectConfirmation></saml:Subject>' +
    `<saml:Conditions NotBefore="${instant(spec.notBefore ?? now)}" NotOnOrAfter="${instant(spec.notOnOrAfter ?? inMinutes(5))}">` +
    (audiences.length ? `<saml:AudienceRestriction>${audiences.map((a) => `<saml:Audience>${escapeXml(a)}</saml:Audience>`).join('')}</saml:AudienceRestriction>` : '') +
    '</saml:Conditions>' +
    `<saml:AuthnStatement AuthnInstant="${instant(issueInstant)}" SessionIndex="${newId()}"${sessionNotOnOrAfter}>` +
    '<saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext>' +
    '</saml:AuthnStatement>' +
    (attributeXml ? `<saml:AttributeStatement>${attributeXml}</saml:AttributeStatement>` : '') +
    '</saml:Assertion></samlp:Response>'
  );
}

const ASSERTION_XPATH = "/*[local-name(.)='Response']/*[local-name(.)='Assertion']";
const RESPONSE_XPATH = "/*[local-name(.)='Response']";

/**
 * Signs the Assertion (enveloped, exclusive c14n, RSA-SHA256), placing the signature after its Issuer as the
 * schema requires. KeyInfo carries `keyInfoCertificatePem` (default: the signer's own certificate) — a test can
 * put a different certificate there to show that the receiver does not trust it.
 */
export function signAssertion(xml: string, signer: SigningIdentity, keyInfoCertificatePem = signer.certificatePem): string {
  return sign(xml, signer, keyInfoCertificatePem, ASSERTION_XPATH);
}

/** Signs the whole Response instead (the signature after the Response's Issuer). */
export function signResponse(xml: string, signer: SigningIdentity): string {
  return sign(xml, signer, signer.certificatePem, RESPONSE_XPATH);
}

function sign(xml: string, signer: SigningIdentity, keyInfoCertificatePem: string, elementXpath: string): string {
  const signature = new SignedXml({
    privateKey: signer.privateKeyPem,
    publicCert: keyInfoCertificatePem,
    signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  });
  signature.addReference({
    xpath: elementXpath,
    transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
  });
  signature.computeSignature(xml, { prefix: 'ds', location: { reference: `${elementXpath}/*[local-name(.)='Issuer']`, action: 'after' } });
  return signature.getSignedXml();
}

/** Edits a (typically already signed) Response in place, through its DOM, and serializes it again. */
export function mutateSamlResponse(xml: string, mutate: (response: Element) => void): string {
  const doc = parseUntrustedXml(xml);
  mutate(doc.documentElement!);
  return new XMLSerializer().serializeToString(doc);
}

/** The response's Assertion (the first one, should an attack have added more). */
export function assertionOf(response: Element): Element {
  return childElements(response, SAML_ASSERTION_NS, 'Assertion')[0]!;
}

/** Replaces the values of the attribute `name` in `assertion`. */
export function setAttributeValues(assertion: Element, name: string, values: string[]): void {
  const statement = onlyChildElement(assertion, SAML_ASSERTION_NS, 'AttributeStatement')!;
  const attribute = childElements(statement, SAML_ASSERTION_NS, 'Attribute').find((a) => a.getAttribute('Name') === name)!;
  while (attribute.firstChild) attribute.removeChild(attribute.firstChild);
  for (const value of values) {
    const element = attribute.ownerDocument!.createElementNS(SAML_ASSERTION_NS, 'saml:AttributeValue');
    element.appendChild(attribute.ownerDocument!.createTextNode(value));
    attribute.appendChild(element);
  }
}

/**
 * XML signature wrapping (XSW) attacks on a Response whose Assertion is signed: an unsigned, forged Assertion is
 * added next to the genuine one, or takes its place while the genuine one hides elsewhere in the document —
 * hoping the receiver checks one Assertion's signature and reads another's claims.
 */
export type WrappingAttack =
  | 'forged-assertion-before-signed'
  | 'forged-assertion-after-signed'
  | 'signed-assertion-moved-into-extensions'
  | 'signed-assertion-moved-into-signature-object';

/** Applies `attack`; `forge` edits the forged copy of the Assertion (its signature already removed, a new ID given). */
export function wrapSignedAssertion(signedXml: string, attack: WrappingAttack, forge: (forged: Element) => void): string {
  return mutateSamlResponse(signedXml, (response) => {
    const doc = response.ownerDocument!;
    const genuine = assertionOf(response);
    const forged = genuine.cloneNode(true) as Element;
    const genuineSignature = onlyChildElement(forged, XMLDSIG_NS, 'Signature')!;
    forged.removeChild(genuineSignature);
    forged.setAttribute('ID', newId());
    forge(forged);

    if (attack === 'forged-assertion-before-signed') {
      response.insertBefore(forged, genuine);
    } else if (attack === 'forged-assertion-after-signed') {
      response.appendChild(forged);
    } else if (attack === 'signed-assertion-moved-into-extensions') {
      const extensions = doc.createElementNS(SAML_PROTOCOL_NS, 'samlp:Extensions');
      response.replaceChild(forged, genuine);
      extensions.appendChild(genuine);
      response.insertBefore(extensions, onlyChildElement(response, SAML_PROTOCOL_NS, 'Status')!);
    } else {
      // The forged Assertion carries the genuine signature, whose ds:Object smuggles the genuine Assertion along.
      const object = doc.createElementNS(XMLDSIG_NS, 'ds:Object');
      response.replaceChild(forged, genuine);
      object.appendChild(genuine);
      genuineSignature.appendChild(object);
      forged.insertBefore(genuineSignature, onlyChildElement(forged, SAML_ASSERTION_NS, 'Issuer')!.nextSibling);
    }
  });
}

/** The `SAMLAssertion` request parameter: the whole Response, base64-encoded. */
export function samlAssertionParameter(responseXml: string): string {
  return Buffer.from(responseXml, 'utf8').toString('base64');
}

/** SAML IDs are xs:ID, so they must not start with a digit. */
function newId(): string {
  return `_${randomUUID().replace(/-/g, '')}`;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
