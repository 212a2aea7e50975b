import { InvalidInputError, NotFoundError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { INSTANCE_KIND, type Instance, type InstanceSpec, type InstanceStatus } from '../core/instance.js';
import type { Page, Store } from '../store/store.js';
import {
  DEPLOYMENT_KIND,
  DEPLOYMENT_LABEL,
  initialDeploymentStatus,
  type Deployment,
  type DeploymentDocument,
  type DeploymentSpec,
  type DeploymentStatus,
  type RegionBackoff,
} from './deployment.js';
import { planDeployment, type DeploymentPlan } from './deployment-plan.js';
import { placementOffers, type PlacementSources } from './placement-offers.js';
import { judgementOf, replicaOf } from './replica.js';

export interface DeploymentListQuery {
  project?: string | string[];
  name?: string;
  limit?: number;
  cursor?: string | null;
}

/** Backoff entries still in force at `now`. */
export function activeBackoff(status: DeploymentStatus | undefined, now: number): RegionBackoff[] {
  return (status?.backoff ?? []).filter((b) => Date.parse(b.until) > now);
}

/**
 * The deploy plane's service: plans and applies Deployment documents, reads and deletes deployments. Writes are
 * desired state only; the deployment controller creates and deletes the replicas' Instance resources.
 */
export class DeploymentService {
  constructor(
    private readonly store: Store,
    private readonly sources: PlacementSources,
  ) {}

  /** What applying `doc` would change, without changing anything; 422 when no placement satisfies it. */
  async plan(doc: DeploymentDocument): Promise<{ existing: Deployment | null; plan: DeploymentPlan }> {
    const existing = await this.findByName(doc.metadata.project, doc.metadata.name);
    if (existing?.deletedAt) throw beingDeleted(existing);
    const replicas = existing ? await this.replicasOf(existing) : [];
    const unchanged = existing !== null && JSON.stringify(existing.spec) === JSON.stringify(doc.spec);
    const plan = await this.planFor(doc.metadata.project, doc.spec, replicas, activeBackoff(existing?.status, Date.now()), unchanged);
    return { existing, plan };
  }

  /** Plans `spec` for the replicas given (the controller's view and the API's share this). */
  async planFor(project: string, spec: DeploymentSpec, replicas: Instance[], backoff: RegionBackoff[], keepRunning = false): Promise<DeploymentPlan> {
    const offers = await placementOffers(this.sources, { project, image: spec.template.image, workUnit: spec.placement.objective === 'priceperf' ? spec.placement.workUnit : undefined });
    const judgement = judgementOf(spec);
    return planDeployment({ spec, replicas: replicas.map((i) => replicaOf(i, judgement)), offers, backoff, keepRunning });
  }

  /**
   * Creates the deployment or replaces its spec and labels (a spec change bumps its generation). The plan is
   * made first, so a document no placement satisfies is refused (422) and nothing is stored.
   */
  async apply(doc: DeploymentDocument, expectedVersion?: number): Promise<{ deployment: Deployment; created: boolean; plan: DeploymentPlan }> {
    const { existing, plan } = await this.plan(doc);
    const { name, project, labels } = doc.metadata;
    const what = `${doc.spec.replicas} replica(s); plan: ${plan.summary.create} to create, ${plan.summary.replace} to replace, ${plan.summary.delete} to delete`;
    if (!existing) {
      if (expectedVersion !== undefined) throw new NotFoundError(`deployment ${project}/${name} does not exist, so it has no resourceVersion ${expectedVersion}: leave resourceVersion out to create it`);
      const deployment = await this.store.create<DeploymentSpec, DeploymentStatus>(
        { id: newId('d'), kind: DEPLOYMENT_KIND, project, name, labels, spec: doc.spec, status: initialDeploymentStatus() },
        { type: 'Created', reason: 'Applied', message: what },
        { reconcileAt: Date.now() },
      );
      return { deployment, created: true, plan };
    }
    const deployment = await this.store.update<DeploymentSpec, DeploymentStatus>(
      DEPLOYMENT_KIND,
      existing.id,
      (r) => {
        if (r.deletedAt) throw beingDeleted(r);
        const same = JSON.stringify(r.spec) === JSON.stringify(doc.spec) && JSON.stringify(r.labels) === JSON.stringify(labels);
        return same ? null : { ...r, spec: doc.spec, labels };
      },
      { expectedVersion, reconcileAt: Date.now(), event: () => ({ type: 'Updated', reason: 'Applied', message: what }) },
    );
    return { deployment, created: false, plan };
  }

  async get(id: string, projects?: string[]): Promise<Deployment> {
    const d = await this.store.get<DeploymentSpec, DeploymentStatus>(DEPLOYMENT_KIND, id);
    if (!d || (projects && !projects.includes(d.project))) throw notFound(id);
    return d;
  }

  async findByName(project: string, name: string): Promise<Deployment | null> {
    const page = await this.store.list<DeploymentSpec, DeploymentStatus>(DEPLOYMENT_KIND, { project, name, limit: 1 });
    return page.items[0] ?? null;
  }

  async list(q: DeploymentListQuery): Promise<Page<Deployment>> {
    return this.store.list<DeploymentSpec, DeploymentStatus>(DEPLOYMENT_KIND, q);
  }

  /** Every replica's Instance (those being deleted included; fully deleted ones not). */
  async replicasOf(d: Pick<Deployment, 'project' | 'name'>): Promise<Instance[]> {
    const out: Instance[] = [];
    let cursor: string | null = null;
    do {
      const page: Page<Instance> = await this.store.list<InstanceSpec, InstanceStatus>(INSTANCE_KIND, {
        project: d.project,
        selector: [{ op: 'eq', key: DEPLOYMENT_LABEL, value: d.name }],
        limit: 1000,
        cursor,
      });
      out.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return out;
  }

  /** Marks the deployment for deletion; the controller deletes its replicas, then the deployment. */
  async delete(id: string, expectedVersion?: number): Promise<Deployment> {
    return this.store.update<DeploymentSpec, DeploymentStatus>(
      DEPLOYMENT_KIND,
      id,
      (r) => (r.deletedAt !== null ? null : { ...r, deletedAt: this.store.nowIso(), status: { ...r.status, phase: 'Deleting' } }),
      { expectedVersion, reconcileAt: Date.now(), event: () => ({ type: 'DeleteRequested', reason: 'Requested', message: 'delete requested: its replicas go first' }) },
    );
  }
}

function notFound(id: string): NotFoundError {
  return new NotFoundError(`deployment ${id} does not exist: list deployments with GET /v1/deployments (tessera get deployments)`);
}

function beingDeleted(d: Deployment): InvalidInputError {
  return new InvalidInputError(`deployment ${d.project}/${d.name} is being deleted: wait until it is gone (tessera get deployment ${d.name}), then apply it again`);
}
