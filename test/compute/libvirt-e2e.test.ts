import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Instance } from '../../src/core/instance.js';
import { volumesFor } from '../../src/providers/libvirt/domain-identity.js';
import { TESSERA_LIBVIRT_NS } from '../../src/providers/libvirt/tessera-metadata.js';
import type { ProviderConfig } from '../../src/providers/registry.js';
import { runCli } from '../cli/fixtures-cli.js';
import { eventually, startTestPlane, type TestPlane } from '../support/control-plane.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import { createLibvirtTestHost, exec, virsh, type LibvirtTestHost } from '../support/libvirtd.js';

/**
 * The libvirt provider from the top: a control plane configured with `type: libvirt` (through the registry, as
 * tessera.yaml would), driven by the CLI, against the system libvirtd. What the CLI reports is checked against
 * what `virsh` says.
 */

describe('libvirt end to end: control plane and CLI on qemu:///system', () => {
  let host: LibvirtTestHost;
  let tdb: TestDatabase;
  let t: TestPlane;
  let url: string;

  const cli = async (...args: string[]) => {
    const run = await runCli(args, { url });
    expect(run.code, `tessera ${args.join(' ')}\n${run.stderr}`).toBe(0);
    return run;
  };
  const instance = async (ref: string) => JSON.parse((await cli('instance', 'get', ref, '-o', 'json')).stdout) as Instance;
  const domstate = async (uuid: string) => (await virsh(['domstate', uuid])).trim();

  beforeAll(async () => {
    host = await createLibvirtTestHost();
    tdb = await createTestDatabase('sqlite');
    const provider: ProviderConfig = {
      name: 'kvm-local',
      type: 'libvirt',
      rateLimit: { perSecond: null, burst: 1 },
      config: {
        region: 'lab',
        hosts: [{ name: 'kvm-a', uri: host.uri }],
        pool: host.pool,
        images: [{ name: 'base', path: host.baseImage }],
        flavors: [
          { name: 'tiny', vcpus: 1, memoryGiB: 0.25, priceUsdPerHour: '0.002' },
          { name: 'small', vcpus: 1, memoryGiB: 1, priceUsdPerHour: '0.005' },
        ],
        domainType: 'qemu',
        overcommit: { cpu: 64 },
        shutdownGraceSeconds: 1,
      },
    };
    t = await startTestPlane(tdb, [provider], { controller: { pollMs: 100 } });
    url = await t.anonymous.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await t?.close();
    await tdb?.dispose();
    await host?.cleanup();
  });

  let v1: Instance;

  it('`tessera instance create v1 --provider kvm-local --vcpus 1 --memory 0.25 --image base --wait` → Running, and virsh runs it', async () => {
    const run = await cli('instance', 'create', 'v1', '--provider', 'kvm-local', '--vcpus', '1', '--memory', '0.25', '--image', 'base', '--wait');
    // The table shows the zone (the host) where there is one.
    expect(run.stdout).toMatch(/v1\s+default\s+kvm-local\s+kvm-a\s+tiny\s+Running/);
    expect(run.stderr).toMatch(/Running/);

    v1 = await instance('v1');
    expect(v1.spec).toMatchObject({ provider: 'kvm-local', region: 'lab', zone: 'kvm-a', flavor: 'tiny', image: 'base', managed: true });
    expect(v1.status).toMatchObject({ phase: 'Running', kind: 'vm' });
    expect(v1.status.scheduling?.reason).toMatch(/cheapest on-demand offer with at least 1 vCPU and 0.25 GiB: kvm-local\/lab\/tiny/);
    const uuid = v1.status.externalId!;
    expect((await virsh(['list', '--uuid'])).split('\n')).toContain(uuid);
    expect(await domstate(uuid)).toBe('running');
    expect(await virsh(['metadata', uuid, TESSERA_LIBVIRT_NS])).toContain(`id="${v1.id}"`);
  });

  it('stop, start and delete through the CLI: shut off, running, then no domain and no volumes', async () => {
    const uuid = v1.status.externalId!;
    expect((await cli('instance', 'stop', 'v1', '--wait')).stdout).toMatch(/Stopped/);
    expect(await domstate(uuid)).toBe('shut off');

    expect((await cli('instance', 'start', 'v1', '--wait')).stdout).toMatch(/Running/);
    expect(await domstate(uuid)).toBe('running');

    await cli('instance', 'delete', 'v1', '--wait');
    expect((await exec('virsh', ['-c', host.uri, 'dominfo', uuid])).stderr).toMatch(/failed to get domain/);
    for (const volume of Object.values(volumesFor(uuid))) expect(existsSync(join(host.pool.path, volume)), volume).toBe(false);
    const events = JSON.parse((await cli('events', '--resource', v1.id, '-o', 'json')).stdout) as { reason: string }[];
    const reasons = events.map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['Provisioning', 'Running', 'Stopped', 'Deleted']));
  });

  it('a domain defined with virsh appears as discovered after a sync; adopted, Tessera powers it; deleted, its own disk stays', async () => {
    const uuid = await host.defineForeign('legacy-db', { vcpus: 1, memoryMiB: 256, start: true });
    await t.cp.syncInventoryOnce();

    const listed = JSON.parse((await cli('instance', 'list', '--provider', 'kvm-local', '--all', '-o', 'json')).stdout) as Instance[];
    const found = listed.find((i) => i.status.externalId === uuid);
    expect(found, `legacy-db (${uuid}) is not among ${listed.map((i) => i.name).join(', ')}`).toBeDefined();
    expect(found!.spec).toMatchObject({ provider: 'kvm-local', managed: false, region: 'lab', zone: 'kvm-a', flavor: 'tiny', image: 'legacy-db.qcow2' });
    expect(found!.status).toMatchObject({ discovered: true, phase: 'Running' });
    expect(found!.name).toMatch(/^legacy-db-/);

    const adopted = await cli('instance', 'adopt', found!.id);
    expect(adopted.stdout).toContain(found!.id);
    expect((await instance(found!.id)).spec.managed).toBe(true);

    // Managed now: Tessera's stop reaches the domain (ACPI is not answered, so after the grace it is destroyed).
    await cli('instance', 'stop', found!.id, '--wait');
    expect(await domstate(uuid)).toBe('shut off');
    await eventually(async () => (await instance(found!.id)).status.phase === 'Stopped', 20_000, 'the adopted instance to be Stopped');

    await cli('instance', 'delete', found!.id, '--wait');
    expect((await exec('virsh', ['-c', host.uri, 'dominfo', uuid])).stderr).toMatch(/failed to get domain/);
    // Tessera removes only the volumes it made: the adopted domain's disk belongs to whoever made it.
    expect(existsSync(join(host.dir, 'images', 'legacy-db.qcow2'))).toBe(true);
  });
});
