import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InstanceKind } from '../../src/core/offer.js';
import { type CreateRequest, type Driver, type ObservedInstance, type ObservedState } from '../../src/providers/driver.js';
import { expectClass } from '../support/provider-errors.js';

/**
 * The driver conformance suite: the same cases against every driver (sim, docker, libvirt, baremetal, the public
 * clouds' doubles), so that the controllers can count on one behaviour whatever sits behind the contract.
 */
export interface ConformanceTarget {
  /** Shown in the test names, e.g. `docker (dockerd, vfs)`. */
  label: string;
  /** What every machine of this driver is. */
  kind: InstanceKind;
  /** Builds the driver against its real engine (started by the caller's setup, or here). */
  open(): Promise<Driver>;
  /** Stops what `open` started. */
  close?(): Promise<void>;
  /** A request the driver can satisfy; `name` is unique per call. */
  request(name: string): CreateRequest;
  /** Requests (or, for retryable, a driver) that make the provider fail with each class. */
  provoke: {
    invalid(name: string): CreateRequest;
    /** More than the provider has room for. */
    capacity(name: string): CreateRequest;
    /** Beyond a configured quota (e.g. an instance-count limit the driver enforces). */
    quota(name: string): { driver: () => Promise<Driver>; request: CreateRequest };
    /** A driver whose engine cannot be reached right now (a dead socket, a BMC that does not answer). */
    retryable(): Promise<Driver>;
  };
  /** How long a machine may take to settle after create or a power action (default 60 s). */
  settleMs?: number;
}

/**
 * A conformance request: the same shape for every driver, with a Tessera id derived from `name` (so each case
 * gets its own) and the driver's own region, flavor and image in `base`.
 */
export function conformanceRequest(name: string, base: Pick<CreateRequest, 'region' | 'flavor' | 'image'>, overrides: Partial<CreateRequest> = {}): CreateRequest {
  return {
    tesseraId: `i-conf${name.replace(/[^a-z0-9]/g, '').padEnd(12, '0').slice(0, 12)}`,
    name: `conf-${name}`,
    zone: null,
    market: 'on-demand',
    userData: null,
    labels: { suite: 'conformance' },
    powerOn: true,
    ...base,
    ...overrides,
  };
}

const TOKEN = (name: string) => `tsr-conformance-${name}-0`;

export function driverConformance(target: ConformanceTarget): void {
  describe(`driver conformance: ${target.label}`, () => {
    let driver: Driver;
    const settleMs = target.settleMs ?? 60_000;
    const made: ObservedInstance[] = [];

    async function settle(ref: { region: string; externalId: string }, states: ObservedState[]): Promise<ObservedInstance> {
      const deadline = Date.now() + settleMs;
      for (;;) {
        const o = await driver.observe(ref);
        if (o && states.includes(o.state)) return o;
        if (Date.now() > deadline) throw new Error(`${ref.externalId} did not reach ${states.join('/')} within ${settleMs} ms (last: ${o?.state ?? 'gone'})`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }

    beforeAll(async () => {
      driver = await target.open();
    }, 120_000);
    afterAll(async () => {
      for (const m of made) await driver?.delete({ region: m.region, externalId: m.externalId }).catch(() => undefined);
      await driver?.close?.();
      await target.close?.();
    }, 120_000);

    it('create is idempotent under a repeated token: one machine, the same id', async () => {
      const req = target.request('idem');
      const first = await driver.create(req, TOKEN('idem'));
      made.push(first);
      const again = await driver.create(req, TOKEN('idem'));
      expect(again.externalId).toBe(first.externalId);
      expect(first.tesseraId).toBe(req.tesseraId);
      expect(first.token).toBe(TOKEN('idem'));
      expect(first.kind).toBe(target.kind);
    });

    it('observe finds the machine by provider id and by token; list sees it with its Tessera id', async () => {
      const req = target.request('seen');
      const created = await driver.create(req, TOKEN('seen'));
      made.push(created);
      const running = await settle({ region: req.region, externalId: created.externalId }, ['running']);
      expect(running.tesseraId).toBe(req.tesseraId);
      const byToken = await driver.observe({ region: req.region, token: TOKEN('seen') });
      expect(byToken?.externalId).toBe(created.externalId);
      let listed: ObservedInstance | undefined;
      for await (const page of driver.list({ pageSize: 50 })) listed ??= page.find((m) => m.externalId === created.externalId);
      expect(listed?.tesseraId).toBe(req.tesseraId);
      expect(listed?.token).toBe(TOKEN('seen'));
    });

    it('power cycles: off → stopped, on → running, reboot → running', async () => {
      const req = target.request('power');
      const created = await driver.create(req, TOKEN('power'));
      made.push(created);
      const ref = { region: req.region, externalId: created.externalId };
      await settle(ref, ['running']);
      await driver.power(ref, 'off');
      await settle(ref, ['stopped']);
      await driver.power(ref, 'on');
      await settle(ref, ['running']);
      await driver.power(ref, 'reboot');
      await settle(ref, ['running']);
    });

    it('delete removes the machine; deleting it again (or a machine that never was) is not an error', async () => {
      const req = target.request('gone');
      const created = await driver.create(req, TOKEN('gone'));
      const ref = { region: req.region, externalId: created.externalId };
      await driver.delete(ref);
      const deadline = Date.now() + settleMs;
      for (;;) {
        const o = await driver.observe(ref);
        if (o === null || o.state === 'terminated') break;
        if (Date.now() > deadline) throw new Error(`${created.externalId} still ${o.state} after delete`);
        await new Promise((r) => setTimeout(r, 200));
      }
      await driver.delete(ref);
      expect(await driver.observe({ region: req.region, token: TOKEN('never-made') })).toBeNull();
    });

    it('classifies errors: invalid, capacity, quota, retryable', async () => {
      await expectClass(driver.create(target.provoke.invalid('bad'), TOKEN('bad')), 'Invalid');
      await expectClass(driver.create(target.provoke.capacity('huge'), TOKEN('huge')), 'Capacity');
      const quota = target.provoke.quota('over');
      const limited = await quota.driver();
      try {
        await expectClass(limited.create(quota.request, TOKEN('over')), 'Quota');
      } finally {
        await limited.close?.();
      }
      const unreachable = await target.provoke.retryable();
      try {
        await expectClass(unreachable.observe({ region: target.request('x').region, token: TOKEN('x') }), 'Retryable');
      } finally {
        await unreachable.close?.();
      }
    });
  });
}

