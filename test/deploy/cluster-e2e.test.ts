import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Instance } from '../../src/core/instance.js';
import type { Deployment } from '../../src/deploy/deployment.js';
import type { Cluster } from '../../src/deploy/cluster/cluster.js';
import type { CreateRequest } from '../../src/providers/driver.js';
import type { SimDriver } from '../../src/providers/sim/driver.js';
import { isSealed, textSealer } from '../../src/runtime/sealed-text.js';
import { loadSecretKey } from '../../src/runtime/secrets.js';
import { eventually, simProvider, startTestPlane, TEST_ADMIN_TOKEN, type TestPlane } from '../support/control-plane.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import { commandText, parseUserData, spkiHashWithNodeCrypto } from './cluster/cluster-fixtures.js';
import { runCli } from '../cli/fixtures-cli.js';

/**
 * A Cluster end to end on simulated providers: node groups become deployments, machines are placed by each
 * group's policy, every machine's kubeadm user data reaches the provider in the clear and is sealed everywhere
 * else, the first control-plane machine's replacement joins instead of initialising again, unsafe changes are
 * refused. No Kubernetes runs here: the rendered configuration is what is checked (README, "Clusters").
 */
describe('clusters on simulated providers', () => {
  let tdb: TestDatabase;
  let t: TestPlane;
  const sent = new Map<string, string>(); // instance id → user data the provider received
  const json = <T>(r: { body: string }) => JSON.parse(r.body) as T;
  const CLUSTER = {
    kind: 'Cluster',
    metadata: { name: 'kay', labels: { team: 'platform' } },
    spec: {
      controlPlane: { replicas: 3, template: { requirements: { vcpus: 2, memoryGiB: 4 } }, placement: { providers: { allow: ['onprem'] } } },
      workerPools: [
        { name: 'general', replicas: 2, template: { requirements: { vcpus: 1, memoryGiB: 2 } }, placement: { objective: 'spread' }, labels: { 'example.com/tier': 'general' } },
        {
          name: 'edge',
          replicas: 1,
          template: { flavor: 'medium' },
          placement: { providers: { allow: ['cloud'] } },
          taints: [{ key: 'example.com/edge', value: 'true', effect: 'NoSchedule' }],
        },
      ],
    },
  };
  const apply = (doc: object) => t.app.inject({ method: 'PUT', url: '/v1/projects/default/clusters/kay', payload: doc });
  const cluster = async () => json<Cluster>(await t.app.inject({ method: 'GET', url: '/v1/projects/default/clusters/kay' }));
  const nodes = async (group: string) =>
    json<{ items: Instance[] }>(await t.app.inject({ method: 'GET', url: `/v1/instances?selector=${encodeURIComponent(`tessera.io/deployment=${group}`)}` })).items.filter((i) => i.deletedAt === null);
  const ready = () => eventually(async () => ((await cluster()).status.phase === 'Ready' ? cluster() : null), 40_000, 'the cluster to be ready');

  beforeAll(async () => {
    tdb = await createTestDatabase('sqlite');
    t = await startTestPlane(tdb, [simProvider('onprem'), simProvider('cloud')], { controller: { pollMs: 50 }, discovery: { intervalSeconds: 1, pageSize: 100 } });
    for (const name of ['onprem', 'cloud']) {
      const sim = t.cp.providers.get(name)!.inner as SimDriver;
      const create = sim.create.bind(sim);
      sim.create = (req: CreateRequest, token: string) => {
        if (req.userData !== null) sent.set(req.tesseraId, req.userData);
        return create(req, token);
      };
    }
  });
  afterAll(async () => {
    await t?.close();
    await tdb?.dispose();
  });

  it('apply: one deployment per node group, planned; the cluster becomes Ready with its nodes where each group\'s policy says', async () => {
    const r = await apply(CLUSTER);
    expect(r.statusCode, r.body).toBe(201);
    const applied = json<{ plans: { deployments: { name: string; summary: Record<string, number> }[] }; cluster: { status: Record<string, unknown> } }>(r);
    expect(applied.plans.deployments.map((p) => [p.name, p.summary.create])).toEqual([
      ['kay-cp-init', 1],
      ['kay-cp', 2],
      ['kay-general', 2],
      ['kay-edge', 1],
    ]);
    expect(applied.cluster.status).not.toHaveProperty('sealedSecrets');

    const c = await ready();
    expect(c.status).toMatchObject({ controlPlane: { replicas: 3, ready: 3 }, workerPools: [{ name: 'general', replicas: 2, ready: 2 }, { name: 'edge', replicas: 1, ready: 1 }], initialized: true });
    const controlPlane = [...(await nodes('kay-cp-init')), ...(await nodes('kay-cp'))];
    expect(controlPlane.map((i) => i.spec.provider)).toEqual(['onprem', 'onprem', 'onprem']);
    expect(controlPlane.every((i) => i.spec.flavor === 'medium')).toBe(true); // the smallest with 2 vCPU, 4 GiB
    expect((await nodes('kay-general')).map((i) => i.spec.provider).sort()).toEqual(['cloud', 'onprem']); // spread
    expect((await nodes('kay-edge')).map((i) => `${i.spec.provider}/${i.spec.flavor}`)).toEqual(['cloud/medium']);
    expect((await nodes('kay-edge'))[0]!.labels).toMatchObject({ 'tessera.io/cluster': 'kay', 'tessera.io/cluster-role': 'worker', 'tessera.io/pool': 'edge' });
  });

  it('user data: sealed in every stored and shown resource, in the clear only at the provider, and right for each role', async () => {
    const c = await cluster();
    const all = [...(await nodes('kay-cp-init')), ...(await nodes('kay-cp')), ...(await nodes('kay-general')), ...(await nodes('kay-edge'))];
    const sealer = textSealer(loadSecretKey({ dataDir: tdb.dataDir, env: { TESSERA_SECRET_KEY: Buffer.alloc(32, 7).toString('base64') } }));
    for (const i of all) {
      expect(isSealed(i.spec.userData!)).toBe(true);
      expect(i.spec.userData).not.toMatch(/PRIVATE KEY|kubeadm/);
      expect(sent.get(i.id)).toBe(sealer.open(i.spec.userData!));
    }
    const deployments = json<{ items: Deployment[] }>(await t.app.inject({ method: 'GET', url: '/v1/deployments' })).items;
    for (const d of deployments) expect(isSealed(d.spec.template.userData!)).toBe(true);

    const init = parseUserData(sent.get((await nodes('kay-cp-init'))[0]!.id)!);
    expect(init.config.runcmd.map(commandText).some((l) => l.includes('kubeadm init --config /etc/tessera/kubeadm.yaml --upload-certs'))).toBe(true);
    const ca = init.file('/etc/kubernetes/pki/ca.crt')!.content;
    expect(spkiHashWithNodeCrypto(ca)).toBe(c.status.caCertHash);

    for (const joiner of [...(await nodes('kay-cp')), ...(await nodes('kay-general'))]) {
      const u = parseUserData(sent.get(joiner.id)!);
      expect(u.config.runcmd.map(commandText).some((l) => l.includes('kubeadm join --config /etc/tessera/kubeadm.yaml'))).toBe(true);
      const join = u.kind('JoinConfiguration');
      expect(join.discovery.bootstrapToken!.caCertHashes).toEqual([c.status.caCertHash]);
      expect(join.discovery.bootstrapToken!.apiServerEndpoint).toBe('kay-api.default.tessera.internal:6443');
    }
    const edge = parseUserData(sent.get((await nodes('kay-edge'))[0]!.id)!);
    expect(edge.kind('JoinConfiguration').nodeRegistration?.taints).toEqual([{ key: 'example.com/edge', value: 'true', effect: 'NoSchedule' }]);
    expect(edge.file('/etc/kubernetes/pki/ca.key')).toBeUndefined();
  });

  it('the watch stream carries the cluster as the API shows it: never its sealed secrets', async () => {
    const url = await t.anonymous.listen({ port: 0, host: '127.0.0.1' });
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), 10_000);
    let text = '';
    try {
      const res = await fetch(`${url}/v1/watch?kind=Cluster&after=0`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` }, signal: ac.signal });
      const decoder = new TextDecoder();
      for await (const chunk of res.body!) {
        text += decoder.decode(chunk as Uint8Array, { stream: true });
        if (text.includes('event: Ready')) break;
      }
    } finally {
      clearTimeout(timer);
      ac.abort();
    }
    expect(text).toContain('event: Ready');
    expect(text).toContain('"caCertHash":"sha256:');
    expect(text).not.toContain('sealedSecrets');

    // And as the CLI shows it.
    const list = await runCli(['get', 'clusters'], { url });
    expect(list.stdout).toMatch(/kay\s+default\s+1\.35\.3\s+3\/3\s+general 2\/2, edge 1\/1\s+Ready/);
    const one = await runCli(['get', 'cluster', 'kay', '-o', 'json'], { url });
    expect(JSON.parse(one.stdout)).toMatchObject({ name: 'kay', status: { phase: 'Ready', deployments: ['kay-cp-init', 'kay-cp', 'kay-general', 'kay-edge'] } });
    expect(one.stdout).not.toContain('sealedSecrets');
  });

  it('the first control-plane machine, lost after init, is replaced by one that joins: never a second kubeadm init', async () => {
    const [first] = await nodes('kay-cp-init');
    const sim = t.cp.providers.get('onprem')!.inner as SimDriver;
    expect(sim.externalDelete(first!.status.externalId!)).toBe(true);
    const replacement = await eventually(async () => {
      const now = (await nodes('kay-cp-init')).filter((i) => i.status.phase === 'Running');
      return now.length === 1 && now[0]!.id !== first!.id ? now[0]! : null;
    }, 40_000, 'a replacement first control-plane machine');
    const u = parseUserData(sent.get(replacement.id)!);
    const commands = u.config.runcmd.map(commandText).join('\n');
    expect(commands).toContain('kubeadm join --config');
    expect(commands).not.toContain('kubeadm init');
    expect(u.kind('JoinConfiguration').controlPlane?.certificateKey).toMatch(/^[0-9a-f]{64}$/);
    // The two joiners never moved.
    await ready();
  });

  it('refuses changes replacing machines cannot carry out; adds and removes worker pools', async () => {
    const shrink = await apply({ ...CLUSTER, spec: { ...CLUSTER.spec, controlPlane: { ...CLUSTER.spec.controlPlane, replicas: 1 } } });
    expect(shrink.statusCode).toBe(400);
    expect(json<{ error: { message: string } }>(shrink).error.message).toMatch(/controlPlane.replicas cannot shrink.*etcd quorum/);

    const bigger = { ...CLUSTER, spec: { ...CLUSTER.spec, workerPools: [CLUSTER.spec.workerPools[0]!, { name: 'batch', replicas: 1, template: { flavor: 'small' } }] } };
    const r = await apply(bigger);
    expect(r.statusCode, r.body).toBe(200);
    await eventually(async () => (await nodes('kay-edge')).length === 0 && (await nodes('kay-batch')).some((i) => i.status.phase === 'Running'), 40_000, 'edge gone, batch running');
    const c = await ready();
    expect(c.status.workerPools).toEqual([{ name: 'general', replicas: 2, ready: 2 }, { name: 'batch', replicas: 1, ready: 1 }]);
  });

  it('delete: every node group and machine, then the cluster', async () => {
    const c = await cluster();
    expect((await t.app.inject({ method: 'DELETE', url: `/v1/clusters/${c.id}` })).statusCode).toBe(202);
    await eventually(async () => (await t.app.inject({ method: 'GET', url: '/v1/projects/default/clusters/kay' })).statusCode === 404, 40_000, 'the cluster to be gone');
    expect(json<{ items: unknown[] }>(await t.app.inject({ method: 'GET', url: '/v1/deployments' })).items).toEqual([]);
    expect(json<{ items: unknown[] }>(await t.app.inject({ method: 'GET', url: '/v1/instances' })).items).toEqual([]);
  });
});
