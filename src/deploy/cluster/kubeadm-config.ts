import { stringify } from 'yaml';
import { CLUSTER_LABEL, CLUSTER_ROLE_LABEL, controlPlaneEndpointOf, POOL_LABEL, type ClusterRef, type NodeTaint, type WorkerPool } from './cluster.js';
import type { ClusterSecrets } from './cluster-secrets.js';

/**
 * The kubeadm configuration files of a Cluster's nodes, in kubeadm.k8s.io/v1beta4 (read by kubeadm 1.31 and
 * later). Field names follow the v1beta4 reference (kubernetes.io/docs/reference/config-api/kubeadm-config.v1beta4).
 * Node names are left out on purpose: kubeadm then takes the hostname, which is the Tessera instance name.
 */

export const KUBEADM_API_VERSION = 'kubeadm.k8s.io/v1beta4';
export const KUBELET_API_VERSION = 'kubelet.config.k8s.io/v1beta1';
export const CONTAINERD_SOCKET = 'unix:///var/run/containerd/containerd.sock';
export const CERTIFICATES_DIR = '/etc/kubernetes/pki';
/** kubeadm's own control-plane taint, spelled out so that every control-plane node registers with the same one. */
export const CONTROL_PLANE_TAINT: NodeTaint = { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' };
export const BOOTSTRAP_TOKEN_GROUP = 'system:bootstrappers:kubeadm:default-node-token';
/**
 * kubeadm's default token lifetime. Nodes that join later than this after `kubeadm init` (a worker pool scaled
 * up the next day, a replaced machine) need a new token created in the cluster; see the README.
 */
export const BOOTSTRAP_TOKEN_TTL = '24h0m0s';
/**
 * How long a joining node waits for the API server (kubeadm's default is 5 minutes). Tessera creates every
 * machine at once, so joiners boot while the first node is still installing packages and running `kubeadm init`.
 */
export const JOIN_DISCOVERY_TIMEOUT = '30m0s';

export type ClusterNodeRole = 'init' | 'control-plane' | 'worker';

/** v1beta4's extra-argument form: a list, so that a flag may be given twice. */
export interface KubeadmArg {
  name: string;
  value: string;
}

export interface KubeadmTaint {
  key: string;
  value?: string;
  effect: NodeTaint['effect'];
}

export interface NodeRegistration {
  criSocket: string;
  taints: KubeadmTaint[];
  kubeletExtraArgs: KubeadmArg[];
}

export interface BootstrapToken {
  token: string;
  description: string;
  ttl: string;
  usages: string[];
  groups: string[];
}

export interface InitConfiguration {
  apiVersion: typeof KUBEADM_API_VERSION;
  kind: 'InitConfiguration';
  bootstrapTokens: BootstrapToken[];
  nodeRegistration: NodeRegistration;
  certificateKey: string;
  skipPhases: string[];
}

export interface ClusterConfiguration {
  apiVersion: typeof KUBEADM_API_VERSION;
  kind: 'ClusterConfiguration';
  clusterName: string;
  kubernetesVersion: string;
  controlPlaneEndpoint: string;
  networking: { podSubnet: string; serviceSubnet: string; dnsDomain: string };
  certificatesDir: string;
}

export interface KubeletConfiguration {
  apiVersion: typeof KUBELET_API_VERSION;
  kind: 'KubeletConfiguration';
  cgroupDriver: 'systemd';
}

export interface JoinConfiguration {
  apiVersion: typeof KUBEADM_API_VERSION;
  kind: 'JoinConfiguration';
  discovery: { bootstrapToken: { apiServerEndpoint: string; token: string; caCertHashes: string[] } };
  nodeRegistration: NodeRegistration;
  /** Present on control-plane joiners only: it makes kubeadm fetch the shared certificates and start etcd and the API server. */
  controlPlane?: { certificateKey: string };
  timeouts: { discovery: string };
}

export type KubeadmDocument = InitConfiguration | ClusterConfiguration | KubeletConfiguration | JoinConfiguration;

function toKubeadmTaint(t: NodeTaint): KubeadmTaint {
  return t.value === undefined ? { key: t.key, effect: t.effect } : { key: t.key, value: t.value, effect: t.effect };
}

/** The kubelet's --node-labels: key=value pairs, sorted so that the same labels always render the same file. */
function nodeLabelsArg(labels: Record<string, string>): KubeadmArg {
  const value = Object.entries(labels)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return { name: 'node-labels', value };
}

/**
 * Control-plane nodes keep kubeadm's taint whatever the worker pools are: a control-plane node's configuration
 * must not depend on the pools, or changing a pool would replace (and re-initialise) the control plane.
 */
function controlPlaneRegistration(cluster: ClusterRef): NodeRegistration {
  return {
    criSocket: CONTAINERD_SOCKET,
    taints: [CONTROL_PLANE_TAINT],
    kubeletExtraArgs: [nodeLabelsArg({ [CLUSTER_LABEL]: cluster.name, [CLUSTER_ROLE_LABEL]: 'control-plane' })],
  };
}

function workerRegistration(cluster: ClusterRef, pool: WorkerPool): NodeRegistration {
  return {
    criSocket: CONTAINERD_SOCKET,
    taints: pool.taints.map(toKubeadmTaint),
    kubeletExtraArgs: [
      nodeLabelsArg({ ...pool.labels, [CLUSTER_LABEL]: cluster.name, [CLUSTER_ROLE_LABEL]: 'worker', [POOL_LABEL]: pool.name }),
    ],
  };
}

export function initConfiguration(cluster: ClusterRef, secrets: ClusterSecrets): InitConfiguration {
  return {
    apiVersion: KUBEADM_API_VERSION,
    kind: 'InitConfiguration',
    bootstrapTokens: [
      {
        token: secrets.bootstrapToken,
        description: `Tessera: the nodes of cluster ${cluster.project}/${cluster.name} join with it`,
        ttl: BOOTSTRAP_TOKEN_TTL,
        usages: ['signing', 'authentication'],
        groups: [BOOTSTRAP_TOKEN_GROUP],
      },
    ],
    nodeRegistration: controlPlaneRegistration(cluster),
    // With --upload-certs, kubeadm encrypts the shared control-plane certificates with this key for the joiners.
    certificateKey: secrets.certificateKey,
    skipPhases: [],
  };
}

export function clusterConfiguration(cluster: ClusterRef): ClusterConfiguration {
  const { networking } = cluster.spec;
  return {
    apiVersion: KUBEADM_API_VERSION,
    kind: 'ClusterConfiguration',
    clusterName: cluster.name,
    kubernetesVersion: `v${cluster.spec.kubernetesVersion}`,
    controlPlaneEndpoint: controlPlaneEndpointOf(cluster),
    networking: { podSubnet: networking.podSubnet, serviceSubnet: networking.serviceSubnet, dnsDomain: networking.dnsDomain },
    certificatesDir: CERTIFICATES_DIR,
  };
}

/** The kubelet settings kubeadm init stores in the kubelet-config ConfigMap, which joining nodes then read. */
export function kubeletConfiguration(): KubeletConfiguration {
  // systemd, as containerd is configured (SystemdCgroup): two cgroup managers on one host fight over the cgroups.
  return { apiVersion: KUBELET_API_VERSION, kind: 'KubeletConfiguration', cgroupDriver: 'systemd' };
}

export function joinConfiguration(
  cluster: ClusterRef,
  secrets: ClusterSecrets,
  role: 'control-plane' | 'worker',
  pool?: WorkerPool,
): JoinConfiguration {
  if (role === 'worker' && !pool) throw new Error(`joinConfiguration: a worker of cluster ${cluster.name} needs its pool`);
  const join: JoinConfiguration = {
    apiVersion: KUBEADM_API_VERSION,
    kind: 'JoinConfiguration',
    discovery: {
      bootstrapToken: {
        apiServerEndpoint: controlPlaneEndpointOf(cluster),
        token: secrets.bootstrapToken,
        // Pinning the CA: the joiner trusts the API server only if it presents this CA's public key.
        caCertHashes: [secrets.caCertHash],
      },
    },
    nodeRegistration: role === 'control-plane' || !pool ? controlPlaneRegistration(cluster) : workerRegistration(cluster, pool),
    timeouts: { discovery: JOIN_DISCOVERY_TIMEOUT },
  };
  if (role === 'control-plane') join.controlPlane = { certificateKey: secrets.certificateKey };
  return join;
}

export interface KubeadmConfigInput {
  cluster: ClusterRef;
  role: ClusterNodeRole;
  /** The worker's pool; required when role is "worker". */
  pool?: WorkerPool;
  secrets: ClusterSecrets;
}

/** The documents of one node's kubeadm file: init gets Init+Cluster+Kubelet configuration, joiners one JoinConfiguration. */
export function kubeadmDocuments(input: KubeadmConfigInput): KubeadmDocument[] {
  const { cluster, role, pool, secrets } = input;
  if (role === 'init') return [initConfiguration(cluster, secrets), clusterConfiguration(cluster), kubeletConfiguration()];
  return [joinConfiguration(cluster, secrets, role, pool)];
}

/** The file kubeadm reads with --config: the documents as one multi-document YAML stream. */
export function kubeadmConfigYaml(documents: KubeadmDocument[]): string {
  return documents.map((d) => stringify(d, { lineWidth: 0 })).join('---\n');
}
