import { createHash } from 'node:crypto';
import type { CreateRequest } from '../driver.js';

/**
 * How Tessera names and finds a VM on Compute Engine. Instance names must match RFC 1035
 * (`[a-z]([-a-z0-9]{0,61}[a-z0-9])?`) and are unique per zone; Tessera's is `<name>-<id>` — readable in the
 * console, and unique per Tessera instance, so two racing creates of one instance in one zone collide (409)
 * instead of doubling. The provider id Tessera keeps is `<zone>/<name>`: every instance call needs both.
 */

const MAX_NAME = 63;

export function instanceNameFor(req: Pick<CreateRequest, 'name' | 'tesseraId'>): string {
  // The id without its kind prefix (`i-3k9x0q2m7c1ab4de` → `3k9x0q2m7c1ab4de`): the part that makes it unique.
  let idPart = slug(req.tesseraId.replace(/^[a-z]{1,3}-/, ''));
  if (idPart === '') idPart = createHash('sha256').update(req.tesseraId).digest('hex').slice(0, 16);
  let namePart = slug(req.name).slice(0, MAX_NAME - idPart.length - 1).replace(/-+$/, '');
  if (!/^[a-z]/.test(namePart)) namePart = `vm${namePart ? `-${namePart}` : ''}`.slice(0, MAX_NAME - idPart.length - 1).replace(/-+$/, '');
  return `${namePart}-${idPart}`;
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

export function externalIdOf(zone: string, name: string): string {
  return `${zone}/${name}`;
}

/** The zone and name in a provider id, or null when it is not one of Tessera's `<zone>/<name>` ids. */
export function parseExternalId(externalId: string): { zone: string; name: string } | null {
  const m = /^([a-z]+-[a-z]+\d+-[a-z])\/([a-z](?:[-a-z0-9]{0,61}[a-z0-9])?|\d{1,20})$/.exec(externalId);
  return m ? { zone: m[1]!, name: m[2]! } : null;
}

/** `us-central1-a` → `us-central1`. */
export function regionOfZone(zone: string): string {
  return zone.replace(/-[a-z]$/, '');
}

/** The last path segment of a resource URL (`…/zones/us-central1-a/machineTypes/e2-small` → `e2-small`). */
export function lastSegment(url: string): string {
  return url.slice(url.lastIndexOf('/') + 1);
}
