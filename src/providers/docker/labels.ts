import { TESSERA_ID_LABEL, TESSERA_TOKEN_LABEL, type CreateRequest } from '../driver.js';

/**
 * The label scheme of a Tessera container. Docker labels cannot change after create, so everything observe must
 * report without Tessera's store rides here: the instance id and create token (observe-before-create finds a
 * half-made container by them), the flavor and image as requested (the container's own image field may show a
 * digest once a tag moves on). A request's labels are written as they are: Tessera's label keys and values are
 * a subset of what docker accepts, and keeping them unprefixed lets `docker ps --filter label=app=web` work.
 */

/** The flavor the container was created with; its limits come from it. */
export const FLAVOR_LABEL = 'tessera.io/flavor';
/** The image reference as the request named it. */
export const IMAGE_LABEL = 'tessera.io/image';

/** Bookkeeping labels: reported through ObservedInstance fields, not as labels. */
const BOOKKEEPING = new Set([FLAVOR_LABEL, IMAGE_LABEL]);

export function containerLabels(req: CreateRequest, token: string): Record<string, string> {
  // Tessera's own labels last, so a request's label cannot overwrite them.
  return {
    ...req.labels,
    [TESSERA_ID_LABEL]: req.tesseraId,
    [TESSERA_TOKEN_LABEL]: token,
    [FLAVOR_LABEL]: req.flavor,
    [IMAGE_LABEL]: req.image,
  };
}

/** The labels an observed container reports: its own, Tessera's id and token included, bookkeeping left out. */
export function reportedLabels(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).filter(([key]) => !BOOKKEEPING.has(key)));
}

/** The `filters` value that lists Tessera's containers only, or the one carrying a given create token. */
export function tesseraFilter(token?: string): { label: string[] } {
  return { label: [token === undefined ? TESSERA_ID_LABEL : `${TESSERA_TOKEN_LABEL}=${token}`] };
}

/**
 * `tessera-<name>-<short id>`: readable in `docker ps`, and unique per instance on a host — docker refuses a
 * second container of the same name, which makes two racing creates of one instance collide instead of
 * doubling. The short id is the first 8 characters of the id after its `i-` prefix.
 */
export function containerName(req: Pick<CreateRequest, 'name' | 'tesseraId'>): string {
  const name = req.name.replace(/[^a-zA-Z0-9_.-]+/g, '-').replace(/^[^a-zA-Z0-9]+/, '') || 'instance';
  const shortId = req.tesseraId.replace(/^[a-z]+-/, '').slice(0, 8);
  return `tessera-${name}-${shortId}`;
}
