/** Reaching instances through the API: paths, reads that tolerate absence, and name-or-id references. */
import { ID_PREFIX, isId } from '../core/ids.js';
import type { Instance, Page } from './api-types.js';
import { ApiError, type ApiClient } from './client.js';
import { CommandFailedError } from './errors.js';

export function instancePath(id: string, action?: string): string {
  return `/v1/instances/${encodeURIComponent(id)}${action ? `/${action}` : ''}`;
}

/** The instance, or null once it no longer exists (a finished delete answers 404). */
export async function getInstanceOrNull(client: ApiClient, id: string, signal?: AbortSignal): Promise<Instance | null> {
  try {
    return await client.get<Instance>(instancePath(id), undefined, signal);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

/**
 * Commands accept an instance id (`i-…`) or, for convenience, its name when exactly one instance has it.
 * An id-shaped argument is taken as an id without a lookup, so ids always work even if a name looks alike.
 */
export async function resolveInstanceId(client: ApiClient, ref: string): Promise<string> {
  if (ref.startsWith(`${ID_PREFIX.Instance}-`) && isId(ref)) return ref;
  const page = await client.get<Page<Instance>>('/v1/instances', { name: ref, limit: 2 });
  const matches = page.items.filter((instance) => instance.name === ref);
  const [first] = matches;
  if (!first) throw new CommandFailedError(`no instance is named "${ref}" (give an instance id such as i-3k9x0q2m, or see "tessera instance list")`);
  if (matches.length > 1) {
    const projects = matches.map((instance) => instance.project).join(', ');
    throw new CommandFailedError(`more than one instance is named "${ref}" (in projects ${projects}): give its id instead`);
  }
  return first.id;
}
