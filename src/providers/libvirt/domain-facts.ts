import { DOMParser, type Element } from '@xmldom/xmldom';
import { readMetadata, TESSERA_LIBVIRT_NS, TESSERA_METADATA_ELEMENT, type TesseraDomainMetadata } from './tessera-metadata.js';

/** What Tessera reads from a domain's XML (`virsh dumpxml`), whoever defined it. */
export interface DomainFacts {
  uuid: string;
  name: string;
  vcpus: number;
  memoryMiB: number;
  /** Present when Tessera made it (or someone copied Tessera's metadata onto it). */
  tessera: TesseraDomainMetadata | null;
  disks: DomainDisk[];
}

export interface DomainDisk {
  device: string;
  /** The file behind the disk, when libvirt shows one (always for a running domain). */
  file: string | null;
  pool: string | null;
  volume: string | null;
  /** The first backing file of a qcow2 overlay, when libvirt shows the chain. */
  backingFile: string | null;
}

const UNIT_TO_BYTES: Record<string, number> = {
  b: 1,
  bytes: 1,
  k: 1024,
  kib: 1024,
  kb: 1000,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  mb: 1000 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  gb: 1000 ** 3,
  t: 1024 ** 4,
  tib: 1024 ** 4,
  tb: 1000 ** 4,
};

function child(parent: Element, name: string): Element | null {
  for (const n of Array.from(parent.childNodes)) {
    if (n.nodeType === n.ELEMENT_NODE && (n as Element).localName === name && !(n as Element).namespaceURI) return n as Element;
  }
  return null;
}

function children(parent: Element, name: string): Element[] {
  return Array.from(parent.childNodes).filter((n): n is Element => n.nodeType === n.ELEMENT_NODE && (n as Element).localName === name);
}

/** Parses one `<domain>` document; throws on XML that is not a domain (a caller's bug, not a provider state). */
export function parseDomainXml(xml: string): DomainFacts {
  const errors: string[] = [];
  const doc = new DOMParser({ onError: (level, message) => void (level !== 'warning' && errors.push(message)) }).parseFromString(xml, 'text/xml');
  const domain = doc.documentElement;
  if (errors.length > 0 || !domain || domain.localName !== 'domain') {
    throw new Error(`not a libvirt domain definition: ${errors[0] ?? `root element is <${domain?.localName ?? 'none'}>`}`);
  }
  const text = (name: string) => child(domain, name)?.textContent?.trim() ?? '';
  const vcpu = child(domain, 'vcpu');
  const memory = child(domain, 'memory');
  const unit = (memory?.getAttribute('unit') || 'KiB').toLowerCase();
  const memoryBytes = Number(memory?.textContent?.trim() ?? '0') * (UNIT_TO_BYTES[unit] ?? 1024);
  const metadata = child(domain, 'metadata');
  const tesseraElement = metadata ? (metadata.getElementsByTagNameNS(TESSERA_LIBVIRT_NS, TESSERA_METADATA_ELEMENT)[0] ?? null) : null;
  const devices = child(domain, 'devices');
  return {
    uuid: text('uuid'),
    name: text('name'),
    // `current` is how many vCPUs are online; without it, all of them.
    vcpus: Number(vcpu?.getAttribute('current') || vcpu?.textContent?.trim() || '0'),
    memoryMiB: Math.round(memoryBytes / 1024 ** 2),
    tessera: readMetadata(tesseraElement),
    disks: devices ? children(devices, 'disk').map(readDisk) : [],
  };
}

function readDisk(disk: Element): DomainDisk {
  const source = child(disk, 'source');
  const backing = child(disk, 'backingStore');
  const backingSource = backing ? child(backing, 'source') : null;
  return {
    device: disk.getAttribute('device') || 'disk',
    file: source?.getAttribute('file') || null,
    pool: source?.getAttribute('pool') || null,
    volume: source?.getAttribute('volume') || null,
    backingFile: backingSource?.getAttribute('file') || null,
  };
}
