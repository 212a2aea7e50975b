import { createHash } from 'node:crypto';

/**
 * Names and the UUID of a Tessera domain, derived from its create token. Deterministic on purpose: a create
 * retried after a crash defines the same UUID again — which libvirt treats as an update of the one domain, never
 * a second one — and reuses (replaces) the same volumes, so a half-made attempt leaves nothing behind to leak.
 */
export interface DomainIdentity {
  uuid: string;
  /** `<instance name>-<8 hex>`: recognisable in `virsh list`, unique per token. */
  domainName: string;
  /** The qcow2 overlay in the pool. */
  diskVolume: string;
  /** The NoCloud seed ISO in the pool. */
  seedVolume: string;
}

/** A name-based UUID (RFC 4122 version 5: SHA-1 of a Tessera prefix and the token). */
export function uuidForToken(token: string): string {
  const b = createHash('sha1').update(`tessera.dev/libvirt/domain\u0000${token}`).digest().subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Volumes are named after the domain's UUID, so that a delete can find them from a token alone. */
export function volumesFor(uuid: string): { diskVolume: string; seedVolume: string } {
  return { diskVolume: `${uuid}.qcow2`, seedVolume: `${uuid}-seed.iso` };
}

/** A request name made fit for a domain name and a guest hostname: lower case, letters, digits and dashes. */
export function hostnameFor(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 50) || 'instance';
}

export function identityFor(requestName: string, token: string): DomainIdentity {
  const uuid = uuidForToken(token);
  return { uuid, domainName: `${hostnameFor(requestName)}-${uuid.slice(0, 8)}`, ...volumesFor(uuid) };
}
