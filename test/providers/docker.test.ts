import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Offer } from '../../src/core/offer.js';
import { ProviderError, type CreateRequest, type Driver, type ObservedInstance } from '../../src/providers/driver.js';
import { parseDockerConfig, type DockerConfigInput } from '../../src/providers/docker/config.js';
import { createDockerDriver } from '../../src/providers/docker/driver.js';
import { startDockerd, type PrivateDockerd } from '../support/dockerd.js';

/**
 * What the docker driver does beyond the conformance suite, against two private engines: `alpha` reached by its
 * unix socket and `beta` by tcp:// with mutual TLS — two dockerds, so "two zones" means two hosts that share
 * nothing, and the TLS configuration is exercised for real. Every test starts from empty engines.
 */

const GIB = 2 ** 30;
let alpha: PrivateDockerd;
let beta: PrivateDockerd;
let hostCpus: number;
let hostMemoryBytes: number;
let driver: Driver;
const opened: Driver[] = [];

function config(extra: Partial<DockerConfigInput> = {}): DockerConfigInput {
  return {
    region: 'lab',
    hosts: [
      { name: 'alpha', socketPath: alpha.socketPath },
      // The CA inline, the client certificate and key as file paths: both forms of a PEM source.
      { name: 'beta', url: beta.tls!.url, tls: { ca: readFileSync(beta.tls!.ca, 'utf8'), cert: beta.tls!.cert, key: beta.tls!.key } },
    ],
    flavors: [
      { name: 'c1.tiny', vcpus: 0.5, memoryGiB: 0.25 },
      { name: 'c1.small', vcpus: 1, memoryGiB: 0.5, priceUsdPerHour: '0.012' },
      // Sized from the machine the tests run on: one of these fills a host's CPUs, two fill them half each.
      { name: 'host-cpus', vcpus: hostCpus, memoryGiB: 0.25 },
      { name: 'half-host', vcpus: hostCpus / 2, memoryGiB: 0.25 },
    ],
    stopTimeoutSeconds: 5,
    ...extra,
  };
}

async function open(extra: Partial<DockerConfigInput> = {}, name = 'docker-test'): Promise<Driver> {
  const d = await createDockerDriver(name, config(extra) as Record<string, unknown>, { dataDir: tmpdir(), credentials: null });
  opened.push(d);
  return d;
}

function request(name: string, overrides: Partial<CreateRequest> = {}): CreateRequest {
  return {
    tesseraId: `i-${name.replace(/[^a-z0-9]/g, '').padEnd(16, '0').slice(0, 16)}`,
    name,
    region: 'lab',
    zone: null,
    flavor: 'c1.tiny',
    image: alpha.image,
    market: 'on-demand',
    userData: null,
    labels: {},
    powerOn: true,
    ...overrides,
  };
}

/** The name the driver gives a request's container: `tessera-<name>-<first 8 of the id>`. */
function containerNameOf(req: CreateRequest): string {
  return `tessera-${req.name}-${req.tesseraId.slice(2, 10)}`;
}

interface Inspected {
  Id: string;
  Name: string;
  State: { Status: string; StartedAt: string };
  Config: { Labels: Record<string, string> };
  HostConfig: { NanoCpus: number; Memory: number };
  NetworkSettings: { Networks: Record<string, { IPAddress: string }> };
}

async function inspect(engine: PrivateDockerd, id: string): Promise<Inspected> {
  return (JSON.parse(await engine.docker(['inspect', id])) as Inspected[])[0]!;
}

async function ids(engine: PrivateDockerd, ...filters: string[]): Promise<string[]> {
  const out = await engine.docker(['ps', '-a', '-q', '--no-trunc', ...filters.flatMap((f) => ['--filter', f])]);
  return out.split('\n').filter(Boolean);
}

async function listAll(d: Driver, pageSize = 1000): Promise<ObservedInstance[]> {
  const all: ObservedInstance[] = [];
  for await (const page of d.list({ pageSize })) {
    expect(page.length).toBeLessThanOrEqual(pageSize);
    all.push(...page);
  }
  return all;
}

function offerOf(offers: Offer[], zone: string, flavor: string): Offer {
  const found = offers.find((o) => o.zone === zone && o.flavor === flavor);
  if (!found) throw new Error(`no offer for ${flavor} in zone ${zone}: ${JSON.stringify(offers.map((o) => `${o.zone}/${o.flavor}`))}`);
  return found;
}

async function rejection(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ProviderError) return e;
    throw new Error(`expected a ProviderError, got ${String(e)}`);
  }
  throw new Error('expected the call to fail, and it succeeded');
}

describe('docker driver against two private dockerds (alpha: unix socket, beta: tcp:// with mutual TLS)', () => {
  beforeAll(async () => {
    [alpha, beta] = await Promise.all([startDockerd(), startDockerd({ tls: true })]);
    const [cpus, memory] = (await alpha.docker(['info', '--format', '{{.NCPU}} {{.MemTotal}}'])).split(' ').map(Number);
    hostCpus = cpus!;
    hostMemoryBytes = memory!;
    driver = await open();
  }, 120_000);

  afterEach(async () => {
    for (const engine of [alpha, beta]) {
      const all = await ids(engine);
      if (all.length > 0) await engine.docker(['rm', '-f', ...all]);
    }
  });

  afterAll(async () => {
    for (const d of opened) await d.close?.();
    await Promise.all([alpha?.stop(), beta?.stop()]);
  }, 120_000);

  it("labels the container with Tessera's id, token, flavor and image plus the request's labels, and limits it to the flavor", async () => {
    const req = request('labelled', { zone: 'alpha', flavor: 'c1.small', labels: { app: 'web', 'example.com/tier': 'front' } });
    const observed = await driver.create(req, 'tsr-labelled-0');

    const c = await inspect(alpha, observed.externalId);
    expect(c.Name).toBe(`/${containerNameOf(req)}`);
    expect(c.Config.Labels).toEqual({
      'tessera.io/id': req.tesseraId,
      'tessera.io/token': 'tsr-labelled-0',
      'tessera.io/flavor': 'c1.small',
      'tessera.io/image': alpha.image,
      app: 'web',
      'example.com/tier': 'front',
    });
    expect(c.HostConfig.NanoCpus).toBe(1_000_000_000);
    expect(c.HostConfig.Memory).toBe(0.5 * GIB);
    expect(c.State.Status).toBe('running');
    expect(observed).toMatchObject({
      tesseraId: req.tesseraId,
      token: 'tsr-labelled-0',
      region: 'lab',
      zone: 'alpha',
      flavor: 'c1.small',
      image: alpha.image,
      kind: 'container',
      market: 'on-demand',
      state: 'running',
      name: containerNameOf(req),
    });
    // Bookkeeping labels are reported as fields, not as labels.
    expect(observed.labels).toEqual({ 'tessera.io/id': req.tesseraId, 'tessera.io/token': 'tsr-labelled-0', app: 'web', 'example.com/tier': 'front' });
  });

  it('create finds the container a crashed attempt left (made, never started), starts it, and makes no second one', async () => {
    const req = request('crashed', { zone: 'alpha' });
    const token = 'tsr-crashed-0';
    // What a crash between "container created" and "container started" leaves behind.
    const leftId = await alpha.docker([
      'create',
      '--name',
      containerNameOf(req),
      '--label',
      `tessera.io/id=${req.tesseraId}`,
      '--label',
      `tessera.io/token=${token}`,
      '--label',
      'tessera.io/flavor=c1.tiny',
      '--label',
      `tessera.io/image=${alpha.image}`,
      '--cpus',
      '0.5',
      '--memory',
      '256m',
      alpha.image,
    ]);
    // A driver that has never seen it, as after a restart of Tessera.
    const restarted = await open();
    expect(await restarted.observe({ region: 'lab', token })).toMatchObject({ externalId: leftId, state: 'stopped', tesseraId: req.tesseraId });

    const observed = await restarted.create(req, token);
    expect(observed.externalId).toBe(leftId);
    expect(observed.state).toBe('running');
    expect((await inspect(alpha, leftId)).State.Status).toBe('running');
    expect(await ids(alpha, `label=tessera.io/id=${req.tesseraId}`)).toEqual([leftId]);
    expect(await ids(beta)).toEqual([]);
    // And once more, as a retry would: still the one container.
    expect((await restarted.create(req, token)).externalId).toBe(leftId);
    expect(await ids(alpha)).toEqual([leftId]);
  });

  it("refuses, with advice, when a container Tessera did not make holds the instance's container name", async () => {
    const req = request('squatted', { zone: 'alpha' });
    await alpha.docker(['create', '--name', containerNameOf(req), alpha.image]);
    const e = await rejection(driver.create(req, 'tsr-squatted-0'));
    expect(e.errorClass).toBe('Invalid');
    expect(e.providerCode).toBe('ContainerNameInUse');
    expect(e.message).toContain(`docker rename ${containerNameOf(req)}`);
    expect(e.message).toContain('made outside Tessera');
    expect(await ids(alpha)).toHaveLength(1);
  });

  it("reports the addresses each engine gave the container, and none while it is stopped", async () => {
    const onAlpha = await driver.create(request('addr-a', { zone: 'alpha' }), 'tsr-addr-a-0');
    const onBeta = await driver.create(request('addr-b', { zone: 'beta' }), 'tsr-addr-b-0');
    for (const [engine, observed] of [
      [alpha, onAlpha],
      [beta, onBeta],
    ] as const) {
      const ip = (await inspect(engine, observed.externalId)).NetworkSettings.Networks.bridge!.IPAddress;
      expect(ip.startsWith(engine.subnet.replace(/0\/24$/, ''))).toBe(true);
      expect(observed.addresses).toEqual([{ type: 'private', address: ip }]);
    }
    await driver.power({ region: 'lab', externalId: onAlpha.externalId }, 'off');
    expect((await driver.observe({ region: 'lab', externalId: onAlpha.externalId }))?.addresses).toEqual([]);
  });

  it('makes each host a zone: a zone request lands on that host, and a fresh driver finds and powers it by id', async () => {
    expect(await driver.regions()).toEqual([{ provider: 'docker-test', name: 'lab', zones: ['alpha', 'beta'], location: null }]);
    const observed = await driver.create(request('on-beta', { zone: 'beta' }), 'tsr-on-beta-0');
    expect(observed.zone).toBe('beta');
    expect(await ids(beta)).toEqual([observed.externalId]);
    expect(await ids(alpha)).toEqual([]);

    const fresh = await open();
    const ref = { region: 'lab', externalId: observed.externalId };
    expect((await fresh.observe(ref))?.zone).toBe('beta');
    await fresh.power(ref, 'off');
    expect((await inspect(beta, observed.externalId)).State.Status).toBe('exited');
    await fresh.power(ref, 'on');
    expect((await inspect(beta, observed.externalId)).State.Status).toBe('running');
  });

  it('without a zone, places a container on the host with the most room, and says where there is none', async () => {
    // alpha's CPUs are taken in full by one container.
    await driver.create(request('filler', { zone: 'alpha', flavor: 'host-cpus' }), 'tsr-filler-0');
    const placed = await driver.create(request('anywhere'), 'tsr-anywhere-0');
    expect(placed.zone).toBe('beta');
    // Now neither host has a whole host's CPUs free.
    const e = await rejection(driver.create(request('no-room', { flavor: 'host-cpus' }), 'tsr-no-room-0'));
    expect(e.errorClass).toBe('Capacity');
    expect(e.providerCode).toBe('InsufficientHostCapacity');
    expect(e.message).toContain(`host 'alpha' has 0 of ${hostCpus} vCPUs`);
    expect(e.message).toContain(`host 'beta' has ${hostCpus - 0.5} of ${hostCpus} vCPUs`);
    expect(e.message).toContain('raise overcommit');
    expect(await ids(alpha)).toHaveLength(1);
    expect(await ids(beta)).toHaveLength(1);
  });

  it('does not overshoot a host when creates race: of five concurrent half-host creates, two succeed', async () => {
    const attempts = await Promise.allSettled(
      [1, 2, 3, 4, 5].map((n) => driver.create(request(`race-${n}`, { zone: 'alpha', flavor: 'half-host' }), `tsr-race-${n}-0`)),
    );
    const made = attempts.filter((a) => a.status === 'fulfilled');
    const refused = attempts.filter((a): a is PromiseRejectedResult => a.status === 'rejected');
    expect(made).toHaveLength(2);
    expect(refused.map((r) => (r.reason as ProviderError).errorClass)).toEqual(['Capacity', 'Capacity', 'Capacity']);
    expect(await ids(alpha)).toHaveLength(2);
  });

  it("lists every container of every host, page by page; others' containers have no Tessera id and a flavor read from their limits", async () => {
    const ours = await driver.create(request('listed', { zone: 'alpha', labels: { app: 'shop' } }), 'tsr-listed-0');
    const legacy = await alpha.docker(['run', '-d', '--name', 'legacy-web', '--cpus', '1', '--memory', '512m', '--label', 'app=legacy', alpha.image]);
    const odd = await alpha.docker(['run', '-d', '--name', 'odd-size', '--cpus', '0.3', alpha.image]);
    const batch = await beta.docker(['create', '--name', 'legacy-batch', beta.image]);

    const all = await listAll(driver, 2);
    expect(all.map((o) => o.externalId).sort()).toEqual([ours.externalId, legacy, odd, batch].sort());
    const byId = new Map(all.map((o) => [o.externalId, o]));
    expect(byId.get(legacy)).toMatchObject({
      tesseraId: null,
      token: null,
      name: 'legacy-web',
      zone: 'alpha',
      flavor: 'c1.small',
      image: alpha.image,
      state: 'running',
      kind: 'container',
      labels: { app: 'legacy' },
    });
    expect(byId.get(odd)).toMatchObject({ tesseraId: null, flavor: 'custom-0.3vcpu-anymib' });
    expect(byId.get(batch)).toMatchObject({ tesseraId: null, token: null, zone: 'beta', flavor: 'unlimited', state: 'stopped' });
    expect(byId.get(ours.externalId)).toMatchObject({ tesseraId: ours.tesseraId, token: 'tsr-listed-0', flavor: 'c1.tiny', labels: { app: 'shop' } });
    // A listing and an observe describe a container alike: any difference would read as drift.
    for (const id of [ours.externalId, legacy, batch]) expect(await driver.observe({ region: 'lab', externalId: id })).toEqual(byId.get(id));
  });

  it('offers one offer per flavor per host, priced from the config, with availability from what running Tessera containers hold', async () => {
    const smallFit = Math.min(Math.floor(hostCpus / 1), Math.floor(hostMemoryBytes / (0.5 * GIB)));
    const before = await driver.offers();
    expect(before).toHaveLength(2 * 4);
    expect(offerOf(before, 'alpha', 'c1.small')).toMatchObject({
      provider: 'docker-test',
      region: 'lab',
      vcpus: 1,
      memoryGiB: 0.5,
      gpus: 0,
      kind: 'container',
      market: 'on-demand',
      priceMicrosPerHour: 12_000,
      available: smallFit,
    });
    expect(offerOf(before, 'alpha', 'c1.tiny').priceMicrosPerHour).toBe(0);
    expect(offerOf(before, 'beta', 'host-cpus').available).toBe(1);

    const observed = await driver.create(request('cap', { zone: 'alpha', flavor: 'c1.small' }), 'tsr-cap-0');
    // A container made outside Tessera is not counted: it is not Tessera's to plan around.
    await alpha.docker(['run', '-d', '--cpus', '1', alpha.image]);
    const running = await driver.offers();
    expect(offerOf(running, 'alpha', 'c1.small').available).toBe(smallFit - 1);
    expect(offerOf(running, 'alpha', 'host-cpus').available).toBe(0);
    expect(offerOf(running, 'beta', 'c1.small').available).toBe(smallFit);
    // Roomiest host first, so placement among equal prices prefers it.
    expect(running[0]!.zone).toBe('beta');

    await driver.power({ region: 'lab', externalId: observed.externalId }, 'off');
    expect(offerOf(await driver.offers(), 'alpha', 'c1.small').available).toBe(smallFit);

    const overcommitted = await open({ overcommit: { cpu: 2 } });
    expect(offerOf(await overcommitted.offers(), 'alpha', 'host-cpus').available).toBe(2);
  });

  it('enforces maxContainers per host as a quota (stopped containers keep their slot), with a per-host override', async () => {
    const limited = await open({ maxContainers: 1 });
    const first = await limited.create(request('quota-1', { zone: 'alpha' }), 'tsr-quota-1-0');
    await limited.power({ region: 'lab', externalId: first.externalId }, 'off');
    const e = await rejection(limited.create(request('quota-2', { zone: 'alpha' }), 'tsr-quota-2-0'));
    expect(e.errorClass).toBe('Quota');
    expect(e.providerCode).toBe('ContainerLimitExceeded');
    expect(e.message).toContain("host 'alpha' holds 1 Tessera containers, its maxContainers 1");
    expect(offerOf(await limited.offers(), 'alpha', 'c1.tiny').available).toBe(0);
    // Without a zone, the host that still has a slot takes it.
    expect((await limited.create(request('quota-3'), 'tsr-quota-3-0')).zone).toBe('beta');

    const raised = await open({
      maxContainers: 1,
      hosts: [{ name: 'alpha', socketPath: alpha.socketPath, maxContainers: 3 }],
    });
    expect((await raised.create(request('quota-4', { zone: 'alpha' }), 'tsr-quota-4-0')).zone).toBe('alpha');
  });

  it('powers containers: a pause made outside reads as stopped and power on thaws it; reboot restarts', async () => {
    const observed = await driver.create(request('powered', { zone: 'alpha' }), 'tsr-powered-0');
    const ref = { region: 'lab', externalId: observed.externalId };
    await alpha.docker(['pause', observed.externalId]);
    expect((await driver.observe(ref))?.state).toBe('stopped');
    await driver.power(ref, 'on');
    expect((await inspect(alpha, observed.externalId)).State.Status).toBe('running');

    const startedAt = (await inspect(alpha, observed.externalId)).State.StartedAt;
    await driver.power(ref, 'reboot');
    const after = await inspect(alpha, observed.externalId);
    expect(after.State.Status).toBe('running');
    expect(after.State.StartedAt).not.toBe(startedAt);
    // Already in the state asked for: not an error.
    await driver.power(ref, 'on');
  });

  it('a container removed outside Tessera: observe says null, delete succeeds, power says NotFound', async () => {
    const observed = await driver.create(request('removed', { zone: 'beta' }), 'tsr-removed-0');
    await beta.docker(['rm', '-f', observed.externalId]);
    const ref = { region: 'lab', externalId: observed.externalId };
    expect(await driver.observe(ref)).toBeNull();
    expect(await driver.observe({ region: 'lab', token: 'tsr-removed-0' })).toBeNull();
    await driver.delete(ref);
    await driver.delete({ region: 'lab', token: 'tsr-removed-0' });
    expect((await rejection(driver.power(ref, 'on'))).errorClass).toBe('NotFound');
  });

  it('refuses an image the host does not have, naming docker load and docker import (no registry is asked)', async () => {
    const e = await rejection(driver.create(request('no-image', { zone: 'alpha', image: 'nginx:1.27' }), 'tsr-no-image-0'));
    expect(e.errorClass).toBe('Invalid');
    expect(e.providerCode).toBe('ImageNotFound');
    expect(e.message).toContain("image 'nginx:1.27' is not on docker host 'alpha'");
    expect(e.message).toContain('docker load');
    expect(e.message).toContain('docker import');
    expect(await ids(alpha)).toEqual([]);
  });

  it('refuses a network the host does not have, naming docker network create, and leaves no container behind', async () => {
    const netless = await open({ network: 'tessera-missing-net' });
    const e = await rejection(netless.create(request('netless', { zone: 'alpha' }), 'tsr-netless-0'));
    expect(e.errorClass).toBe('Invalid');
    expect(e.providerCode).toBe('NetworkNotFound');
    expect(e.message).toContain('docker network create tessera-missing-net');
    expect(await ids(alpha)).toEqual([]);
  });

  it('joins the configured network when it exists', async () => {
    await alpha.docker(['network', 'create', 'tessera-test-net']);
    try {
      const networked = await open({ network: 'tessera-test-net' });
      const observed = await networked.create(request('networked', { zone: 'alpha' }), 'tsr-networked-0');
      const networks = (await inspect(alpha, observed.externalId)).NetworkSettings.Networks;
      expect(Object.keys(networks)).toEqual(['tessera-test-net']);
      expect(observed.addresses).toEqual([{ type: 'private', address: networks['tessera-test-net']!.IPAddress }]);
      expect(observed.addresses[0]!.address).not.toBe('');
    } finally {
      for (const id of await ids(alpha)) await alpha.docker(['rm', '-f', id]);
      await alpha.docker(['network', 'rm', 'tessera-test-net']);
    }
  });

  it('says what is wrong with TLS: a CA that did not sign the engine, or no TLS toward a TLS port', async () => {
    const wrongCa = await open({ hosts: [{ name: 'beta', url: beta.tls!.url, tls: { ca: beta.tls!.cert, cert: beta.tls!.cert, key: beta.tls!.key } }] });
    const e = await rejection(wrongCa.observe({ region: 'lab', token: 'tsr-tls-0' }));
    expect(e.errorClass).toBe('Retryable');
    expect(e.providerCode).toBe('EngineTlsFailed');
    expect(e.message).toContain('check the provider\'s tls.ca');
    const plain = await open({ hosts: [{ name: 'beta', url: beta.tls!.url }] });
    const p = await rejection(plain.observe({ region: 'lab', token: 'tsr-tls-0' }));
    expect(p.providerCode).toBe('EngineNeedsTls');
    expect(p.message).toContain('give this host tls {ca, cert, key}');
  });

  it('lists the images present on the hosts by repository:tag, with the engine platform', async () => {
    expect(await driver.images()).toEqual([{ provider: 'docker-test', name: alpha.image, os: 'linux', arch: expect.any(String) }]);
  });

  it('with one host down: offers and images come from the host that answers; lookups by token and listings fail Retryable, naming the host', async () => {
    const gone = join(tmpdir(), `no-dockerd-${process.pid}.sock`);
    const half = await open({ hosts: [{ name: 'alpha', socketPath: alpha.socketPath }, { name: 'gone', socketPath: gone }] });
    expect(new Set((await half.offers()).map((o) => o.zone))).toEqual(new Set(['alpha']));
    expect((await half.images()).map((i) => i.name)).toEqual([alpha.image]);
    // The token's container may be on the host that does not answer: "not there" cannot be claimed.
    const e = await rejection(half.observe({ region: 'lab', token: 'tsr-anything-0' }));
    expect(e.errorClass).toBe('Retryable');
    expect(e.providerCode).toBe('EngineUnreachable');
    expect(e.message).toContain(`docker host 'gone' (unix://${gone})`);
    expect((await rejection(listAll(half))).errorClass).toBe('Retryable');
    // A create pinned to the live host does not depend on the dead one.
    expect((await half.create(request('pinned', { zone: 'alpha' }), 'tsr-pinned-0')).zone).toBe('alpha');
  });
});

describe('docker provider configuration', () => {
  const problem = (raw: unknown) => {
    try {
      parseDockerConfig('edge', raw);
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error('expected the configuration to be refused');
  };

  it('defaults to the local socket, region "local", six flavors, no overcommit', () => {
    const c = parseDockerConfig('edge', {});
    expect(c.region).toBe('local');
    expect(c.hosts).toEqual([{ name: 'local', socketPath: '/var/run/docker.sock' }]);
    expect(c.flavors.map((f) => f.name)).toEqual(['c1.tiny', 'c1.small', 'c1.medium', 'c2.medium', 'c2.large', 'c4.large']);
    expect(c.overcommit).toEqual({ cpu: 1, memory: 1 });
  });

  it('names the field and says what to do', () => {
    expect(problem({ hosts: [{ name: 'a' }] })).toContain('hosts[0]: give exactly one of socketPath');
    expect(problem({ hosts: [{ name: 'a', socketPath: '/s', url: 'tcp://h:2376' }] })).toContain('give exactly one of socketPath');
    expect(problem({ hosts: [{ name: 'a', url: 'https://h' }] })).toContain('hosts[0].url: must look like tcp://HOST:PORT');
    expect(problem({ hosts: [{ name: 'a', socketPath: '/s', tls: { ca: 'x', cert: 'y', key: 'z' } }] })).toContain('hosts[0].tls: tls applies to a tcp:// url only');
    expect(problem({ host: [{ name: 'a' }] })).toContain('unknown key "host"; the keys allowed here are: region, hosts');
    expect(problem({ hosts: [{ name: 'a', socketPath: '/a' }, { name: 'a', socketPath: '/b' }] })).toContain('hosts: host names must be unique');
    expect(problem({ flavors: [{ name: 'x', vcpus: 0, memoryGiB: 1 }] })).toContain('flavors[0].vcpus');
    expect(problem({ overcommit: { cpu: 0 } })).toContain('overcommit.cpu: must be greater than 0');
    expect(problem({ stopTimeoutSeconds: 30 })).toContain('requestTimeoutSeconds must be greater than stopTimeoutSeconds');
    expect(problem({ hosts: [] })).toContain("docker provider 'edge' has an invalid configuration");
  });

  it('names a TLS file it cannot read when the driver is built', async () => {
    const build = createDockerDriver('edge', { hosts: [{ name: 'a', url: 'tcp://127.0.0.1:2376', tls: { ca: '/nonexistent/ca.pem', cert: 'x', key: 'y' } }] }, { dataDir: tmpdir(), credentials: null });
    await expect(build).rejects.toThrow(/hosts\[0\]\.tls\.ca names the file \/nonexistent\/ca\.pem, which cannot be read \(ENOENT\)/);
  });
});
