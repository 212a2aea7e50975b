import { describe, expect, it } from 'vitest';
import { UnavailableError } from '../../src/core/errors.js';
import { CircuitBreaker, CircuitOpenError } from '../../src/runtime/circuit-breaker.js';

const START = Date.parse('2030-01-01T00:00:00.000Z');

function setup(options: { failureThreshold?: number; coolDownMs?: number; maxCoolDownMs?: number } = {}) {
  const clock = { ms: START };
  const breaker = new CircuitBreaker({
    provider: 'aws-east',
    failureThreshold: options.failureThreshold ?? 3,
    coolDownMs: options.coolDownMs ?? 10_000,
    maxCoolDownMs: options.maxCoolDownMs ?? 60_000,
    now: () => clock.ms,
  });
  return { breaker, clock };
}

const fail = () => Promise.reject(new Error('503 from provider'));
const succeed = () => Promise.resolve('ok');

async function failTimes(breaker: CircuitBreaker, times: number): Promise<void> {
  for (let i = 0; i < times; i++) await expect(breaker.run(fail)).rejects.toThrow('503 from provider');
}

describe('CircuitBreaker', () => {
  it('stays closed below the failure threshold and passes results through', async () => {
    const { breaker } = setup();
    await failTimes(breaker, 2);
    await expect(breaker.run(succeed)).resolves.toBe('ok');
    expect(breaker.snapshot()).toEqual({ state: 'closed', consecutiveFailures: 0, openedAt: null, retryAt: null });
  });

  it('counts only consecutive failures: a success in between resets the count', async () => {
    const { breaker } = setup();
    await failTimes(breaker, 2);
    await breaker.run(succeed);
    await failTimes(breaker, 2);
    expect(breaker.snapshot().state).toBe('closed');
  });

  it('opens after the threshold and refuses calls without making them', async () => {
    const { breaker } = setup();
    await failTimes(breaker, 3);
    expect(breaker.snapshot()).toEqual({
      state: 'open',
      consecutiveFailures: 3,
      openedAt: '2030-01-01T00:00:00.000Z',
      retryAt: '2030-01-01T00:00:10.000Z',
    });

    let called = false;
    const refused = breaker.run(async () => (called = true));
    await expect(refused).rejects.toBeInstanceOf(CircuitOpenError);
    expect(called).toBe(false);
  });

  it('says which provider is unavailable and when it will be tried again', async () => {
    const { breaker } = setup();
    await failTimes(breaker, 3);
    const error = await breaker.run(succeed).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as CircuitOpenError).status).toBe(503);
    expect((error as CircuitOpenError).message).toMatch(/"aws-east".*2030-01-01T00:00:10\.000Z/);
    expect((error as CircuitOpenError).details).toEqual({ provider: 'aws-east', retryAt: '2030-01-01T00:00:10.000Z' });
  });

  it('still explains itself when no provider name was given', async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1, coolDownMs: 1000, maxCoolDownMs: 1000, now: () => START });
    await failTimes(breaker, 1);
    await expect(breaker.run(succeed)).rejects.toThrow(/^The provider is unavailable .* 2030-01-01T00:00:01\.000Z/);
  });

  it('becomes half-open after the cool-down and lets exactly one probe through', async () => {
    const { breaker, clock } = setup();
    await failTimes(breaker, 3);
    clock.ms += 9_999;
    expect(breaker.canPass()).toBe(false);
    clock.ms += 1;
    expect(breaker.snapshot().state).toBe('half-open');

    let releaseProbe!: () => void;
    const probe = breaker.run(() => new Promise<void>((resolve) => (releaseProbe = resolve)));
    const second = await breaker.run(succeed).catch((e: unknown) => e);
    expect(second).toBeInstanceOf(CircuitOpenError);
    expect((second as CircuitOpenError).message).toMatch(/"aws-east".*trial call/);

    releaseProbe();
    await probe;
    expect(breaker.snapshot()).toEqual({ state: 'closed', consecutiveFailures: 0, openedAt: null, retryAt: null });
  });

  it('reopens with a doubled cool-down when the probe fails, up to the cap', async () => {
    const { breaker, clock } = setup({ coolDownMs: 10_000, maxCoolDownMs: 25_000 });
    await failTimes(breaker, 3);
    const coolDowns: number[] = [];
    for (let i = 0; i < 3; i++) {
      clock.ms = Date.parse(breaker.snapshot().retryAt!);
      await failTimes(breaker, 1);
      const { openedAt, retryAt, state } = breaker.snapshot();
      expect(state).toBe('open');
      coolDowns.push(Date.parse(retryAt!) - Date.parse(openedAt!));
    }
    expect(coolDowns).toEqual([20_000, 25_000, 25_000]);
  });

  it('starts again from the base cool-down after recovering', async () => {
    const { breaker, clock } = setup();
    await failTimes(breaker, 3);
    clock.ms += 10_000;
    await failTimes(breaker, 1);
    clock.ms += 20_000;
    await breaker.run(succeed);

    await failTimes(breaker, 3);
    const { openedAt, retryAt } = breaker.snapshot();
    expect(Date.parse(retryAt!) - Date.parse(openedAt!)).toBe(10_000);
  });

  it('does not count errors the caller says are not failures, and takes them as a sign of health', async () => {
    const { breaker, clock } = setup();
    const rejectedRequest = () => Promise.reject(new Error('invalid flavor'));
    const onlyOutages = { isFailure: (e: unknown) => (e as Error).message.startsWith('503') };
    for (let i = 0; i < 5; i++) {
      await expect(breaker.run(rejectedRequest, onlyOutages)).rejects.toThrow('invalid flavor');
    }
    expect(breaker.snapshot().state).toBe('closed');

    await failTimes(breaker, 3);
    clock.ms += 10_000;
    await expect(breaker.run(rejectedRequest, onlyOutages)).rejects.toThrow('invalid flavor');
    expect(breaker.snapshot().state).toBe('closed');
  });

  it('supports callers that record outcomes themselves', () => {
    const { breaker, clock } = setup({ failureThreshold: 1 });
    expect(breaker.canPass()).toBe(true);
    breaker.recordFailure();
    expect(breaker.canPass()).toBe(false);
    clock.ms += 10_000;
    expect(breaker.canPass()).toBe(true);
    expect(breaker.canPass()).toBe(false);
    breaker.recordSuccess();
    expect(breaker.canPass()).toBe(true);
  });

  it('ignores late answers to calls made before the circuit opened', async () => {
    const { breaker } = setup();
    await failTimes(breaker, 3);
    breaker.recordSuccess();
    breaker.recordFailure();
    expect(breaker.snapshot()).toMatchObject({ state: 'open', consecutiveFailures: 3, retryAt: '2030-01-01T00:00:10.000Z' });
  });

  it('rejects settings that cannot work', () => {
    const base = { provider: 'p', failureThreshold: 1, coolDownMs: 1000, maxCoolDownMs: 1000 };
    expect(() => new CircuitBreaker({ ...base, failureThreshold: 0 })).toThrow(/failureThreshold/);
    expect(() => new CircuitBreaker({ ...base, maxCoolDownMs: 500 })).toThrow(/maxCoolDownMs/);
  });
});
