import { INSTANCE_KIND } from '../core/instance.js';
import type { StoredEvent, Store } from '../store/store.js';
import { DEPLOYMENT_KIND, DEPLOYMENT_LABEL, type DeploymentSpec, type DeploymentStatus } from './deployment.js';

/** How long instance events are gathered before their deployments are woken (one write for a burst). */
const BATCH_MS = 50;

/**
 * Wakes a deployment's controller when one of its replicas changes (a replica failed, became ready, was lost):
 * Instance events carry the replica's labels (Store.recordEventFacts), so the owner is known without a read.
 * Other processes' changes reach a deployment through the periodic resync instead.
 */
export class OwnerWakeup {
  private pending = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private readonly onEvents = (events: StoredEvent[]) => {
    for (const e of events) {
      if (e.kind !== INSTANCE_KIND) continue;
      const owner = (e.facts?.labels as Record<string, string> | undefined)?.[DEPLOYMENT_LABEL];
      if (owner) this.pending.add(`${e.project}/${owner}`);
    }
    if (this.pending.size > 0 && !this.timer) this.timer = setTimeout(() => void this.flush(), BATCH_MS);
  };

  constructor(private readonly store: Store) {}

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
      // Looked up each time (one indexed read a burst): a deployment deleted and made again has a new id.
      const [project, name] = owner.split('/') as [string, string];
      const found = (await this.store.list<DeploymentSpec, DeploymentStatus>(DEPLOYMENT_KIND, { project, name, limit: 1 }).catch(() => null))?.items[0];
      if (found) ids.push(found.id);
    }
    await this.store.enqueue(DEPLOYMENT_KIND, ids, Date.now()).catch(() => undefined);
  }
}
