import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Instance } from '../../src/core/instance.js';
import { runCli } from '../cli/fixtures-cli.js';
import { eventually, startTestPlane, type TestPlane } from '../support/control-plane.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import { dockerProvider, startDockerd, type PrivateDockerd } from '../support/dockerd.js';

/**
 * The docker provider end to end: a listening Tessera server with a `docker` provider on a private dockerd,
 * driven by the CLI, checked against what `docker` itself says. Runs on SQLite only: the store paths are the
 * same as with every provider (covered on both databases elsewhere); what is new here is the engine.
 */

describe('docker provider through the control plane and the CLI', () => {
  let dockerd: PrivateDockerd;
  let tdb: TestDatabase;
  let t: TestPlane;
  let url: string;

  beforeAll(async () => {
    [dockerd, tdb] = await Promise.all([startDockerd(), createTestDatabase('sqlite')]);
    t = await startTestPlane(tdb, [dockerProvider(dockerd)]);
    url = await t.anonymous.listen({ port: 0, host: '127.0.0.1' });
  }, 120_000);

  afterAll(async () => {
    await t?.close();
    await tdb?.dispose();
    await dockerd?.stop();
  }, 120_000);

  const cli = async (args: string[]) => {
    const run = await runCli(args, { url });
    if (run.code !== 0) throw new Error(`tessera ${args.join(' ')} exited ${run.code}: ${run.stderr}${run.stdout}`);
    return run.stdout;
  };
  const state = (id: string) => dockerd.docker(['inspect', '-f', '{{.State.Status}}', id]);
  const get = async (id: string) => JSON.parse((await t.app.inject({ method: 'GET', url: `/v1/instances/${id}` })).body) as Instance;

  it('creates c1 with --vcpus 1 --memory 0.25 on the docker provider; docker shows it running with Tessera labels; stop, start and delete reach docker', async () => {
    const created = JSON.parse(
      await cli(['instance', 'create', 'c1', '--provider', 'docker-local', '--vcpus', '1', '--memory', '0.25', '--image', dockerd.image, '--wait', '-o', 'json']),
    ) as Instance;
    expect(created.status.phase).toBe('Running');
    expect(created.status.kind).toBe('container');
    // The cheapest flavor with at least 1 vCPU and 0.25 GiB among the defaults (all priced 0): c1.small.
    expect(created.spec).toMatchObject({ provider: 'docker-local', region: 'local', zone: 'local', flavor: 'c1.small' });
    const containerId = created.status.externalId!;
    expect(created.status.addresses).toEqual([{ type: 'private', address: expect.stringMatching(new RegExp(`^${dockerd.subnet.replace(/0\/24$/, '').replace(/\./g, '\\.')}`)) }]);

    const ps = await dockerd.docker(['ps', '--no-trunc', '--format', '{{.ID}} {{.Names}} {{.Label "tessera.io/id"}} {{.Label "tessera.io/token"}} {{.Label "tessera.io/flavor"}}']);
    expect(ps.split('\n')).toEqual([`${containerId} tessera-c1-${created.id.slice(2, 10)} ${created.id} tsr-${created.id}-0 c1.small`]);

    await cli(['instance', 'stop', 'c1', '--wait']);
    expect(await state(containerId)).toBe('exited');
    expect((await get(created.id)).status.phase).toBe('Stopped');

    await cli(['instance', 'start', 'c1', '--wait']);
    expect(await state(containerId)).toBe('running');

    await cli(['instance', 'delete', 'c1', '--wait']);
    expect(await dockerd.docker(['ps', '-a', '-q', '--filter', `label=tessera.io/id=${created.id}`])).toBe('');
    expect((await get(created.id)).status.phase).toBe('Deleted');
  });

  it('a container started by hand with docker run shows up as discovered after an inventory sync, and can be adopted and then stopped by Tessera', async () => {
    const containerId = await dockerd.docker(['run', '-d', '--name', 'by-hand', '--cpus', '0.5', '--memory', '256m', '--label', 'team=data', dockerd.image]);
    await t.cp.syncInventoryOnce();

    const listed = JSON.parse(await cli(['instance', 'list', '--provider', 'docker-local', '--all', '-o', 'json'])) as Instance[];
    const found = listed.find((i) => i.status.externalId === containerId);
    expect(found).toBeDefined();
    expect(found!.spec).toMatchObject({ managed: false, flavor: 'c1.tiny', image: dockerd.image, zone: 'local' });
    expect(found!.status).toMatchObject({ discovered: true, phase: 'Running', kind: 'container' });
    expect(found!.labels).toEqual({ team: 'data' });

    const adopted = await runCli(['instance', 'adopt', found!.id], { url });
    expect(adopted.code).toBe(0);
    expect((await get(found!.id)).spec.managed).toBe(true);

    // Managed now: Tessera acts on it like on its own.
    await cli(['instance', 'stop', found!.id, '--wait']);
    expect(await state(containerId)).toBe('exited');
    await eventually(async () => (await get(found!.id)).status.phase === 'Stopped', 10_000, 'the adopted instance to be Stopped');
  });
});
