import type { Generated } from 'kysely';

/**
 * Table shapes as Kysely sees them. JSON columns are text in both dialects so one query layer serves both;
 * the store (de)serialises them. Times are ISO-8601 UTC text (sortable) except queue times, which are epoch ms.
 */
export interface ResourcesTable {
  id: string;
  kind: string;
  project: string;
  name: string;
  labels: string;
  spec: string;
  status: string;
  generation: number;
  resource_version: number;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
  /** Denormalised from spec/status so list filters are index lookups, not JSON scans. */
  provider: string | null;
  region: string | null;
  phase: string | null;
  external_id: string | null;
}

export interface ResourceLabelsTable {
  resource_id: string;
  key: string;
  value: string;
}

export interface EventsTable {
  seq: Generated<number>;
  at: string;
  kind: string;
  resource_id: string;
  project: string;
  type: string;
  reason: string;
  message: string;
  resource_version: number | null;
}

export interface WorkTable {
  kind: string;
  resource_id: string;
  due_at: number;
  holder: string | null;
  lease_expires_at: number | null;
  attempts: number;
  /** Bumped by every enqueue, so finishing a claim cannot swallow a request that arrived while it ran. */
  gen: number;
}

export interface LeasesTable {
  name: string;
  holder: string;
  expires_at: number;
}

export interface IdempotencyTable {
  scope: string;
  key: string;
  request_hash: string;
  status_code: number;
  body: string;
  created_at: string;
}

export interface CredentialsTable {
  provider: string;
  ciphertext: string;
  updated_at: string;
}

export interface Database {
  resources: ResourcesTable;
  resource_labels: ResourceLabelsTable;
  events: EventsTable;
  work: WorkTable;
  leases: LeasesTable;
  idempotency_keys: IdempotencyTable;
  provider_credentials: CredentialsTable;
}
