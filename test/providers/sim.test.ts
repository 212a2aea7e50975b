import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError, NotFoundError } from '../../src/core/errors.js';
import {
  ProviderError,
  TESSERA_ID_LABEL,
  TESSERA_TOKEN_LABEL,
  type CreateRequest,
  type DriverFactory,
  type ObservedInstance,
} from '../../src/providers/driver.js';
import { parseSimConfig, type SimConfigInput } from '../../src/providers/sim/config.js';
import { createSimDriver, type SimDriver } from '../../src/providers/sim/driver.js';

let dataDir: string;
let clock: number;
const drivers: SimDriver[] = [];

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'tessera-sim-'));
  clock = Date.parse('2026-01-01T00:00:00Z');
});

afterEach(async () => {
  for (const d of drivers.splice(0)) await d.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A sim driver on this test's data dir, reading the test's stepped clock. */
async function open(config: SimConfigInput = {}, name = 'sim-a'): Promise<SimDriver> {
  const driver = await createSimDriver(name, config, { dataDir, now: () => clock });
  drivers.push(driver);
  return driver;
}

function request(overrides: Partial<CreateRequest> = {}): CreateRequest {
  return {
    tesseraId: 'i-0000000000000001',
    name: 'web-1',
    region: 'sim-1',
    zone: null,
    flavor: 'small',
    image: 'ubuntu-24.04',
    market: 'on-demand',
    userData: null,
    labels: {},
    powerOn: true,
    ...overrides,
  };
}

/** The rejection of `promise`, which must be a ProviderError. */
async function providerError(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

async function listAll(driver: SimDriver, pageSize?: number): Promise<ObservedInstance[][]> {
  const pages: ObservedInstance[][] = [];
  for await (const page of driver.list({ pageSize })) pages.push(page);
  return pages;
}

describe('sim config', () => {
  it('turns an empty block into a working default cloud', async () => {
    const config = parseSimConfig('sim-a', {});
    expect(config.kind).toBe('vm');
    expect(config.latencyMs).toEqual({ min: 0, max: 0 });
    expect(config.failureRates).toEqual({ retryable: 0, capacity: 0, quota: 0, invalid: 0 });
    expect(config.throttle).toBeNull();
    expect(config.images).toContain('ubuntu-24.04');

    const driver = await open();
    expect(await driver.regions()).toEqual([{ provider: 'sim-a', name: 'sim-1', zones: ['sim-1a', 'sim-1b'], location: null }]);
    const offers = await driver.offers();
    expect(offers.map((o) => o.flavor)).toEqual(['small', 'medium', 'large']);
    expect(offers.every((o) => o.market === 'on-demand' && o.available === null && o.kind === 'vm')).toBe(true);
  });

  it('names the offending field of an invalid block', () => {
    expect(() => parseSimConfig('sim-a', { latencyMs: { min: 10, max: 1 } })).toThrow(/sim-a.*latencyMs/);
    expect(() => parseSimConfig('sim-a', { failureRates: { retryable: 2 } })).toThrow(InvalidInputError);
    expect(() => parseSimConfig('sim-a', { flavors: [{ name: 'x', vcpus: 1, memoryGiB: 1, priceUsdPerHour: '1e-3' }] })).toThrow(
      /flavors\.0\.priceUsdPerHour: a price is a non-negative decimal/,
    );
    expect(() => parseSimConfig('sim-a', { flavors: 'all' })).toThrow(/flavors: expected a list of flavors .* or \{catalog/);
  });

  it('fills in a throttle burst from the rate', () => {
    expect(parseSimConfig('sim-a', { throttle: { requestsPerSecond: 2.5 } }).throttle).toEqual({ requestsPerSecond: 2.5, burst: 3 });
  });

  it('is a DriverFactory and says it is simulated', async () => {
    const factory: DriverFactory = createSimDriver;
    const driver = await factory('sim-b', {}, { dataDir, credentials: null });
    drivers.push(driver as SimDriver);
    expect(driver.type).toBe('sim');
    expect(driver.simulated).toBe(true);
  });
});

describe('sim create and observe', () => {
  it('creates a running machine that observe finds by id and by token', async () => {
    const driver = await open();
    const created = await driver.create(request({ labels: { team: 'web', [TESSERA_ID_LABEL]: 'spoofed' } }), 'tok-1');
    expect(created.externalId).toMatch(/^sim-[0-9a-z]+$/);
    expect(created).toMatchObject({
      token: 'tok-1',
      tesseraId: 'i-0000000000000001',
      region: 'sim-1',
      zone: 'sim-1a',
      flavor: 'small',
      state: 'running',
      kind: 'vm',
      labels: { team: 'web', [TESSERA_ID_LABEL]: 'i-0000000000000001', [TESSERA_TOKEN_LABEL]: 'tok-1' },
    });
    expect(created.addresses).toHaveLength(1);
    expect(created.addresses[0]!.address).toMatch(/^10\.\d+\.\d+\.\d+$/);

    expect(await driver.observe({ region: 'sim-1', externalId: created.externalId })).toEqual(created);
    expect(await driver.observe({ region: 'sim-1', token: 'tok-1' })).toEqual(created);
    expect(await driver.observe({ region: 'sim-1', token: 'never-used' })).toBeNull();
    expect(await driver.observe({ region: 'sim-1', externalId: 'sim-doesnotexist' })).toBeNull();
  });

  it('returns the first machine for a repeated token, also after a crash and a reopen', async () => {
    const first = await open();
    const made = await first.create(request(), 'tok-1');
    expect((await first.create(request({ name: 'other' }), 'tok-1')).externalId).toBe(made.externalId);

    // A crashed process never closes its driver: a second one opens the same file while the first is still open.
    const afterCrash = await open();
    expect((await afterCrash.create(request(), 'tok-1')).externalId).toBe(made.externalId);
    expect(afterCrash.simState().liveMachines).toBe(1);

    for (const d of drivers.splice(0)) await d.close();
    const reopened = await open();
    expect((await reopened.create(request(), 'tok-1')).externalId).toBe(made.externalId);
    expect(reopened.simState()).toMatchObject({ liveMachines: 1, deletedMachines: 0 });
  });

  it('keeps machines and their power state across a reopen', async () => {
    const first = await open({ stateFile: 'custom/place.db' });
    const made = await first.create(request(), 'tok-1');
    await first.power({ region: 'sim-1', externalId: made.externalId }, 'off');
    await first.close();
    drivers.splice(0);

    const reopened = await open({ stateFile: 'custom/place.db' });
    expect(await reopened.observe({ region: 'sim-1', externalId: made.externalId })).toMatchObject({ state: 'stopped', token: 'tok-1' });
    expect((await listAll(reopened)).flat().map((m) => m.externalId)).toEqual([made.externalId]);
  });

  it('creates a stopped machine when powerOn is false', async () => {
    const driver = await open({ provisionSeconds: 30 });
    expect((await driver.create(request({ powerOn: false }), 'tok-1')).state).toBe('stopped');
  });
});

describe('sim power and timing', () => {
  it('derives pending → running and stopping → stopped from timestamps', async () => {
    const driver = await open({ provisionSeconds: 30, stopSeconds: 10 });
    const ref = { region: 'sim-1', externalId: (await driver.create(request(), 'tok-1')).externalId };
    const stateNow = async () => (await driver.observe(ref))!.state;

    expect(await stateNow()).toBe('pending');
    clock += 29_999;
    expect(await stateNow()).toBe('pending');
    clock += 1;
    expect(await stateNow()).toBe('running');

    await driver.power(ref, 'off');
    expect(await stateNow()).toBe('stopping');
    clock += 10_000;
    expect(await stateNow()).toBe('stopped');

    await driver.power(ref, 'on');
    expect(await stateNow()).toBe('pending');
    clock += 30_000;
    expect(await stateNow()).toBe('running');

    await driver.power(ref, 'reboot');
    expect(await stateNow()).toBe('pending');
    clock += 30_000;
    expect(await stateNow()).toBe('running');
  });

  it('power actions are idempotent, reboot of a stopped machine is invalid, a missing machine is NotFound', async () => {
    const driver = await open();
    const ref = { region: 'sim-1', token: 'tok-1' };
    await driver.create(request(), 'tok-1');
    await driver.power(ref, 'on');
    await driver.power(ref, 'off');
    await driver.power(ref, 'off');
    expect((await driver.observe(ref))!.state).toBe('stopped');
    expect((await providerError(driver.power(ref, 'reboot'))).errorClass).toBe('Invalid');
    await driver.power(ref, 'on');
    expect((await driver.observe(ref))!.state).toBe('running');

    const missing = await providerError(driver.power({ region: 'sim-1', externalId: 'sim-missing' }, 'on'));
    expect(missing.errorClass).toBe('NotFound');
  });

  it('delete is idempotent, and a deleted machine frees its token', async () => {
    const driver = await open();
    const made = await driver.create(request(), 'tok-1');
    const ref = { region: 'sim-1', externalId: made.externalId };
    await driver.delete(ref);
    await driver.delete(ref);
    await driver.delete({ region: 'sim-1', externalId: 'sim-neverexisted' });
    await driver.delete({ region: 'sim-1', token: 'never-used' });
    expect(await driver.observe(ref)).toBeNull();
    expect(driver.simState()).toMatchObject({ liveMachines: 0, deletedMachines: 1 });

    const again = await driver.create(request(), 'tok-1');
    expect(again.externalId).not.toBe(made.externalId);
    expect(driver.simMachines().map((m) => m.deletedAt !== null)).toHaveLength(2);
  });
});

describe('sim list', () => {
  it('pages 2,500 machines with a keyset cursor and skips deleted ones', async () => {
    const driver = await open();
    const made: string[] = [];
    for (let i = 0; i < 2_500; i++) made.push((await driver.create(request({ name: `m-${i}` }), `tok-${i}`)).externalId);
    for (const externalId of made.slice(0, 3)) await driver.delete({ region: 'sim-1', externalId });

    const pages = await listAll(driver, 1000);
    expect(pages.map((p) => p.length)).toEqual([1000, 1000, 497]);
    const ids = pages.flat().map((m) => m.externalId);
    expect(new Set(ids).size).toBe(2_497);
    expect(ids).toEqual([...ids].sort());
    expect(ids).not.toContain(made[0]);
    expect(driver.simState().calls.list).toBe(3);

    expect((await listAll(driver, 5_000)).map((p) => p.length)).toEqual([2_497]);
  });

  it('lists nothing for an empty account and rejects a bad page size', async () => {
    const driver = await open();
    expect(await listAll(driver)).toEqual([]);
    expect((await providerError(listAll(driver, 0))).errorClass).toBe('Invalid');
  });

  it('stops when its signal is aborted', async () => {
    const driver = await open();
    driver.seedMachines(30);
    const controller = new AbortController();
    const seen: number[] = [];
    await expect(async () => {
      for await (const page of driver.list({ pageSize: 10, signal: controller.signal })) {
        seen.push(page.length);
        controller.abort();
      }
    }).rejects.toThrow();
    expect(seen).toEqual([10]);
  });
});

describe('sim errors', () => {
  it('reports Capacity when a region is full, and offers show what is left', async () => {
    const driver = await open({ regions: [{ name: 'tiny', capacityVcpus: 4 }] });
    const tiny = { region: 'tiny', flavor: 'medium' };
    const availableMedium = async () => (await driver.offers()).find((o) => o.flavor === 'medium')!.available;
    expect(await availableMedium()).toBe(2);

    await driver.create(request(tiny), 'tok-1');
    await driver.create(request(tiny), 'tok-2');
    expect(await availableMedium()).toBe(0);
    const full = await providerError(driver.create(request(tiny), 'tok-3'));
    expect(full.errorClass).toBe('Capacity');
    expect(full.providerCode).toBe('InsufficientInstanceCapacity');
    expect(full.message).toMatch(/0 of 4 vCPUs free/);
    // A repeated token is still answered when the region is full: it asks for nothing new.
    expect((await driver.create(request(tiny), 'tok-1')).token).toBe('tok-1');

    await driver.delete({ region: 'tiny', token: 'tok-1' });
    expect(await availableMedium()).toBe(1);
    await driver.create(request(tiny), 'tok-3');
    expect(driver.simState().usedVcpusByRegion).toEqual({ tiny: 4 });
  });

  it('reports Invalid for unknown choices and names the valid ones', async () => {
    const driver = await open();
    const invalid = async (overrides: Partial<CreateRequest>) => {
      const error = await providerError(driver.create(request(overrides), 'tok-x'));
      expect(error.errorClass).toBe('Invalid');
      return error.message;
    };
    expect(await invalid({ flavor: 'huge' })).toMatch(/flavor 'huge'.*valid flavors: small, medium, large/);
    expect(await invalid({ region: 'mars-1' })).toMatch(/valid regions: sim-1/);
    expect(await invalid({ image: 'windows' })).toMatch(/valid images: ubuntu-24.04/);
    expect(await invalid({ zone: 'sim-1z' })).toMatch(/zones there: sim-1a, sim-1b/);
    expect(await invalid({ market: 'spot' })).toMatch(/no spot market/);
    expect(driver.simState().liveMachines).toBe(0);
  });

  it('injects Quota, Capacity, Invalid and Retryable faults before recording anything', async () => {
    for (const [rate, errorClass] of [
      ['quota', 'Quota'],
      ['capacity', 'Capacity'],
      ['invalid', 'Invalid'],
      ['retryable', 'Retryable'],
    ] as const) {
      const driver = await open({ failureRates: { [rate]: 1 } }, `sim-${rate}`);
      expect((await providerError(driver.create(request(), 'tok-1'))).errorClass).toBe(errorClass);
      expect(driver.simState().liveMachines).toBe(0);
    }
  });

  it('injects retryable faults into reads only when failReads is set', async () => {
    const writesOnly = await open({ failureRates: { retryable: 1 } }, 'sim-writes');
    expect(await writesOnly.observe({ region: 'sim-1', token: 'tok-1' })).toBeNull();
    expect((await providerError(writesOnly.delete({ region: 'sim-1', token: 'tok-1' }))).errorClass).toBe('Retryable');

    const reads = await open({ failureRates: { retryable: 1 }, failReads: true }, 'sim-reads');
    expect((await providerError(reads.observe({ region: 'sim-1', token: 'tok-1' }))).errorClass).toBe('Retryable');
    expect((await providerError(reads.offers())).errorClass).toBe('Retryable');
  });

  it('repeats the same faults for the same seed', async () => {
    const outcomes = async (name: string) => {
      const driver = await open({ failureRates: { retryable: 0.5 }, seed: 42 }, name);
      const results: boolean[] = [];
      for (let i = 0; i < 40; i++) results.push(await driver.create(request(), `tok-${i}`).then(() => true, () => false));
      return results;
    };
    const first = await outcomes('sim-seed-1');
    expect(first).toEqual(await outcomes('sim-seed-2'));
    expect(first).toContain(true);
    expect(first).toContain(false);
  });

  it('throttles every call past its rate with RequestLimitExceeded', async () => {
    const driver = await open({ throttle: { requestsPerSecond: 1, burst: 2 } });
    await driver.create(request(), 'tok-1');
    await driver.observe({ region: 'sim-1', token: 'tok-1' });
    const throttled = await providerError(driver.observe({ region: 'sim-1', token: 'tok-1' }));
    expect(throttled).toMatchObject({ errorClass: 'Retryable', providerCode: 'RequestLimitExceeded', retryAfterSeconds: 1 });

    clock += 1_000;
    expect(await driver.observe({ region: 'sim-1', token: 'tok-1' })).not.toBeNull();
    expect(driver.simState().errors).toEqual({ RequestLimitExceeded: 1 });
  });

  it('fails every call while the provider is down', async () => {
    const driver = await open({ failAll: true });
    const down = await providerError(driver.offers());
    expect(down).toMatchObject({ errorClass: 'Retryable', providerCode: 'ServiceUnavailable' });
    expect((await providerError(driver.create(request(), 'tok-1'))).errorClass).toBe('Retryable');
    await expect(listAll(driver)).rejects.toBeInstanceOf(ProviderError);

    driver.setFailAll(false);
    await driver.create(request(), 'tok-1');
    driver.setFailAll(true);
    expect((await providerError(driver.observe({ region: 'sim-1', token: 'tok-1' }))).errorClass).toBe('Retryable');
  });

  it('with failAfterCreateRate 1, records the machine and then throws Retryable', async () => {
    const driver = await open({ failAfterCreateRate: 1 });
    const lost = await providerError(driver.create(request(), 'tok-1'));
    expect(lost.errorClass).toBe('Retryable');

    // Observe-before-create finds the machine whose create "failed"; a retried create returns that same one.
    const found = await driver.observe({ region: 'sim-1', token: 'tok-1' });
    expect(found).not.toBeNull();
    expect((await driver.create(request(), 'tok-1')).externalId).toBe(found!.externalId);
    expect(driver.simState().liveMachines).toBe(1);
  });

  it('waits the configured latency on each call', async () => {
    const driver = await open({ latencyMs: { min: 30, max: 30 } });
    const started = performance.now();
    await driver.observe({ region: 'sim-1', token: 'tok-1' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
  });
});

describe('sim test hooks', () => {
  it('simulates changes and deletions made outside Tessera', async () => {
    const driver = await open();
    const made = await driver.create(request(), 'tok-1');
    const ref = { region: 'sim-1', externalId: made.externalId };

    driver.externalModify(made.externalId, { labels: { owner: 'someone-else' }, flavor: 'large', power: 'off' });
    expect(await driver.observe(ref)).toMatchObject({
      tesseraId: null,
      token: 'tok-1',
      flavor: 'large',
      state: 'stopped',
      labels: { owner: 'someone-else' },
    });
    expect(driver.simState().usedVcpusByRegion).toEqual({ 'sim-1': 4 });
    expect(() => driver.externalModify(made.externalId, { flavor: 'huge' })).toThrow(InvalidInputError);

    expect(driver.externalDelete(made.externalId)).toBe(true);
    expect(driver.externalDelete(made.externalId)).toBe(false);
    expect(await driver.observe(ref)).toBeNull();
    expect(() => driver.externalModify(made.externalId, { name: 'x' })).toThrow(NotFoundError);
    expect(driver.simMachines()).toHaveLength(1);
    expect(driver.simMachines()[0]!.deletedAt).not.toBeNull();
  });

  it('seeds foreign machines without a token or Tessera labels', async () => {
    const driver = await open({ regions: [{ name: 'a', zones: ['a1', 'a2'] }, { name: 'b' }] });
    expect(driver.seedMachines(12, { labels: { env: 'legacy' } })).toBe(12);
    const listed = (await listAll(driver)).flat();
    expect(listed).toHaveLength(12);
    expect(listed.every((m) => m.token === null && m.tesseraId === null && m.state === 'running')).toBe(true);
    expect(listed.every((m) => m.labels.env === 'legacy')).toBe(true);
    expect(new Set(listed.map((m) => `${m.region}/${m.flavor}`)).size).toBe(6);
    expect(driver.seedMachines(2, { region: 'b', flavor: 'small' })).toBe(2);
    expect(() => driver.seedMachines(1, { region: 'nowhere' })).toThrow(InvalidInputError);
  });
});
