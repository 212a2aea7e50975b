import type { InstanceKind } from '../../core/offer.js';
import { TESSERA_ID_LABEL, type ObservedInstance, type ObservedState } from '../driver.js';
import type { SimMachine } from './state.js';

/** How a recorded machine looks to Tessera at instant `now` (epoch ms): its state follows from timestamps. */
export function toObserved(machine: SimMachine, kind: InstanceKind, now: number): ObservedInstance {
  return {
    externalId: machine.externalId,
    token: machine.token,
    // Read from the label, not stored apart, so an outside edit of the labels shows up as drift.
    tesseraId: machine.labels[TESSERA_ID_LABEL] ?? null,
    name: machine.name,
    region: machine.region,
    zone: machine.zone,
    flavor: machine.flavor,
    image: machine.image,
    market: machine.market,
    kind,
    state: stateAt(machine, now),
    addresses: [{ type: 'private', address: privateAddressFor(machine.externalId) }],
    labels: { ...machine.labels },
    createdAt: new Date(machine.createdAt).toISOString(),
  };
}

function stateAt(machine: SimMachine, now: number): ObservedState {
  if (machine.deletedAt !== null) return 'terminated';
  const settled = now >= machine.transitionUntil;
  if (machine.power === 'on') return settled ? 'running' : 'pending';
  return settled ? 'stopped' : 'stopping';
}

/** A stable 10.x.y.z address derived from the id: shown and stored, never contacted. */
export function privateAddressFor(externalId: string): string {
  // FNV-1a, 32 bits.
  let hash = 0x811c9dc5;
  for (let i = 0; i < externalId.length; i++) {
    hash ^= externalId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  // The last octet avoids 0 and 255 (network and broadcast addresses).
  return `10.${(hash >>> 16) & 255}.${(hash >>> 8) & 255}.${((hash & 255) % 254) + 1}`;
}
