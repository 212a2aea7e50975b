import { certificateBody } from '../saml-signing-key.js';
import { appendElement, NAMEID_PERSISTENT, newDocument, SAML_METADATA_NS, SAML_PROTOCOL_NS, serializeXml, XMLDSIG_NS } from './saml-xml.js';

const REDIRECT_BINDING = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const POST_BINDING = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';

/** Tessera as an identity provider toward the clouds, named from the server's public base URL. */
export interface TesseraIdp {
  /** The entity id, which is also where its metadata is served: clouds match the assertions' Issuer against it. */
  entityId: string;
  metadataUrl: string;
  /** The SingleSignOnService the metadata names (SAML metadata requires one); see {@link tesseraIdpMetadataXml}. */
  ssoUrl: string;
}

export const IDP_METADATA_PATH = '/saml/idp/metadata';
export const IDP_SSO_PATH = '/saml/idp/sso';

export function tesseraIdp(baseUrl: string): TesseraIdp {
  const base = baseUrl.replace(/\/+$/, '');
  return { entityId: `${base}${IDP_METADATA_PATH}`, metadataUrl: `${base}${IDP_METADATA_PATH}`, ssoUrl: `${base}${IDP_SSO_PATH}` };
}

/**
 * Tessera's IdP metadata: what an administrator gives IAM (CreateSAMLProvider), Entra ID or a GCP workforce
 * pool so that they trust assertions signed with Tessera's key. Tessera signs people in from its own side
 * (IdP-initiated: `tessera cloud console`, `tessera cloud credentials`); the SingleSignOnService is there because
 * the schema requires one, and it answers with that explanation rather than taking AuthnRequests.
 */
export function tesseraIdpMetadataXml(idp: TesseraIdp, certificatePem: string): string {
  const { doc, root } = newDocument(SAML_METADATA_NS, 'md:EntityDescriptor', { ds: XMLDSIG_NS });
  root.setAttribute('entityID', idp.entityId);
  root.appendChild(
    doc.createComment(
      ' Tessera signs people in from its side (IdP-initiated: tessera cloud console / credentials); it does not take AuthnRequests from service providers yet. ',
    ),
  );
  const descriptor = appendElement(root, SAML_METADATA_NS, 'md:IDPSSODescriptor', { protocolSupportEnumeration: SAML_PROTOCOL_NS, WantAuthnRequestsSigned: 'false' });
  const keyInfo = appendElement(appendElement(descriptor, SAML_METADATA_NS, 'md:KeyDescriptor', { use: 'signing' }), XMLDSIG_NS, 'ds:KeyInfo');
  appendElement(appendElement(keyInfo, XMLDSIG_NS, 'ds:X509Data'), XMLDSIG_NS, 'ds:X509Certificate', {}, certificateBody(certificatePem));
  appendElement(descriptor, SAML_METADATA_NS, 'md:NameIDFormat', {}, NAMEID_PERSISTENT);
  for (const binding of [REDIRECT_BINDING, POST_BINDING]) appendElement(descriptor, SAML_METADATA_NS, 'md:SingleSignOnService', { Binding: binding, Location: idp.ssoUrl });
  return `<?xml version="1.0" encoding="UTF-8"?>\n${serializeXml(doc)}\n`;
}
