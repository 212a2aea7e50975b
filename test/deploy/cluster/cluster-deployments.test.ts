import { describe, expect, it } from 'vitest';
import { NAME_PATTERN } from '../../../src/core/ids.js';
import { clusterDeployments } from '../../../src/deploy/cluster/cluster-deployments.js';
import { CA_KEY_PATH } from '../../../src/deploy/cluster/kubeadm-cloud-init.js';
import { DeploymentDocument, rolloutLimits } from '../../../src/deploy/deployment.js';
import { clusterInput, clusterRef, parseCluster, parseUserData, sharedSecrets } from './cluster-fixtures.js';

const secrets = sharedSecrets();

function deploymentsOf(input = clusterInput()) {
  const deployments = clusterDeployments(clusterRef(parseCluster(input)), secrets);
  return { deployments, byName: new Map(deployments.map((d) => [d.metadata.name, d])) };
}

/** What each machine of a deployment will do, read from its user data. */
function roleOf(userData: string | undefined): 'init' | 'control-plane' | 'worker' {
  const node = parseUserData(userData ?? '');
  if (node.kubeadm.some((d) => d.kind === 'InitConfiguration')) return 'init';
  return node.kind('JoinConfiguration').controlPlane ? 'control-plane' : 'worker';
}

describe('clusterDeployments', () => {
  it('makes <name>-cp-init (1), <name>-cp (the other control-plane replicas) and one per worker pool', () => {
    const { deployments, byName } = deploymentsOf();
    expect(deployments.map((d) => [d.metadata.name, d.spec.replicas])).toEqual([
      ['prod-cp-init', 1],
      ['prod-cp', 2],
      ['prod-general', 4],
      ['prod-gpu', 2],
    ]);
    expect(roleOf(byName.get('prod-cp-init')?.spec.template.userData)).toBe('init');
    expect(roleOf(byName.get('prod-cp')?.spec.template.userData)).toBe('control-plane');
    expect(roleOf(byName.get('prod-general')?.spec.template.userData)).toBe('worker');
    expect(parseUserData(byName.get('prod-gpu')?.spec.template.userData ?? '').kind('JoinConfiguration').nodeRegistration.taints).toHaveLength(2);
  });

  it('leaves out <name>-cp when the control plane is one machine, and keeps pools with 0 replicas', () => {
    const pool = { name: 'batch', replicas: 0, template: { flavor: 'm6i.large' } };
    const { deployments } = deploymentsOf(
      clusterInput({ spec: { controlPlane: { replicas: 1, template: { flavor: 'm6i.xlarge' } }, workerPools: [pool] } }),
    );
    expect(deployments.map((d) => [d.metadata.name, d.spec.replicas])).toEqual([
      ['prod-cp-init', 1],
      ['prod-batch', 0],
    ]);
  });

  it('labels the deployments and their machines with the cluster, the role and the pool', () => {
    const { deployments, byName } = deploymentsOf();
    for (const d of deployments) {
      expect(d.metadata).toMatchObject({ project: 'payments', labels: { team: 'platform', 'tessera.io/cluster': 'prod' } });
      expect(d.spec.template.labels['tessera.io/cluster']).toBe('prod');
    }
    for (const name of ['prod-cp-init', 'prod-cp']) {
      expect(byName.get(name)?.spec.template.labels).toEqual({ 'tessera.io/cluster': 'prod', 'tessera.io/cluster-role': 'control-plane' });
    }
    expect(byName.get('prod-gpu')?.spec.template.labels).toEqual({
      'tessera.io/cluster': 'prod',
      'tessera.io/cluster-role': 'worker',
      'tessera.io/pool': 'gpu',
    });
  });

  it("carries each pool's template and placement, and rolls the control plane one new machine at a time", () => {
    const { byName } = deploymentsOf();
    const init = byName.get('prod-cp-init');
    const cp = byName.get('prod-cp');
    const gpu = byName.get('prod-gpu');
    expect(init?.spec.template.requirements).toEqual({ vcpus: 2, memoryGiB: 4, gpus: 0 });
    expect(init?.spec.placement.objective).toBe('spread');
    expect(cp?.spec.placement.objective).toBe('spread');
    expect(gpu?.spec.template.requirements).toMatchObject({ vcpus: 8, gpus: 1 });
    expect(gpu?.spec.placement.providers).toEqual({ allow: ['aws', 'gcp'] });
    expect(byName.get('prod-general')?.spec.template.flavor).toBe('m6i.large');
    for (const d of [init, cp]) {
      expect(d?.spec.strategy).toEqual({ type: 'RollingUpdate', maxSurge: 1, maxUnavailable: 0 });
      expect(rolloutLimits(d!.spec)).toEqual({ maxSurge: 1, maxUnavailable: 0 });
    }
    expect(gpu?.spec.strategy).toEqual({ type: 'RollingUpdate', maxSurge: '25%', maxUnavailable: '25%' });
  });

  it('hands out valid Deployment documents with valid names, and the CA key only to control-plane deployments', () => {
    const { deployments } = deploymentsOf();
    for (const d of deployments) {
      expect(DeploymentDocument.parse(d)).toEqual(d);
      expect(d.metadata.name).toMatch(NAME_PATTERN);
      expect(d.spec.template.userData?.length).toBeLessThan(65536);
      const holdsCaKey = parseUserData(d.spec.template.userData ?? '').file(CA_KEY_PATH) !== undefined;
      expect(holdsCaKey).toBe(d.spec.template.labels['tessera.io/cluster-role'] === 'control-plane');
    }
  });

  it('keeps names within 63 characters at the longest cluster and pool names the schema accepts', () => {
    const name = 'c'.repeat(55);
    const pool = 'p'.repeat(63 - name.length - 1);
    const { deployments } = deploymentsOf(clusterInput({ name, spec: { workerPools: [{ name: pool, replicas: 1, template: { flavor: 'm6i.large' } }] } }));
    expect(deployments.map((d) => d.metadata.name.length)).toEqual([63, 58, 63]);
  });
});
