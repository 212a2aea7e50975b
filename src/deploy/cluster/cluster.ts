import { z } from 'zod';
import { InstanceName } from '../../core/instance.js';
import { NAME_PATTERN } from '../../core/ids.js';
import { Condition, LabelKey, Labels, LabelValue, ResourceMeta, type Resource } from '../../core/resource.js';
import { API_VERSION, DeploymentTemplate, Metadata, PlacementPolicy } from '../deployment.js';
import { addressBits, cidrContains, cidrsOverlap, DNS_SUBDOMAIN, parseCidr, parseHostPort, parseIp, type Cidr } from './network-address.js';

/**
 * The Cluster resource: a kubeadm-built Kubernetes cluster whose nodes are machines of child Deployments
 * (one that runs `kubeadm init`, one of control-plane joiners, one per worker pool). This file holds the schema
 * and the names derived from it; the kubeadm files, the cloud-init and the child Deployments are rendered by
 * the other files of this folder.
 */

export const CLUSTER_KIND = 'Cluster';

/** A release of the 1.35 line (supported until early 2027), the last minor that still runs on containerd 1.7. */
export const DEFAULT_KUBERNETES_VERSION = '1.35.3';
/** Tessera writes kubeadm.k8s.io/v1beta4, which kubeadm reads from 1.31 on. */
export const MIN_KUBERNETES_MINOR = 31;

/** Labels Tessera puts on the child Deployments, their machines and the Kubernetes Nodes; users may not set them. */
export const CLUSTER_LABEL = 'tessera.io/cluster';
export const CLUSTER_ROLE_LABEL = 'tessera.io/cluster-role';
export const POOL_LABEL = 'tessera.io/pool';
const RESERVED_LABELS = [CLUSTER_LABEL, CLUSTER_ROLE_LABEL, POOL_LABEL];

/** The DNS zone of the default control-plane endpoint, `<cluster>-api.<project>.tessera.internal`. */
export const CLUSTER_DNS_ZONE = 'tessera.internal';
export const API_SERVER_PORT = 6443;

/** Pod network of the stock flannel manifest (its net-conf.json); kubeadm's podSubnet must match it. */
export const FLANNEL_POD_SUBNET = '10.244.0.0/16';

/** Child Deployment names. Worker pools cannot be named like the control-plane suffixes. */
const INIT_SUFFIX = 'cp-init';
const JOIN_SUFFIX = 'cp';
const RESERVED_POOL_NAMES = new Set([INIT_SUFFIX, JOIN_SUFFIX]);

export function initDeploymentName(cluster: string): string {
  return `${cluster}-${INIT_SUFFIX}`;
}
export function controlPlaneDeploymentName(cluster: string): string {
  return `${cluster}-${JOIN_SUFFIX}`;
}
export function workerPoolDeploymentName(cluster: string, pool: string): string {
  return `${cluster}-${pool}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Schema

const KubernetesVersion = z
  .string()
  .regex(/^1\.\d+\.\d+$/, { message: 'kubernetesVersion is a release such as "1.35.3" (major.minor.patch, without a leading "v")' })
  .refine((v) => !/^1\.\d+\.\d+$/.test(v) || Number(v.split('.')[1]) >= MIN_KUBERNETES_MINOR, {
    message: `kubernetesVersion must be 1.${MIN_KUBERNETES_MINOR} or newer: Tessera writes the kubeadm v1beta4 configuration, which older kubeadm cannot read`,
  });

const CidrText = z.string().superRefine((text, ctx) => {
  const parsed = parseCidr(text);
  if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
});

/** IPv4 nodes get a /24 of the pod network each, IPv6 nodes a /64 (kube-controller-manager's defaults under kubeadm). */
const NODE_MASK = { 4: 24, 6: 64 } as const;
/** kube-controller-manager refuses to cut the pod network into more than 2^16 node ranges. */
const MAX_NODE_RANGE_BITS = 16;
/** kube-apiserver refuses a service network of more than 2^20 addresses. */
const MAX_SERVICE_HOST_BITS = 20;

export const ClusterNetworking = z
  .object({
    /** Pods' addresses; each node is given a slice of it (/24 for IPv4), so it bounds the node count. */
    podSubnet: CidrText.default('10.244.0.0/16'),
    /** Service ClusterIPs (kube-apiserver's --service-cluster-ip-range). */
    serviceSubnet: CidrText.default('10.96.0.0/12'),
    dnsDomain: z
      .string()
      .regex(DNS_SUBDOMAIN, { message: 'dnsDomain is a DNS name such as "cluster.local" (lowercase letters, digits, "-" and ".")' })
      .default('cluster.local'),
  })
  .strict()
  .superRefine((n, ctx) => {
    const pods = parseCidr(n.podSubnet);
    const services = parseCidr(n.serviceSubnet);
    if (typeof pods === 'string' || typeof services === 'string') return; // reported on the field itself
    if (pods.family !== services.family) {
      ctx.addIssue({
        code: 'custom',
        path: ['serviceSubnet'],
        message: `podSubnet is IPv${pods.family} and serviceSubnet IPv${services.family}: a single-stack cluster uses one family for both`,
      });
      return;
    }
    if (cidrsOverlap(pods, services)) {
      ctx.addIssue({
        code: 'custom',
        path: ['serviceSubnet'],
        message: `podSubnet ${n.podSubnet} and serviceSubnet ${n.serviceSubnet} overlap: a packet to an address in both could not be routed to the right one; choose disjoint networks (defaults 10.244.0.0/16 and 10.96.0.0/12)`,
      });
    }
    const nodeMask = NODE_MASK[pods.family];
    if (pods.prefix > nodeMask) {
      ctx.addIssue({
        code: 'custom',
        path: ['podSubnet'],
        message: `podSubnet ${n.podSubnet} is smaller than one node's slice (/${nodeMask}): give a prefix of /${nodeMask} or shorter (/16 leaves room for 256 nodes)`,
      });
    } else if (nodeMask - pods.prefix > MAX_NODE_RANGE_BITS) {
      ctx.addIssue({
        code: 'custom',
        path: ['podSubnet'],
        message: `podSubnet ${n.podSubnet} would be cut into 2^${nodeMask - pods.prefix} node slices of /${nodeMask}; kube-controller-manager allows at most 2^${MAX_NODE_RANGE_BITS}: use a prefix of /${nodeMask - MAX_NODE_RANGE_BITS} or longer`,
      });
    }
    if (addressBits(services.family) - services.prefix > MAX_SERVICE_HOST_BITS) {
      ctx.addIssue({
        code: 'custom',
        path: ['serviceSubnet'],
        message: `serviceSubnet ${n.serviceSubnet} is too large: kube-apiserver accepts at most 2^${MAX_SERVICE_HOST_BITS} service addresses (a prefix of /${addressBits(services.family) - MAX_SERVICE_HOST_BITS} or longer)`,
      });
    }
  })
  .meta({ id: 'ClusterNetworking' });
export type ClusterNetworking = z.infer<typeof ClusterNetworking>;

/** Nodes' maximum number the pod network can give a slice to. */
function nodeCapacity(podSubnet: Cidr): bigint {
  return 1n << BigInt(Math.max(0, NODE_MASK[podSubnet.family] - podSubnet.prefix));
}

export const NodeTaint = z
  .object({
    key: LabelKey,
    value: LabelValue.optional(),
    effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute'], {
      message: 'a taint effect is one of NoSchedule, PreferNoSchedule or NoExecute',
    }),
  })
  .strict()
  .meta({ id: 'ClusterNodeTaint' });
export type NodeTaint = z.infer<typeof NodeTaint>;

/**
 * The kubelet may label its own Node only outside the kubernetes.io and k8s.io namespaces, except for these
 * (the NodeRestriction rules): with any other such label in --node-labels the kubelet refuses to start.
 */
const KUBELET_ALLOWED_K8S_LABELS = new Set([
  'kubernetes.io/hostname',
  'kubernetes.io/arch',
  'kubernetes.io/os',
  'beta.kubernetes.io/arch',
  'beta.kubernetes.io/os',
  'beta.kubernetes.io/instance-type',
  'node.kubernetes.io/instance-type',
  'failure-domain.beta.kubernetes.io/region',
  'failure-domain.beta.kubernetes.io/zone',
  'topology.kubernetes.io/region',
  'topology.kubernetes.io/zone',
]);
const KUBELET_ALLOWED_K8S_PREFIXES = ['kubelet.kubernetes.io', 'node.kubernetes.io'];

function kubeletMaySetLabel(key: string): boolean {
  const slash = key.indexOf('/');
  if (slash < 0) return true;
  const prefix = key.slice(0, slash);
  const inK8sNamespace = ['kubernetes.io', 'k8s.io'].some((ns) => prefix === ns || prefix.endsWith(`.${ns}`));
  if (!inK8sNamespace) return true;
  if (KUBELET_ALLOWED_K8S_LABELS.has(key)) return true;
  return KUBELET_ALLOWED_K8S_PREFIXES.some((ns) => prefix === ns || prefix.endsWith(`.${ns}`));
}

type Issues = z.core.$RefinementCtx;

/** Checks shared by the control-plane and worker templates: the Cluster owns userData and its own labels. */
function checkNodeTemplate(template: DeploymentTemplate, ctx: Issues, path: (string | number)[]): void {
  if (template.userData !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: [...path, 'userData'],
      message: 'a Cluster renders its nodes\' userData itself (kubeadm and containerd setup); remove "userData" from the template',
    });
  }
  for (const key of RESERVED_LABELS) {
    if (key in template.labels) {
      ctx.addIssue({
        code: 'custom',
        path: [...path, 'labels', key],
        message: `"${key}" is set by Tessera on every machine of a Cluster; remove it from the template's labels`,
      });
    }
  }
}

const CONTROL_PLANE_REPLICAS_HELP = 'use 1, 3 or 5';

const ControlPlaneReplicas = z
  .number()
  .int()
  .superRefine((n, ctx) => {
    if (n < 1) {
      ctx.addIssue({ code: 'custom', message: `a cluster needs at least 1 control-plane replica; ${CONTROL_PLANE_REPLICAS_HELP}` });
    } else if (n % 2 === 0) {
      ctx.addIssue({
        code: 'custom',
        message:
          `${n} control-plane replicas survive no more failures than ${n - 1}: every control-plane node runs an etcd member, ` +
          `and etcd stays writable only while a majority (${n / 2 + 1} of ${n}) is up, so an even count adds a machine ` +
          `that can break quorum without adding tolerance; ${CONTROL_PLANE_REPLICAS_HELP}`,
      });
    } else if (n > 5) {
      ctx.addIssue({
        code: 'custom',
        message: `${n} control-plane replicas make every etcd write wait for ${(n + 1) / 2} members; beyond 5 this costs more than it protects: ${CONTROL_PLANE_REPLICAS_HELP}`,
      });
    }
  });

/** kubeadm's preflight on control-plane nodes: at least 2 CPUs (NumCPU) and about 1.7 GB of memory (Mem). */
const CONTROL_PLANE_MIN_VCPUS = 2;
const CONTROL_PLANE_MIN_MEMORY_GIB = 2;

export const ClusterControlPlane = z
  .object(
    {
      /** Control-plane machines, each with an etcd member: 1, 3 or 5. */
      replicas: ControlPlaneReplicas.default(1),
      template: DeploymentTemplate,
      placement: PlacementPolicy.prefault({}),
    },
    {
      error: (issue) =>
        issue.input === undefined
          ? 'a Cluster needs "controlPlane": {replicas: 1, 3 or 5, template: {flavor: ...} or {requirements: {vcpus, memoryGiB}}}'
          : undefined,
    },
  )
  .strict()
  .superRefine((cp, ctx) => {
    checkNodeTemplate(cp.template, ctx, ['template']);
    const size = cp.template.requirements;
    if (size && (size.vcpus < CONTROL_PLANE_MIN_VCPUS || size.memoryGiB < CONTROL_PLANE_MIN_MEMORY_GIB)) {
      ctx.addIssue({
        code: 'custom',
        path: ['template', 'requirements'],
        message: `kubeadm refuses a control-plane node with fewer than ${CONTROL_PLANE_MIN_VCPUS} vCPUs or less than about 1.7 GB of memory; ask for at least {vcpus: ${CONTROL_PLANE_MIN_VCPUS}, memoryGiB: ${CONTROL_PLANE_MIN_MEMORY_GIB}}`,
      });
    }
  })
  .meta({ id: 'ClusterControlPlane' });
export type ClusterControlPlane = z.infer<typeof ClusterControlPlane>;

export const WorkerPool = z
  .object({
    name: InstanceName,
    /** Kubernetes is tested up to 5000 nodes per cluster. */
    replicas: z.number().int().min(0).max(5000, { message: 'Kubernetes supports at most 5000 nodes in a cluster' }),
    template: DeploymentTemplate,
    placement: PlacementPolicy.prefault({}),
    /** Labels of the Kubernetes Nodes (set by their kubelet at registration), e.g. `example.com/tier: batch`. */
    labels: Labels.default({}),
    /** Taints of the Kubernetes Nodes: only Pods that tolerate them are scheduled there. */
    taints: z.array(NodeTaint).max(50).default([]),
  })
  .strict()
  .superRefine((pool, ctx) => {
    if (RESERVED_POOL_NAMES.has(pool.name)) {
      ctx.addIssue({
        code: 'custom',
        path: ['name'],
        message: `a worker pool cannot be named "${pool.name}": its Deployment would take the name of the control plane's (<cluster>-${pool.name}); choose another name`,
      });
    }
    checkNodeTemplate(pool.template, ctx, ['template']);
    for (const key of Object.keys(pool.labels)) {
      if (RESERVED_LABELS.includes(key)) {
        ctx.addIssue({ code: 'custom', path: ['labels', key], message: `"${key}" is set by Tessera on every Node of a Cluster; remove it` });
      } else if (!kubeletMaySetLabel(key)) {
        ctx.addIssue({
          code: 'custom',
          path: ['labels', key],
          message: `the kubelet may not set "${key}" on its own Node (labels under kubernetes.io and k8s.io are reserved, and the kubelet would refuse to start); use a prefix of your own such as example.com/, or label the Node with kubectl after it joins`,
        });
      }
    }
    const seen = new Set<string>();
    pool.taints.forEach((t, i) => {
      const id = `${t.key}:${t.effect}`;
      if (seen.has(id)) {
        ctx.addIssue({ code: 'custom', path: ['taints', i], message: `taint ${t.key} with effect ${t.effect} is given twice; a Node holds one taint per key and effect` });
      }
      seen.add(id);
    });
  })
  .meta({ id: 'ClusterWorkerPool' });
export type WorkerPool = z.infer<typeof WorkerPool>;

export const Cni = z.enum(['flannel', 'calico', 'none'], { message: 'cni is one of flannel, calico or none' });
export type Cni = z.infer<typeof Cni>;

export const ClusterSpec = z
  .object({
    kubernetesVersion: KubernetesVersion.default(DEFAULT_KUBERNETES_VERSION),
    /**
     * host:port at which every node and client reaches the API servers: a DNS name or a virtual IP pointing at the
     * control-plane nodes. It must stay stable for the cluster's life: it is written into the API server's
     * certificate, every kubeconfig and every kubelet's configuration, and kubeadm can add control-plane nodes
     * (HA) only when the cluster was initialised with one. Default `<name>-api.<project>.tessera.internal:6443`.
     */
    controlPlaneEndpoint: z
      .string()
      .superRefine((text, ctx) => {
        const parsed = parseHostPort(text);
        if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
      })
      .optional(),
    networking: ClusterNetworking.prefault({}),
    /** The pod network add-on the first control-plane node applies after `kubeadm init`; "none" to install your own. */
    cni: Cni.default('flannel'),
    containerRuntime: z.literal('containerd', { message: 'containerRuntime: only "containerd" is supported' }).default('containerd'),
    controlPlane: ClusterControlPlane,
    workerPools: z.array(WorkerPool).max(50).default([]),
  })
  .strict()
  .superRefine((spec, ctx) => {
    const seen = new Set<string>();
    spec.workerPools.forEach((pool, i) => {
      if (seen.has(pool.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['workerPools', i, 'name'],
          message: `worker pool "${pool.name}" is named twice; each pool becomes its own Deployment, so give each a different name`,
        });
      }
      seen.add(pool.name);
    });
    const pods = parseCidr(spec.networking.podSubnet);
    const services = parseCidr(spec.networking.serviceSubnet);
    if (spec.cni === 'flannel' && spec.networking.podSubnet !== FLANNEL_POD_SUBNET) {
      ctx.addIssue({
        code: 'custom',
        path: ['networking', 'podSubnet'],
        message: `cni "flannel" applies flannel's stock manifest, whose pod network is ${FLANNEL_POD_SUBNET}; use that podSubnet, or cni "calico" (it reads the podSubnet from kubeadm), or "none" and install your own`,
      });
    }
    if (typeof pods !== 'string') {
      const nodes = spec.controlPlane.replicas + spec.workerPools.reduce((sum, p) => sum + p.replicas, 0);
      const capacity = nodeCapacity(pods);
      if (BigInt(nodes) > capacity) {
        ctx.addIssue({
          code: 'custom',
          path: ['networking', 'podSubnet'],
          message: `podSubnet ${spec.networking.podSubnet} gives ${capacity} node(s) a /${NODE_MASK[pods.family]} each, but the cluster asks for ${nodes}; give a larger podSubnet (a shorter prefix) or fewer replicas`,
        });
      }
    }
    if (spec.controlPlaneEndpoint !== undefined) {
      const endpoint = parseHostPort(spec.controlPlaneEndpoint);
      const ip = typeof endpoint === 'string' ? null : parseIp(endpoint.host);
      if (ip) {
        for (const [field, net] of [['podSubnet', pods], ['serviceSubnet', services]] as const) {
          if (typeof net !== 'string' && cidrContains(net, ip)) {
            ctx.addIssue({
              code: 'custom',
              path: ['controlPlaneEndpoint'],
              message: `controlPlaneEndpoint ${spec.controlPlaneEndpoint} lies inside the ${field} ${spec.networking[field]}: nodes would route it into the cluster network instead of to the control plane; use an address of the machines' network`,
            });
          }
        }
      }
    }
  })
  .meta({ id: 'ClusterSpec' });
export type ClusterSpec = z.infer<typeof ClusterSpec>;
export type ClusterSpecInput = z.input<typeof ClusterSpec>;

/** The names a Cluster needs (child Deployments, default endpoint), each checked against the 63-character limit. */
interface DerivedName {
  name: string;
  what: string;
  path: (string | number)[];
  shorten: string;
}

function derivedNames(name: string, spec: ClusterSpec): DerivedName[] {
  // The longest name derived from the cluster's alone; `<name>-api` (the default endpoint's DNS label) is shorter.
  const names: DerivedName[] = [
    { name: initDeploymentName(name), what: 'its first control-plane Deployment', path: ['metadata', 'name'], shorten: 'the cluster name' },
  ];
  spec.workerPools.forEach((pool, i) =>
    names.push({
      name: workerPoolDeploymentName(name, pool.name),
      what: `the Deployment of worker pool "${pool.name}"`,
      path: ['spec', 'workerPools', i, 'name'],
      shorten: 'the pool name or the cluster name',
    }),
  );
  return names;
}

/** What a file or a request holds, in the shape of DeploymentDocument. */
export const ClusterDocument = z
  .object({
    apiVersion: z.literal(API_VERSION).default(API_VERSION),
    kind: z.literal(CLUSTER_KIND),
    metadata: Metadata,
    spec: ClusterSpec,
  })
  .strict()
  .superRefine((doc, ctx) => {
    // Runs after the fields' own checks; bail out on shapes they already refused.
    if (!NAME_PATTERN.test(doc.metadata.name) || !Array.isArray(doc.spec.workerPools)) return;
    for (const derived of derivedNames(doc.metadata.name, doc.spec)) {
      if (derived.name.length > 63) {
        ctx.addIssue({
          code: 'custom',
          path: derived.path,
          message: `"${derived.name}", ${derived.what}, is ${derived.name.length} characters; names are at most 63: shorten ${derived.shorten} by ${derived.name.length - 63}`,
        });
      }
    }
  })
  .meta({ id: 'ClusterDocument' });
export type ClusterDocument = z.infer<typeof ClusterDocument>;
export type ClusterDocumentInput = z.input<typeof ClusterDocument>;

/** What the renderers need of a Cluster: where it lives, its name and its (parsed) spec. */
export interface ClusterRef {
  project: string;
  name: string;
  spec: ClusterSpec;
}

export function defaultControlPlaneEndpoint(project: string, name: string): string {
  return `${name}-api.${project}.${CLUSTER_DNS_ZONE}:${API_SERVER_PORT}`;
}

/** The endpoint the cluster is built with: the one given, or the derived default. */
export function controlPlaneEndpointOf(cluster: ClusterRef): string {
  return cluster.spec.controlPlaneEndpoint ?? defaultControlPlaneEndpoint(cluster.project, cluster.name);
}

/**
 * Spec changes that re-provisioning machines cannot carry out on a running cluster (each would re-run kubeadm
 * against settings fixed at `kubeadm init`, or remove etcd members without telling etcd). An update API should
 * refuse them; answers one message per change, empty when the change is safe.
 */
export function unsafeClusterSpecChanges(before: ClusterSpec, after: ClusterSpec): string[] {
  const problems: string[] = [];
  const fixedAtInit = (field: string) =>
    `${field} is fixed when the cluster is initialised (it is in every certificate, kubeconfig or node); create a new Cluster instead`;
  if (before.kubernetesVersion !== after.kubernetesVersion) {
    problems.push('kubernetesVersion cannot change by replacing machines: an upgrade runs `kubeadm upgrade` on the running nodes, one minor at a time');
  }
  if (before.controlPlaneEndpoint !== after.controlPlaneEndpoint) problems.push(fixedAtInit('controlPlaneEndpoint'));
  if (JSON.stringify(before.networking) !== JSON.stringify(after.networking)) problems.push(fixedAtInit('networking'));
  if (before.cni !== after.cni) problems.push(fixedAtInit('cni'));
  if (after.controlPlane.replicas < before.controlPlane.replicas) {
    problems.push(
      `controlPlane.replicas cannot shrink (${before.controlPlane.replicas} to ${after.controlPlane.replicas}): deleting control-plane machines without removing their etcd members first loses etcd quorum`,
    );
  }
  if (JSON.stringify(before.controlPlane.template) !== JSON.stringify(after.controlPlane.template)) {
    problems.push('controlPlane.template cannot change in place: replacing the first control-plane machine would run `kubeadm init` again and start a second, empty cluster');
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------------------
// Status

export const ClusterPhase = z.enum(['Provisioning', 'Ready', 'Degraded', 'Deleting', 'Deleted']);
export type ClusterPhase = z.infer<typeof ClusterPhase>;

const NodeCounts = { replicas: z.number().int(), ready: z.number().int() };

const clusterStatusFields = {
  phase: ClusterPhase,
  observedGeneration: z.number().int(),
  controlPlane: z.object(NodeCounts),
  workerPools: z.array(z.object({ name: z.string(), ...NodeCounts })),
  /** Names of the child Deployments (same project). */
  deployments: z.array(z.string()),
  conditions: z.array(Condition),
  /** sha256:<hex> of the CA's public key: what `kubeadm join --discovery-token-ca-cert-hash` pins. */
  caCertHash: z.string().nullable(),
  /** The first control-plane machine has run (`kubeadm init`): from now on every new machine joins. */
  initialized: z.boolean(),
};

export const ClusterStatus = z
  .object({
    ...clusterStatusFields,
    /** The cluster's secrets (CA key, bootstrap token, certificate key), encrypted; never shown by the API. */
    sealedSecrets: z.string().nullable(),
  })
  .meta({ id: 'ClusterStatus' });
export type ClusterStatus = z.infer<typeof ClusterStatus>;

/** The status as the API shows it: everything but the sealed secrets. */
export const ClusterStatusView = z.object(clusterStatusFields).meta({ id: 'ClusterStatusView' });
export type ClusterStatusView = z.infer<typeof ClusterStatusView>;

export type Cluster = Resource<ClusterSpec, ClusterStatus>;

export const ClusterView = z.object({ ...ResourceMeta, spec: ClusterSpec, status: ClusterStatusView }).meta({ id: 'Cluster' });

export function initialClusterStatus(): ClusterStatus {
  return {
    phase: 'Provisioning',
    observedGeneration: 0,
    controlPlane: { replicas: 0, ready: 0 },
    workerPools: [],
    deployments: [],
    conditions: [],
    caCertHash: null,
    initialized: false,
    sealedSecrets: null,
  };
}

/** A cluster as anyone outside Tessera sees it (the API, the watch stream): without its sealed secrets. */
export function clusterView(c: Cluster): Resource<ClusterSpec, ClusterStatusView> {
  const { sealedSecrets: _sealed, ...status } = c.status;
  return { ...c, status };
}
