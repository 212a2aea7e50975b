import { DOMParser, onWarningStopParsing, type Document, type Element } from '@xmldom/xmldom';

export const SAML_PROTOCOL_NS = 'urn:oasis:names:tc:SAML:2.0:protocol';
export const SAML_ASSERTION_NS = 'urn:oasis:names:tc:SAML:2.0:assertion';
export const SAML_METADATA_NS = 'urn:oasis:names:tc:SAML:2.0:metadata';
export const XMLDSIG_NS = 'http://www.w3.org/2000/09/xmldsig#';

/**
 * Parses XML that arrives from outside (a SAML response, IdP metadata) and refuses anything a conforming
 * producer would not send: every parser warning stops parsing, and a DOCTYPE is rejected outright because
 * SAML forbids DTDs (the classic entry point for entity-expansion attacks).
 */
export function parseUntrustedXml(xml: string): Document {
  const doc = new DOMParser({ onError: onWarningStopParsing }).parseFromString(xml, 'text/xml');
  if (doc.doctype) throw new Error('a DOCTYPE is not allowed');
  if (!doc.documentElement) throw new Error('no root element');
  return doc;
}

/** The element children of `parent` with the given namespace and local name, in document order. */
export function childElements(parent: Element, namespace: string, localName: string): Element[] {
  const found: Element[] = [];
  for (let node = parent.firstChild; node; node = node.nextSibling) {
    if (isElement(node) && node.namespaceURI === namespace && node.localName === localName) found.push(node);
  }
  return found;
}

/** The single such child, `undefined` when there is none; more than one is an error (the schemas allow one). */
export function onlyChildElement(parent: Element, namespace: string, localName: string): Element | undefined {
  const found = childElements(parent, namespace, localName);
  if (found.length > 1) throw new Error(`more than one ${localName} in ${parent.localName}`);
  return found[0];
}

/** Every element below `root` (at any depth) with the given namespace and local name. */
export function descendantElements(root: Document | Element, namespace: string, localName: string): Element[] {
  return Array.from(root.getElementsByTagNameNS(namespace, localName));
}

/** Every element in the document carrying an ID-like attribute (ID, Id or id — what xml-crypto resolves) equal to `id`. */
export function elementsWithId(doc: Document, id: string): Element[] {
  return Array.from(doc.getElementsByTagName('*')).filter((el) => ['ID', 'Id', 'id'].some((name) => el.getAttribute(name) === id));
}

export function textOf(el: Element | undefined): string | undefined {
  const text = el?.textContent?.trim();
  return text ? text : undefined;
}

function isElement(node: { nodeType: number }): node is Element {
  return node.nodeType === 1;
}
