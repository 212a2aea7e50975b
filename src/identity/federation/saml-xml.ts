import { randomBytes } from 'node:crypto';
import { DOMImplementation, XMLSerializer, type Document, type Element } from '@xmldom/xmldom';

export const SAML_PROTOCOL_NS = 'urn:oasis:names:tc:SAML:2.0:protocol';
export const SAML_ASSERTION_NS = 'urn:oasis:names:tc:SAML:2.0:assertion';
export const SAML_METADATA_NS = 'urn:oasis:names:tc:SAML:2.0:metadata';
export const XMLDSIG_NS = 'http://www.w3.org/2000/09/xmldsig#';
const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';

export const NAMEID_PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';

/**
 * A new SAML ID: `_` and 160 random bits in hex. IDs are xs:ID, which may not start with a digit, and must be
 * unguessable so that nobody can pre-compute an assertion's ID (SAML core 1.3.4).
 */
export function newSamlId(): string {
  return `_${randomBytes(20).toString('hex')}`;
}

/** An xs:dateTime in UTC, to the second — what every SAML relying party reads without surprises. */
export function samlInstant(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * A document whose root declares the given prefixes, so that its descendants need not repeat them. Values
 * reach the document only as attribute values and text nodes, which the serializer escapes: no caller's string
 * is ever spliced into markup.
 */
export function newDocument(namespace: string, qualifiedName: string, prefixes: Record<string, string> = {}): { doc: Document; root: Element } {
  const doc = new DOMImplementation().createDocument(namespace, qualifiedName, null);
  const root = doc.documentElement!;
  for (const [prefix, uri] of Object.entries(prefixes)) root.setAttributeNS(XMLNS_NS, `xmlns:${prefix}`, uri);
  return { doc, root };
}

/** Appends an element with attributes (in the given order) and, if any, text. */
export function appendElement(parent: Element, namespace: string, qualifiedName: string, attributes: Record<string, string> = {}, text?: string): Element {
  const doc = parent.ownerDocument!;
  const element = doc.createElementNS(namespace, qualifiedName);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  if (text !== undefined) element.appendChild(doc.createTextNode(text));
  parent.appendChild(element);
  return element;
}

export function serializeXml(doc: Document): string {
  return new XMLSerializer().serializeToString(doc);
}
