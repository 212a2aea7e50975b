import { InvalidInputError, NotFoundError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { TextSealer } from '../../runtime/sealed-text.js';
import type { Page, Store } from '../../store/store.js';
import { DEPLOYMENT_KIND, type Deployment, type DeploymentDocument, type DeploymentSpec, type DeploymentStatus } from '../deployment.js';
import type { DeploymentPlan } from '../deployment-plan.js';
import type { DeploymentService } from '../deployment-service.js';
import {
  CLUSTER_KIND,
  CLUSTER_LABEL,
  initialClusterStatus,
  unsafeClusterSpecChanges,
  type Cluster,
  type ClusterDocument,
  type ClusterSpec,
  type ClusterStatus,
} from './cluster.js';
import { clusterDeployments } from './cluster-deployments.js';
import { generateClusterSecrets, type ClusterSecrets } from './cluster-secrets.js';

/** One node group's share of a cluster plan: its child Deployment and what applying it would change. */
export interface NodeGroupPlan {
  document: DeploymentDocument;
  exists: boolean;
  plan: DeploymentPlan;
}

/**
 * Clusters (DKOS's Kubernetes-as-a-service): a Cluster is stored with its secrets sealed; its controller keeps one
 * child Deployment per node group, whose user data — carrying the CA key and the join token — is sealed too.
 */
export class ClusterService {
  constructor(
    private readonly store: Store,
    private readonly deployments: DeploymentService,
    private readonly sealer: TextSealer,
  ) {}

  /** What applying `doc` would change, node group by node group, without changing anything. */
  async plan(doc: ClusterDocument): Promise<{ existing: Cluster | null; groups: NodeGroupPlan[] }> {
    const existing = await this.findByName(doc.metadata.project, doc.metadata.name);
    if (existing) this.refuseUnsafe(existing, doc.spec);
    // A new cluster's secrets do not exist yet; throwaway ones render the same shapes, which is all a plan shows.
    const secrets = existing ? this.secretsOf(existing) : generateClusterSecrets(doc.metadata.name);
    const children = await this.childDocuments({ ...doc.metadata, spec: doc.spec }, secrets, existing?.status.initialized ?? false);
    const groups: NodeGroupPlan[] = [];
    for (const child of children) {
      const { existing: deployment, plan } = await this.deployments.plan(child);
      groups.push({ document: child, exists: deployment !== null, plan });
    }
    return { existing, groups };
  }

  /**
   * Creates the cluster (its secrets made and sealed now) or replaces its spec, refusing what replacing machines
   * cannot carry out on a running cluster. The node groups are planned first, so an unsatisfiable one is a 422.
   */
  async apply(doc: ClusterDocument, expectedVersion?: number): Promise<{ cluster: Cluster; created: boolean; groups: NodeGroupPlan[] }> {
    const { existing, groups } = await this.plan(doc);
    const { project, name, labels } = doc.metadata;
    const what = `${doc.spec.controlPlane.replicas} control-plane node(s), ${doc.spec.workerPools.map((p) => `${p.name} ×${p.replicas}`).join(', ') || 'no worker pools'}`;
    if (!existing) {
      if (expectedVersion !== undefined) throw new NotFoundError(`cluster ${project}/${name} does not exist: leave resourceVersion out to create it`);
      await this.refuseTakenNames(project, name, groups);
      const secrets = generateClusterSecrets(name);
      const status: ClusterStatus = { ...initialClusterStatus(), caCertHash: secrets.caCertHash, sealedSecrets: this.sealer.seal(JSON.stringify(secrets)) };
      const cluster = await this.store.create<ClusterSpec, ClusterStatus>(
        { id: newId('k'), kind: CLUSTER_KIND, project, name, labels, spec: doc.spec, status },
        { type: 'Created', reason: 'Applied', message: what },
        { reconcileAt: Date.now() },
      );
      return { cluster, created: true, groups };
    }
    const cluster = await this.store.update<ClusterSpec, ClusterStatus>(
      CLUSTER_KIND,
      existing.id,
      (r) => {
        if (r.deletedAt) throw new InvalidInputError(`cluster ${project}/${name} is being deleted: wait until it is gone, then apply it again`);
        const same = JSON.stringify(r.spec) === JSON.stringify(doc.spec) && JSON.stringify(r.labels) === JSON.stringify(labels);
        return same ? null : { ...r, spec: doc.spec, labels };
      },
      { expectedVersion, reconcileAt: Date.now(), event: () => ({ type: 'Updated', reason: 'Applied', message: what }) },
    );
    return { cluster, created: false, groups };
  }

  /**
   * The child Deployments as they should be: rendered, their user data sealed — re-using a child's sealed text
   * when its plaintext is unchanged, since sealing twice gives two ciphertexts (and would look like a new template).
   */
  async childDocuments(cluster: { project: string; name: string; labels: Record<string, string>; spec: ClusterSpec }, secrets: ClusterSecrets, initialized: boolean): Promise<DeploymentDocument[]> {
    const out: DeploymentDocument[] = [];
    for (const doc of clusterDeployments(cluster, secrets, { initialized })) {
      const plain = doc.spec.template.userData ?? '';
      const current = await this.deployments.findByName(doc.metadata.project, doc.metadata.name);
      const kept = current?.spec.template.userData;
      const sealed = kept && this.sealer.open(kept) === plain ? kept : this.sealer.seal(plain);
      out.push({ ...doc, spec: { ...doc.spec, template: { ...doc.spec.template, userData: sealed } } });
    }
    return out;
  }

  secretsOf(c: Cluster): ClusterSecrets {
    if (!c.status.sealedSecrets) throw new Error(`cluster ${c.project}/${c.name} has no secrets stored`);
    return JSON.parse(this.sealer.open(c.status.sealedSecrets)) as ClusterSecrets;
  }

  /** The child Deployments that exist (those being deleted included). */
  async childrenOf(c: Pick<Cluster, 'project' | 'name'>): Promise<Deployment[]> {
    const page = await this.store.list<DeploymentSpec, DeploymentStatus>(DEPLOYMENT_KIND, {
      project: c.project,
      selector: [{ op: 'eq', key: CLUSTER_LABEL, value: c.name }],
      limit: 1000,
    });
    return page.items;
  }

  async get(id: string, projects?: string[]): Promise<Cluster> {
    const c = await this.store.get<ClusterSpec, ClusterStatus>(CLUSTER_KIND, id);
    if (!c || (projects && !projects.includes(c.project))) throw notFound(id);
    return c;
  }

  async findByName(project: string, name: string): Promise<Cluster | null> {
    return (await this.store.list<ClusterSpec, ClusterStatus>(CLUSTER_KIND, { project, name, limit: 1 })).items[0] ?? null;
  }

  async list(q: { project?: string | string[]; limit?: number; cursor?: string | null }): Promise<Page<Cluster>> {
    return this.store.list<ClusterSpec, ClusterStatus>(CLUSTER_KIND, q);
  }

  /** Marks the cluster for deletion; its controller deletes the node groups (and so the machines), then it. */
  async delete(id: string, expectedVersion?: number): Promise<Cluster> {
    return this.store.update<ClusterSpec, ClusterStatus>(
      CLUSTER_KIND,
      id,
      (r) => (r.deletedAt !== null ? null : { ...r, deletedAt: this.store.nowIso(), status: { ...r.status, phase: 'Deleting' } }),
      { expectedVersion, reconcileAt: Date.now(), event: () => ({ type: 'DeleteRequested', reason: 'Requested', message: 'delete requested: its node groups go first' }) },
    );
  }

  private refuseUnsafe(existing: Cluster, next: ClusterSpec): void {
    const problems = unsafeClusterSpecChanges(existing.spec, next);
    if (problems.length > 0) {
      throw new InvalidInputError(`cluster ${existing.project}/${existing.name} cannot change this way: ${problems.join('; ')}`, { field: 'spec' });
    }
  }

  /** A node group's Deployment name already used by a deployment of someone else: refused before anything is made. */
  private async refuseTakenNames(project: string, cluster: string, groups: NodeGroupPlan[]): Promise<void> {
    for (const g of groups) {
      const other = await this.deployments.findByName(project, g.document.metadata.name);
      if (other && other.labels[CLUSTER_LABEL] !== cluster) {
        throw new InvalidInputError(
          `cluster ${project}/${cluster} needs a deployment named ${g.document.metadata.name} for its nodes, and one of that name already exists: rename the cluster or the worker pool`,
          { field: 'metadata.name' },
        );
      }
    }
  }
}

function notFound(id: string): NotFoundError {
  return new NotFoundError(`cluster ${id} does not exist: list clusters with GET /v1/clusters (tessera get clusters)`);
}
