import { INSTANCE_KIND, type InstanceSpec, type InstanceStatus } from '../core/instance.js';
import type { Store } from '../store/store.js';

type KindCount = { vm: number; container: number; baremetal: number; unknown: number };

export interface FleetSummary {
  total: number;
  managed: number;
  discovered: number;
  byKind: KindCount;
  byProvider: Record<string, KindCount>;
  /** (vm + container) / machines of known kind: how much of the estate is virtualised. */
  virtualisedShare: number | null;
  /** container / (vm + container): of what is virtualised, how much runs in containers. */
  containerShareOfVirtualised: number | null;
}

const zero = (): KindCount => ({ vm: 0, container: 0, baremetal: 0, unknown: 0 });

/**
 * The estate counted the way the seed counts it: machines by kind (bare metal, VM, container), per provider,
 * with the share virtualised and the share of that in containers. Every live instance counts, managed or
 * discovered; one not yet observed has no kind yet (`unknown`). Read page by page: memory stays flat.
 */
export async function summarizeFleet(store: Store, projects: string[] | undefined): Promise<FleetSummary> {
  const out: FleetSummary = { total: 0, managed: 0, discovered: 0, byKind: zero(), byProvider: {}, virtualisedShare: null, containerShareOfVirtualised: null };
  let cursor: string | null = null;
  do {
    const page: Awaited<ReturnType<typeof store.list<InstanceSpec, InstanceStatus>>> = await store.list<InstanceSpec, InstanceStatus>(INSTANCE_KIND, {
      project: projects,
      limit: 1000,
      cursor,
    });
    for (const i of page.items) {
      const kind = i.status.kind ?? 'unknown';
      out.total++;
      if (i.spec.managed) out.managed++;
      else out.discovered++;
      out.byKind[kind]++;
      (out.byProvider[i.spec.provider] ??= zero())[kind]++;
    }
    cursor = page.nextCursor;
  } while (cursor);
  const { vm, container, baremetal } = out.byKind;
  const known = vm + container + baremetal;
  out.virtualisedShare = known === 0 ? null : round((vm + container) / known);
  out.containerShareOfVirtualised = vm + container === 0 ? null : round(container / (vm + container));
  return out;
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
