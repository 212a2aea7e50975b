import type { Element } from '@xmldom/xmldom';

/**
 * What Tessera writes into a domain's `<metadata>`: enough to find the domain again from libvirt alone (its
 * instance id and create token) and to describe it as it was asked for (flavor, image, labels), with no store.
 *
 *   <metadata>
 *     <tessera:instance xmlns:tessera="https://tessera.dev/xmlns/libvirt/1" id="i-…" token="tsr-…" provider="kvm-a"
 *                       name="web-1" flavor="kvm.1x1" image="debian-12" created="2026-…Z" pool="tessera">
 *       <tessera:label key="app" value="web"/>
 *     </tessera:instance>
 *   </metadata>
 */
export const TESSERA_LIBVIRT_NS = 'https://tessera.dev/xmlns/libvirt/1';
export const TESSERA_METADATA_ELEMENT = 'instance';

export interface TesseraDomainMetadata {
  /** Tessera's instance id. */
  id: string;
  /** The create token of the attempt that made this domain. */
  token: string;
  /** The configured provider that made it (its maxDomains counts these). */
  provider: string;
  /** The instance's name as requested (the domain name is derived from it). */
  name: string;
  flavor: string;
  image: string;
  /** ISO 8601; libvirt itself does not record when a domain was defined. */
  created: string;
  /** The pool holding its overlay and seed volumes. */
  pool: string;
  labels: Record<string, string>;
}

const REQUIRED = ['id', 'token', 'provider', 'name', 'flavor', 'image', 'created', 'pool'] as const;

/** Writes the metadata element's attributes and label children (values are escaped by the serializer). */
export function writeMetadata(element: Element, m: TesseraDomainMetadata): void {
  for (const key of REQUIRED) element.setAttribute(key, m[key]);
  for (const [key, value] of Object.entries(m.labels)) {
    const label = element.ownerDocument!.createElementNS(TESSERA_LIBVIRT_NS, `tessera:label`);
    label.setAttribute('key', key);
    label.setAttribute('value', value);
    element.appendChild(label);
  }
}

/** Reads it back; null when the element is missing or incomplete (then the domain is treated as foreign). */
export function readMetadata(element: Element | null): TesseraDomainMetadata | null {
  if (!element) return null;
  const values: Partial<Record<(typeof REQUIRED)[number], string>> = {};
  for (const key of REQUIRED) {
    const v = element.getAttribute(key);
    if (!v) return null;
    values[key] = v;
  }
  const labels: Record<string, string> = {};
  for (const child of Array.from(element.getElementsByTagNameNS(TESSERA_LIBVIRT_NS, 'label'))) {
    const key = child.getAttribute('key');
    if (key) labels[key] = child.getAttribute('value') ?? '';
  }
  return { ...(values as Record<(typeof REQUIRED)[number], string>), labels };
}
