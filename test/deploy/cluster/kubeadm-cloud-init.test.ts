import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { controlPlaneEndpointOf, type ClusterDocument } from '../../../src/deploy/cluster/cluster.js';
import {
  ADMIN_KUBECONFIG,
  CA_CERT_PATH,
  CA_KEY_PATH,
  CNI_MANIFESTS,
  CONTAINERD_CONFIG_PATH,
  KUBEADM_CONFIG_PATH,
  KUBERNETES_APT_KEY_FINGERPRINT,
  renderNodeUserData,
} from '../../../src/deploy/cluster/kubeadm-cloud-init.js';
import { clusterInput, clusterRef, commandText, parseCluster, parseUserData, sharedSecrets, spkiHashWithNodeCrypto } from './cluster-fixtures.js';

const secrets = sharedSecrets();
const doc = parseCluster();
const cluster = clusterRef(doc);
const endpoint = 'prod-api.payments.tessera.internal:6443';
const [general, gpu] = doc.spec.workerPools;
if (!general || !gpu) throw new Error('fixture: two worker pools expected');

const init = parseUserData(renderNodeUserData({ cluster, role: 'init', secrets }));
const joiner = parseUserData(renderNodeUserData({ cluster, role: 'control-plane', secrets }));
const generalWorker = parseUserData(renderNodeUserData({ cluster, role: 'worker', pool: general, secrets }));
const gpuWorker = parseUserData(renderNodeUserData({ cluster, role: 'worker', pool: gpu, secrets }));
const everyNode = { init, joiner, generalWorker, gpuWorker };
const joiners = { joiner, generalWorker, gpuWorker };
const workers = { generalWorker, gpuWorker };

/** The kubelet's --node-labels of a node registration, as a map. */
function nodeLabels(args: { name: string; value: string }[]): Record<string, string> {
  const labels = args.filter((a) => a.name === 'node-labels');
  expect(labels).toHaveLength(1);
  return Object.fromEntries(labels[0]!.value.split(',').map((kv) => kv.split('=') as [string, string]));
}

describe('kubeadm configuration in the user data', () => {
  it('writes kubeadm.k8s.io/v1beta4: Init + Cluster + Kubelet configuration on the init node, one JoinConfiguration elsewhere', () => {
    expect(init.kubeadm.map((d) => [d.apiVersion, d.kind])).toEqual([
      ['kubeadm.k8s.io/v1beta4', 'InitConfiguration'],
      ['kubeadm.k8s.io/v1beta4', 'ClusterConfiguration'],
      ['kubelet.config.k8s.io/v1beta1', 'KubeletConfiguration'],
    ]);
    for (const node of Object.values(joiners)) {
      expect(node.kubeadm.map((d) => [d.apiVersion, d.kind])).toEqual([['kubeadm.k8s.io/v1beta4', 'JoinConfiguration']]);
    }
  });

  it('creates the bootstrap token on init that every joiner presents', () => {
    const [token, ...others] = init.kind('InitConfiguration').bootstrapTokens;
    expect(others).toEqual([]);
    expect(token).toMatchObject({
      token: secrets.bootstrapToken,
      ttl: '24h0m0s',
      usages: ['signing', 'authentication'],
      groups: ['system:bootstrappers:kubeadm:default-node-token'],
    });
    for (const node of Object.values(joiners)) {
      expect(node.kind('JoinConfiguration').discovery.bootstrapToken.token).toBe(token?.token);
    }
  });

  it('pins, on every joiner, the hash of the CA the control plane is given (recomputed independently)', () => {
    const caPem = init.file(CA_CERT_PATH)?.content ?? '';
    const expected = spkiHashWithNodeCrypto(caPem);
    for (const node of Object.values(joiners)) {
      const discovery = node.kind('JoinConfiguration').discovery.bootstrapToken;
      expect(discovery.caCertHashes).toEqual([expected]);
      expect(discovery.apiServerEndpoint).toBe(endpoint);
    }
  });

  it('uses the one control-plane endpoint everywhere', () => {
    expect(controlPlaneEndpointOf(cluster)).toBe(endpoint);
    expect(init.kind('ClusterConfiguration').controlPlaneEndpoint).toBe(endpoint);
    const custom = parseCluster(clusterInput({ spec: { controlPlaneEndpoint: 'k8s.payments.example.com:6443' } }));
    const customInit = parseUserData(renderNodeUserData({ cluster: clusterRef(custom), role: 'init', secrets }));
    const customWorker = parseUserData(renderNodeUserData({ cluster: clusterRef(custom), role: 'worker', pool: general, secrets }));
    expect(customInit.kind('ClusterConfiguration').controlPlaneEndpoint).toBe('k8s.payments.example.com:6443');
    expect(customWorker.kind('JoinConfiguration').discovery.bootstrapToken.apiServerEndpoint).toBe('k8s.payments.example.com:6443');
  });

  it('sets the cluster-wide settings of ClusterConfiguration', () => {
    expect(init.kind('ClusterConfiguration')).toEqual({
      apiVersion: 'kubeadm.k8s.io/v1beta4',
      kind: 'ClusterConfiguration',
      clusterName: 'prod',
      kubernetesVersion: `v${doc.spec.kubernetesVersion}`,
      controlPlaneEndpoint: endpoint,
      networking: { podSubnet: '10.244.0.0/16', serviceSubnet: '10.96.0.0/12', dnsDomain: 'cluster.local' },
      certificatesDir: '/etc/kubernetes/pki',
    });
    const calico = parseCluster(clusterInput({ spec: { cni: 'calico', networking: { podSubnet: '192.168.0.0/16', dnsDomain: 'prod.internal' } } }));
    const calicoInit = parseUserData(renderNodeUserData({ cluster: clusterRef(calico), role: 'init', secrets }));
    expect(calicoInit.kind('ClusterConfiguration').networking).toEqual({ podSubnet: '192.168.0.0/16', serviceSubnet: '10.96.0.0/12', dnsDomain: 'prod.internal' });
  });

  it('gives the certificate key to the init node and the control-plane joiners only', () => {
    expect(init.kind('InitConfiguration').certificateKey).toBe(secrets.certificateKey);
    expect(joiner.kind('JoinConfiguration').controlPlane).toEqual({ certificateKey: secrets.certificateKey });
    for (const node of Object.values(workers)) {
      expect(node.kind('JoinConfiguration')).not.toHaveProperty('controlPlane');
      expect(node.file(KUBEADM_CONFIG_PATH)?.content).not.toContain(secrets.certificateKey);
    }
  });

  it('registers every node with containerd, and control-plane nodes with the control-plane taint', () => {
    const registrations = [init.kind('InitConfiguration').nodeRegistration, ...Object.values(joiners).map((n) => n.kind('JoinConfiguration').nodeRegistration)];
    for (const r of registrations) {
      expect(r.criSocket).toBe('unix:///var/run/containerd/containerd.sock');
      expect(r).not.toHaveProperty('name'); // kubeadm takes the hostname, which is the instance name
      for (const arg of r.kubeletExtraArgs) expect(Object.keys(arg).sort()).toEqual(['name', 'value']); // v1beta4's list form
    }
    const controlPlaneTaint = [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }];
    expect(init.kind('InitConfiguration').nodeRegistration.taints).toEqual(controlPlaneTaint);
    expect(joiner.kind('JoinConfiguration').nodeRegistration.taints).toEqual(controlPlaneTaint);
    expect(nodeLabels(init.kind('InitConfiguration').nodeRegistration.kubeletExtraArgs)).toEqual({
      'tessera.io/cluster': 'prod',
      'tessera.io/cluster-role': 'control-plane',
    });
  });

  it("gives workers their pool's node labels and taints", () => {
    const generalReg = generalWorker.kind('JoinConfiguration').nodeRegistration;
    expect(nodeLabels(generalReg.kubeletExtraArgs)).toEqual({
      'example.com/tier': 'general',
      'tessera.io/cluster': 'prod',
      'tessera.io/cluster-role': 'worker',
      'tessera.io/pool': 'general',
    });
    expect(generalReg.taints).toEqual([]);
    const gpuReg = gpuWorker.kind('JoinConfiguration').nodeRegistration;
    expect(nodeLabels(gpuReg.kubeletExtraArgs)).toMatchObject({ 'example.com/accelerator': 'nvidia', 'tessera.io/pool': 'gpu' });
    expect(gpuReg.taints).toEqual([
      { key: 'example.com/gpu', value: 'true', effect: 'NoSchedule' },
      { key: 'example.com/preemptible', effect: 'PreferNoSchedule' },
    ]);
  });

  it('configures the kubelet for the systemd cgroup driver and lets joiners wait for the first node', () => {
    expect(init.kind('KubeletConfiguration')).toEqual({ apiVersion: 'kubelet.config.k8s.io/v1beta1', kind: 'KubeletConfiguration', cgroupDriver: 'systemd' });
    expect(init.kind('InitConfiguration').skipPhases).toEqual([]);
    for (const node of Object.values(joiners)) expect(node.kind('JoinConfiguration').timeouts.discovery).toBe('30m0s');
  });
});

describe('files, packages and commands of the user data', () => {
  it('puts the CA certificate and key on control-plane nodes only, the key readable by root only', () => {
    for (const node of [init, joiner]) {
      expect(node.file(CA_CERT_PATH)?.content).toBe(secrets.caCertPem);
      expect(node.file(CA_KEY_PATH)).toMatchObject({ content: secrets.caKeyPem, permissions: '0600', owner: 'root:root' });
      expect(new X509Certificate(node.file(CA_CERT_PATH)?.content ?? '').ca).toBe(true);
    }
    for (const node of Object.values(workers)) {
      expect(node.file(CA_CERT_PATH)).toBeUndefined();
      expect(node.file(CA_KEY_PATH)).toBeUndefined();
      expect(JSON.stringify(node.config)).not.toContain('PRIVATE KEY');
    }
  });

  it('writes the kubeadm file root-only, and the kernel settings kubeadm checks', () => {
    for (const node of Object.values(everyNode)) {
      expect(node.file(KUBEADM_CONFIG_PATH)?.permissions).toBe('0600');
      const modules = node.config.write_files.find((f) => f.path.startsWith('/etc/modules-load.d/'));
      expect(modules?.content.split('\n').filter(Boolean).sort()).toEqual(['br_netfilter', 'overlay']);
      const sysctl = node.config.write_files.find((f) => f.path.startsWith('/etc/sysctl.d/'));
      expect(sysctl?.content).toMatch(/^net\.bridge\.bridge-nf-call-iptables = 1$/m);
      expect(sysctl?.content).toMatch(/^net\.ipv4\.ip_forward = 1$/m);
    }
  });

  it("installs containerd and the cluster's exact Kubernetes release from the minor's pkgs.k8s.io repository", () => {
    const version = doc.spec.kubernetesVersion;
    const minor = version.split('.').slice(0, 2).join('.');
    for (const node of Object.values(everyNode)) {
      expect(node.config.packages).toEqual(['containerd', ['kubelet', `${version}-*`], ['kubeadm', `${version}-*`], ['kubectl', `${version}-*`]]);
      expect(node.config.apt.sources['kubernetes.list']).toEqual({
        source: `deb [signed-by=$KEY_FILE] https://pkgs.k8s.io/core:/stable:/v${minor}/deb/ /`,
        keyid: KUBERNETES_APT_KEY_FINGERPRINT,
        keyserver: 'keyserver.ubuntu.com',
      });
      expect(node.config.package_update).toBe(true);
    }
  });

  it('runs kubeadm only after swap is off, the kernel is set up and containerd uses the systemd cgroup driver', () => {
    for (const [name, node] of Object.entries(everyNode)) {
      const lines = node.config.runcmd.map(commandText);
      const at = (pattern: RegExp) => {
        const i = lines.findIndex((l) => pattern.test(l));
        expect(i, `${name}: no command matching ${pattern}`).toBeGreaterThanOrEqual(0);
        return i;
      };
      expect(lines[0]).toBe('set -e');
      expect(at(/^for b in containerd kubelet kubeadm kubectl; do command -v/)).toBeLessThan(at(/^containerd config default/));
      const kubeadm = at(/^kubeadm (init|join) /);
      expect(at(/^swapoff -a$/)).toBeLessThan(kubeadm);
      expect(at(/^modprobe br_netfilter$/)).toBeLessThan(at(/^sysctl --system$/));
      expect(at(/^sysctl --system$/)).toBeLessThan(kubeadm);
      const writeConfig = at(new RegExp(`^containerd config default > ${CONTAINERD_CONFIG_PATH}$`));
      const systemd = at(/SystemdCgroup = false\/SystemdCgroup = true/);
      const restart = at(/^systemctl restart containerd$/);
      expect(writeConfig).toBeLessThan(systemd);
      expect(systemd).toBeLessThan(restart);
      expect(restart).toBeLessThan(kubeadm);
      expect(lines.filter((l) => /^kubeadm /.test(l))).toHaveLength(1);
    }
  });

  it('inits with --upload-certs on the init node, joins everywhere else, and applies the CNI after init', () => {
    const initLines = init.config.runcmd.map(commandText);
    const initAt = initLines.indexOf(`kubeadm init --config ${KUBEADM_CONFIG_PATH} --upload-certs`);
    expect(initAt).toBeGreaterThan(0);
    const cniAt = initLines.findIndex((l) => l.includes(`kubectl --kubeconfig ${ADMIN_KUBECONFIG} apply -f ${CNI_MANIFESTS.flannel}`));
    expect(cniAt).toBeGreaterThan(initAt);
    for (const node of Object.values(joiners)) {
      const lines = node.config.runcmd.map(commandText);
      expect(lines).toContain(`kubeadm join --config ${KUBEADM_CONFIG_PATH}`);
      expect(lines.join('\n')).not.toMatch(/kubeadm init|kubectl .*apply/);
    }
    const calico = clusterRef(parseCluster(clusterInput({ spec: { cni: 'calico' } })));
    expect(renderNodeUserData({ cluster: calico, role: 'init', secrets })).toContain(CNI_MANIFESTS.calico);
    const none = clusterRef(parseCluster(clusterInput({ spec: { cni: 'none' } })));
    expect(renderNodeUserData({ cluster: none, role: 'init', secrets })).not.toMatch(/kubectl .*apply/);
  });

  it("renders control-plane user data that does not depend on the worker pools (a pool change must not replace the control plane)", () => {
    const noPools = clusterRef(parseCluster(clusterInput({ spec: { workerPools: [] } })));
    expect(renderNodeUserData({ cluster: noPools, role: 'init', secrets })).toBe(renderNodeUserData({ cluster, role: 'init', secrets }));
    expect(renderNodeUserData({ cluster: noPools, role: 'control-plane', secrets })).toBe(renderNodeUserData({ cluster, role: 'control-plane', secrets }));
  });

  it('asks for the pool of a worker', () => {
    expect(() => renderNodeUserData({ cluster, role: 'worker', secrets })).toThrow(/needs its pool/);
  });

  it('enables IPv6 forwarding only for IPv6 clusters', () => {
    const v6: ClusterDocument = parseCluster(
      clusterInput({ spec: { cni: 'none', networking: { podSubnet: 'fd00:10:244::/56', serviceSubnet: 'fd00:10:96::/112' } } }),
    );
    const node = parseUserData(renderNodeUserData({ cluster: clusterRef(v6), role: 'init', secrets }));
    expect(node.config.write_files.find((f) => f.path.startsWith('/etc/sysctl.d/'))?.content).toMatch(/^net\.ipv6\.conf\.all\.forwarding = 1$/m);
    expect(init.config.write_files.find((f) => f.path.startsWith('/etc/sysctl.d/'))?.content).not.toMatch(/ipv6/);
  });
});
