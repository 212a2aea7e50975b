import { SignedXml } from 'xml-crypto';
import type { SamlSigningKey } from '../saml-signing-key.js';

const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';
const EXCLUSIVE_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED_SIGNATURE = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

const ASSERTION = "/*[local-name(.)='Response']/*[local-name(.)='Assertion']";

/**
 * Signs the Response's Assertion with Tessera's key: an enveloped signature (RSA-SHA256, SHA-256 digest,
 * exclusive canonicalization) referencing the Assertion's ID, placed right after its Issuer as the SAML schema
 * requires, with the certificate in KeyInfo. Relying parties verify it against the certificate of Tessera's
 * metadata, never against KeyInfo.
 *
 * The Assertion alone is signed: it carries every claim the clouds act on, it is what AWS, Entra ID and GCP
 * require to be signed, and a signed Response around it would add nothing they read.
 */
export function signAssertion(responseXml: string, key: SamlSigningKey): string {
  const signature = new SignedXml({
    privateKey: key.privateKeyPem,
    publicCert: key.certificatePem,
    signatureAlgorithm: RSA_SHA256,
    canonicalizationAlgorithm: EXCLUSIVE_C14N,
  });
  signature.addReference({ xpath: ASSERTION, transforms: [ENVELOPED_SIGNATURE, EXCLUSIVE_C14N], digestAlgorithm: SHA256 });
  signature.computeSignature(responseXml, { prefix: 'ds', location: { reference: `${ASSERTION}/*[local-name(.)='Issuer']`, action: 'after' } });
  return signature.getSignedXml();
}
