import { TesseraError } from '../../core/errors.js';
import { setCondition } from '../../core/resource.js';
import type { ReconcileResult, Reconciler } from '../../runtime/controller-runner.js';
import type { EventInput, Store } from '../../store/store.js';
import type { Deployment } from '../deployment.js';
import type { DeploymentService } from '../deployment-service.js';
import { CLUSTER_KIND, controlPlaneDeploymentName, initDeploymentName, workerPoolDeploymentName, type Cluster, type ClusterSpec, type ClusterStatus } from './cluster.js';
import type { ClusterService } from './cluster-service.js';

export interface ClusterControllerOptions {
  pollMs?: number;
}

/**
 * Keeps a Cluster's node groups: one child Deployment each (the deployment controller places and heals their
 * machines), deletes groups no longer in the spec, and reports nodes ready per group. Once the first
 * control-plane machine is up the cluster counts as initialised, and any machine made after joins it.
 */
export class ClusterController implements Reconciler {
  readonly kind = CLUSTER_KIND;
  private readonly pollMs: number;

  constructor(
    private readonly store: Store,
    private readonly clusters: ClusterService,
    private readonly deployments: DeploymentService,
    opts: ClusterControllerOptions = {},
  ) {
    this.pollMs = opts.pollMs ?? 1_000;
  }

  async reconcile(id: string): Promise<ReconcileResult | void> {
    const c = await this.store.get<ClusterSpec, ClusterStatus>(CLUSTER_KIND, id);
    if (!c || c.status.phase === 'Deleted') return;
    const children = await this.clusters.childrenOf(c);
    if (c.deletedAt !== null) return this.reconcileDelete(c, children);

    const events: EventInput[] = [];
    const byName = new Map(children.map((d) => [d.name, d]));
    const init = byName.get(initDeploymentName(c.name));
    const initialized = c.status.initialized || (init !== undefined && init.status.readyReplicas > 0);
    if (initialized && !c.status.initialized) events.push({ type: 'Initialized', reason: 'FirstControlPlaneReady', message: 'the first control-plane machine is up: every machine from now on joins the cluster' });

    // 1. Each node group's Deployment as the spec says (applying an unchanged one writes nothing).
    const wanted = await this.clusters.childDocuments(c, this.clusters.secretsOf(c), initialized);
    const problems: string[] = [];
    for (const doc of wanted) {
      // Unchanged: nothing to apply (applying would re-plan, and a node group whose offers are backed off
      // would answer 422 although its own controller is handling it).
      const current = byName.get(doc.metadata.name);
      if (current && current.deletedAt === null && JSON.stringify(current.spec) === JSON.stringify(doc.spec) && JSON.stringify(current.labels) === JSON.stringify(doc.metadata.labels)) continue;
      try {
        await this.deployments.apply(doc);
      } catch (e) {
        if (!(e instanceof TesseraError)) throw e;
        problems.push(`${doc.metadata.name}: ${e.message}`);
      }
    }
    // 2. Node groups no longer in the spec (a worker pool removed) go.
    const names = new Set(wanted.map((d) => d.metadata.name));
    for (const d of children) {
      if (!names.has(d.name) && d.deletedAt === null) {
        await this.deployments.delete(d.id);
        events.push({ type: 'NodeGroupRemoved', reason: 'NotInSpec', message: `deleting ${d.name} and its machines` });
      }
    }

    // 3. Status from the children as they stand.
    const groups = (await this.clusters.childrenOf(c)).filter((d) => names.has(d.name));
    const ready = (d: Deployment | undefined) => d?.status.readyReplicas ?? 0;
    const controlPlaneGroups = new Set([initDeploymentName(c.name), controlPlaneDeploymentName(c.name)]);
    const controlPlaneReady = groups.filter((d) => controlPlaneGroups.has(d.name)).reduce((n, d) => n + ready(d), 0);
    const pools = c.spec.workerPools.map((p) => ({ name: p.name, replicas: p.replicas, ready: ready(groups.find((d) => d.name === workerPoolDeploymentName(c.name, p.name))) }));
    const allAvailable = groups.length === names.size && groups.every((d) => d.status.phase === 'Available' && d.status.observedGeneration === d.generation);
    const degraded = problems.length > 0 || groups.some((d) => d.status.phase === 'Degraded');
    const phase = allAvailable && problems.length === 0 ? 'Ready' : degraded ? 'Degraded' : 'Provisioning';
    const now = this.store.nowIso();
    const condition = problems.length > 0
      ? { type: 'NodeGroupsReady', status: 'False' as const, reason: 'NodeGroupRefused', message: problems.join('; ') }
      : allAvailable
        ? { type: 'NodeGroupsReady', status: 'True' as const, reason: 'AllAvailable', message: `${groups.length} node group(s) available` }
        : { type: 'NodeGroupsReady', status: 'False' as const, reason: 'Provisioning', message: groups.filter((d) => d.status.phase !== 'Available').map((d) => `${d.name}: ${d.status.phase}, ${d.status.readyReplicas}/${d.spec.replicas} ready`).join('; ') };
    if (phase !== c.status.phase && phase === 'Ready') events.push({ type: 'Ready', reason: 'AllAvailable', message: `control plane ${controlPlaneReady}/${c.spec.controlPlane.replicas}${pools.map((p) => `, ${p.name} ${p.ready}/${p.replicas}`).join('')}` });
    await this.store.update<ClusterSpec, ClusterStatus>(
      CLUSTER_KIND,
      c.id,
      (cur) => {
        const status: ClusterStatus = {
          ...cur.status,
          phase,
          observedGeneration: c.generation,
          initialized,
          controlPlane: { replicas: c.spec.controlPlane.replicas, ready: controlPlaneReady },
          workerPools: pools,
          deployments: [...names],
          conditions: setCondition(cur.status.conditions, condition, now),
        };
        return JSON.stringify(status) === JSON.stringify(cur.status) && events.length === 0 ? null : { ...cur, status };
      },
      { event: () => events },
    );
    return phase === 'Ready' ? undefined : { requeueAfterMs: this.pollMs };
  }

  private async reconcileDelete(c: Cluster, children: Deployment[]): Promise<ReconcileResult | void> {
    for (const d of children) if (d.deletedAt === null) await this.deployments.delete(d.id);
    if (children.length > 0) return { requeueAfterMs: this.pollMs };
    await this.store.update<ClusterSpec, ClusterStatus>(
      CLUSTER_KIND,
      c.id,
      (cur) => ({ ...cur, status: { ...cur.status, phase: 'Deleted', controlPlane: { ...cur.status.controlPlane, ready: 0 }, workerPools: [] } }),
      { event: () => ({ type: 'Deleted', reason: 'Requested', message: 'every node group is gone' }) },
    );
  }
}
