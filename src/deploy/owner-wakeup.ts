import type { StoredEvent, Store } from '../store/store.js';

/**
 * How long child events are gathered before their owners are woken: one wake-up for a burst (a deployment of
 * thousands converging changes hundreds of replicas a second, and each look at it reads every replica).
 */
const BATCH_MS = 250;

/** What the owner itself just did, or a step on the way: no reason to look at the owner again. */
function uninteresting(e: StoredEvent): boolean {
  return e.type === 'Created' || e.type === 'DeleteRequested' || (e.type === 'PhaseChanged' && e.reason === 'Provisioning');
}

export interface Ownership {
  /** The kind whose events wake the owner (Instance for a deployment, Deployment for a cluster). */
  childKind: string;
  /** The label on a child that names its owner, in the same project. */
  ownerLabel: string;
  ownerKind: string;
}

/**
 * Wakes an owner's controller when one of its children changes (a replica failed or became ready; a node group
 * became available): the children's events carry their labels (Store.recordEventFacts), so the owner is known
 * without reading the child. Other processes' changes reach an owner through the periodic resync instead.
 */
export class OwnerWakeup {
  private pending = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private readonly onEvents = (events: StoredEvent[]) => {
    for (const e of events) {
      if (e.kind !== this.ownership.childKind || uninteresting(e)) continue;
      const owner = (e.facts?.labels as Record<string, string> | undefined)?.[this.ownership.ownerLabel];
      if (owner) this.pending.add(`${e.project}/${owner}`);
    }
    if (this.pending.size > 0 && !this.timer) this.timer = setTimeout(() => void this.flush(), BATCH_MS);
  };

  constructor(
    private readonly store: Store,
    private readonly ownership: Ownership,
  ) {}

  start(): void {
    this.store.notifier.on('events', this.onEvents);
  }

  stop(): void {
    this.store.notifier.off('events', this.onEvents);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private async flush(): Promise<void> {
    this.timer = null;
    const owners = [...this.pending];
    this.pending.clear();
    const ids: string[] = [];
    for (const owner of owners) {
      // Looked up each time (one indexed read a burst): an owner deleted and made again has a new id.
      const [project, name] = owner.split('/') as [string, string];
      const found = (await this.store.list(this.ownership.ownerKind, { project, name, limit: 1 }).catch(() => null))?.items[0];
      if (found) ids.push(found.id);
    }
    await this.store.enqueue(this.ownership.ownerKind, ids, Date.now()).catch(() => undefined);
  }
}
