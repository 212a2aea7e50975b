import { X509Certificate } from 'node:crypto';
import { childElements, descendantElements, onlyChildElement, parseUntrustedXml, SAML_METADATA_NS, textOf, XMLDSIG_NS } from './xml-dom.js';

/** An IAM SAML identity provider, configured the way IAM's CreateSAMLProvider takes it. */
export interface SamlProviderConfig {
  /** `arn:aws:iam::ACCOUNT:saml-provider/NAME` — what callers pass as `PrincipalArn`. */
  arn: string;
  /** The IdP's SAML metadata document, as uploaded to IAM: its `entityID` and signing certificates are used. */
  metadataXml?: string;
  /** Alternatively the IdP's signing certificate(s) in PEM. Without metadata there is no entityID to match the Issuer against. */
  certificatePem?: string | string[];
}

export interface SamlProvider {
  arn: string;
  accountId: string;
  /** The friendly name: the last part of the ARN. */
  name: string;
  /** The IdP's entityID from its metadata; when known, the assertion's Issuer must equal it. */
  entityId?: string;
  /** The only keys an assertion may be signed with. A certificate inside the assertion's KeyInfo is never trusted. */
  signingCertificates: string[];
}

const PROVIDER_ARN = /^arn:aws:iam::(\d{12}):saml-provider\/([\w.@-]{1,128})$/;

export function loadSamlProvider(config: SamlProviderConfig): SamlProvider {
  const arn = PROVIDER_ARN.exec(config.arn);
  if (!arn) throw new Error(`not a SAML provider ARN: ${config.arn}`);
  const fromMetadata = config.metadataXml ? readIdpMetadata(config.metadataXml) : undefined;
  const pems = [...(fromMetadata?.signingCertificates ?? []), ...[config.certificatePem ?? []].flat()];
  if (pems.length === 0) throw new Error(`SAML provider ${config.arn} needs metadataXml or certificatePem`);
  return {
    arn: config.arn,
    accountId: arn[1]!,
    name: arn[2]!,
    entityId: fromMetadata?.entityId,
    signingCertificates: pems.map(requireUsableCertificate),
  };
}

/**
 * IAM reads the entityID and the signing certificates of the IdPSSODescriptor. A KeyDescriptor without `use`
 * serves both signing and encryption (SAML metadata spec, 2.4.1.1), so it counts as a signing key too.
 */
function readIdpMetadata(xml: string): { entityId: string; signingCertificates: string[] } {
  const root = parseUntrustedXml(xml).documentElement!;
  if (root.namespaceURI !== SAML_METADATA_NS || root.localName !== 'EntityDescriptor') throw new Error('Could not parse metadata: the root is not an md:EntityDescriptor');
  const entityId = root.getAttribute('entityID');
  if (!entityId) throw new Error('Could not parse metadata: EntityDescriptor has no entityID');
  const idp = onlyChildElement(root, SAML_METADATA_NS, 'IDPSSODescriptor');
  if (!idp) throw new Error('Could not parse metadata: no IDPSSODescriptor');
  const signingCertificates = childElements(idp, SAML_METADATA_NS, 'KeyDescriptor')
    .filter((kd) => (kd.getAttribute('use') ?? 'signing') === 'signing')
    .flatMap((kd) => descendantElements(kd, XMLDSIG_NS, 'X509Certificate'))
    .map((el) => base64ToPem(textOf(el) ?? ''));
  return { entityId, signingCertificates };
}

/** IAM refuses certificates with keys under 1024 bits (IAM user guide, troubleshoot_saml: "Could not parse metadata"). */
function requireUsableCertificate(pem: string): string {
  const bits = new X509Certificate(pem).publicKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < 1024) throw new Error(`Could not parse metadata: the signing key has ${bits} bits; IAM requires at least 1024`);
  return pem;
}

function base64ToPem(base64: string): string {
  const body = base64.replace(/\s+/g, '').match(/.{1,64}/g)?.join('\n') ?? '';
  return `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;
}
