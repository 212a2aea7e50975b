import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProviderConfig } from '../../src/providers/registry.js';
import { runCli } from '../cli/fixtures-cli.js';
import { RedfishDouble } from '../doubles/redfish/server.js';
import { ipmiEnrollment, redfishEnrollment, testConfig } from '../support/baremetal-pool.js';
import { simProvider, signedIn, startTestPlane, type TestPlane } from '../support/control-plane.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases.js';
import { startIpmiSim, type IpmiSim } from '../support/ipmi-sim.js';

/**
 * The bare-metal pool through the API and the CLI, on both databases: enroll, list, inspect, retire; who may;
 * that no answer carries a BMC password. And end to end: an instance created with the CLI lands on an enrolled
 * machine, whose BMC (ipmi_sim) then says the power is on.
 */
describe.each(DIALECTS)('baremetal pool API and CLI (%s)', (dialect) => {
  let tdb: TestDatabase;
  let t: TestPlane;
  let url: string;
  let scratch: string;
  let sims: IpmiSim[] = [];
  let redfish: RedfishDouble;
  const REDFISH_PASSWORD = `rf-${dialect}-pw-never-shown`;
  const passwords = () => [...sims.map((s) => s.password), REDFISH_PASSWORD];

  const expectNoSecret = (text: string) => {
    for (const p of passwords()) expect(text).not.toContain(p);
  };

  beforeAll(async () => {
    tdb = await createTestDatabase(dialect);
    scratch = mkdtempSync(join(tmpdir(), 'tessera-bm-api-'));
    sims = await Promise.all([0, 1, 2].map((i) => startIpmiSim({ name: `api-bmc${i}`, password: `ipmi-${dialect}-${i}-pw` })));
    redfish = await RedfishDouble.start({ systems: [{ id: '1', cpus: 16, memoryGiB: 64, powerState: 'On' }], password: REDFISH_PASSWORD });
    const hook = join(scratch, 'provision.sh');
    writeFileSync(hook, `#!/bin/sh\ncat > "${scratch}/user-data.$TESSERA_MACHINE"\n`);
    chmodSync(hook, 0o755);
    const bm: ProviderConfig = { name: 'bm', type: 'baremetal', rateLimit: { perSecond: null, burst: 1 }, config: { ...testConfig(), provisioning: { command: [hook] } } };
    t = await startTestPlane(tdb, [bm, simProvider('side')]);
    url = await t.anonymous.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all(sims.map((s) => s.dispose()));
    await redfish?.close();
    await tdb?.dispose();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('enrolls IPMI and Redfish machines, lists and inspects them; no answer (nor the audit log) carries a password', async () => {
    const ipmi = await t.app.inject({ method: 'POST', url: '/v1/baremetal/bm/machines', payload: ipmiEnrollment('api-0', sims[0]!, 0) });
    expect(ipmi.statusCode, ipmi.body).toBe(201);
    expect(JSON.parse(ipmi.body)).toMatchObject({ name: 'api-0', state: 'available', flavors: ['bm.small'], bmc: { protocol: 'ipmi' }, lastPower: { state: 'off' } });
    const rf = await t.app.inject({ method: 'POST', url: '/v1/baremetal/bm/machines', payload: redfishEnrollment('api-rf', redfish, '1', REDFISH_PASSWORD, 5, 'rack-b') });
    expect(rf.statusCode, rf.body).toBe(201);
    expect(JSON.parse(rf.body)).toMatchObject({ bmc: { protocol: 'redfish', systemId: '1', certificateFingerprint: expect.stringMatching(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/) }, lastPower: { state: 'on' } });

    const list = await t.app.inject({ method: 'GET', url: '/v1/baremetal/bm/machines' });
    expect(JSON.parse(list.body).items.map((m: { name: string }) => m.name)).toEqual(['api-0', 'api-rf']);
    const inspect = await t.app.inject({ method: 'GET', url: '/v1/baremetal/bm/machines/api-rf' });
    expect(JSON.parse(inspect.body)).toMatchObject({ name: 'api-rf', live: { powerState: 'on', error: null } });
    const regions = await t.app.inject({ method: 'GET', url: '/v1/regions?provider=bm' });
    expect(JSON.parse(regions.body).items[0]).toMatchObject({ name: 'dc1', zones: ['rack-a', 'rack-b'] });
    const offers = await t.app.inject({ method: 'GET', url: '/v1/offers?provider=bm' });
    expect(JSON.parse(offers.body).items.find((o: { flavor: string }) => o.flavor === 'bm.small')).toMatchObject({ kind: 'baremetal', available: 2 });

    const wrong = await t.app.inject({ method: 'POST', url: '/v1/baremetal/bm/machines', payload: { ...ipmiEnrollment('api-x', sims[2]!, 2), bmc: { protocol: 'ipmi', endpoint: `127.0.0.1:${sims[2]!.port}`, username: 'admin', password: 'wrong-one' } } });
    expect(wrong.statusCode).toBe(400);
    expect(JSON.parse(wrong.body).error.message).toMatch(/refused the credentials/);
    const dup = await t.app.inject({ method: 'POST', url: '/v1/baremetal/bm/machines', payload: ipmiEnrollment('api-0', sims[1]!, 1) });
    expect(dup.statusCode).toBe(409);
    const bad = await t.app.inject({ method: 'POST', url: '/v1/baremetal/bm/machines', payload: { ...ipmiEnrollment('Bad_Name', sims[1]!), rack: 'x' } });
    expect(bad.statusCode).toBe(400);
    expect(JSON.parse(bad.body).error.message).toMatch(/body\.name: a machine name is lowercase/);
    expect((await t.app.inject({ method: 'GET', url: '/v1/baremetal/nope/machines' })).statusCode).toBe(404);
    const notPool = await t.app.inject({ method: 'GET', url: '/v1/baremetal/side/machines' });
    expect(notPool.statusCode).toBe(400);
    expect(JSON.parse(notPool.body).error.message).toMatch(/only baremetal providers have a machine pool: use one of bm/);
    expect((await t.app.inject({ method: 'GET', url: '/v1/baremetal/bm/machines/ghost' })).statusCode).toBe(404);

    const retired = await t.app.inject({ method: 'DELETE', url: '/v1/baremetal/bm/machines/api-rf' });
    expect(retired.statusCode, retired.body).toBe(200);
    const audit = await t.app.inject({ method: 'GET', url: '/v1/audit?action=baremetal.*' });
    const entries = JSON.parse(audit.body).items as { action: string; result: string; resourceId: string }[];
    expect(entries.map((e) => `${e.action}:${e.result}:${e.resourceId}`)).toEqual(expect.arrayContaining(['baremetal.enroll:success:bm/api-0', 'baremetal.retire:success:api-rf']));
    for (const body of [ipmi.body, rf.body, list.body, inspect.body, wrong.body, dup.body, retired.body, audit.body]) expectNoSecret(body);
  });

  it('a viewer (or an operator) can neither enroll nor look at the pool: 403', async () => {
    const name = `bm-viewer-${dialect}`;
    await t.app.inject({ method: 'POST', url: '/v1/service-accounts', payload: { name } });
    await t.app.inject({ method: 'PUT', url: `/v1/projects/default/members/${name}`, payload: { role: 'operator' } });
    const token = JSON.parse((await t.app.inject({ method: 'POST', url: '/v1/tokens', payload: { name: 'try', principal: name } })).body).secret as string;
    const as = signedIn(t.anonymous, token);
    const enroll = await as.inject({ method: 'POST', url: '/v1/baremetal/bm/machines', payload: ipmiEnrollment('sneaky', sims[2]!, 2) });
    expect(enroll.statusCode).toBe(403);
    expect(JSON.parse(enroll.body).error.message).toMatch(/organisation admin/);
    expect((await as.inject({ method: 'GET', url: '/v1/baremetal/bm/machines' })).statusCode).toBe(403);
    const cli = await runCli(['baremetal', 'list', '--provider', 'bm'], { url, env: { TESSERA_TOKEN: token } });
    expect(cli.code).toBe(1);
    expect(cli.stderr).toMatch(/HTTP 403/);
  });

  it('the CLI: baremetal enroll (password from a file or the environment), list, inspect; the password is never printed', async () => {
    const passwordFile = join(scratch, 'bmc-password');
    writeFileSync(passwordFile, `${sims[1]!.password}\n`, { mode: 0o600 });
    const enroll = await runCli(
      ['baremetal', 'enroll', 'cli-1', '--provider', 'bm', '--rack', 'rack-a', '--cpus', '8', '--memory', '32', '--disk', '480', '--disk', '960', '--nic', '52:54:00:aa:00:01=10.1.0.7', '--bmc', `ipmi://127.0.0.1:${sims[1]!.port}`, '--username', 'admin', '--password-file', passwordFile],
      { url },
    );
    expect(enroll.code, enroll.stderr).toBe(0);
    expect(enroll.stdout).toMatch(/cli-1\s+rack-a\s+available\s+8\s+32 GiB\s+480 GiB \+ 960 GiB\s+bm\.small/);
    const noPassword = await runCli(['baremetal', 'enroll', 'cli-2', '--provider', 'bm', '--rack', 'rack-a', '--cpus', '8', '--memory', '32', '--bmc', `ipmi://127.0.0.1:${sims[2]!.port}`, '--username', 'admin'], { url });
    expect(noPassword.code).toBe(2);
    expect(noPassword.stderr).toMatch(/--password-file FILE or \$TESSERA_BMC_PASSWORD/);
    const fromEnv = await runCli(['baremetal', 'enroll', 'cli-2', '--provider', 'bm', '--rack', 'rack-b', '--cpus', '8', '--memory', '32', '--bmc', `ipmi://127.0.0.1:${sims[2]!.port}`, '--username', 'admin', '-o', 'json'], {
      url,
      env: { TESSERA_BMC_PASSWORD: sims[2]!.password },
    });
    expect(fromEnv.code, fromEnv.stderr).toBe(0);
    expect(JSON.parse(fromEnv.stdout)).toMatchObject({ name: 'cli-2', rack: 'rack-b', state: 'available' });
    const list = await runCli(['baremetal', 'list', '--provider', 'bm', '-o', 'json'], { url });
    expect((JSON.parse(list.stdout) as { name: string }[]).map((m) => m.name)).toEqual(['api-0', 'cli-1', 'cli-2']);
    const inspect = await runCli(['baremetal', 'inspect', 'cli-1', '--provider', 'bm'], { url });
    expect(inspect.code, inspect.stderr).toBe(0);
    expect(inspect.stdout).toMatch(/POWER NOW\s+off/);
    expect(inspect.stdout).toMatch(/NICS\s+52:54:00:aa:00:01 \(10\.1\.0\.7\)/);
    for (const out of [enroll, noPassword, fromEnv, list, inspect]) expectNoSecret(out.stdout + out.stderr);
  });

  it('end to end: tessera instance create b1 --provider bm --flavor bm.small --wait → Running, and ipmitool says the power is on', async () => {
    const userData = join(scratch, 'user-data.yaml');
    writeFileSync(userData, '#cloud-config\nhostname: b1\n');
    const create = await runCli(['instance', 'create', 'b1', '--provider', 'bm', '--flavor', 'bm.small', '--user-data-file', userData, '--wait', '--timeout', '60'], { url });
    expect(create.code, create.stderr + create.stdout).toBe(0);
    expect(create.stdout).toMatch(/Running/);
    const got = JSON.parse((await runCli(['instance', 'get', 'b1', '-o', 'json'], { url })).stdout) as { status: { externalId: string; phase: string } };
    const machine = got.status.externalId.split('@')[0]!;
    const sim = { 'api-0': sims[0], 'cli-1': sims[1], 'cli-2': sims[2] }[machine]!;
    expect(await sim.ipmitool(['chassis', 'power', 'status'])).toMatch(/Chassis Power is on/);
    expect(sim.journal()).toEqual(expect.arrayContaining(['boot pxe', 'power 1']));
    expect(readFileSync(join(scratch, `user-data.${machine}`), 'utf8')).toBe('#cloud-config\nhostname: b1\n');
    const listed = await runCli(['baremetal', 'list', '--provider', 'bm', '-o', 'json'], { url });
    expect((JSON.parse(listed.stdout) as { name: string; state: string; allocation: { instanceName: string } | null }[]).find((m) => m.name === machine)).toMatchObject({ state: 'allocated', allocation: { instanceName: 'b1' } });
    const retire = await runCli(['baremetal', 'retire', machine, '--provider', 'bm'], { url });
    expect(retire.code).toBe(1);
    expect(retire.stderr).toMatch(/delete that instance first/);

    const del = await runCli(['instance', 'delete', 'b1', '--wait', '--timeout', '60'], { url });
    expect(del.code, del.stderr + del.stdout).toBe(0);
    expect(await sim.ipmitool(['chassis', 'power', 'status'])).toMatch(/Chassis Power is off/);
  });
});
