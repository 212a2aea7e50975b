import type { Labels } from '../../core/resource.js';
import { DEPLOYMENT_KIND, DeploymentDocument, type DeploymentTemplate, type PlacementPolicy } from '../deployment.js';
import {
  CLUSTER_LABEL,
  CLUSTER_ROLE_LABEL,
  controlPlaneDeploymentName,
  initDeploymentName,
  POOL_LABEL,
  workerPoolDeploymentName,
  type ClusterRef,
  type WorkerPool,
} from './cluster.js';
import type { ClusterSecrets } from './cluster-secrets.js';
import { renderNodeUserData } from './kubeadm-cloud-init.js';
import type { ClusterNodeRole } from './kubeadm-config.js';

/**
 * The child Deployments that make a Cluster's machines: `<name>-cp-init` (the one machine that runs
 * `kubeadm init`), `<name>-cp` (the other control-plane machines, which join it; absent with one control-plane
 * replica) and `<name>-<pool>` per worker pool. The deployment controller then places and keeps them as any other.
 */

export interface ClusterSource extends ClusterRef {
  /** The Cluster's own labels, carried to its Deployments. */
  labels: Labels;
}

/**
 * Control-plane machines are replaced one new-before-old at a time: removing one first could leave etcd without
 * a majority, and it is the API servers everyone else depends on.
 */
const CONTROL_PLANE_STRATEGY = { type: 'RollingUpdate', maxSurge: 1, maxUnavailable: 0 } as const;

interface ChildSpec {
  name: string;
  replicas: number;
  role: ClusterNodeRole;
  /** Set for the first control-plane machine once the cluster exists (see clusterDeployments). */
  strategy?: DeploymentDocument['spec']['strategy'];
  template: DeploymentTemplate;
  placement: PlacementPolicy;
  pool?: WorkerPool;
}

function childDocument(cluster: ClusterSource, secrets: ClusterSecrets, child: ChildSpec): DeploymentDocument {
  const machineLabels: Labels = {
    ...child.template.labels,
    [CLUSTER_LABEL]: cluster.name,
    [CLUSTER_ROLE_LABEL]: child.role === 'worker' ? 'worker' : 'control-plane',
    ...(child.pool ? { [POOL_LABEL]: child.pool.name } : {}),
  };
  // Parsed, so that what is handed out is a valid, defaulted DeploymentDocument (and userData is within its limit).
  return DeploymentDocument.parse({
    kind: DEPLOYMENT_KIND,
    metadata: { name: child.name, project: cluster.project, labels: { ...cluster.labels, [CLUSTER_LABEL]: cluster.name } },
    spec: {
      replicas: child.replicas,
      template: {
        ...child.template,
        labels: machineLabels,
        userData: renderNodeUserData({ cluster, role: child.role, pool: child.pool, secrets }),
      },
      placement: child.placement,
      ...(child.role === 'worker' ? {} : { strategy: child.strategy ?? CONTROL_PLANE_STRATEGY }),
    },
  });
}

/**
 * The Deployments of a Cluster (validated by ClusterDocument), with every machine's user data rendered.
 * `initialized`: the first control-plane machine has run `kubeadm init`. From then on a replacement of it must
 * join the cluster, not make a second one: its Deployment renders the join, under OnDelete so that the running
 * first machine is not replaced for the change.
 */
export function clusterDeployments(cluster: ClusterSource, secrets: ClusterSecrets, opts: { initialized?: boolean } = {}): DeploymentDocument[] {
  const { controlPlane, workerPools } = cluster.spec;
  const children: ChildSpec[] = [
    {
      name: initDeploymentName(cluster.name),
      replicas: 1,
      role: opts.initialized ? 'control-plane' : 'init',
      template: controlPlane.template,
      placement: controlPlane.placement,
      ...(opts.initialized && { strategy: { type: 'OnDelete', maxSurge: 1, maxUnavailable: 0 } }),
    },
  ];
  if (controlPlane.replicas > 1) {
    children.push({
      name: controlPlaneDeploymentName(cluster.name),
      replicas: controlPlane.replicas - 1,
      role: 'control-plane',
      template: controlPlane.template,
      placement: controlPlane.placement,
    });
  }
  for (const pool of workerPools) {
    children.push({
      name: workerPoolDeploymentName(cluster.name, pool.name),
      replicas: pool.replicas,
      role: 'worker',
      template: pool.template,
      placement: pool.placement,
      pool,
    });
  }
  return children.map((child) => childDocument(cluster, secrets, child));
}
