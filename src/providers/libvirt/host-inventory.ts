import { ProviderError } from '../driver.js';
import { parseDomainXml, type DomainFacts } from './domain-facts.js';
import type { Virsh } from './virsh.js';

/**
 * Reading a host: its domains (definition, state, addresses) and its size. Domains are read in batches — one
 * virsh process for up to BATCH domains — because a driver that forks three processes per domain per listing
 * would spend more time forking than libvirt spends answering.
 */

const BATCH = 100;
/** Printed between domains in a batch, so each domain's output can be cut out whatever it contains. */
const MARKER = /@@tsr:([A-Za-z0-9-]+)@@/;

export interface DomainSnapshot {
  /** The configured host (zone) it lives on. */
  host: string;
  facts: DomainFacts;
  /** As `virsh domstate` says it: running, idle, paused, in shutdown, shut off, crashed, pmsuspended, no state. */
  state: string;
  /** Why, as `domstate --reason` says (booted, destroyed, shutdown, …). */
  reason: string | null;
  /** From DHCP leases of a libvirt network, or the host's ARP table; empty with user-mode networking. */
  addresses: string[];
}

export interface HostResources {
  cpus: number;
  memoryMiB: number;
  /** Free right now, from `freecell` (what running domains and everything else leave). */
  freeMemoryMiB: number;
}

export async function listDomainUuids(virsh: Virsh): Promise<string[]> {
  const out = await virsh.run(['list', '--all', '--uuid']);
  return out
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

export async function readAllDomains(virsh: Virsh): Promise<DomainSnapshot[]> {
  return readDomains(virsh, await listDomainUuids(virsh));
}

/** The domain with this UUID on this host, or null when it has none. */
export async function readDomain(virsh: Virsh, uuid: string): Promise<DomainSnapshot | null> {
  if (!/^[0-9a-fA-F-]{32,36}$/.test(uuid)) return null; // not a libvirt UUID: no domain can have it
  return (await readDomains(virsh, [uuid]))[0] ?? null;
}

/** Domains that vanish between the listing and the read are left out, as if listed a moment later. */
export async function readDomains(virsh: Virsh, uuids: string[]): Promise<DomainSnapshot[]> {
  const out: DomainSnapshot[] = [];
  for (let i = 0; i < uuids.length; i += BATCH) {
    const chunk = uuids.slice(i, i + BATCH);
    const stdout = await virsh.batch(
      chunk.flatMap((u) => [
        ['echo', `@@tsr:${u}@@`],
        ['domstate', u, '--reason'],
        ['domifaddr', u, '--source', 'lease'],
        ['domifaddr', u, '--source', 'arp'],
        ['dumpxml', u],
      ]),
    );
    const parts = stdout.split(MARKER);
    for (let p = 1; p + 1 < parts.length; p += 2) {
      const snapshot = parseSection(virsh, parts[p + 1]!);
      if (snapshot) out.push(snapshot);
    }
  }
  return out;
}

function parseSection(virsh: Virsh, body: string): DomainSnapshot | null {
  const xmlStart = body.indexOf('<domain');
  const xmlEnd = body.lastIndexOf('</domain>');
  if (xmlStart < 0 || xmlEnd < 0) return null; // gone since it was listed
  const before = body.slice(0, xmlStart);
  const stateLine = before.split('\n')[0]!.trim();
  const m = /^([a-z ]+?)(?: \(([^)]*)\))?$/.exec(stateLine);
  const addresses = new Set<string>();
  for (const a of before.matchAll(/\bipv[46]\s+([0-9A-Fa-f:.]+)\/\d+/g)) addresses.add(a[1]!);
  let facts: DomainFacts;
  try {
    facts = parseDomainXml(body.slice(xmlStart, xmlEnd + '</domain>'.length));
  } catch (e) {
    throw new ProviderError('Retryable', `libvirt host '${virsh.host.name}' returned a domain definition Tessera cannot read: ${(e as Error).message}`, virsh.provider, 'BadXml');
  }
  return { host: virsh.host.name, facts, state: m?.[1] ?? 'no state', reason: m?.[2] ?? null, addresses: [...addresses] };
}

export async function readHostResources(virsh: Virsh): Promise<HostResources> {
  const stdout = await virsh.batch([['nodeinfo'], ['echo', '@@tsr:freecell@@'], ['freecell']]);
  const [info = '', , free = ''] = stdout.split(MARKER);
  const cpus = Number(/^CPU\(s\):\s+(\d+)/m.exec(info)?.[1]);
  const memoryKiB = Number(/^Memory size:\s+(\d+) KiB/m.exec(info)?.[1]);
  const freeKiB = Number(/(\d+) KiB\s*$/.exec(free.trim())?.[1]);
  if (!Number.isFinite(cpus) || !Number.isFinite(memoryKiB) || cpus <= 0) {
    throw new ProviderError(
      'Retryable',
      `libvirt host '${virsh.host.name}' did not say how big it is (virsh nodeinfo printed ${JSON.stringify(info.slice(0, 200))}); Tessera retries`,
      virsh.provider,
      'NodeInfoUnreadable',
    );
  }
  // freecell can be missing where NUMA information is not exposed; then the whole memory counts as free.
  const freeMemoryMiB = Number.isFinite(freeKiB) ? Math.floor(freeKiB / 1024) : Math.floor(memoryKiB / 1024);
  return { cpus, memoryMiB: Math.floor(memoryKiB / 1024), freeMemoryMiB };
}
