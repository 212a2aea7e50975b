import { describe, expect, it } from 'vitest';
import {
  ClusterDocument,
  ClusterStatus,
  ClusterStatusView,
  controlPlaneEndpointOf,
  DEFAULT_KUBERNETES_VERSION,
  initialClusterStatus,
  unsafeClusterSpecChanges,
} from '../../../src/deploy/cluster/cluster.js';
import { cidrsOverlap, formatCidr, parseCidr, parseHostPort, type Cidr } from '../../../src/deploy/cluster/network-address.js';
import { clusterInput, clusterRef, issuesOf, parseCluster } from './cluster-fixtures.js';

function withControlPlane(cp: Record<string, unknown>) {
  return clusterInput({ spec: { controlPlane: { template: { requirements: { vcpus: 2, memoryGiB: 4 } }, ...cp } } });
}

function cidr(text: string): Cidr {
  const c = parseCidr(text);
  if (typeof c === 'string') throw new Error(c);
  return c;
}

describe('ClusterDocument: a valid cluster and its defaults', () => {
  it('fills the documented defaults', () => {
    const doc = parseCluster(clusterInput({ spec: { workerPools: [] } }));
    expect(doc.apiVersion).toBe('tessera.io/v1');
    expect(doc.spec.kubernetesVersion).toBe(DEFAULT_KUBERNETES_VERSION);
    expect(doc.spec.networking).toEqual({ podSubnet: '10.244.0.0/16', serviceSubnet: '10.96.0.0/12', dnsDomain: 'cluster.local' });
    expect(doc.spec.cni).toBe('flannel');
    expect(doc.spec.containerRuntime).toBe('containerd');
    expect(doc.spec.controlPlane.template.image).toBe('ubuntu-24.04');
    expect(doc.spec.controlPlaneEndpoint).toBeUndefined();
    expect(controlPlaneEndpointOf(clusterRef(doc))).toBe('prod-api.payments.tessera.internal:6443');
  });

  it('defaults the project and one control-plane replica', () => {
    const doc = ClusterDocument.parse({ kind: 'Cluster', metadata: { name: 'dev' }, spec: { controlPlane: { template: { flavor: 'm6i.large' } } } });
    expect(doc.metadata.project).toBe('default');
    expect(doc.spec.controlPlane.replicas).toBe(1);
    expect(doc.spec.workerPools).toEqual([]);
  });

  it('keeps a given endpoint (DNS name, IPv4 or bracketed IPv6) and pools with their labels and taints', () => {
    for (const endpoint of ['k8s.example.com:6443', '192.168.10.5:443', '[fd00:1::10]:6443']) {
      const doc = parseCluster(clusterInput({ spec: { controlPlaneEndpoint: endpoint } }));
      expect(controlPlaneEndpointOf(clusterRef(doc))).toBe(endpoint);
    }
    const doc = parseCluster();
    expect(doc.spec.workerPools.map((p) => p.name)).toEqual(['general', 'gpu']);
    expect(doc.spec.workerPools[1]?.taints).toHaveLength(2);
    expect(doc.spec.workerPools[0]?.taints).toEqual([]);
  });

  it('accepts a custom pod network with calico, and IPv6 single-stack networks', () => {
    expect(issuesOf(clusterInput({ spec: { cni: 'calico', networking: { podSubnet: '192.168.0.0/16' } } }))).toBe('');
    expect(issuesOf(clusterInput({ spec: { cni: 'none', networking: { podSubnet: 'fd00:10:244::/56', serviceSubnet: 'fd00:10:96::/112' } } }))).toBe('');
  });
});

describe('ClusterDocument: bad specs get a clear message', () => {
  it('refuses an even number of control-plane replicas, saying why (etcd quorum)', () => {
    for (const replicas of [2, 4]) {
      const issues = issuesOf(withControlPlane({ replicas }));
      expect(issues).toMatch(/spec\.controlPlane\.replicas/);
      expect(issues).toMatch(/etcd/);
      expect(issues).toMatch(/majority/);
      expect(issues).toMatch(/use 1, 3 or 5/);
    }
    expect(issuesOf(withControlPlane({ replicas: 0 }))).toMatch(/at least 1 control-plane replica/);
    expect(issuesOf(withControlPlane({ replicas: 7 }))).toMatch(/use 1, 3 or 5/);
    for (const replicas of [1, 3, 5]) expect(issuesOf(withControlPlane({ replicas }))).toBe('');
  });

  it('refuses overlapping pod and service networks', () => {
    const issues = issuesOf(clusterInput({ spec: { cni: 'calico', networking: { podSubnet: '10.96.0.0/16', serviceSubnet: '10.96.0.0/12' } } }));
    expect(issues).toMatch(/spec\.networking\.serviceSubnet: podSubnet 10\.96\.0\.0\/16 and serviceSubnet 10\.96\.0\.0\/12 overlap/);
  });

  it('refuses malformed, host-bit, oversized, dual-stack and mixed-family networks', () => {
    const net = (networking: Record<string, string>) => issuesOf(clusterInput({ spec: { cni: 'calico', networking } }));
    expect(net({ podSubnet: '10.244.0.0' })).toMatch(/is not a CIDR/);
    expect(net({ podSubnet: '10.300.0.0/16' })).toMatch(/not an IPv4 or IPv6 address/);
    expect(net({ podSubnet: '10.244.1.0/16' })).toMatch(/host bits set: the network is 10\.244\.0\.0\/16/);
    expect(net({ podSubnet: '10.244.0.0/33' })).toMatch(/at most 32/);
    expect(net({ serviceSubnet: '10.0.0.0/8' })).toMatch(/serviceSubnet 10\.0\.0\.0\/8 is too large/);
    expect(net({ podSubnet: '10.244.0.0/25' })).toMatch(/smaller than one node's slice/);
    expect(net({ podSubnet: '10.244.0.0/16,fd00::/56' })).toMatch(/dual-stack clusters are not supported/);
    expect(net({ podSubnet: 'fd00:10:244::/56' })).toMatch(/podSubnet is IPv6 and serviceSubnet IPv4/);
    expect(net({ dnsDomain: 'Cluster.Local' })).toMatch(/dnsDomain is a DNS name/);
  });

  it('refuses a pod network too small for the nodes asked for', () => {
    const issues = issuesOf(clusterInput({ spec: { cni: 'calico', networking: { podSubnet: '10.244.0.0/22' } } }));
    expect(issues).toMatch(/gives 4 node\(s\) a \/24 each, but the cluster asks for 9/);
  });

  it('refuses flannel with a pod network other than the one its manifest hard-codes', () => {
    expect(issuesOf(clusterInput({ spec: { networking: { podSubnet: '192.168.0.0/16' } } }))).toMatch(
      /cni "flannel" applies flannel's stock manifest, whose pod network is 10\.244\.0\.0\/16/,
    );
  });

  it('refuses duplicate worker pool names and pools named like the control plane', () => {
    const pool = (name: string) => ({ name, replicas: 1, template: { flavor: 'm6i.large' } });
    expect(issuesOf(clusterInput({ spec: { workerPools: [pool('web'), pool('db'), pool('web')] } }))).toMatch(
      /spec\.workerPools\.2\.name: worker pool "web" is named twice/,
    );
    expect(issuesOf(clusterInput({ spec: { workerPools: [pool('cp')] } }))).toMatch(/cannot be named "cp"/);
    expect(issuesOf(clusterInput({ spec: { workerPools: [pool('Web_1')] } }))).toMatch(/names are 1-63 lowercase letters/);
  });

  it('refuses cluster and pool names whose derived Deployment names would pass 63 characters', () => {
    const longCluster = 'c'.repeat(56); // 56 + "-cp-init" = 64
    expect(issuesOf(clusterInput({ name: longCluster }))).toMatch(/metadata\.name: ".*-cp-init", its first control-plane Deployment, is 64 characters; names are at most 63: shorten the cluster name by 1/);
    expect(issuesOf(clusterInput({ name: 'c'.repeat(55) }))).not.toMatch(/metadata\.name/);
    const longPool = 'p'.repeat(60); // "prod-" + 60 = 65
    const issues = issuesOf(clusterInput({ spec: { workerPools: [{ name: longPool, replicas: 1, template: { flavor: 'm6i.large' } }] } }));
    expect(issues).toMatch(/spec\.workerPools\.0\.name: "prod-p+", the Deployment of worker pool "p+", is 65 characters/);
  });

  it('refuses node labels the kubelet may not set and labels Tessera owns', () => {
    const poolWith = (labels: Record<string, string>) =>
      clusterInput({ spec: { workerPools: [{ name: 'web', replicas: 1, template: { flavor: 'm6i.large' }, labels }] } });
    expect(issuesOf(poolWith({ 'node-role.kubernetes.io/worker': '' }))).toMatch(/the kubelet may not set "node-role\.kubernetes\.io\/worker"/);
    expect(issuesOf(poolWith({ 'k8s.io/foo': 'x' }))).toMatch(/may not set/);
    expect(issuesOf(poolWith({ 'tessera.io/pool': 'x' }))).toMatch(/set by Tessera/);
    expect(issuesOf(poolWith({ 'node.kubernetes.io/instance-type': 'big', 'topology.kubernetes.io/zone': 'a', 'example.com/x': 'y', plain: 'ok' }))).toBe('');
  });

  it('refuses duplicate taints and unknown effects', () => {
    const poolWith = (taints: unknown[]) => clusterInput({ spec: { workerPools: [{ name: 'web', replicas: 1, template: { flavor: 'm6i.large' }, taints }] } });
    expect(issuesOf(poolWith([{ key: 'a', effect: 'NoSchedule' }, { key: 'a', value: 'x', effect: 'NoSchedule' }]))).toMatch(/given twice/);
    expect(issuesOf(poolWith([{ key: 'a', effect: 'NoSchedule' }, { key: 'a', effect: 'NoExecute' }]))).toBe('');
    expect(issuesOf(poolWith([{ key: 'a', effect: 'Never' }]))).toMatch(/NoSchedule, PreferNoSchedule or NoExecute/);
  });

  it('refuses userData and Tessera labels in templates: the Cluster renders them', () => {
    expect(issuesOf(withControlPlane({ template: { flavor: 'm6i.large', userData: '#cloud-config\n' } }))).toMatch(/controlPlane\.template\.userData: a Cluster renders/);
    expect(issuesOf(withControlPlane({ template: { flavor: 'm6i.large', labels: { 'tessera.io/cluster': 'x' } } }))).toMatch(/set by Tessera/);
  });

  it('refuses control-plane machines smaller than kubeadm accepts', () => {
    expect(issuesOf(withControlPlane({ template: { requirements: { vcpus: 1, memoryGiB: 4 } } }))).toMatch(/fewer than 2 vCPUs/);
  });

  it('refuses bad versions, endpoints and runtimes', () => {
    expect(issuesOf(clusterInput({ spec: { kubernetesVersion: 'v1.35.3' } }))).toMatch(/without a leading "v"/);
    expect(issuesOf(clusterInput({ spec: { kubernetesVersion: '1.30.9' } }))).toMatch(/1\.31 or newer: .*v1beta4/);
    expect(issuesOf(clusterInput({ spec: { controlPlaneEndpoint: 'k8s.example.com' } }))).toMatch(/is not host:port/);
    expect(issuesOf(clusterInput({ spec: { controlPlaneEndpoint: 'fd00::1:6443' } }))).toMatch(/IPv6 in brackets/);
    expect(issuesOf(clusterInput({ spec: { controlPlaneEndpoint: 'K8S_API:6443' } }))).toMatch(/neither an IP address nor a DNS name/);
    expect(issuesOf(clusterInput({ spec: { controlPlaneEndpoint: 'k8s.example.com:70000' } }))).toMatch(/outside 1-65535/);
    expect(issuesOf(clusterInput({ spec: { controlPlaneEndpoint: '10.96.0.1:6443' } }))).toMatch(/lies inside the serviceSubnet/);
    expect(issuesOf(clusterInput({ spec: { containerRuntime: 'cri-o' } }))).toMatch(/only "containerd"/);
    expect(issuesOf(clusterInput({ spec: { cni: 'weave' } }))).toMatch(/flannel, calico or none/);
    expect(issuesOf(clusterInput({ spec: { surprise: true } }))).toMatch(/surprise/);
  });
});

describe('network addresses', () => {
  it('parses and overlaps IPv4 and IPv6 blocks', () => {
    expect(formatCidr(cidr('fd00:10:244::/56'))).toBe('fd00:10:244::/56');
    expect(formatCidr(cidr('::ffff:10.0.0.0/120'))).toBe('::ffff:a00:0/120');
    expect(cidrsOverlap(cidr('10.0.0.0/8'), cidr('10.244.0.0/16'))).toBe(true);
    expect(cidrsOverlap(cidr('10.244.0.0/16'), cidr('10.96.0.0/12'))).toBe(false);
    expect(cidrsOverlap(cidr('10.96.0.0/12'), cidr('10.111.0.0/16'))).toBe(true);
    expect(cidrsOverlap(cidr('fd00::/64'), cidr('fd00::1:0/112'))).toBe(true);
    expect(cidrsOverlap(cidr('fd00::/64'), cidr('fd01::/64'))).toBe(false);
    expect(cidrsOverlap(cidr('10.0.0.0/8'), cidr('::/0'))).toBe(false);
    expect(parseCidr('fd00::1/64')).toMatch(/the network is fd00::\/64/);
  });

  it('parses host:port', () => {
    expect(parseHostPort('api.example.com:6443')).toEqual({ host: 'api.example.com', port: 6443, ipFamily: 0 });
    expect(parseHostPort('[fd00::10]:6443')).toEqual({ host: 'fd00::10', port: 6443, ipFamily: 6 });
    expect(parseHostPort('[10.0.0.1]:6443')).toMatch(/not an IPv6 address/);
  });
});

describe('unsafeClusterSpecChanges', () => {
  const before = parseCluster().spec;
  it('allows worker pool changes and control-plane growth', () => {
    const after = parseCluster(clusterInput({ spec: { workerPools: [] } })).spec;
    expect(unsafeClusterSpecChanges(before, after)).toEqual([]);
    const grown = parseCluster(withControlPlane({ replicas: 5 })).spec;
    expect(unsafeClusterSpecChanges(before, { ...grown, workerPools: before.workerPools })).toEqual([]);
  });

  it('names every change that re-provisioning cannot carry out', () => {
    const after = parseCluster(
      clusterInput({
        spec: {
          kubernetesVersion: '1.34.2',
          controlPlaneEndpoint: 'k8s.example.com:6443',
          cni: 'calico',
          controlPlane: { replicas: 1, template: { requirements: { vcpus: 4, memoryGiB: 8 } } },
        },
      }),
    ).spec;
    const problems = unsafeClusterSpecChanges(before, after).join('\n');
    expect(problems).toMatch(/kubernetesVersion .*kubeadm upgrade/);
    expect(problems).toMatch(/controlPlaneEndpoint is fixed/);
    expect(problems).toMatch(/cni is fixed/);
    expect(problems).toMatch(/controlPlane\.replicas cannot shrink \(3 to 1\).*etcd/);
    expect(problems).toMatch(/controlPlane\.template .*kubeadm init/);
  });
});

describe('ClusterStatus', () => {
  it('starts Provisioning, empty, and the API view has no sealed secrets', () => {
    const status = initialClusterStatus();
    expect(ClusterStatus.parse(status)).toEqual(status);
    expect(status).toMatchObject({ phase: 'Provisioning', observedGeneration: 0, caCertHash: null, sealedSecrets: null, deployments: [] });
    const view = ClusterStatusView.parse({ ...status, sealedSecrets: 'v1:abc' });
    expect(view).not.toHaveProperty('sealedSecrets');
  });
});
