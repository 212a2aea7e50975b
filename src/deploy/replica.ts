import { createHash } from 'node:crypto';
import type { Instance } from '../core/instance.js';
import { offerKey } from './placement/index.js';
import { TEMPLATE_LABEL, type DeploymentTemplate } from './deployment.js';

/** One replica of a deployment as the controller and the planner judge it, read from its Instance resource. */
export interface Replica {
  id: string;
  name: string;
  provider: string;
  region: string;
  flavor: string;
  market: Instance['spec']['market'];
  /** offerKey of where it runs. */
  offer: string;
  templateHash: string | null;
  /** Being deleted (by Tessera or a person): no longer counted, not acted on again. */
  deleting: boolean;
  ready: boolean;
  /**
   * Why it will not serve as it should: phase Failed, or a drift reported by the compute controller (stopped,
   * resized or re-imaged outside Tessera) — a replica is replaced rather than repaired in place. Null when fine.
   */
  failure: { reason: string; message: string } | null;
  /**
   * An offer refused it (capacity, quota), or its provider has kept failing to create it for failoverAfterSeconds,
   * and the compute controller is still retrying there: the deployment re-places it rather than waiting, and
   * avoids that offer (capacity) or region (anything else) for a while.
   */
  refused: { errorClass: string; message: string } | null;
  /** What it costs where it is, as recorded when it was placed. */
  priceMicrosPerHour: number | null;
}

const REFUSALS = new Set(['Capacity', 'Quota']);

/** When a replica the provider keeps failing to create counts as refused (PlacementPolicy.failoverAfterSeconds). */
export interface Judgement {
  now: number;
  failoverAfterMs: number;
}

export function judgementOf(spec: { placement: { failoverAfterSeconds: number } }, now = Date.now()): Judgement {
  return { now, failoverAfterMs: spec.placement.failoverAfterSeconds * 1000 };
}

export function replicaOf(i: Instance, judgement: Judgement): Replica {
  const providerError = i.status.conditions.find((c) => c.type === 'ProviderError' && c.status === 'True');
  const drift = i.status.conditions.find((c) => c.type === 'Drifted' && c.status === 'True');
  const stillTrying = i.status.phase === 'Pending' || i.status.phase === 'Provisioning';
  const failingSince = providerError ? Date.parse(providerError.lastTransitionTime) : Infinity;
  const givenUp = judgement.now - failingSince >= judgement.failoverAfterMs;
  return {
    id: i.id,
    name: i.name,
    provider: i.spec.provider,
    region: i.spec.region,
    flavor: i.spec.flavor,
    market: i.spec.market,
    offer: offerKey(i.spec),
    templateHash: i.labels[TEMPLATE_LABEL] ?? null,
    deleting: i.deletedAt !== null || i.status.phase === 'Deleting' || i.status.phase === 'Deleted',
    ready: i.status.phase === 'Running' && i.deletedAt === null,
    failure:
      i.status.phase === 'Failed'
        ? { reason: i.status.reason ?? 'Failed', message: i.status.message ?? 'failed' }
        : drift && i.deletedAt === null
          ? { reason: drift.reason, message: drift.message }
          : null,
    refused:
      stillTrying && providerError && i.status.externalId === null && (REFUSALS.has(providerError.reason) || givenUp)
        ? {
            errorClass: providerError.reason,
            message: REFUSALS.has(providerError.reason)
              ? providerError.message
              : `${providerError.message} (failing for ${Math.round((judgement.now - failingSince) / 1000)} s)`,
          }
        : null,
    priceMicrosPerHour: i.status.scheduling?.priceMicrosPerHour ?? null,
  };
}

/** A short stable hash of the template: replicas carry it, so a template change is seen as one. */
export function templateHash(t: DeploymentTemplate): string {
  return createHash('sha256').update(canonicalJson(t)).digest('hex').slice(0, 12);
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}
