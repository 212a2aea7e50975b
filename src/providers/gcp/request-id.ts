import { createHash } from 'node:crypto';

/**
 * GCE's own idempotency key for a mutating call is its `requestId`, which must be a UUID: a repeated call with the
 * same requestId returns the first call's operation and does nothing twice. Tessera's create token is not a UUID,
 * so the requestId is derived from it — a name-based UUID (RFC 9562 version 5: SHA-1 of a namespace and a name) —
 * the same for every retry of one create in one zone, whichever process sends it.
 */

/** Tessera's namespace for GCE request ids (a fixed random UUID). */
const NAMESPACE = '5b0c6f1e-8f2a-4c47-9d1e-3a7be0c2d941';

export function requestIdFor(token: string, zone: string): string {
  const namespace = Buffer.from(NAMESPACE.replace(/-/g, ''), 'hex');
  const hash = createHash('sha1').update(namespace).update(`${zone}/${token}`, 'utf8').digest();
  const bytes = Buffer.from(hash.subarray(0, 16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x50; // version 5
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC variant
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
