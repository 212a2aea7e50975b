import { isIP } from 'node:net';

/**
 * The address arithmetic a Cluster's validation needs: CIDRs (the pod and service networks) and host:port (the
 * control-plane endpoint), for IPv4 and IPv6. Parsers answer an error message, written for the user, instead of
 * throwing, so that the schema can attach it to the field.
 */

export type IpFamily = 4 | 6;

export interface Cidr {
  family: IpFamily;
  /** The address as an integer (IPv4: 32 bits, IPv6: 128 bits). */
  address: bigint;
  prefix: number;
}

export interface HostPort {
  host: string;
  port: number;
  /** 4 or 6 when the host is an IP address, 0 for a DNS name. */
  ipFamily: 0 | IpFamily;
}

/** RFC 1123 subdomain, as Kubernetes and kubeadm accept for DNS names. */
export const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

export function addressBits(family: IpFamily): number {
  return family === 4 ? 32 : 128;
}

const IPV4_PART = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

function ipv4ToBigInt(text: string): bigint | null {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => IPV4_PART.test(p))) return null;
  return parts.reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n);
}

/** An IPv6 address already accepted by node:net (so well-formed), as a 128-bit integer. */
function ipv6ToBigInt(text: string): bigint {
  let address = text.toLowerCase();
  const dottedTail = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (dottedTail?.[1]) {
    const v4 = ipv4ToBigInt(dottedTail[1]) ?? 0n;
    address = `${address.slice(0, -dottedTail[1].length)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  let groups: string[];
  if (address.includes('::')) {
    const [head = '', tail = ''] = address.split('::');
    const headGroups = head === '' ? [] : head.split(':');
    const tailGroups = tail === '' ? [] : tail.split(':');
    groups = [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  } else {
    groups = address.split(':');
  }
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** An IP address (either family) as an integer, or null when it is not one. */
export function parseIp(text: string): { family: IpFamily; address: bigint } | null {
  const family = isIP(text);
  if (family === 4) {
    const address = ipv4ToBigInt(text);
    return address === null ? null : { family, address };
  }
  if (family === 6) return { family, address: ipv6ToBigInt(text) };
  return null;
}

function formatAddress(family: IpFamily, value: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((shift) => ((value >> shift) & 0xffn).toString()).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => ((value >> BigInt(112 - 16 * i)) & 0xffffn).toString(16));
  // The usual short form: the longest run of two or more zero groups becomes "::".
  let best = { start: -1, length: 0 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i >= 2 && j - i > best.length) best = { start: i, length: j - i };
    i = j;
  }
  if (best.start < 0) return groups.join(':');
  return `${groups.slice(0, best.start).join(':')}::${groups.slice(best.start + best.length).join(':')}`;
}

export function formatCidr(c: Cidr): string {
  return `${formatAddress(c.family, c.address)}/${c.prefix}`;
}

/** Parses "10.244.0.0/16" or "fd00:10:244::/56"; answers an error message for anything else. */
export function parseCidr(text: string): Cidr | string {
  if (text.includes(',')) {
    return `"${text}" names two networks: dual-stack clusters are not supported yet; give one IPv4 or one IPv6 network`;
  }
  const match = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (!match?.[1] || !match[2]) return `"${text}" is not a CIDR: write a network and a prefix length, such as 10.244.0.0/16`;
  const ip = parseIp(match[1]);
  if (!ip) return `"${match[1]}" in "${text}" is not an IPv4 or IPv6 address`;
  const prefix = Number(match[2]);
  const bits = addressBits(ip.family);
  if (prefix > bits) return `"${text}": an IPv${ip.family} prefix length is at most ${bits}`;
  const hostBits = BigInt(bits - prefix);
  const network = (ip.address >> hostBits) << hostBits;
  if (network !== ip.address) {
    return `"${text}" has host bits set: the network is ${formatCidr({ family: ip.family, address: network, prefix })}; write that`;
  }
  return { family: ip.family, address: ip.address, prefix };
}

/** Two CIDR blocks overlap exactly when one contains the other: compare them on the shorter prefix. */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  const shift = BigInt(addressBits(a.family) - Math.min(a.prefix, b.prefix));
  return a.address >> shift === b.address >> shift;
}

export function cidrContains(c: Cidr, ip: { family: IpFamily; address: bigint }): boolean {
  return cidrsOverlap(c, { ...ip, prefix: addressBits(ip.family) });
}

/** Parses "api.example.com:6443", "10.0.0.10:6443" or "[fd00::10]:6443"; answers an error message otherwise. */
export function parseHostPort(text: string): HostPort | string {
  const bracketed = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text);
  const plain = /^([^:[\]]+):(\d{1,5})$/.exec(text);
  const match = bracketed ?? plain;
  if (!match?.[1] || !match[2]) {
    return `"${text}" is not host:port: write a DNS name or an IP address and the API server port, such as k8s.example.com:6443 (IPv6 in brackets: [fd00::10]:6443)`;
  }
  const host = match[1];
  const port = Number(match[2]);
  if (port < 1 || port > 65535) return `port ${port} in "${text}" is outside 1-65535`;
  const family = isIP(host);
  if (bracketed && family !== 6) return `"${host}" in brackets is not an IPv6 address`;
  if (family === 0 && !DNS_SUBDOMAIN.test(host)) {
    return `"${host}" is neither an IP address nor a DNS name (lowercase letters, digits, "-" and ".", labels of at most 63 characters)`;
  }
  return { host, port, ipFamily: family as 0 | IpFamily };
}
