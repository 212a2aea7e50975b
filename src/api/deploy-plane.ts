import type { Logger } from 'pino';
import type { InstanceService } from '../compute/instance-service.js';
import { ClusterController } from '../deploy/cluster/cluster-controller.js';
import { ClusterService } from '../deploy/cluster/cluster-service.js';
import { DeploymentController } from '../deploy/deployment-controller.js';
import { DeploymentService } from '../deploy/deployment-service.js';
import type { PlacementSources } from '../deploy/placement-offers.js';
import { ControllerRunner, type Reconciler } from '../runtime/controller-runner.js';
import type { Metrics } from '../runtime/metrics.js';
import type { TextSealer } from '../runtime/sealed-text.js';
import type { Store } from '../store/store.js';

export interface DeployPlane {
  deployments: DeploymentService;
  clusters: ClusterService;
  /** The deployment and cluster controllers, each sharing its work with other processes through leases. */
  runners: ControllerRunner[];
}

/** The deploy plane's services and controllers, over the compute plane's instances and the placement sources. */
export function openDeployPlane(deps: {
  store: Store;
  instances: InstanceService;
  sources: PlacementSources;
  sealer: TextSealer;
  logger: Logger;
  metrics: Metrics;
  holder: string;
  controller?: { concurrency?: number; leaseSeconds?: number; pollMs?: number };
}): DeployPlane {
  const { store, controller } = deps;
  const deployments = new DeploymentService(store, deps.sources);
  const clusters = new ClusterService(store, deployments, deps.sealer);
  // A deployment's reconcile reads all its replicas: fewer at a time than the instance controller's.
  const runner = (name: string, reconciler: Reconciler, concurrency: number) =>
    new ControllerRunner({
      store,
      reconciler,
      logger: deps.logger,
      metrics: deps.metrics,
      holder: `${name}-${deps.holder}`,
      concurrency,
      leaseMs: (controller?.leaseSeconds ?? 30) * 1000,
    });
  return {
    deployments,
    clusters,
    runners: [
      runner('deployment', new DeploymentController(store, deployments, deps.instances, { pollMs: controller?.pollMs }), Math.max(1, Math.ceil((controller?.concurrency ?? 32) / 4))),
      runner('cluster', new ClusterController(store, clusters, deployments, { pollMs: controller?.pollMs }), 4),
    ],
  };
}
