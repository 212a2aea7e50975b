import { createHash } from 'node:crypto';
import { INSTANCE_KIND, initialInstanceStatus, type Instance, type InstanceSpec, type InstanceStatus, type Phase } from '../core/instance.js';
import { LABEL_KEY_PATTERN, LABEL_VALUE_PATTERN } from '../core/resource.js';
import { TESSERA_ID_LABEL, type ObservedInstance } from '../providers/driver.js';
import type { GuardedDriver } from '../providers/guarded-driver.js';
import type { ProviderRegistry } from '../providers/registry.js';
import { readAhead } from '../runtime/read-ahead.js';
import type { Store } from '../store/store.js';

export interface SyncResult {
  provider: string;
  seen: number;
  discovered: number;
  gone: number;
  /** Managed instances whose provider state differs from their status: handed to the controller. */
  requeued: number;
  durationMs: number;
}

const OBSERVED_PHASE: Record<ObservedInstance['state'], Phase> = {
  pending: 'Provisioning',
  running: 'Running',
  stopping: 'Running',
  stopped: 'Stopped',
  terminating: 'Deleting',
  terminated: 'Deleted',
};

/** Deterministic id for a discovered machine, so two processes (or two syncs) never record it twice. */
export function discoveredId(provider: string, externalId: string): string {
  const digest = createHash('sha256').update(`${provider}\u0000${externalId}`).digest();
  let n = digest.readBigUInt64BE(0);
  let out = '';
  for (let i = 0; i < 16; i++) {
    out += '0123456789abcdefghijklmnopqrstuvwxyz'[Number(n % 36n)];
    n /= 36n;
  }
  return `i-${out}`;
}

function discoveredName(o: ObservedInstance, id: string): string {
  const base = o.name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 45) || 'machine';
  return `${base}-${id.slice(2, 10)}`;
}

/**
 * Inventory discovery: lists every machine a provider holds, page by page. Unknown machines appear as
 * discovered (not managed); managed ones whose state moved are handed to the controller, which decides
 * whether that is drift. Memory stays bounded by a page plus the set of ids seen.
 */
export class Discovery {
  /** The last sync this process ran, per provider (shown by GET /v1/providers). */
  readonly lastSync = new Map<string, SyncResult & { at: string }>();

  constructor(
    private readonly store: Store,
    private readonly providers: ProviderRegistry,
    private readonly opts: { pageSize: number; project: string } = { pageSize: 1000, project: 'default' },
  ) {}

  async sync(driver: GuardedDriver): Promise<SyncResult> {
    const started = performance.now();
    const seen = new Set<string>();
    let discovered = 0;
    let requeued = 0;
    // The next page is listed while this one is recorded.
    for await (const page of readAhead(driver.list({ pageSize: this.opts.pageSize }))) {
      const known = await this.knownByExternalId(driver.name, page.map((o) => o.externalId));
      const fresh: Instance[] = [];
      const toRequeue: string[] = [];
      for (const o of page) {
        seen.add(o.externalId);
        const existing = known.get(o.externalId) ?? null;
        if (existing) {
          if (this.stateMoved(existing, o)) toRequeue.push(existing.id);
          continue;
        }
        if (o.tesseraId !== null) {
          // Made by Tessera but not yet recorded under this external id (a create whose answer was lost):
          // the controller finds it by token; just make sure it looks.
          const owner = await this.store.get<InstanceSpec, InstanceStatus>(INSTANCE_KIND, o.tesseraId);
          if (owner && owner.spec.provider === driver.name) {
            toRequeue.push(owner.id);
            continue;
          }
        }
        if (o.state === 'terminated') continue;
        fresh.push(this.toDiscovered(driver.name, o));
      }
      if (fresh.length > 0) {
        await this.store.bulkUpsert(fresh, { type: 'Discovered', reason: 'InventorySync', message: `found at ${driver.name}, not managed by Tessera` });
        discovered += fresh.length;
      }
      if (toRequeue.length > 0) {
        await this.store.enqueue(INSTANCE_KIND, toRequeue, Date.now());
        requeued += toRequeue.length;
      }
    }
    const { gone, missingManaged } = await this.markGone(driver.name, seen);
    if (missingManaged.length > 0) await this.store.enqueue(INSTANCE_KIND, missingManaged, Date.now());
    const result: SyncResult = {
      provider: driver.name,
      seen: seen.size,
      discovered,
      gone,
      requeued: requeued + missingManaged.length,
      durationMs: Math.round(performance.now() - started),
    };
    this.lastSync.set(driver.name, { ...result, at: this.store.nowIso() });
    return result;
  }

  private async knownByExternalId(provider: string, externalIds: string[]): Promise<Map<string, Instance>> {
    const out = new Map<string, Instance>();
    for (let i = 0; i < externalIds.length; i += 500) {
      // Only the (provider, external_id) index narrows this well; kind and phase are checked here, not in SQL,
      // so no planner is tempted to scan by kind.
      const rows = await this.store.db
        .selectFrom('resources')
        .select(['id', 'kind', 'phase', 'external_id', 'status', 'spec', 'deleted_at'])
        .where('provider', '=', provider)
        .where('external_id', 'in', externalIds.slice(i, i + 500))
        .execute();
      for (const r of rows) {
        if (r.kind !== INSTANCE_KIND || r.phase === 'Deleted') continue;
        out.set(r.external_id!, {
          id: r.id,
          spec: JSON.parse(r.spec) as InstanceSpec,
          status: JSON.parse(r.status) as InstanceStatus,
          deletedAt: r.deleted_at,
        } as Instance);
      }
    }
    return out;
  }

  /** A managed instance needs a look when the provider's state disagrees with what Tessera last recorded. */
  private stateMoved(existing: Instance, o: ObservedInstance): boolean {
    if (!existing.spec.managed) return false;
    if (existing.deletedAt !== null) return false;
    return OBSERVED_PHASE[o.state] !== existing.status.phase || o.flavor !== existing.spec.flavor || o.image !== existing.spec.image;
  }

  /**
   * Machines Tessera knew at this provider that the listing no longer shows. Discovered ones are simply gone;
   * managed ones go to the controller, which applies their drift policy.
   */
  private async markGone(provider: string, seen: Set<string>): Promise<{ gone: number; missingManaged: string[] }> {
    const rows = await this.store.db
      .selectFrom('resources')
      .select(['id', 'external_id', 'spec'])
      .where('kind', '=', INSTANCE_KIND)
      .where('provider', '=', provider)
      .where('external_id', 'is not', null)
      .where('phase', 'not in', ['Deleted', 'Deleting', 'Failed'])
      .execute();
    const missingManaged: string[] = [];
    let gone = 0;
    for (const r of rows) {
      if (seen.has(r.external_id!)) continue;
      const managed = (JSON.parse(r.spec) as InstanceSpec).managed;
      if (managed) {
        missingManaged.push(r.id);
        continue;
      }
      await this.store.update<InstanceSpec, InstanceStatus>(
        INSTANCE_KIND,
        r.id,
        (cur) => (cur.spec.managed ? null : { ...cur, deletedAt: this.store.nowIso(), status: { ...cur.status, phase: 'Deleted' } }),
        { event: () => ({ type: 'PhaseChanged', reason: 'Deleted', message: `no longer listed by ${provider}` }) },
      );
      gone++;
    }
    return { gone, missingManaged };
  }

  private toDiscovered(provider: string, o: ObservedInstance): Instance {
    const id = discoveredId(provider, o.externalId);
    const at = this.store.nowIso();
    const labels = Object.fromEntries(Object.entries(o.labels).filter(([k]) => k !== TESSERA_ID_LABEL && isLabel(k, o.labels[k]!)));
    return {
      id,
      kind: INSTANCE_KIND,
      project: this.opts.project,
      name: discoveredName(o, id),
      labels,
      spec: {
        provider,
        region: o.region,
        zone: o.zone,
        flavor: o.flavor,
        requirements: null,
        image: o.image,
        market: o.market,
        userData: null,
        powerState: o.state === 'stopped' ? 'off' : 'on',
        driftPolicy: 'report',
        managed: false,
        reboots: 0,
      },
      status: {
        ...initialInstanceStatus(),
        phase: OBSERVED_PHASE[o.state],
        externalId: o.externalId,
        addresses: o.addresses,
        kind: o.kind,
        lastObservedAt: at,
        discovered: true,
        message: `discovered at ${provider}; adopt it to manage it (tessera instance adopt ${id})`,
      },
      generation: 1,
      resourceVersion: 1,
      createdAt: at,
      updatedAt: at,
      deletedAt: null,
    };
  }
}

/** Provider tags that are not valid Tessera labels are left out rather than failing the whole sync. */
function isLabel(key: string, value: string): boolean {
  return LABEL_KEY_PATTERN.test(key) && LABEL_VALUE_PATTERN.test(value);
}
