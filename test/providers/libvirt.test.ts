import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOMParser } from '@xmldom/xmldom';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/core/errors.js';
import type { CreateRequest, ObservedInstance } from '../../src/providers/driver.js';
import { roomOn, whyNoRoom } from '../../src/providers/libvirt/capacity.js';
import { buildSeedIso } from '../../src/providers/libvirt/cloud-init-seed.js';
import { parseLibvirtConfig, type LibvirtConfigInput } from '../../src/providers/libvirt/config.js';
import { parseDomainXml } from '../../src/providers/libvirt/domain-facts.js';
import { identityFor, uuidForToken, volumesFor } from '../../src/providers/libvirt/domain-identity.js';
import { buildDomainXml, type DomainSpec } from '../../src/providers/libvirt/domain-xml.js';
import { openLibvirtDriver, type LibvirtDriver } from '../../src/providers/libvirt/driver.js';
import { readAllDomains, readHostResources, type DomainSnapshot } from '../../src/providers/libvirt/host-inventory.js';
import { customFlavorName, observedState } from '../../src/providers/libvirt/observed.js';
import { ensurePool } from '../../src/providers/libvirt/storage-pool.js';
import { TESSERA_LIBVIRT_NS } from '../../src/providers/libvirt/tessera-metadata.js';
import { Virsh } from '../../src/providers/libvirt/virsh.js';
import { createLibvirtTestHost, exec, virsh, type LibvirtTestHost } from '../support/libvirtd.js';
import { expectClass } from '../support/provider-errors.js';

/**
 * The libvirt driver beyond the conformance suite: the domain XML and NoCloud seed it makes, how it reads virsh
 * (unit checks against `test:///default`, whose state lives only as long as one virsh process), and what it does
 * on the real system daemon — crash recovery by token, foreign domains, quota, power fallbacks, unreachable hosts.
 */

const TEST_URI = 'test:///default';
const testHost = (name = 'test-host', uri = TEST_URI) => new Virsh('unit', { name, uri }, { timeoutMs: 30_000 });


const HOSTILE = `web <1> & "quoted" 'single'`;

function sampleSpec(overrides: Partial<DomainSpec> = {}): DomainSpec {
  return {
    type: 'qemu',
    name: 'web-1-6d5f1c02',
    uuid: '6d5f1c02-1111-5222-8333-444455556666',
    title: HOSTILE,
    vcpus: 2,
    memoryMiB: 256,
    disk: { pool: 'tessera', volume: '6d5f1c02.qcow2' },
    seed: { pool: 'tessera', volume: '6d5f1c02-seed.iso' },
    network: 'user',
    metadata: {
      id: 'i-abcdefghijkl',
      token: 'tsr-i-abcdefghijkl-0',
      provider: 'kvm-a',
      name: HOSTILE,
      flavor: 'tiny',
      image: 'base',
      created: '2026-11-27T00:00:00.000Z',
      pool: 'tessera',
      labels: { app: 'web', 'odd.label/key': `a&b<c>"d"` },
    },
    ...overrides,
  };
}

describe('libvirt driver: unit checks (no daemon; test:///default)', () => {
  it('config: defaults fill in; a bad block is refused naming the provider and every wrong field', () => {
    const ok = parseLibvirtConfig('kvm', { hosts: [{ name: 'kvm-a', uri: 'qemu:///system' }], pool: { name: 'p', path: '/var/lib/tessera' }, images: [{ name: 'base', path: '/img/base.qcow2' }] });
    expect(ok).toMatchObject({ region: 'local', network: 'user', domainType: 'kvm', maxDomains: null, overcommit: { cpu: 4, memory: 1 }, shutdownGraceSeconds: 30 });
    expect(ok.flavors.map((f) => f.name)).toEqual(['kvm.1x1', 'kvm.2x4', 'kvm.4x8', 'kvm.8x16']);
    for (const uri of ['qemu+ssh://admin@hv1.example.com/system', 'qemu+tls://hv2.example.com/system', 'qemu:///system?socket=/run/x.sock']) {
      expect(() => parseLibvirtConfig('kvm', { ...ok, hosts: [{ name: 'h', uri }] }), uri).not.toThrow();
    }

    let error: unknown;
    try {
      parseLibvirtConfig('kvm-bad', {
        hosts: [
          { name: 'a', uri: 'test:///default' },
          { name: 'a', uri: 'qemu:///system' },
        ],
        pool: { name: 'p', path: 'relative/dir' },
        images: [{ name: 'both', path: '/a.qcow2', volume: 'a.qcow2' }],
        flavors: [{ name: 'odd', vcpus: 1, memoryGiB: 0.3 }],
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidInputError);
    const message = (error as Error).message;
    expect(message).toContain(`libvirt provider 'kvm-bad'`);
    expect(message).toMatch(/hosts\.0\.uri: use qemu:\/\/\/system/);
    expect(message).toMatch(/hosts\.1\.name: host "a" is listed twice/);
    expect(message).toMatch(/pool\.path: the pool path must be absolute/);
    expect(message).toMatch(/images\.0: an image has exactly one of path or volume/);
    expect(message).toMatch(/flavors\.0\.memoryGiB: memoryGiB must be a whole number of MiB/);
  });

  it('domain XML: libvirt\'s schema accepts it, and it keeps type, shape, overlay, seed, network, console and metadata', async () => {
    const spec = sampleSpec();
    const xml = buildDomainXml(spec);
    const dir = await mkdtemp(join(tmpdir(), 'tessera-domain-xml-'));
    try {
      await writeFile(join(dir, 'domain.xml'), xml);
      // One virsh process: the test driver forgets everything when it exits. --validate checks domain.rng.
      const stdout = await testHost().batch([
        ['define', '--validate', join(dir, 'domain.xml')],
        ['echo', '@@tsr:split@@'],
        ['dumpxml', spec.uuid],
      ]);
      const returned = stdout.split('@@tsr:split@@')[1] ?? '';
      expect(returned, `libvirt did not accept the definition:\n${xml}`).toContain('<domain');

      // What libvirt kept, read the way the driver reads a live domain.
      const facts = parseDomainXml(returned);
      expect(facts).toMatchObject({ uuid: spec.uuid, name: spec.name, vcpus: 2, memoryMiB: 256 });
      expect(facts.tessera).toEqual(spec.metadata); // hostile characters survived escaping both ways
      expect(facts.disks).toEqual([
        { device: 'disk', file: null, pool: 'tessera', volume: '6d5f1c02.qcow2', backingFile: null },
        { device: 'cdrom', file: null, pool: 'tessera', volume: '6d5f1c02-seed.iso', backingFile: null },
      ]);
      expect(returned).toMatch(/<domain type='qemu'/);
      expect(new DOMParser().parseFromString(returned, 'text/xml').getElementsByTagName('title')[0]?.textContent).toBe(HOSTILE);
      expect(returned).toMatch(/<disk type='volume' device='disk'>\s*<driver name='qemu' type='qcow2'\/>[\s\S]*?<target dev='vda' bus='virtio'\/>/);
      expect(returned).toMatch(/<disk type='volume' device='cdrom'>[\s\S]*?<readonly\/>/);
      expect(returned).toMatch(/<interface type='user'>[^]*?<model type='virtio'\/>[^]*?<\/interface>/);
      expect(returned).toMatch(/<serial type='pty'>/);
      expect(returned).toMatch(/<console type='pty'>/);
      expect(returned).toContain(`<tessera:instance xmlns:tessera="${TESSERA_LIBVIRT_NS}"`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('domain XML: a libvirt network instead of user-mode networking', () => {
    const xml = buildDomainXml(sampleSpec({ network: 'default' }));
    expect(xml).toContain('<interface type="network"><source network="default"/><model type="virtio"/></interface>');
  });

  it('identity: the UUID and volume names follow from the token alone (a retried create reuses them)', () => {
    const a = identityFor('Web 1!', 'tsr-i-abc-0');
    expect(a).toEqual(identityFor('Web 1!', 'tsr-i-abc-0'));
    expect(a.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a.domainName).toBe(`web-1-${a.uuid.slice(0, 8)}`);
    expect(a).toMatchObject(volumesFor(a.uuid));
    expect(uuidForToken('tsr-i-abc-1')).not.toBe(a.uuid);
  });

  it('virsh errors are classified from what virsh says: not found, invalid, unreachable', async () => {
    const e1 = await expectClass(testHost().run(['dominfo', 'no-such-domain']), 'NotFound', /libvirt host 'test-host' \(test:\/\/\/default\): virsh dominfo failed: .*no-such-domain/);
    expect(e1.providerCode).toBe('DomainNotFound');
    expect(await testHost().runOrNull(['dominfo', 'no-such-domain'])).toBeNull();

    const dir = await mkdtemp(join(tmpdir(), 'tessera-bad-xml-'));
    try {
      await writeFile(join(dir, 'bad.xml'), '<domain type="qemu"><name>x</name>');
      const e2 = await expectClass(testHost().run(['define', join(dir, 'bad.xml')]), 'Invalid', /check the provider config/);
      expect(e2.providerCode).toBe('InvalidArgument');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    await expectClass(testHost().run(['start', 'test']), 'Invalid', /domain is already active/i);

    const down = testHost('kvm-down', 'qemu:///system?socket=/nonexistent/libvirt-sock');
    const e3 = await expectClass(down.run(['list']), 'Retryable', /check that libvirtd runs on that host/);
    expect(e3.providerCode).toBe('ConnectFailed');
    // Batch mode ignores each command's failure, but never an unreachable host.
    await expectClass(down.batch([['list']]), 'Retryable');
  });

  it('reads a host in one batch: domains with state, addresses and shape; size from nodeinfo and freecell', async () => {
    const virsh = testHost();
    const [domain, ...more] = await readAllDomains(virsh);
    expect(more).toEqual([]);
    // test:///default always holds one running domain `test` with a DHCP lease 192.168.122.3.
    expect(domain).toMatchObject({ host: 'test-host', state: 'running', addresses: ['192.168.122.3'] });
    expect(domain!.facts).toMatchObject({ name: 'test', vcpus: 2, memoryMiB: 8192, tessera: null });
    const size = await readHostResources(virsh);
    expect(size).toMatchObject({ cpus: 16, memoryMiB: 3072 });
    expect(size.freeMemoryMiB).toBeGreaterThan(0);
  });

  it('maps domstate to observed states; names shapes no flavor has', () => {
    const cases: [string, string | null, string][] = [
      ['running', 'booted', 'running'],
      ['idle', null, 'running'],
      ['paused', 'user', 'running'],
      ['paused', 'starting up', 'pending'],
      ['in shutdown', null, 'stopping'],
      ['shut off', 'destroyed', 'stopped'],
      ['crashed', null, 'stopped'],
      ['pmsuspended', null, 'stopped'],
      ['no state', null, 'pending'],
    ];
    for (const [state, reason, expected] of cases) expect(observedState(state, reason), `${state} (${reason})`).toBe(expected);
    expect(customFlavorName(2, 4096)).toBe('custom-2x4');
    expect(customFlavorName(1, 256)).toBe('custom-1x0.25');
  });

  it('capacity: Tessera domains hold room in any state; foreign ones only while running; overcommit scales the host', () => {
    const domain = (vcpus: number, memoryMiB: number, state: string, tessera: boolean): DomainSnapshot => ({
      host: 'h',
      state,
      reason: null,
      addresses: [],
      facts: {
        uuid: 'u',
        name: 'n',
        vcpus,
        memoryMiB,
        disks: [],
        tessera: tessera ? { id: 'i', token: 't', provider: 'p', name: 'n', flavor: 'f', image: 'b', created: '', pool: 'p', labels: {} } : null,
      },
    });
    const room = roomOn(
      'h',
      { cpus: 4, memoryMiB: 8192, freeMemoryMiB: 6000 },
      [domain(2, 1024, 'shut off', true), domain(1, 512, 'running', false), domain(8, 8192, 'shut off', false)],
      { cpu: 2, memory: 1 },
    );
    expect(room).toMatchObject({ sellableVcpus: 8, freeVcpus: 5, sellableMemoryMiB: 8192, freeMemoryMiB: 6656, unusedMemoryMiB: 6000 });
    expect(whyNoRoom(room, { name: 'ok', vcpus: 5, memoryGiB: 4, priceUsdPerHour: '0' })).toBeNull();
    expect(whyNoRoom(room, { name: 'cpu', vcpus: 6, memoryGiB: 1, priceUsdPerHour: '0' })).toMatch(/5 of 8 sellable vCPUs free/);
    expect(whyNoRoom(room, { name: 'exact', vcpus: 1, memoryGiB: 6000 / 1024, priceUsdPerHour: '0' })).toBeNull();
    expect(whyNoRoom(room, { name: 'mem', vcpus: 1, memoryGiB: 6.75, priceUsdPerHour: '0' })).toMatch(/6656 of 8192 MiB sellable memory free/);
    expect(whyNoRoom(room, { name: 'now', vcpus: 1, memoryGiB: 6, priceUsdPerHour: '0' })).toMatch(/only 6000 MiB of memory unused right now/);
  });

  it('NoCloud seed: an ISO labelled cidata holding user-data and meta-data (Rock Ridge and Joliet names)', async () => {
    const userData = '#cloud-config\nruncmd:\n  - [sh, -c, "echo hello > /tmp/hello"]\n';
    const seed = await buildSeedIso({ instanceId: 'i-abcdefghijkl', hostname: 'web-1', userData });
    try {
      const info = await exec('isoinfo', ['-d', '-i', seed.path]);
      expect(info.stdout).toMatch(/^Volume id: cidata$/m);
      expect(info.stdout).toMatch(/Rock Ridge signatures version/);
      expect(info.stdout).toMatch(/Joliet with UCS level/);
      const listing = await exec('isoinfo', ['-R', '-f', '-i', seed.path]);
      expect(listing.stdout.split('\n').filter(Boolean).sort()).toEqual(['/meta-data', '/user-data']);
      expect((await exec('isoinfo', ['-R', '-x', '/user-data', '-i', seed.path])).stdout).toBe(userData);
      expect((await exec('isoinfo', ['-R', '-x', '/meta-data', '-i', seed.path])).stdout).toBe('instance-id: "i-abcdefghijkl"\nlocal-hostname: "web-1"\n');
    } finally {
      await seed.dispose();
    }
    const minimal = await buildSeedIso({ instanceId: 'i-x', hostname: 'db', userData: null });
    try {
      expect((await exec('isoinfo', ['-R', '-x', '/user-data', '-i', minimal.path])).stdout).toBe('#cloud-config\nhostname: "db"\n');
    } finally {
      await minimal.dispose();
    }
  });
});

describe('libvirt driver on qemu:///system', () => {
  let host: LibvirtTestHost;
  let driver: LibvirtDriver;
  /** Every virsh command the main driver ran, as its first word (`define`, `start`, …; batches start with `echo`). */
  const commands: string[] = [];

  const config = (overrides: Partial<LibvirtConfigInput> = {}): LibvirtConfigInput => ({
    hosts: [{ name: 'kvm-a', uri: host.uri }],
    pool: host.pool,
    images: [{ name: 'base', path: host.baseImage }],
    flavors: [
      { name: 'tiny', vcpus: 1, memoryGiB: 0.25 },
      { name: 'fat', vcpus: 1, memoryGiB: 65536 },
    ],
    domainType: 'qemu',
    overcommit: { cpu: 64 },
    shutdownGraceSeconds: 1,
    ...overrides,
  });
  const request = (name: string, overrides: Partial<CreateRequest> = {}): CreateRequest => ({
    tesseraId: `i-${name.replace(/[^a-z0-9]/g, '').padEnd(12, '0').slice(0, 12)}`,
    name,
    region: 'local',
    zone: null,
    flavor: 'tiny',
    image: 'base',
    market: 'on-demand',
    userData: null,
    labels: { suite: 'libvirt' },
    powerOn: true,
    ...overrides,
  });
  const listAll = async (d: LibvirtDriver = driver): Promise<ObservedInstance[]> => {
    const out: ObservedInstance[] = [];
    for await (const page of d.list({ pageSize: 2 })) out.push(...page);
    return out;
  };
  const poolVolumes = async () => (await virsh(['vol-list', host.pool.name])).split('\n').map((l) => l.trim().split(/\s+/)[0]).filter(Boolean);

  beforeAll(async () => {
    host = await createLibvirtTestHost();
    driver = await openLibvirtDriver('libvirt-test', config(), { beforeCommand: (_h, args) => void commands.push(args[0]!.split(' ')[0]!) });
    await ensurePool(new Virsh('libvirt-test', { name: 'kvm-a', uri: host.uri }, { timeoutMs: 30_000 }), host.pool);
  });
  afterAll(async () => {
    await host?.cleanup();
  });

  it('the disk is a qcow2 overlay backed by the base image; the seed ISO carries the user data; metadata names the instance', async () => {
    const userData = '#cloud-config\nwrite_files:\n  - path: /etc/motd\n    content: made by tessera\n';
    const made = await driver.create(request('overlay', { userData, labels: { app: 'web' } }), 'tsr-i-overlay-0');
    expect(made).toMatchObject({ tesseraId: 'i-overlay00000', token: 'tsr-i-overlay-0', state: 'running', kind: 'vm', zone: 'kvm-a', flavor: 'tiny', image: 'base' });
    expect(made.labels).toMatchObject({ app: 'web', 'tessera.io/id': 'i-overlay00000', 'tessera.io/token': 'tsr-i-overlay-0' });

    const { diskVolume, seedVolume } = volumesFor(made.externalId);
    // -U: the running QEMU holds the image's write lock.
    const info = JSON.parse((await exec('qemu-img', ['info', '-U', '--output=json', join(host.pool.path, diskVolume)])).stdout) as Record<string, unknown>;
    expect(info).toMatchObject({ format: 'qcow2', 'backing-filename': host.baseImage, 'backing-filename-format': 'qcow2', 'virtual-size': 64 * 1024 * 1024 });

    const seed = join(host.pool.path, seedVolume);
    expect((await exec('isoinfo', ['-d', '-i', seed])).stdout).toMatch(/^Volume id: cidata$/m);
    expect((await exec('isoinfo', ['-R', '-x', '/user-data', '-i', seed])).stdout).toBe(userData);
    expect((await exec('isoinfo', ['-R', '-x', '/meta-data', '-i', seed])).stdout).toContain('instance-id: "i-overlay00000"');

    const metadata = await virsh(['metadata', made.externalId, TESSERA_LIBVIRT_NS]);
    expect(metadata).toMatch(/<instance id="i-overlay00000" token="tsr-i-overlay-0" provider="libvirt-test" name="overlay" flavor="tiny" image="base"/);
    expect(metadata).toContain('<label key="app" value="web"/>');
    const live = await virsh(['dumpxml', made.externalId]);
    expect(live).toMatch(/<domain type='qemu' id='\d+'>/);
    expect(live).toContain(`<source pool='${host.pool.name}' volume='${seedVolume}'`);
  });

  it('a create that crashed after define is found by its token and started: no second domain, no new volumes', async () => {
    const req = request('half-made');
    const token = 'tsr-i-halfmade-0';
    const crashing = await openLibvirtDriver('libvirt-test', config(), {
      beforeCommand: (_h, args) => {
        if (args[0] === 'start') throw new Error('simulated crash between define and start');
      },
    });
    await expect(crashing.create(req, token)).rejects.toThrow(/simulated crash/);
    const uuid = uuidForToken(token);
    expect((await virsh(['domstate', uuid])).trim()).toBe('shut off');

    commands.length = 0;
    const again = await driver.create(req, token);
    expect(again).toMatchObject({ externalId: uuid, token, state: 'running' });
    expect(commands).toContain('start');
    for (const verb of ['define', 'vol-create', 'vol-create-as', 'vol-upload']) expect(commands, `a second ${verb}`).not.toContain(verb);
    expect((await listAll()).filter((o) => o.token === token)).toHaveLength(1);
  });

  it('volumes left by a create that crashed before define are replaced by the retry, or removed by a delete by token', async () => {
    const token = 'tsr-i-leftover-0';
    const { diskVolume, seedVolume } = volumesFor(uuidForToken(token));
    // What a process killed between vol-create and define leaves: volumes nothing refers to (here, not even qcow2).
    await virsh(['vol-create-as', host.pool.name, diskVolume, '1M', '--format', 'raw']);
    await virsh(['vol-create-as', host.pool.name, seedVolume, '1M', '--format', 'raw']);
    const made = await driver.create(request('leftover'), token);
    expect(made.state).toBe('running');
    const info = JSON.parse((await exec('qemu-img', ['info', '-U', '--output=json', join(host.pool.path, diskVolume)])).stdout) as Record<string, unknown>;
    expect(info).toMatchObject({ format: 'qcow2', 'backing-filename': host.baseImage });

    const orphan = 'tsr-i-orphan-0';
    const orphanVolumes = volumesFor(uuidForToken(orphan));
    await virsh(['vol-create-as', host.pool.name, orphanVolumes.diskVolume, '1M']);
    await virsh(['vol-create-as', host.pool.name, orphanVolumes.seedVolume, '1M']);
    expect(await poolVolumes()).toEqual(expect.arrayContaining(Object.values(orphanVolumes)));
    await driver.delete({ region: 'local', token: orphan });
    expect(await poolVolumes()).not.toEqual(expect.arrayContaining([orphanVolumes.diskVolume]));
    expect(await poolVolumes()).not.toEqual(expect.arrayContaining([orphanVolumes.seedVolume]));
  });

  it('a domain defined by hand appears in list() with no Tessera id, described by its shape and its disk', async () => {
    const odd = await host.defineForeign('hand-made-odd', { vcpus: 2, memoryMiB: 4096 });
    const tinyShaped = await host.defineForeign('hand-made-tiny', { vcpus: 1, memoryMiB: 256, start: true });
    const all = await listAll();
    const foreign = all.find((o) => o.externalId === odd);
    expect(foreign).toMatchObject({
      name: 'hand-made-odd',
      tesseraId: null,
      token: null,
      region: 'local',
      zone: 'kvm-a',
      flavor: 'custom-2x4',
      image: 'hand-made-odd.qcow2',
      state: 'stopped',
      kind: 'vm',
      labels: {},
    });
    expect(all.find((o) => o.externalId === tinyShaped)).toMatchObject({ tesseraId: null, flavor: 'tiny', image: 'hand-made-tiny.qcow2', state: 'running' });
    // Pages of two: every domain exactly once.
    expect(new Set(all.map((o) => o.externalId)).size).toBe(all.length);

    // Its description does not change with its power state (running, libvirt also shows the backing chain).
    await virsh(['start', odd]);
    expect(await driver.observe({ region: 'local', externalId: odd })).toMatchObject({ ...foreign, state: 'running' });
    await virsh(['destroy', odd]);
  });

  it('quota: maxDomains 1 allows one domain and refuses the next; the first create repeated still answers', async () => {
    const limited = await openLibvirtDriver('libvirt-quota', config({ maxDomains: 1 }));
    const first = await limited.create(request('quota-a'), 'tsr-i-quotaa-0');
    const refused = await expectClass(limited.create(request('quota-b'), 'tsr-i-quotab-0'), 'Quota', /holds 1 domain\(s\), its maxDomains: delete one, or raise maxDomains/);
    expect(refused.providerCode).toBe('DomainLimitExceeded');
    expect((await limited.create(request('quota-a'), 'tsr-i-quotaa-0')).externalId).toBe(first.externalId);
    // Placement sees it too: no room left in any offer of that provider; the unlimited one still has some.
    expect((await limited.offers()).every((o) => o.available === 0)).toBe(true);
    expect((await driver.offers()).find((o) => o.flavor === 'tiny')!.available).toBeGreaterThan(0);
  });

  it('capacity and validation: too much memory for the host is Capacity; an unknown zone, flavor or region is Invalid', async () => {
    await expectClass(driver.create(request('too-fat', { flavor: 'fat' }), 'tsr-i-toofat-0'), 'Capacity', /host 'kvm-a' has \d+ of \d+ MiB sellable memory free and flavor 'fat' needs 67108864 MiB/);
    await expectClass(driver.create(request('nowhere', { zone: 'kvm-z' }), 'tsr-i-nowhere-0'), 'Invalid', /zone 'kvm-z' is not a host of libvirt provider 'libvirt-test'; hosts: kvm-a/);
    await expectClass(driver.create(request('noflavor', { flavor: 'm5.large' }), 'tsr-i-noflavor-0'), 'Invalid', /valid flavors: tiny, fat/);
    await expectClass(driver.create(request('noregion', { region: 'eu-west-1' }), 'tsr-i-noregion-0'), 'Invalid', /its region is 'local'/);
  });

  it('power: off waits the grace for ACPI, then destroys; reboot is a hard reset; a missing domain is NotFound', async () => {
    const made = await driver.create(request('power'), 'tsr-i-power-0');
    const ref = { region: 'local', externalId: made.externalId };
    commands.length = 0;
    const started = Date.now();
    await driver.power(ref, 'off');
    const took = Date.now() - started;
    // No guest OS answers the ACPI request: the grace (1 s) runs out and the domain is destroyed.
    expect(took).toBeGreaterThanOrEqual(1000);
    expect(commands).toEqual(expect.arrayContaining(['shutdown', 'destroy']));
    expect((await virsh(['domstate', made.externalId, '--reason'])).trim()).toBe('shut off (destroyed)');
    expect((await driver.observe(ref))?.state).toBe('stopped');
    await expectClass(driver.power(ref, 'reboot'), 'Invalid', /is shut off; power it on instead of rebooting/);

    await driver.power(ref, 'on');
    expect((await driver.observe(ref))?.state).toBe('running');
    commands.length = 0;
    await driver.power(ref, 'reboot');
    expect(commands).toContain('reset');
    expect(commands).not.toContain('reboot');
    expect((await driver.observe(ref))?.state).toBe('running');

    await driver.delete(ref);
    await expectClass(driver.power(ref, 'on'), 'NotFound', /has no domain/);
  });

  it('delete removes the domain and both of its volumes, and leaves the base image alone', async () => {
    const made = await driver.create(request('doomed'), 'tsr-i-doomed-0');
    const { diskVolume, seedVolume } = volumesFor(made.externalId);
    expect(await poolVolumes()).toEqual(expect.arrayContaining([diskVolume, seedVolume]));
    await driver.delete({ region: 'local', externalId: made.externalId });
    expect(await driver.observe({ region: 'local', externalId: made.externalId })).toBeNull();
    expect((await exec('virsh', ['-c', host.uri, 'dominfo', made.externalId])).stderr).toMatch(/failed to get domain/);
    const left = await poolVolumes();
    expect(left).not.toContain(diskVolume);
    expect(left).not.toContain(seedVolume);
    expect((await exec('qemu-img', ['info', '-U', host.baseImage])).code).toBe(0);
  });

  it('a host that does not answer: list() fails rather than hiding its domains; offers and observe serve the other host', async () => {
    const made = await driver.create(request('two-hosts'), 'tsr-i-twohosts-0');
    const split = await openLibvirtDriver(
      'libvirt-test',
      config({ hosts: [{ name: 'kvm-a', uri: host.uri }, { name: 'kvm-down', uri: 'qemu:///system?socket=/nonexistent/libvirt-sock' }] }),
    );
    await expectClass(listAll(split), 'Retryable', /libvirt host 'kvm-down'/);
    const offers = await split.offers();
    expect(new Set(offers.map((o) => o.zone))).toEqual(new Set(['kvm-a']));
    expect((await split.regions())[0]).toMatchObject({ name: 'local', zones: ['kvm-a', 'kvm-down'] });
    expect(await split.observe({ region: 'local', externalId: made.externalId })).toMatchObject({ zone: 'kvm-a', state: 'running' });
    // Not on the host that answered: the silent one may hold it, so "gone" would be a guess.
    await expectClass(split.observe({ region: 'local', token: 'tsr-i-nowhere-0' }), 'Retryable');
  });
});
