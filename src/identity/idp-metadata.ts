import { DOMParser, type Element } from '@xmldom/xmldom';
import { InvalidInputError } from '../core/errors.js';

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';

/** What Tessera needs from an identity provider's SAML metadata. */
export interface IdpMetadata {
  entityId: string;
  /** SingleSignOnService, HTTP-Redirect binding (where AuthnRequests go). */
  ssoUrl: string;
  /** SingleLogoutService, HTTP-Redirect binding; null when the IdP offers none. */
  sloUrl: string | null;
  /** Certificates the IdP signs with (base64 DER bodies): a response must be signed by one of them. */
  signingCertificates: string[];
}

/**
 * Reads IdP metadata (an EntityDescriptor, or an EntitiesDescriptor holding one IdP, or several and
 * `entityId` to choose). A document type declaration is refused outright: metadata never needs one, and
 * entities are how XML is made to read files or exhaust memory.
 */
export function parseIdpMetadata(xml: string, entityId?: string): IdpMetadata {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) {
    throw new InvalidInputError('the IdP metadata holds a document type declaration (<!DOCTYPE>): Tessera refuses those; export the metadata again');
  }
  const errors: string[] = [];
  const doc = new DOMParser({ onError: (level, message) => void (level !== 'warning' && errors.push(message)) }).parseFromString(xml, 'text/xml');
  if (errors.length > 0 || !doc.documentElement) {
    throw new InvalidInputError(`the IdP metadata is not well-formed XML (${errors[0] ?? 'empty document'}): check the file or URL`);
  }
  const idps = [...elements(doc.documentElement, MD, 'EntityDescriptor', true)].filter((e) => first(e, MD, 'IDPSSODescriptor'));
  if (idps.length === 0) throw new InvalidInputError('the metadata describes no identity provider (no IDPSSODescriptor): is it the IdP\'s metadata?');
  const chosen = entityId ? idps.find((e) => e.getAttribute('entityID') === entityId) : idps.length === 1 ? idps[0] : undefined;
  if (!chosen) {
    const ids = idps.map((e) => e.getAttribute('entityID')).join(', ');
    throw new InvalidInputError(entityId ? `no identity provider "${entityId}" in the metadata; it holds ${ids}` : `the metadata holds several identity providers (${ids}): name one with --entity-id`);
  }
  const sso = first(chosen, MD, 'IDPSSODescriptor')!;
  const location = (name: string, binding: string) =>
    [...elements(sso, MD, name, false)].find((e) => e.getAttribute('Binding') === binding)?.getAttribute('Location') ?? null;
  const ssoUrl = location('SingleSignOnService', REDIRECT) ?? location('SingleSignOnService', POST);
  if (!ssoUrl) throw new InvalidInputError('the IdP metadata names no SingleSignOnService (HTTP-Redirect or HTTP-POST binding)');
  const signingCertificates = [...elements(sso, MD, 'KeyDescriptor', false)]
    .filter((k) => (k.getAttribute('use') || 'signing') === 'signing')
    .flatMap((k) => [...elements(k, DS, 'X509Certificate', true)].map((c) => (c.textContent ?? '').replace(/\s+/g, '')))
    .filter((c) => c.length > 0);
  if (signingCertificates.length === 0) throw new InvalidInputError('the IdP metadata holds no signing certificate (KeyDescriptor use="signing"): Tessera only accepts signed responses');
  return { entityId: chosen.getAttribute('entityID') ?? '', ssoUrl, sloUrl: location('SingleLogoutService', REDIRECT), signingCertificates };
}

function* elements(root: Element, ns: string, name: string, deep: boolean): Generator<Element> {
  if (root.namespaceURI === ns && root.localName === name) yield root;
  for (let n = root.firstChild; n; n = n.nextSibling) {
    if (n.nodeType !== 1) continue;
    const el = n as Element;
    if (deep) yield* elements(el, ns, name, true);
    else if (el.namespaceURI === ns && el.localName === name) yield el;
  }
}

function first(root: Element, ns: string, name: string): Element | undefined {
  for (let n = root.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 1 && (n as Element).namespaceURI === ns && (n as Element).localName === name) return n as Element;
  }
  return undefined;
}
