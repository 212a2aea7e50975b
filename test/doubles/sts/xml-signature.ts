import type { Element } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import { childElements, elementsWithId, onlyChildElement, XMLDSIG_NS } from './xml-dom.js';

const ENVELOPED_SIGNATURE = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
/** The transforms a SAML signature may use (SAML core 5.4.3–5.4.4): enveloped signature plus one canonicalization. */
const ALLOWED_TRANSFORMS = new Set([
  ENVELOPED_SIGNATURE,
  'http://www.w3.org/2001/10/xml-exc-c14n#',
  'http://www.w3.org/2001/10/xml-exc-c14n#WithComments',
  'http://www.w3.org/TR/2001/REC-xml-c14n-20010315',
  'http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments',
]);

/**
 * Verifies the enveloped signature that `element` carries as a direct child (where SAML core 5.4.1 puts it) and
 * returns the canonical XML that signature covers — the only bytes a caller may read claims from afterwards.
 * Returns `undefined` when the element carries no signature; throws (with the reason) when it carries one that
 * does not hold.
 *
 * Signature wrapping is resisted by binding the signature to its parent: exactly one Reference, naming the
 * parent's own ID, which no other element in the document shares. The key comes only from `certificates` (the
 * IAM provider's); any KeyInfo inside the document is ignored, since an attacker can put any certificate there.
 */
export function verifyEnvelopedSignature(xml: string, element: Element, certificates: readonly string[]): string | undefined {
  const signatures = childElements(element, XMLDSIG_NS, 'Signature');
  if (signatures.length === 0) return undefined;
  if (signatures.length > 1) throw new Error(`${element.localName} carries ${signatures.length} signatures`);
  const signature = signatures[0]!;

  const signedInfo = onlyChildElement(signature, XMLDSIG_NS, 'SignedInfo');
  const references = signedInfo ? childElements(signedInfo, XMLDSIG_NS, 'Reference') : [];
  if (references.length !== 1) throw new Error(`the signature of ${element.localName} has ${references.length} references; exactly one is allowed`);
  const id = element.getAttribute('ID');
  if (!id || references[0]!.getAttribute('URI') !== `#${id}`) throw new Error(`the signature inside ${element.localName} does not reference that element's ID`);
  if (!element.ownerDocument || elementsWithId(element.ownerDocument, id).length !== 1) throw new Error(`ID ${id} is not unique in the document`);

  const transformList = onlyChildElement(references[0]!, XMLDSIG_NS, 'Transforms');
  const transforms = (transformList ? childElements(transformList, XMLDSIG_NS, 'Transform') : []).map((t) => t.getAttribute('Algorithm') ?? '');
  if (transforms.length > 2 || transforms.some((t) => !ALLOWED_TRANSFORMS.has(t))) throw new Error(`transforms not allowed in a SAML signature: ${transforms.join(', ')}`);
  if (!transforms.includes(ENVELOPED_SIGNATURE)) throw new Error('the signature is not an enveloped signature');

  for (const certificate of certificates) {
    const verifier = new SignedXml({ publicCert: certificate, getCertFromKeyInfo: () => null });
    verifier.loadSignature(signature);
    try {
      if (!verifier.checkSignature(xml)) continue;
    } catch {
      continue; // a wrong key throws "invalid signature"; the next configured certificate may still match
    }
    const signed = verifier.getSignedReferences();
    if (signed.length !== 1) throw new Error(`expected one signed reference, got ${signed.length}`);
    return signed[0]!;
  }
  throw new Error(`the signature of ${element.localName} does not verify with any of the provider's ${certificates.length} certificate(s)`);
}
