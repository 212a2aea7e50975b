import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ProviderError, type ErrorClass } from '../../src/providers/driver.js';
import type { BaremetalConfigInput } from '../../src/providers/baremetal/config.js';
import { createBaremetalDriver, type BaremetalDriver } from '../../src/providers/baremetal/driver.js';
import { RedfishDouble } from '../doubles/redfish/server.js';
import { bareMetalRequest, ipmiEnrollment, redfishEnrollment, testConfig, testSecretBox } from '../support/baremetal-pool.js';
import { freeUdpPort, startIpmiSim, type IpmiSim } from '../support/ipmi-sim.js';

/** What the baremetal driver promises beyond the conformance suite, against ipmi_sim and the Redfish double. */

const secrets = testSecretBox();
let dataDir: string;
let scratch: string;
const sims: IpmiSim[] = [];
const drivers: BaremetalDriver[] = [];
let counter = 0;

async function rejection(p: Promise<unknown>, cls: ErrorClass): Promise<ProviderError> {
  const e = await p.then(
    () => null,
    (error: unknown) => error,
  );
  if (!(e instanceof ProviderError)) throw new Error(`expected a ProviderError(${cls}), got ${String(e)}`);
  if (e.errorClass !== cls) throw new Error(`expected ${cls}, got ${e.errorClass}: ${e.message}`);
  return e;
}

/** A driver with a pool of its own (a fresh provider name each time) over `machines` new ipmi_sim BMCs. */
async function ipmiPool(machines: number, config: Partial<BaremetalConfigInput> = {}, now?: () => number) {
  const name = `bm-${++counter}`;
  const own = await Promise.all(Array.from({ length: machines }, (_, i) => startIpmiSim({ name: `${name}-bmc${i}`, password: `${name}-secret-${i}` })));
  sims.push(...own);
  const driver = await createBaremetalDriver(name, testConfig(config), { dataDir, secrets, now });
  drivers.push(driver);
  for (const [i, sim] of own.entries()) await driver.enroll(ipmiEnrollment(`${name}-node-${i}`, sim, i));
  return { name, driver, sims: own };
}

/** A hook script that records what it was given (stdin, environment) and exits with the code in `exitFile`. */
function recordingHook(tag: string): { command: string[]; stdin: () => string; env: () => Record<string, string>; exitWith: (code: number) => void } {
  const dir = mkdtempSync(join(scratch, `${tag}-`));
  const script = join(dir, 'hook.sh');
  writeFileSync(script, `#!/bin/sh\ncat > "${dir}/stdin"\nenv > "${dir}/env"\necho "hook says: disk /dev/sda missing" >&2\nexit $(cat "${dir}/exit" 2>/dev/null || echo 0)\n`);
  chmodSync(script, 0o755);
  return {
    command: [script],
    stdin: () => readFileSync(join(dir, 'stdin'), 'utf8'),
    env: () => Object.fromEntries(readFileSync(join(dir, 'env'), 'utf8').trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)])),
    exitWith: (code) => writeFileSync(join(dir, 'exit'), String(code)),
  };
}

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'tessera-bm-'));
  scratch = mkdtempSync(join(tmpdir(), 'tessera-bm-hooks-'));
});
afterEach(async () => {
  for (const d of drivers.splice(0)) await d.close();
  await Promise.all(sims.splice(0).map((s) => s.dispose()));
});
afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

describe('baremetal driver', () => {
  it('create sets the next boot to PXE before powering on, and hands the provisioning hook the user-data and the machine', async () => {
    const hook = recordingHook('provision');
    const { driver, sims: [sim] } = await ipmiPool(1, { provisioning: { command: hook.command } });
    const req = bareMetalRequest('boot', { userData: '#cloud-config\nusers: [{name: ops}]\n' });
    const created = await driver.create(req, 'tsr-boot-0');
    expect(created).toMatchObject({ kind: 'baremetal', state: 'running', zone: 'rack-a', addresses: [{ type: 'private', address: '10.0.0.10' }] });
    // ipmi_sim's chassis journal: the boot device went to PXE, then the power came on — in that order.
    expect(sim!.journal()).toEqual(['boot pxe', 'power 1']);
    expect(sim!.bootFile()).toBe('pxe');
    expect(await sim!.ipmitool(['chassis', 'power', 'status'])).toMatch(/Chassis Power is on/);
    expect(hook.stdin()).toBe(req.userData);
    const env = hook.env();
    expect(env).toMatchObject({ TESSERA_HOOK_EVENT: 'provision', TESSERA_MACHINE: created.externalId.split('@')[0], TESSERA_MACS: '52:54:00:00:00:00', TESSERA_IMAGE: 'ubuntu-24.04', TESSERA_INSTANCE_ID: req.tesseraId, TESSERA_BOOT_DEVICE: 'pxe' });
    expect(JSON.parse(env.TESSERA_FACTS!)).toMatchObject({ cpus: 8, memoryGiB: 32 });
    // The hook inherits nothing of Tessera's environment (which may hold TESSERA_SECRET_KEY), nor the BMC login.
    expect(Object.keys(env).filter((k) => !k.startsWith('TESSERA_') && !['PATH', 'PWD', 'SHLVL', '_'].includes(k))).toEqual([]);
    expect(JSON.stringify(env)).not.toContain(sim!.password);
  });

  it('Redfish: a one-time Pxe override is PATCHed before the Reset On; bootDevice disk boots from Hdd', async () => {
    const password = 'redfish-boot-pw';
    const bmc = await RedfishDouble.start({ systems: [{ id: 'A', cpus: 8, memoryGiB: 32 }, { id: 'B', cpus: 8, memoryGiB: 32 }], password });
    try {
      const pxe = await createBaremetalDriver(`bm-${++counter}`, testConfig(), { dataDir, secrets });
      const disk = await createBaremetalDriver(`bm-${++counter}`, testConfig({ bootDevice: 'disk' }), { dataDir, secrets });
      drivers.push(pxe, disk);
      await pxe.enroll(redfishEnrollment('rf-a', bmc, 'A', password));
      await disk.enroll(redfishEnrollment('rf-b', bmc, 'B', password, 1));
      await pxe.create(bareMetalRequest('rfpxe'), 'tsr-rfpxe-0');
      await disk.create(bareMetalRequest('rfdisk'), 'tsr-rfdisk-0');
      expect(bmc.system('A').journal).toEqual(['boot Pxe Once', 'reset On', 'power On']);
      expect(bmc.system('B').journal).toEqual(['boot Hdd Once', 'reset On', 'power On']);
    } finally {
      await bmc.close();
    }
  });

  it('concurrent creates get different machines, also from two drivers sharing the pool file (two processes); one too many is Capacity', async () => {
    const { name, driver } = await ipmiPool(3);
    const other = await createBaremetalDriver(name, testConfig(), { dataDir, secrets });
    drivers.push(other);
    const results = await Promise.allSettled(
      ['c1', 'c2', 'c3', 'c4'].map((n, i) => (i % 2 === 0 ? driver : other).create(bareMetalRequest(n), `tsr-${n}-0`)),
    );
    const made = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failed = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as ProviderError] : []));
    expect(made).toHaveLength(3);
    expect(new Set(made.map((m) => m.externalId.split('@')[0])).size).toBe(3);
    expect(failed).toHaveLength(1);
    expect(failed[0]!.errorClass).toBe('Capacity');
    expect(failed[0]!.message).toMatch(/no free machine .* satisfies bm\.small \(≥ 8 CPUs, ≥ 32 GiB memory, x86_64\): 3 would \(3 allocated, 0 unreachable\)/);
    expect((await driver.offers()).find((o) => o.flavor === 'bm.small')?.available).toBe(0);
  });

  it('a BMC that stops answering marks its machine unreachable (kept, with since and last error), never picked; it recovers when the BMC answers', async () => {
    const { driver, sims: bmcs } = await ipmiPool(2);
    const req = bareMetalRequest('dark');
    const created = await driver.create(req, 'tsr-dark-0');
    const names = driver.machines().map((m) => m.name);
    const machine = created.externalId.split('@')[0]!;
    const idleName = names.find((n) => n !== machine)!;
    const held = bmcs[names.indexOf(machine)]!;
    await Promise.all(bmcs.map((b) => b.stop()));
    const e = await rejection(driver.observe({ region: 'dc1', externalId: created.externalId }), 'Retryable');
    expect(e.message).toMatch(/did not answer "chassis power status".*will be retried/);
    const view = driver.machines().find((m) => m.name === machine)!;
    expect(view.state).toBe('unreachable');
    expect(view.allocation?.tesseraId).toBe(req.tesseraId);
    expect(view.unreachable).toMatchObject({ since: expect.any(String), lastError: expect.stringContaining('did not answer') });
    const since = view.unreachable!.since;
    // The listing keeps it, at its last known state, rather than failing the whole inventory.
    const listed = [];
    for await (const page of driver.list()) listed.push(...page);
    expect(listed.map((o) => o.externalId)).toEqual([created.externalId]);
    expect(listed[0]!.state).toBe('running');
    // The other machine is found silent when inspected, and is not handed out: Capacity, not a dead machine.
    const inspected = await driver.inspect(idleName);
    expect(inspected).toMatchObject({ state: 'unreachable', live: { powerState: null, error: expect.stringContaining('did not answer') } });
    const capacity = await rejection(driver.create(bareMetalRequest('dark2'), 'tsr-dark2-0'), 'Capacity');
    expect(capacity.message).toMatch(/: 2 would \(0 allocated, 2 unreachable\); .*bring their BMCs back/);
    await rejection(driver.observe({ region: 'dc1', externalId: created.externalId }), 'Retryable');
    expect(driver.machines().find((m) => m.name === machine)!.unreachable!.since).toBe(since);
    await held.restart();
    expect((await driver.observe({ region: 'dc1', externalId: created.externalId }))?.state).toBe('running');
    expect(driver.machines().find((m) => m.name === machine)).toMatchObject({ state: 'allocated', unreachable: null });
  });

  it('a failing provisioning hook gives the machine back with the failure on record: exit 75 is Retryable, others Invalid', async () => {
    const hook = recordingHook('failing');
    const { driver, sims: [sim] } = await ipmiPool(1, { provisioning: { command: hook.command } });
    hook.exitWith(1);
    const invalid = await rejection(driver.create(bareMetalRequest('hook1'), 'tsr-hook1-0'), 'Invalid');
    expect(invalid.message).toMatch(/the provision hook .* failed \(exit 1\): hook says: disk \/dev\/sda missing — fix what it reports/);
    const [record] = driver.machines();
    expect(record).toMatchObject({ state: 'available', allocation: null, lastFailure: { step: 'create: provisioning hook', tesseraId: bareMetalRequest('hook1').tesseraId } });
    expect(sim!.powerFile()).toBe('0'); // the hook runs before power-on: nothing was left running
    expect(await driver.observe({ region: 'dc1', token: 'tsr-hook1-0' })).toBeNull();
    hook.exitWith(75);
    await rejection(driver.create(bareMetalRequest('hook2'), 'tsr-hook2-0'), 'Retryable');
    hook.exitWith(0);
    expect((await driver.create(bareMetalRequest('hook2'), 'tsr-hook2-0')).state).toBe('running');
  });

  it('delete powers off, runs the wipe hook and frees the machine; the next instance on it has a new external id', async () => {
    const wipe = recordingHook('wipe');
    const { driver, sims: [sim] } = await ipmiPool(1, { wipe: { command: wipe.command } });
    const first = await driver.create(bareMetalRequest('del1'), 'tsr-del1-0');
    await driver.delete({ region: 'dc1', externalId: first.externalId });
    expect(sim!.powerFile()).toBe('0');
    expect(wipe.env()).toMatchObject({ TESSERA_HOOK_EVENT: 'wipe', TESSERA_INSTANCE_ID: first.tesseraId });
    expect(wipe.stdin()).toBe('');
    expect(driver.machines()[0]).toMatchObject({ state: 'available', allocation: null });
    await driver.delete({ region: 'dc1', externalId: first.externalId });
    const second = await driver.create(bareMetalRequest('del2'), 'tsr-del2-0');
    expect(second.externalId.split('@')[0]).toBe(first.externalId.split('@')[0]);
    expect(second.externalId).not.toBe(first.externalId);
    expect(await driver.observe({ region: 'dc1', externalId: first.externalId })).toBeNull();
    // A wipe that fails keeps the machine allocated: the next tenant must not get the last one's disks.
    wipe.exitWith(1);
    await rejection(driver.delete({ region: 'dc1', externalId: second.externalId }), 'Invalid');
    expect(driver.machines()[0]).toMatchObject({ state: 'allocated', lastFailure: { step: 'delete: wipe hook' } });
  });

  /** A driver whose create hangs in a slow hook, and another "process" on the same pool an hour later. */
  async function abandonedCreate(token: string) {
    const slow = recordingHook('slow');
    const dir = join(slow.command[0]!, '..');
    writeFileSync(join(dir, 'hook2.sh'), `#!/bin/sh\nsleep 2\nexec "${slow.command[0]}"\n`);
    chmodSync(join(dir, 'hook2.sh'), 0o755);
    const config = { provisioning: { command: [join(dir, 'hook2.sh')], timeoutSeconds: 30 } };
    const { name, driver: dying, sims: [sim] } = await ipmiPool(1, config);
    const outcome = dying.create(bareMetalRequest(token), `tsr-${token}-0`).then(
      () => null,
      (error: unknown) => error,
    );
    await new Promise((r) => setTimeout(r, 300));
    // Another process, an hour later: the first create is long past its budget (hook timeout + BMC calls).
    const later = await createBaremetalDriver(name, testConfig(config), { dataDir, secrets, now: () => Date.now() + 3600_000 });
    drivers.push(later);
    return { sim: sim!, later, outcome };
  }

  it('a create left unfinished by a process that died is taken over by the next create with its token', async () => {
    const { sim, later, outcome } = await abandonedCreate('crash');
    const finished = await later.create(bareMetalRequest('crash'), 'tsr-crash-0');
    expect(finished.state).toBe('running');
    // The old create wakes up to find the machine is no longer its own, and leaves its power alone.
    expect(await outcome).toMatchObject({ errorClass: 'Retryable', providerCode: 'AllocationLost' });
    expect(later.machines()[0]).toMatchObject({ state: 'allocated', lastFailure: null, allocation: { externalId: finished.externalId } });
    expect(sim.journal().filter((l) => l.startsWith('power'))).toEqual(['power 1']);
  });

  it('an abandoned create is released when looked for by its token, with the reason on the machine', async () => {
    const { later, outcome } = await abandonedCreate('reap');
    expect(await later.observe({ region: 'dc1', token: 'tsr-reap-0' })).toBeNull();
    expect(later.machines()[0]).toMatchObject({ state: 'available', allocation: null, lastFailure: { step: 'create: abandoned', message: expect.stringMatching(/never finished/) } });
    expect(await outcome).toMatchObject({ errorClass: 'Retryable', providerCode: 'AllocationLost' });
    expect(later.machines()[0]!.allocation).toBeNull();
  });

  it('BMC logins are sealed in the pool file: no file of the pool holds the password or the username, and no view shows them', async () => {
    const { name, driver, sims: pool } = await ipmiPool(2);
    await driver.create(bareMetalRequest('seal'), 'tsr-seal-0');
    const dir = join(dataDir, 'baremetal');
    const files = readdirSync(dir).filter((f) => f.startsWith(`${name}.db`));
    expect(files).toContain(`${name}.db`);
    const bytes = Buffer.concat(files.map((f) => readFileSync(join(dir, f))));
    expect(bytes.length).toBeGreaterThan(0);
    for (const sim of pool) {
      expect(bytes.includes(Buffer.from(sim.password))).toBe(false);
      expect(bytes.includes(Buffer.from(sim.username))).toBe(false);
    }
    expect(bytes.includes(Buffer.from('v1:'))).toBe(true); // the sealed form is there
    const shown = JSON.stringify([driver.machines(), await driver.inspect(`${name}-node-0`)]);
    for (const sim of pool) expect(shown).not.toContain(sim.password);
    expect(shown).not.toContain('"username"');
  });

  it('enrollment: a refused login is not enrolled; a silent BMC is enrolled unreachable; one BMC cannot be enrolled twice', async () => {
    const { driver, sims: [sim] } = await ipmiPool(1);
    const spare = await startIpmiSim({ name: 'spare' });
    sims.push(spare);
    const wrong = { ...ipmiEnrollment('wrong-pw', spare), bmc: { protocol: 'ipmi' as const, endpoint: `${spare.host}:${spare.port}`, username: 'admin', password: 'not-it' } };
    const refused = await rejection(driver.enroll(wrong), 'Invalid');
    expect(refused.message).toMatch(/refused the credentials/);
    expect(driver.machines().map((m) => m.name)).not.toContain('wrong-pw');
    await expect(driver.enroll(ipmiEnrollment('again', sim!))).rejects.toThrow(/already enrolled as machine bm-\d+-node-0: one BMC drives one machine/);
    const deadPort = await freeUdpPort();
    const silent = await driver.enroll({ ...ipmiEnrollment('silent', sim!), bmc: { protocol: 'ipmi', endpoint: `127.0.0.1:${deadPort}`, username: 'admin', password: 'x' } });
    expect(silent).toMatchObject({ state: 'unreachable', unreachable: { lastError: expect.stringContaining('did not answer') } });
    expect((await driver.regions())[0]!.zones).toEqual(['rack-a']);
    expect(() => driver.retire('nope')).toThrow(/has no machine nope/);
    expect(driver.retire('silent').name).toBe('silent');
  });
});
