import { stringify } from 'yaml';
import type { Cni, ClusterRef, WorkerPool } from './cluster.js';
import type { ClusterSecrets } from './cluster-secrets.js';
import { CERTIFICATES_DIR, kubeadmConfigYaml, kubeadmDocuments, type ClusterNodeRole } from './kubeadm-config.js';

/**
 * The cloud-init user data of a Cluster's nodes: prepare the host (kernel modules, sysctls, no swap), install
 * containerd and the Kubernetes packages, configure containerd for the systemd cgroup driver, then run
 * `kubeadm init` (first control-plane node) or `kubeadm join` (everyone else). It assumes a Debian or Ubuntu
 * image (apt; the default image, ubuntu-24.04, is one) with cgroup v2, which the kubelet requires from 1.35.
 *
 * Only the cloud-config keys cloud-init documents are used (write_files, apt, package_update, packages, runcmd).
 * Every value that comes from the spec goes into YAML files, never into a shell command line.
 */

export const KUBEADM_CONFIG_PATH = '/etc/tessera/kubeadm.yaml';
export const CA_CERT_PATH = `${CERTIFICATES_DIR}/ca.crt`;
export const CA_KEY_PATH = `${CERTIFICATES_DIR}/ca.key`;
export const ADMIN_KUBECONFIG = '/etc/kubernetes/admin.conf';
export const MODULES_LOAD_PATH = '/etc/modules-load.d/tessera-kubernetes.conf';
export const SYSCTL_PATH = '/etc/sysctl.d/99-tessera-kubernetes.conf';
export const CONTAINERD_CONFIG_PATH = '/etc/containerd/config.toml';

/**
 * The Kubernetes community apt repository (pkgs.k8s.io) has one repository per minor release, so the repository
 * pins the minor; the package versions (`1.35.3-*`) pin the patch release to the cluster's kubernetesVersion.
 * Its packages are signed by the "isv:kubernetes OBS Project" key, which cloud-init fetches by fingerprint from
 * the keyserver into the file that `signed-by=$KEY_FILE` names.
 */
export const KUBERNETES_APT_KEY_FINGERPRINT = 'DE15B14486CD377B9E876E1A234654DA9A296436';
export const KUBERNETES_APT_KEYSERVER = 'keyserver.ubuntu.com';
export function kubernetesAptRepository(kubernetesVersion: string): string {
  const [major, minor] = kubernetesVersion.split('.');
  return `https://pkgs.k8s.io/core:/stable:/v${major}.${minor}/deb/`;
}

/** Pinned manifests (a moving "latest" would make two clusters of one spec differ). Applied by the init node only. */
export const CNI_MANIFESTS: Record<Exclude<Cni, 'none'>, string> = {
  flannel: 'https://github.com/flannel-io/flannel/releases/download/v0.27.4/kube-flannel.yml',
  calico: 'https://raw.githubusercontent.com/projectcalico/calico/v3.31.3/manifests/calico.yaml',
};

export interface NodeUserDataInput {
  cluster: ClusterRef;
  role: ClusterNodeRole;
  /** The worker's pool; required when role is "worker". */
  pool?: WorkerPool;
  secrets: ClusterSecrets;
}

interface WriteFile {
  path: string;
  content: string;
  permissions: string;
  owner: string;
}

/** The cloud-config document, before it is written out as YAML. */
export interface CloudConfig {
  write_files: WriteFile[];
  apt: { sources: Record<string, { source: string; keyid: string; keyserver: string }> };
  package_update: boolean;
  packages: (string | [string, string])[];
  runcmd: (string | string[])[];
}

const file = (path: string, content: string, permissions = '0644'): WriteFile => ({ path, content, permissions, owner: 'root:root' });

/** Pods' traffic crosses a Linux bridge: iptables (kube-proxy) must see it, and the host must forward it. */
function sysctls(cluster: ClusterRef): string {
  const lines = ['net.bridge.bridge-nf-call-iptables = 1', 'net.bridge.bridge-nf-call-ip6tables = 1', 'net.ipv4.ip_forward = 1'];
  // Only IPv6 clusters ask for IPv6 forwarding: on a host without IPv6 the key is missing and `sysctl --system` fails.
  if (cluster.spec.networking.podSubnet.includes(':')) lines.push('net.ipv6.conf.all.forwarding = 1');
  return `${lines.join('\n')}\n`;
}

/** Shell lines run in order; cloud-init writes runcmd as one script, so `set -e` makes the first failure stop it. */
function commands(cluster: ClusterRef, role: ClusterNodeRole): (string | string[])[] {
  const host: (string | string[])[] = [
    'set -e',
    // cloud-init skips packages apt cannot find (say, the Kubernetes repository's key could not be fetched) and
    // goes on; stop here with a message instead of failing later in kubeadm.
    'for b in containerd kubelet kubeadm kubectl; do command -v "$b" >/dev/null || { echo "tessera: $b is not installed: check the apt sources in /var/log/cloud-init.log" >&2; exit 1; }; done',
    // The kubelet refuses to run with swap on (by default); the fstab edit keeps it off after a reboot.
    ['swapoff', '-a'],
    ['sed', '-i', '/\\sswap\\s/ s/^#*/#/', '/etc/fstab'],
    ['modprobe', 'overlay'],
    ['modprobe', 'br_netfilter'],
    ['sysctl', '--system'],
    // Unattended upgrades must not move the Kubernetes packages away from the cluster's version.
    ['apt-mark', 'hold', 'kubelet', 'kubeadm', 'kubectl'],
    // containerd's own default is the cgroupfs driver; the kubelet is configured for systemd, and the two must agree.
    ['mkdir', '-p', '/etc/containerd'],
    `containerd config default > ${CONTAINERD_CONFIG_PATH}`,
    ['sed', '-i', 's/SystemdCgroup = false/SystemdCgroup = true/', CONTAINERD_CONFIG_PATH],
    ['grep', '-q', 'SystemdCgroup = true', CONTAINERD_CONFIG_PATH],
    ['systemctl', 'restart', 'containerd'],
    ['systemctl', 'enable', '--now', 'kubelet'],
  ];
  if (role !== 'init') return [...host, ['kubeadm', 'join', '--config', KUBEADM_CONFIG_PATH]];
  const init: (string | string[])[] = [...host, ['kubeadm', 'init', '--config', KUBEADM_CONFIG_PATH, '--upload-certs']];
  if (cluster.spec.cni !== 'none') {
    // A few tries: the manifest is fetched from the internet, and a brief outage should not leave the cluster without a pod network.
    init.push(
      `n=0; until kubectl --kubeconfig ${ADMIN_KUBECONFIG} apply -f ${CNI_MANIFESTS[cluster.spec.cni]}; do n=$((n+1)); [ "$n" -lt 5 ] || exit 1; sleep 15; done`,
    );
  }
  return init;
}

/** The cloud-config for one node of the cluster, as a structure (the tests and renderNodeUserData share it). */
export function nodeCloudConfig(input: NodeUserDataInput): CloudConfig {
  const { cluster, role, pool, secrets } = input;
  if (role === 'worker' && !pool) throw new Error(`renderNodeUserData: a worker of cluster ${cluster.name} needs its pool`);
  const version = cluster.spec.kubernetesVersion;

  const files: WriteFile[] = [
    file(MODULES_LOAD_PATH, 'overlay\nbr_netfilter\n'),
    file(SYSCTL_PATH, sysctls(cluster)),
    // It holds the bootstrap token (and on control-plane nodes the certificate key): root only.
    file(KUBEADM_CONFIG_PATH, kubeadmConfigYaml(kubeadmDocuments({ cluster, role, pool, secrets })), '0600'),
  ];
  if (role !== 'worker') {
    // Every control-plane node holds the one CA whose hash the joiners pin: kubeadm init uses an existing CA
    // rather than making one. Never on workers: a worker's join refuses to start when ca.crt already exists,
    // and a worker has no use for the key that can sign anything in the cluster.
    files.push(file(CA_CERT_PATH, secrets.caCertPem), file(CA_KEY_PATH, secrets.caKeyPem, '0600'));
  }

  return {
    write_files: files,
    apt: {
      sources: {
        'kubernetes.list': {
          source: `deb [signed-by=$KEY_FILE] ${kubernetesAptRepository(version)} /`,
          keyid: KUBERNETES_APT_KEY_FINGERPRINT,
          keyserver: KUBERNETES_APT_KEYSERVER,
        },
      },
    },
    package_update: true,
    packages: ['containerd', ['kubelet', `${version}-*`], ['kubeadm', `${version}-*`], ['kubectl', `${version}-*`]],
    runcmd: commands(cluster, role),
  };
}

/** The `#cloud-config` user data of one node of the cluster. */
export function renderNodeUserData(input: NodeUserDataInput): string {
  return `#cloud-config\n${stringify(nodeCloudConfig(input), { lineWidth: 0 })}`;
}
