/**
 * Shapes of API answers the CLI reads. Instances come from src/core (the zod schemas there are the source of
 * truth); the catalog and event views below are what the API server returns and have no core schema yet.
 */
import type { Instance } from '../core/instance.js';

export type { Instance };

/** Every list endpoint: one page of items and the cursor of the next page, or null on the last one. */
export interface Page<T> {
  items: T[];
  nextCursor?: string | null;
}

export interface ProviderInfo {
  name: string;
  type: string;
  simulated: boolean;
  health: 'ok' | 'degraded' | 'down';
  circuit: { state: 'closed' | 'open' | 'half-open'; consecutiveFailures: number; openedAt: string | null; retryAt: string | null };
  /** perSecond is null when the provider has no rate limit. */
  rateLimit: { perSecond: number | null; burst: number; available: number; queued: number };
  lastError: string | null;
  lastSyncAt?: string | null;
  instances: number;
}

export interface FlavorInfo {
  provider: string;
  name: string;
  vcpus: number;
  memoryGiB: number;
  gpus: number;
  arch: string;
  kind: string;
  simulated: boolean;
  regions: string[];
  priceFromMicrosPerHour: number | null;
}

export interface RegionInfo {
  provider: string;
  name: string;
  zones: string[];
  location: string | null;
  simulated: boolean;
}

export interface ImageInfo {
  provider: string;
  name: string;
  os: string;
  arch: string;
}

export interface ProjectInfo {
  id: string;
  name: string;
  description?: string | null;
  createdAt?: string;
}

/** One entry of the append-only event log (GET /v1/events). */
export interface EventRecord {
  seq: number;
  at: string;
  kind: string;
  resourceId: string;
  project: string | null;
  type: string;
  reason: string | null;
  message: string | null;
}

/** One message of the SSE watch (GET /v1/watch): the event and the resource as it is after the change. */
export interface WatchEvent {
  seq: number;
  type: string;
  kind: string;
  resourceId: string;
  reason: string | null;
  message: string | null;
  at?: string;
  resource: Instance | Record<string, unknown> | null;
}
