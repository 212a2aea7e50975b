import type { Resource } from '../core/resource.js';
import type { ResourcesTable } from './schema.js';

/** Columns derived from the resource so list filters use indexes; read from optional, conventional fields. */
export function indexColumns(r: Resource): Pick<ResourcesTable, 'provider' | 'region' | 'phase' | 'external_id'> {
  const spec = (r.spec ?? {}) as Record<string, unknown>;
  const status = (r.status ?? {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  return {
    provider: str(spec.provider),
    region: str(spec.region),
    phase: str(status.phase),
    external_id: str(status.externalId),
  };
}

export function toRow(r: Resource): ResourcesTable {
  return {
    id: r.id,
    kind: r.kind,
    project: r.project,
    name: r.name,
    labels: JSON.stringify(r.labels),
    spec: JSON.stringify(r.spec),
    status: JSON.stringify(r.status),
    generation: r.generation,
    resource_version: r.resourceVersion,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
    deleted_at: r.deletedAt,
    ...indexColumns(r),
  };
}

export function fromRow<Spec, Status>(row: ResourcesTable): Resource<Spec, Status> {
  return {
    id: row.id,
    kind: row.kind,
    project: row.project,
    name: row.name,
    labels: JSON.parse(row.labels) as Record<string, string>,
    spec: JSON.parse(row.spec) as Spec,
    status: JSON.parse(row.status) as Status,
    generation: Number(row.generation),
    resourceVersion: Number(row.resource_version),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    deletedAt: row.deleted_at,
  };
}

/**
 * The resource as JSON, built from the row's own JSON columns without decoding and re-encoding them: what a
 * read by id answers with. Same fields and order as `JSON.stringify(fromRow(row))`.
 */
export function encodeRow(row: ResourcesTable): string {
  return (
    `{"id":${JSON.stringify(row.id)},"kind":${JSON.stringify(row.kind)},"project":${JSON.stringify(row.project)},` +
    `"name":${JSON.stringify(row.name)},"labels":${row.labels},"spec":${row.spec},"status":${row.status},` +
    `"generation":${Number(row.generation)},"resourceVersion":${Number(row.resource_version)},` +
    `"createdAt":${JSON.stringify(row.created_at)},"updatedAt":${JSON.stringify(row.updated_at)},` +
    `"deletedAt":${JSON.stringify(row.deleted_at)}}`
  );
}

/** Opaque keyset cursor: the last id of the previous page. */
export function encodeCursor(lastId: string): string {
  return Buffer.from(JSON.stringify({ after: lastId })).toString('base64url');
}

export function decodeCursor(cursor: string): string | null {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { after?: unknown };
    return typeof v.after === 'string' && v.after.length <= 64 && !v.after.includes('\u0000') ? v.after : null;
  } catch {
    return null;
  }
}
