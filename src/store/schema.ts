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
  /** JSON: what the resource was at this event (EventFacts), for readers such as the metering ledger. */
  facts: string | null;
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

export interface PrincipalsTable {
  id: string;
  name: string;
  kind: string;
  display_name: string | null;
  email: string | null;
  /** 0 or 1 (a boolean both dialects store the same way). */
  org_admin: number;
  source: string;
  created_at: string;
  last_login_at: string | null;
}

export interface RoleBindingsTable {
  principal_id: string;
  project: string;
  source: string;
  role: string;
}

export interface ApiTokensTable {
  id: string;
  secret_hash: string;
  principal_id: string;
  name: string;
  /** JSON array of {project, role}, or null for "everything the principal holds". */
  scopes: string | null;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
  last_used_at: string | null;
}

export interface SessionsTable {
  id: string;
  secret_hash: string;
  principal_id: string;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
  saml_name_id: string | null;
  saml_name_id_format: string | null;
  saml_session_index: string | null;
}

export interface AuditLogTable {
  seq: Generated<number>;
  at: string;
  principal_id: string | null;
  principal_name: string | null;
  via: string | null;
  source_ip: string | null;
  user_agent: string | null;
  action: string;
  method: string | null;
  path: string | null;
  resource_kind: string | null;
  resource_id: string | null;
  project: string | null;
  result: string;
  status_code: number | null;
  request_id: string | null;
  message: string;
}

export interface SamlSeenAssertionsTable {
  id: string;
  expires_at: string;
}

export interface SamlRequestsTable {
  id: string;
  value: string;
  /** Epoch ms. */
  created_at: number;
}

export interface SettingsTable {
  key: string;
  value: string;
  updated_at: string;
}

export interface CatalogPricesTable {
  provider: string;
  region: string;
  flavor: string;
  market: string;
  valid_from: string;
  valid_to: string | null;
  zone: string | null;
  vcpus: number;
  memory_gib: number;
  gpus: number;
  arch: string;
  price_micros: number;
  currency: string;
  source: string;
  imported_at: string;
}

export interface UsageSegmentsTable {
  instance_id: string;
  opened_by_seq: number;
  closed_by_seq: number | null;
  start_at: string;
  end_at: string | null;
  state: string;
  project: string;
  name: string;
  provider: string;
  price_key: string;
  region: string;
  zone: string | null;
  flavor: string;
  market: string;
  kind: string;
  labels: string;
  external_id: string | null;
}

export interface CostModelsTable {
  provider: string;
  valid_from: string;
  valid_to: string | null;
  inputs: string;
  rates: string;
  recorded_at: string;
}

/** One instance's one metric over one hour, received over OTLP (src/metering/otlp/rollup.ts says what each column holds). */
export interface MetricRollupsTable {
  instance_id: string;
  metric: string;
  /** The hour's start, e.g. 2026-11-27T05:00:00.000Z. */
  hour: string;
  project: string;
  kind: string;
  unit: string;
  count: number;
  sum: number;
  min: number | null;
  max: number | null;
  last: number | null;
  last_at: string | null;
  /** JSON array of upper bounds (histograms). */
  bounds: string | null;
  /** JSON array of counts, one more than bounds (histograms). */
  bucket_counts: string | null;
  unbucketed: number;
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
  principals: PrincipalsTable;
  role_bindings: RoleBindingsTable;
  api_tokens: ApiTokensTable;
  sessions: SessionsTable;
  audit_log: AuditLogTable;
  saml_seen_assertions: SamlSeenAssertionsTable;
  saml_requests: SamlRequestsTable;
  settings: SettingsTable;
  catalog_prices: CatalogPricesTable;
  metric_rollups: MetricRollupsTable;
  usage_segments: UsageSegmentsTable;
  cost_models: CostModelsTable;
}
