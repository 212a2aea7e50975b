import { attributeText } from './attributes.js';
import type { IndexedInstance, InstanceIndex } from './instance-index.js';
import type { KeyValue } from './otlp-messages.js';
import type { RejectionReason } from './rejection.js';

/** The resource attributes that name an instance, strongest first. */
export const INSTANCE_ID_ATTRIBUTE = 'tessera.instance.id';
const PROVIDER_ID_ATTRIBUTES = ['host.id', 'cloud.resource_id'] as const;
const HOST_NAME_ATTRIBUTE = 'host.name';

export type Attribution =
  | { instance: IndexedInstance }
  | { instance: null; reason: RejectionReason; identity: string; detail: string };

/**
 * The instance a resource's metrics belong to, among those in `projects` (null: every project, an organisation
 * admin). `tessera.instance.id` decides alone when present (a wrong id is refused, never matched another way);
 * otherwise `host.id` or `cloud.resource_id` against the instances' provider ids, then `host.name` against their
 * names (lower-cased, as host names compare). A match must be unique among the instances the token may feed.
 */
export function attributeResource(attributes: readonly KeyValue[] | undefined, projects: ReadonlySet<string> | null, index: InstanceIndex): Attribution {
  const allowed = (i: IndexedInstance) => projects === null || projects.has(i.project);
  const id = attributeText(attributes, INSTANCE_ID_ATTRIBUTE);
  if (id !== undefined) {
    const inst = index.get(id);
    if (inst && allowed(inst)) return { instance: inst };
    return refuse('unknown-instance', `${INSTANCE_ID_ATTRIBUTE}=${id}`, `no instance ${id} in a project where this token holds operator: check the id (tessera instance list)`);
  }
  const tried: string[] = [];
  for (const key of PROVIDER_ID_ATTRIBUTES) {
    const value = attributeText(attributes, key);
    if (value === undefined || value === '') continue;
    tried.push(`${key}=${value}`);
    const found = unique(index.withExternalId(value).filter(allowed), `${key}=${value}`, 'provider id');
    if (found) return found;
  }
  const host = attributeText(attributes, HOST_NAME_ATTRIBUTE);
  if (host !== undefined && host !== '') {
    tried.push(`${HOST_NAME_ATTRIBUTE}=${host}`);
    const found = unique(index.named(host.toLowerCase()).filter(allowed), `${HOST_NAME_ATTRIBUTE}=${host}`, 'name');
    if (found) return found;
  }
  if (tried.length === 0) {
    const service = attributeText(attributes, 'service.name');
    return refuse(
      'no-identity',
      service ? `service.name=${service}` : '(no identifying attribute)',
      `the resource has none of ${INSTANCE_ID_ATTRIBUTE}, host.id, cloud.resource_id, host.name: set ${INSTANCE_ID_ATTRIBUTE} (OTEL_RESOURCE_ATTRIBUTES=${INSTANCE_ID_ATTRIBUTE}=<id>)`,
    );
  }
  return refuse(
    'unknown-instance',
    tried.join(','),
    `no instance with that provider id or name in a project where this token holds operator: set ${INSTANCE_ID_ATTRIBUTE}, or check the token's projects`,
  );
}

function unique(matches: readonly IndexedInstance[], identity: string, what: string): Attribution | null {
  if (matches.length === 1) return { instance: matches[0]! };
  if (matches.length === 0) return null;
  return refuse(
    'ambiguous-instance',
    identity,
    `${matches.length} instances in this token's projects have that ${what} (${matches.map((m) => `${m.project}/${m.id}`).slice(0, 3).join(', ')}): set ${INSTANCE_ID_ATTRIBUTE}, or use a token scoped to one project`,
  );
}

function refuse(reason: RejectionReason, identity: string, detail: string): Attribution {
  return { instance: null, reason, identity, detail };
}
