import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderError, type ErrorClass } from '../../src/providers/driver.js';
import { DEFAULT_IPMI_SETTINGS, IpmiBmc } from '../../src/providers/baremetal/ipmi.js';
import { DEFAULT_REDFISH_SETTINGS, RedfishBmc, type RedfishSettings } from '../../src/providers/baremetal/redfish.js';
import { createBmcCertificate } from '../doubles/redfish/certificate.js';
import { RedfishDouble } from '../doubles/redfish/server.js';
import { freeUdpPort, startIpmiSim, type IpmiSim } from '../support/ipmi-sim.js';

/** The two BMC clients against real protocol engines: ipmitool ↔ ipmi_sim, and undici ↔ the Redfish double. */

const OWNER = { provider: 'bm-test', machine: 'node-1' };

async function rejection(p: Promise<unknown>, cls: ErrorClass): Promise<ProviderError> {
  const e = await p.then(
    () => null,
    (error: unknown) => error,
  );
  if (!(e instanceof ProviderError)) throw new Error(`expected a ProviderError(${cls}), got ${String(e)}`);
  if (e.errorClass !== cls) throw new Error(`expected ${cls}, got ${e.errorClass}: ${e.message}`);
  return e;
}

async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('IPMI client (ipmitool -I lanplus ↔ ipmi_sim)', () => {
  let sim: IpmiSim;
  const bmc = (password = sim.password) => new IpmiBmc({ host: sim.host, port: sim.port }, { username: sim.username, password }, DEFAULT_IPMI_SETTINGS, OWNER);

  beforeAll(async () => {
    sim = await startIpmiSim({ password: 'hunter2-ipmi' });
  });
  afterAll(async () => {
    await sim?.dispose();
  });

  it('reads and changes power, and sets the next boot device (one-time or persistent)', async () => {
    expect(await bmc().powerState()).toBe('off');
    await bmc().setNextBoot('pxe');
    expect(sim.bootFile()).toBe('pxe');
    await bmc().power('on');
    expect(await bmc().powerState()).toBe('on');
    expect(sim.powerFile()).toBe('1');
    await bmc().power('cycle');
    await until(async () => (await bmc().powerState()) === 'on');
    await bmc().setNextBoot('disk', { persistent: true });
    expect(sim.bootFile()).toBe('default'); // ipmi_sim's word for "boot from the default hard drive"
    expect(await bmc().chassisPower('reset')).toMatch(/Reset/);
    await bmc().power('off');
    expect(await bmc().powerState()).toBe('off');
    expect(sim.journal()).toEqual(expect.arrayContaining(['boot pxe', 'power 1', 'power 0']));
  });

  it('a refused password is Invalid with advice, and the message never quotes the password', async () => {
    const e = await rejection(bmc('not-the-password').powerState(), 'Invalid');
    expect(e.providerCode).toBe('BmcAuthFailed');
    expect(e.message).toMatch(/refused the credentials of user "admin".*enroll it again/);
    expect(e.message).not.toContain('not-the-password');
  });

  it('a BMC that does not answer is Retryable, within the configured timeout', async () => {
    const deadPort = await freeUdpPort();
    const started = Date.now();
    const e = await rejection(new IpmiBmc({ host: '127.0.0.1', port: deadPort }, { username: 'admin', password: 'x' }, { ...DEFAULT_IPMI_SETTINGS, timeoutSeconds: 1, retries: 1 }, OWNER).powerState(), 'Retryable');
    expect(e.providerCode).toBe('BmcUnreachable');
    expect(e.message).toContain(`ipmi://127.0.0.1:${deadPort}`);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('the password reaches ipmitool through IPMI_PASSWORD (-E), never through argv', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-fake-ipmitool-'));
    try {
      const fake = join(dir, 'ipmitool');
      writeFileSync(fake, `#!/bin/sh\nprintf '%s\\n' "$@" > "${dir}/argv"\nprintf '%s' "$IPMI_PASSWORD" > "${dir}/env"\necho "Chassis Power is on"\n`);
      chmodSync(fake, 0o755);
      const client = new IpmiBmc({ host: '10.0.0.5', port: 623 }, { username: 'root', password: 'pa$$ word' }, { ...DEFAULT_IPMI_SETTINGS, ipmitool: fake }, OWNER);
      expect(await client.powerState()).toBe('on');
      const argv = readFileSync(join(dir, 'argv'), 'utf8').split('\n');
      expect(argv).toEqual(expect.arrayContaining(['-I', 'lanplus', '-H', '10.0.0.5', '-p', '623', '-U', 'root', '-E', 'chassis', 'power', 'status']));
      expect(argv.join(' ')).not.toContain('pa$$');
      expect(argv).not.toContain('-P');
      expect(readFileSync(join(dir, 'env'), 'utf8')).toBe('pa$$ word');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a missing ipmitool is Invalid and says how to install it', async () => {
    const client = new IpmiBmc({ host: sim.host, port: sim.port }, { username: 'admin', password: 'x' }, { ...DEFAULT_IPMI_SETTINGS, ipmitool: '/nonexistent/ipmitool' }, OWNER);
    const e = await rejection(client.powerState(), 'Invalid');
    expect(e.message).toMatch(/apt-get install ipmitool/);
  });
});

describe('Redfish client (undici ↔ the Redfish double over HTTPS)', () => {
  let double: RedfishDouble;
  const credentials = { username: 'admin', password: 'hunter2-redfish' };
  const settings: RedfishSettings = { ...DEFAULT_REDFISH_SETTINGS, timeoutMs: 1_500 };
  const clients: RedfishBmc[] = [];
  const bmc = (systemId: string | null = '1', over: Partial<{ password: string; caPem: string; settings: RedfishSettings; url: string }> = {}) => {
    const client = new RedfishBmc(
      { baseUrl: over.url ?? double.url, systemId, caPem: over.caPem ?? double.caPem },
      { ...credentials, password: over.password ?? credentials.password },
      over.settings ?? settings,
      OWNER,
    );
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    double = await RedfishDouble.start({
      systems: [{ id: '1', cpus: 16, memoryGiB: 64 }, { id: 'limited', resetTypes: ['ForceOn', 'PowerCycle', 'Nmi'] }],
      password: credentials.password,
    });
  });
  afterAll(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    await double?.close();
  });

  it('finds the system from the ServiceRoot, powers it with the ResetTypes it allows and sets a one-time PXE boot', async () => {
    const client = bmc('1');
    expect(await client.powerState()).toBe('off');
    await client.setNextBoot('pxe');
    expect(double.system('1').bootOverride).toEqual({ target: 'Pxe', enabled: 'Once' });
    await client.power('on');
    expect(await client.powerState()).toBe('on');
    await client.power('cycle');
    await client.power('off');
    await client.setNextBoot('disk', { persistent: true });
    expect(double.system('1').bootOverride).toEqual({ target: 'Hdd', enabled: 'Continuous' });
    expect(double.system('1').journal).toEqual(['boot Pxe Once', 'reset On', 'power On', 'reset ForceRestart', 'reset ForceOff', 'power Off', 'boot Hdd Continuous']);
  });

  it('chooses from ResetType@Redfish.AllowableValues, and says so when none will do', async () => {
    const client = bmc('limited');
    await client.power('on');
    await client.power('cycle');
    expect(double.system('limited').journal.filter((l) => l.startsWith('reset'))).toEqual(['reset ForceOn', 'reset PowerCycle']);
    const e = await rejection(client.power('off'), 'Invalid');
    expect(e.message).toMatch(/offers ResetType ForceOn, PowerCycle, Nmi but none of ForceOff, GracefulShutdown/);
  });

  it('without a systemId: the only system is used; with several the error lists them', async () => {
    const e = await rejection(bmc(null).powerState(), 'Invalid');
    expect(e.message).toMatch(/has 2 systems \(\/redfish\/v1\/Systems\/1, \/redfish\/v1\/Systems\/limited\): enroll the machine with the systemId/);
    const single = await RedfishDouble.start({ systems: [{ id: 'only', powerState: 'On' }], password: credentials.password });
    try {
      expect(await bmc(null, { url: single.url, caPem: single.caPem }).powerState()).toBe('on');
    } finally {
      await single.close();
    }
  });

  it('401 is Invalid (credentials), a wrong system id carries the DMTF message, and the password is never quoted', async () => {
    const denied = await rejection(bmc('1', { password: 'wrong-pass' }).powerState(), 'Invalid');
    expect(denied.providerCode).toBe('BmcAuthFailed');
    expect(denied.message).toMatch(/refused the credentials of user "admin" \(HTTP 401 Base\.1\.8\.GeneralError: Base\.1\.8\.NoValidSession: There is no valid session/);
    expect(denied.message).not.toContain('wrong-pass');
    const missing = await rejection(bmc('9').powerState(), 'Invalid');
    expect(missing.message).toMatch(/ResourceMissingAtURI: The resource at the URI \/redfish\/v1\/Systems\/9 was not found\. Resolution: /);
  });

  it('503 is Retryable with the BMC\'s Retry-After; a BMC that stops answering is Retryable after the timeout', async () => {
    double.failNext(1, 503, 4);
    const busy = await rejection(bmc('1').powerState(), 'Retryable');
    expect(busy.retryAfterSeconds).toBe(4);
    expect(busy.message).toMatch(/ServiceTemporarilyUnavailable/);
    double.stopAnswering();
    try {
      const started = Date.now();
      const hung = await rejection(bmc('1').powerState(), 'Retryable');
      expect(hung.providerCode).toBe('BmcTimeout');
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      double.resume();
    }
    const closed = await RedfishDouble.start({ systems: [{ id: '1' }] });
    const url = closed.url;
    await closed.close();
    expect((await rejection(bmc('1', { url }).powerState(), 'Retryable')).providerCode).toBe('BmcUnreachable');
  });

  it('the enrolled certificate is pinned: another certificate is refused (Invalid); the pinned one needs no matching name', async () => {
    const other = createBmcCertificate('impostor');
    const e = await rejection(bmc('1', { caPem: other.certPem }).powerState(), 'Invalid');
    expect(e.providerCode).toBe('BmcCertificateRejected');
    expect(e.message).toMatch(/enroll the machine again with the new one/);
    const nameless = await RedfishDouble.start({ systems: [{ id: '1' }], certificate: createBmcCertificate('bmc.factory.default', []), password: credentials.password });
    try {
      expect(await bmc('1', { url: nameless.url, caPem: nameless.caPem }).powerState()).toBe('off');
    } finally {
      await nameless.close();
    }
  });

  it('session auth: one login, X-Auth-Token on every call, renewed once when it expires, logged out on close', async () => {
    const client = bmc('1', { settings: { ...settings, auth: 'session' } });
    const before = double.calls.length;
    await client.powerState();
    await client.setNextBoot('pxe');
    double.expireSessions();
    await client.powerState();
    const calls = double.calls.slice(before);
    expect(calls.filter((c) => c.method === 'POST' && c.path.endsWith('/Sessions'))).toHaveLength(2);
    expect(calls.filter((c) => c.path.startsWith('/redfish/v1/Systems') && c.status < 300).every((c) => c.auth === 'session')).toBe(true);
    expect(double.sessionCount).toBe(1);
    await client.close();
    expect(double.sessionCount).toBe(0);
    const refused = bmc('1', { password: 'nope', settings: { ...settings, auth: 'session' } });
    expect((await rejection(refused.powerState(), 'Invalid')).providerCode).toBe('BmcAuthFailed');
  });
});
