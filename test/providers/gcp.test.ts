import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/core/errors.js';
import { isThrottle, ProviderError, TESSERA_ID_LABEL, TESSERA_TOKEN_LABEL, type CreateRequest, type Driver, type DriverContext, type ListPrice, type ObservedInstance } from '../../src/providers/driver.js';
import type { GcpConfigInput } from '../../src/providers/gcp/config.js';
import { createGcpDriver } from '../../src/providers/gcp/driver.js';
import { encodeLabels, labelKeyFor, labelValueFor } from '../../src/providers/gcp/labels.js';
import { instanceNameFor } from '../../src/providers/gcp/names.js';
import { requestIdFor } from '../../src/providers/gcp/request-id.js';
import { startGceDouble, type GceDouble, type RecordedGceCall } from '../doubles/gce/server.js';
import { makeServiceAccountKey } from '../doubles/gce/service-account-key.js';
import { conformanceRequest } from './conformance.js';
import { expectClass } from '../support/provider-errors.js';

/**
 * The gcp driver against the GCE wire double, for what the conformance suite does not pin down: requestId
 * idempotency over a lost answer, operations that fail after the insert was accepted, aggregatedList paging,
 * throttling, the label encoding, the Spot request body, IAM errors and configuration errors.
 */

const PROJECT = 'tessera-driver-test';
const key = makeServiceAccountKey(PROJECT);
let double: GceDouble;
let driver: Driver;
const opened: Driver[] = [];
let sequence = 0;

const PRICES: ListPrice[] = [
  price('us-central1', null, 'e2-small', 'on-demand', 16_751),
  price('us-central1', null, 'e2-small', 'spot', 5_025),
  price('us-central1', 'us-central1-a', 't2a-standard-1', 'on-demand', 38_500),
  price('us-central1', null, 'g2-standard-4', 'on-demand', 706_832),
  price('europe-west1', null, 'e2-small', 'on-demand', 18_420),
];

function price(region: string, zone: string | null, flavor: string, market: ListPrice['market'], micros: number): ListPrice {
  return { region, zone, flavor, market, vcpus: 0, memoryGiB: 0, gpus: 0, arch: 'x86_64', priceMicrosPerHour: micros };
}

function ctx(credentials: Record<string, string> | null = { ...key.keyFile }): DriverContext {
  return { dataDir: tmpdir(), credentials, listPrices: async (cloud) => (cloud === 'gcp' ? PRICES : []) };
}

function config(extra: Partial<GcpConfigInput> = {}): GcpConfigInput {
  return {
    project: PROJECT,
    regions: [{ name: 'us-central1', zones: ['us-central1-a', 'us-central1-b'] }, 'europe-west1'],
    apiEndpoint: double.host,
    port: double.port,
    protocol: 'http',
    tokenUrl: double.tokenUrl,
    operationPollIntervalMs: 20,
    retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 100 },
    ...extra,
  };
}

async function open(extra: Partial<GcpConfigInput> = {}, context: DriverContext = ctx()): Promise<Driver> {
  const d = await createGcpDriver(`gcp-test-${opened.length}`, config(extra), context);
  opened.push(d);
  return d;
}

/** A request with its own Tessera id; `zone` defaults to us-central1-a so each test knows where its VM lands. */
function request(overrides: Partial<CreateRequest> = {}): CreateRequest {
  sequence += 1;
  return conformanceRequest(`t${sequence}`, { region: 'us-central1', flavor: 'e2-small', image: 'debian-12' }, { zone: 'us-central1-a', ...overrides });
}

function token(): string {
  return `tsr-i-test${String(++sequence).padStart(12, '0')}-0`;
}

function vmsWithToken(t: string) {
  return double.instances().filter((s) => s.instance.labels?.['tessera-token'] === t);
}

function callsOf(action: string, since = 0): RecordedGceCall[] {
  return double.calls.slice(since).filter((c) => c.action === action);
}

async function settle(d: Driver, ref: { region: string; externalId: string }, state: ObservedInstance['state']): Promise<void> {
  const deadline = Date.now() + 5_000;
  while ((await d.observe(ref))?.state !== state) {
    if (Date.now() > deadline) throw new Error(`${ref.externalId} did not become ${state}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}


beforeAll(async () => {
  double = await startGceDouble({ serviceAccounts: [key.publicKey], retryAfterSeconds: 2 });
  driver = await open();
});

afterAll(async () => {
  for (const d of opened) await d.close?.();
  await double?.close();
});

beforeEach(() => {
  double.faults.capacityIn(null);
  double.faults.quotaExceeded(false);
  double.faults.deny(null);
  double.faults.throttleNext(0);
  double.faults.serverErrorNext(0);
});

describe('idempotent create (GCE requestId derived from the token)', () => {
  it('a create whose answer was lost is retried with the same requestId and ends with ONE VM, which it returns', async () => {
    const req = request();
    const t = token();
    const since = double.calls.length;
    double.faults.dropNextCreateResponse();
    const made = await driver.create(req, t);

    const inserts = callsOf('compute.instances.insert', since);
    expect(inserts).toHaveLength(2);
    expect(inserts[0]!.dropped).toBe(true);
    expect(inserts[1]!.dropped).toBe(false);
    expect(inserts[1]!.requestId).toBe(inserts[0]!.requestId);
    expect(inserts[0]!.requestId).toBe(requestIdFor(t, 'us-central1-a'));
    expect(vmsWithToken(t)).toHaveLength(1);
    expect(made.externalId).toBe(`us-central1-a/${vmsWithToken(t)[0]!.instance.name}`);
    expect(made.token).toBe(t);
    expect(made.tesseraId).toBe(req.tesseraId);

    // A later repeat (a controller that crashed before recording the answer) is answered from the same operation.
    const again = await driver.create(req, t);
    expect(again.externalId).toBe(made.externalId);
    expect(vmsWithToken(t)).toHaveLength(1);
    expect(new Set(callsOf('compute.instances.insert', since).map((c) => c.requestId)).size).toBe(1);
  });

  it('with no zone asked for, a VM the token already made in any zone of the region is returned, not made again', async () => {
    const req = request({ zone: null });
    const t = token();
    // As if an earlier attempt landed there long ago (beyond GCE's requestId memory).
    for (const zone of ['us-central1-a', 'us-central1-b']) {
      const since = double.calls.length;
      const seeded = double.seed(PROJECT, zone, {
        name: `${instanceNameFor(req)}-${zone.slice(-1)}`,
        machineType: `zones/${zone}/machineTypes/e2-small`,
        disks: [{ boot: true, initializeParams: { sourceImage: 'projects/debian-cloud/global/images/family/debian-12' } }],
        labels: { 'tessera-id': req.tesseraId, 'tessera-token': `${t}-${zone}` },
      });
      const found = await driver.create(req, `${t}-${zone}`);
      expect(found.externalId).toBe(`${zone}/${seeded.name}`);
      expect(callsOf('compute.instances.insert', since)).toHaveLength(0);
    }
  });

  it('the requestId is a UUID (v5) that depends on the token and the zone only', () => {
    const id = requestIdFor('tsr-i-abc-0', 'us-central1-a');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(requestIdFor('tsr-i-abc-0', 'us-central1-a')).toBe(id);
    expect(requestIdFor('tsr-i-abc-1', 'us-central1-a')).not.toBe(id);
    expect(requestIdFor('tsr-i-abc-0', 'us-central1-b')).not.toBe(id);
  });

  it('a name held by an earlier attempt of the same instance is Retryable; one held by a stranger is Invalid', async () => {
    const req = request();
    const first = await driver.create(req, token());
    await expectClass(driver.create(req, token()), 'Retryable', 'EarlierAttemptExists');
    const name = first.externalId.split('/')[1]!;
    const stranger = request({ tesseraId: req.tesseraId.replace(/.$/, 'z') });
    double.seed(PROJECT, 'us-central1-b', { name: instanceNameFor(stranger), machineType: 'zones/us-central1-b/machineTypes/e2-small', disks: [{ boot: true, initializeParams: { sourceImage: 'projects/debian-cloud/global/images/family/debian-12' } }] });
    await expectClass(driver.create({ ...stranger, zone: 'us-central1-b' }, token()), 'Invalid', 'InstanceNameInUse');
    expect(name).toBe(instanceNameFor(req));
  });
});

describe('operations: followed to DONE, failures classified', () => {
  it('capacity arrives in the OPERATION (the insert itself succeeds) and is Capacity, with either GCE code', async () => {
    for (const code of ['ZONE_RESOURCE_POOL_EXHAUSTED', 'ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS'] as const) {
      double.faults.capacityIn('us-central1-a', code);
      const since = double.calls.length;
      const t = token();
      const e = await expectClass(driver.create(request(), t), 'Capacity', code);
      expect(e.message).toMatch(/does not have enough resources/);
      expect(callsOf('compute.instances.insert', since).map((c) => c.status)).toEqual([200]);
      expect(callsOf('compute.zoneOperations.wait', since).length).toBeGreaterThanOrEqual(1);
      expect(vmsWithToken(t)).toHaveLength(0);
    }
  });

  it('with no zone asked for, a zone without room is skipped for the next zone of the region', async () => {
    double.faults.capacityIn('us-central1-a');
    const t = token();
    const made = await driver.create(request({ zone: null }), t);
    expect(made.zone).toBe('us-central1-b');
    expect(vmsWithToken(t)).toHaveLength(1);
    double.faults.capacityIn('us-central1');
    await expectClass(driver.create(request({ zone: null }), token()), 'Capacity');
  });

  it('a zone that does not offer the machine type is skipped too (t2a is not in us-central1-c)', async () => {
    const d = await open({ regions: [{ name: 'us-central1', zones: ['us-central1-c', 'us-central1-a'] }] });
    const t = token();
    const made = await d.create(request({ zone: null, flavor: 't2a-standard-1', image: 'ubuntu-24.04-arm64' }), t);
    expect(made.zone).toBe('us-central1-a');
    expect(made.flavor).toBe('t2a-standard-1');
    await expectClass(d.create(request({ zone: 'us-central1-c', flavor: 't2a-standard-1', image: 'ubuntu-24.04-arm64' }), token()), 'Invalid', 'invalid');
  });

  it('QUOTA_EXCEEDED in the operation, and 403 quotaExceeded on the call, are Quota', async () => {
    double.faults.quotaExceeded(true);
    const e = await expectClass(driver.create(request(), token()), 'Quota', 'QUOTA_EXCEEDED');
    expect(e.message).toMatch(/Quota 'CPUS' exceeded/);
    double.faults.quotaExceeded(false);

    const limited = await startGceDouble({ serviceAccounts: [key.publicKey], cpuQuota: { [PROJECT]: 2 } });
    try {
      const d = await createGcpDriver('gcp-cpu-quota', { ...config(), apiEndpoint: limited.host, port: limited.port, tokenUrl: limited.tokenUrl }, ctx());
      opened.push(d);
      await d.create(request(), token()); // 2 vCPUs: exactly the quota
      await expectClass(d.create(request(), token()), 'Quota', 'QUOTA_EXCEEDED');
      expect(limited.callCount('compute.instances.insert')).toBe(2);
    } finally {
      await limited.close();
    }
  });

  it('a create that outlasts operationTimeoutSeconds returns the VM as pending; a repeat finds it done', async () => {
    const slow = await startGceDouble({ serviceAccounts: [key.publicKey], transitionMs: 600, waitMaxMs: 50 });
    try {
      const d = await createGcpDriver('gcp-slow', { ...config(), apiEndpoint: slow.host, port: slow.port, tokenUrl: slow.tokenUrl, operationTimeoutSeconds: 0.1 }, ctx());
      opened.push(d);
      const req = request();
      const t = token();
      const pending = await d.create(req, t);
      expect(pending.state).toBe('pending');
      await new Promise((r) => setTimeout(r, 700));
      const done = await d.create(req, t);
      expect(done.externalId).toBe(pending.externalId);
      expect(done.state).toBe('running');
      expect(slow.instances()).toHaveLength(1);
    } finally {
      await slow.close();
    }
  });
});

describe('list: aggregatedList pages with GCE page tokens', () => {
  it('lists every VM once over several pages, foreign ones included', async () => {
    const paged = await startGceDouble({ serviceAccounts: [key.publicKey] });
    try {
      const d = await createGcpDriver('gcp-paging', { ...config(), apiEndpoint: paged.host, port: paged.port, tokenUrl: paged.tokenUrl }, ctx());
      opened.push(d);
      const made = await Promise.all([1, 2, 3, 4].map(() => d.create(request({ zone: null }), token())));
      paged.seed(PROJECT, 'europe-west1-b', {
        name: 'made-by-hand',
        machineType: 'zones/europe-west1-b/machineTypes/e2-medium',
        disks: [{ boot: true, initializeParams: { sourceImage: 'projects/debian-cloud/global/images/family/debian-12' } }],
        labels: { team: 'data' },
      });

      const pages: ObservedInstance[][] = [];
      paged.faults.throttleNext(0);
      let first = true;
      for await (const page of d.list({ pageSize: 2 })) {
        pages.push(page);
        // A throttled page in the middle is retried without repeating what was already listed.
        if (first) paged.faults.throttleNext(1);
        first = false;
      }
      expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
      const all = pages.flat();
      expect(new Set(all.map((o) => o.externalId)).size).toBe(5);
      for (const m of made) expect(all.find((o) => o.externalId === m.externalId)?.tesseraId).toBe(m.tesseraId);
      const foreign = all.find((o) => o.name === 'made-by-hand')!;
      expect(foreign).toMatchObject({ tesseraId: null, token: null, region: 'europe-west1', zone: 'europe-west1-b', flavor: 'e2-medium', labels: { team: 'data' } });

      // The listing's own calls (creates with no zone look for their token with a filtered call first).
      const listCalls = paged.calls.filter((c) => c.action === 'compute.instances.aggregatedList' && c.query.filter === undefined);
      expect(listCalls.length).toBeGreaterThanOrEqual(4); // 3 pages + the throttled one
      expect(listCalls.every((c) => c.query.maxResults === '2')).toBe(true);
      expect(listCalls.filter((c) => c.status === 200 && c.query.pageToken).length).toBe(2);
      expect(listCalls.some((c) => c.status === 403)).toBe(true);
    } finally {
      await paged.close();
    }
  });
});

describe('throttling and server errors', () => {
  it('rateLimitExceeded (403) is retried; when it persists it is Retryable, a throttle, with the Retry-After', async () => {
    const made = await driver.create(request(), token());
    const since = double.calls.length;
    double.faults.throttleNext(2);
    expect((await driver.observe({ region: 'us-central1', externalId: made.externalId }))?.externalId).toBe(made.externalId);
    expect(callsOf('compute.instances.get', since).map((c) => c.status)).toEqual([403, 403, 200]);

    double.faults.throttleNext(10);
    const e = await expectClass(driver.observe({ region: 'us-central1', externalId: made.externalId }), 'Retryable', 'rateLimitExceeded');
    expect(e.retryAfterSeconds).toBe(2);
    expect(isThrottle(e)).toBe(true);
  });

  it('429 userRateLimitExceeded is classified the same way', async () => {
    double.faults.throttleNext(10, { status: 429, reason: 'userRateLimitExceeded' });
    const e = await expectClass(driver.observe({ region: 'us-central1', token: token() }), 'Retryable', 'userRateLimitExceeded');
    expect(e.retryAfterSeconds).toBe(2);
    expect(isThrottle(e)).toBe(true);
  });

  it('5xx is retried, and Retryable when it persists', async () => {
    const since = double.calls.length;
    double.faults.serverErrorNext(1);
    const made = await driver.create(request(), token());
    expect(callsOf('compute.instances.insert', since).map((c) => c.status)).toEqual([503, 200]);
    double.faults.serverErrorNext(10);
    await expectClass(driver.power({ region: 'us-central1', externalId: made.externalId }, 'off'), 'Retryable', 'backendError');
  });

  it('a missing IAM permission is Invalid and names the permission', async () => {
    double.faults.deny('compute.instances.create');
    const e = await expectClass(driver.create(request(), token()), 'Invalid', 'forbidden');
    expect(e.message).toMatch(/compute\.instances\.create/);
    double.faults.deny(null);
    double.faults.deny('compute.subnetworks.useExternalIp');
    const e2 = await expectClass(driver.create(request(), token()), 'Invalid', 'forbidden');
    expect(e2.message).toMatch(/compute\.subnetworks\.useExternalIp on projects\/tessera-driver-test\/regions\/us-central1\/subnetworks\/default/);
  });

  it('signs in with the service-account key at the token endpoint: one access token serves every call', async () => {
    const fresh = await startGceDouble({ serviceAccounts: [key.publicKey] });
    try {
      const d = await createGcpDriver('gcp-token', { ...config(), apiEndpoint: fresh.host, port: fresh.port, tokenUrl: fresh.tokenUrl }, ctx());
      opened.push(d);
      await d.create(request(), token());
      for await (const _ of d.list()) void _;
      const tokenCalls = fresh.calls.filter((c) => c.action === 'oauth2.token');
      expect(tokenCalls.map((c) => c.status)).toEqual([200]);
      expect(fresh.calls.filter((c) => c.action !== 'oauth2.token').every((c) => c.status === 200)).toBe(true);
    } finally {
      await fresh.close();
    }
  });

  it('without stored credentials it uses Application Default Credentials (here GOOGLE_APPLICATION_CREDENTIALS), project included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-gcp-adc-'));
    const file = join(dir, 'key.json');
    writeFileSync(file, JSON.stringify(key.keyFile));
    const saved = process.env.GOOGLE_APPLICATION_CREDENTIALS;
    process.env.GOOGLE_APPLICATION_CREDENTIALS = file;
    try {
      const { project: _unset, ...noProject } = config();
      const d = await createGcpDriver('gcp-adc', noProject, ctx(null));
      opened.push(d);
      const made = await d.create(request(), token());
      expect(double.instances().some((s) => s.project === PROJECT && `${s.zone}/${s.instance.name}` === made.externalId)).toBe(true);
    } finally {
      if (saved === undefined) delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
      else process.env.GOOGLE_APPLICATION_CREDENTIALS = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('power on a VM deleted outside Tessera is NotFound; observe of it is null', async () => {
    const ref = { region: 'us-central1', externalId: 'us-central1-a/never-made-here' };
    await expectClass(driver.power(ref, 'on'), 'NotFound');
    expect(await driver.observe(ref)).toBeNull();
    await driver.delete(ref);
    await expectClass(driver.observe({ region: 'us-central1', externalId: 'web-1' }), 'Invalid', 'InvalidExternalId');
  });

  it('a key the token endpoint does not know is Invalid (invalid_grant), never retried as an outage', async () => {
    const stranger = makeServiceAccountKey(PROJECT, 'stranger');
    const d = await open({}, ctx({ ...stranger.keyFile }));
    const e = await expectClass(d.observe({ region: 'us-central1', token: token() }), 'Invalid', 'invalid_grant');
    expect(e.message).toMatch(/token endpoint refused the service-account key/);
  });
});

describe('labels: Tessera id and token on GCE label rules', () => {
  it('writes tessera-id / tessera-token and sanitised request labels, and reads the id and token back from them', async () => {
    const req = request({ labels: { 'app.kubernetes.io/name': 'Web', team: 'core' } });
    const t = token();
    await driver.create(req, t);
    const [vm] = vmsWithToken(t);
    expect(vm!.instance.labels).toEqual({ 'tessera-id': req.tesseraId, 'tessera-token': t, app_kubernetes_io_name: 'web', team: 'core' });
    expect(vm!.instance.metadata.items?.map((i) => i.key)).toEqual(['tessera-image']);

    const seen = await driver.observe({ region: 'us-central1', token: t });
    expect(seen).toMatchObject({ tesseraId: req.tesseraId, token: t, image: 'debian-12', flavor: 'e2-small', market: 'on-demand', kind: 'vm' });
    expect(seen!.labels).toEqual({ [TESSERA_ID_LABEL]: req.tesseraId, [TESSERA_TOKEN_LABEL]: t, app_kubernetes_io_name: 'web', team: 'core' });
    expect(seen!.addresses.map((a) => a.type).sort()).toEqual(['private', 'public']);
  });

  it('a token that cannot be a label value is labelled by its hash and kept exactly in metadata', async () => {
    const long = `TSR.Upper-Case/${'x'.repeat(80)}`;
    const made = await driver.create(request(), long);
    const [vm] = double.instances().filter((s) => `us-central1-a/${s.instance.name}` === made.externalId);
    expect(vm!.instance.labels!['tessera-token']).toMatch(/^sha256-[0-9a-f]{56}$/);
    expect(made.token).toBe(long);
    expect((await driver.observe({ region: 'us-central1', token: long }))?.externalId).toBe(made.externalId);
  });

  it('every label key and value it writes fits GCE rules, for any Tessera labels', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1, maxLength: 80 }), fc.string({ maxLength: 80 }), { maxKeys: 8 }), (labels) => {
        try {
          const { labels: out } = encodeLabels('p', { ...request(), labels }, 'tsr-i-x-0');
          for (const [k, v] of Object.entries(out)) {
            expect(k).toMatch(/^[a-z][a-z0-9_-]{0,62}$/);
            expect(v).toMatch(/^[a-z0-9_-]{0,63}$/);
          }
        } catch (e) {
          // Two keys that only differ in what GCE cannot hold are refused by name, not silently merged.
          expect(e).toBeInstanceOf(ProviderError);
          expect((e as ProviderError).providerCode).toBe('LabelCollision');
        }
      }),
    );
    expect(labelKeyFor('9lives')).toBe('l_9lives');
    expect(labelValueFor('Hello World')).toBe('hello_world');
  });

  it('instance names are RFC 1035 and carry the Tessera id', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 100 }), fc.stringMatching(/^[a-z]{1,3}-[0-9a-z]{8,32}$/), (name, tesseraId) => {
        const n = instanceNameFor({ name, tesseraId });
        expect(n).toMatch(/^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/);
        expect(n.endsWith(tesseraId.replace(/^[a-z]{1,3}-/, ''))).toBe(true);
      }),
    );
  });
});

describe('the request body', () => {
  it('spot asks for GCE Spot provisioning with the configured termination action', async () => {
    const d = await open({ spotTerminationAction: 'DELETE' });
    const since = double.calls.length;
    const made = await d.create(request({ market: 'spot' }), token());
    const body = callsOf('compute.instances.insert', since)[0]!.body as Record<string, unknown>;
    expect(body.scheduling).toEqual({ provisioningModel: 'SPOT', instanceTerminationAction: 'DELETE', automaticRestart: false, onHostMaintenance: 'TERMINATE' });
    expect(made.market).toBe('spot');

    const since2 = double.calls.length;
    await driver.create(request(), token());
    expect((callsOf('compute.instances.insert', since2)[0]!.body as Record<string, unknown>).scheduling).toBeUndefined();
  });

  it('user data goes to user-data for cloud-config and to startup-script otherwise; powerOn false leaves the VM stopped', async () => {
    const since = double.calls.length;
    await driver.create(request({ userData: '#cloud-config\npackages: [nginx]\n' }), token());
    const stopped = await driver.create(request({ userData: '#!/bin/sh\necho hi\n', powerOn: false }), token());
    const bodies = callsOf('compute.instances.insert', since).map((c) => c.body as { metadata: { items: { key: string }[] } });
    expect(bodies.map((b) => b.metadata.items.map((i) => i.key))).toEqual([
      ['tessera-image', 'user-data'],
      ['tessera-image', 'startup-script'],
    ]);
    expect(['stopping', 'stopped']).toContain(stopped.state);
  });

  it('refuses what GCE cannot take before calling it: an unknown image name, region or zone', async () => {
    const since = double.calls.length;
    await expectClass(driver.create(request({ image: 'windows-95' }), token()), 'Invalid', 'UnknownImage');
    await expectClass(driver.create(request({ region: 'mars-north1', zone: null }), token()), 'Invalid', 'UnknownRegion');
    await expectClass(driver.create(request({ zone: 'us-central1-f' }), token()), 'Invalid', 'UnknownZone');
    expect(callsOf('compute.instances.insert', since)).toHaveLength(0);
  });
});

describe('offers, regions, images', () => {
  it('offers the API machine types of every configured zone that the catalog prices, per market', async () => {
    const offers = await driver.offers();
    const key = (o: { zone: string | null; flavor: string; market: string }) => `${o.zone}/${o.flavor}/${o.market}`;
    const keys = offers.map(key).sort();
    expect(keys).toContain('us-central1-a/e2-small/on-demand');
    expect(keys).toContain('us-central1-b/e2-small/spot');
    expect(keys).toContain('us-central1-a/t2a-standard-1/on-demand');
    expect(keys).not.toContain('us-central1-b/t2a-standard-1/on-demand'); // priced for zone a only
    expect(keys).not.toContain('us-central1-a/e2-medium/on-demand'); // no price
    expect(keys).toContain('europe-west1-d/e2-small/on-demand');
    expect(offers.find((o) => o.flavor === 't2a-standard-1')).toMatchObject({ arch: 'arm64', vcpus: 1, memoryGiB: 4, priceMicrosPerHour: 38_500 });
    expect(offers.find((o) => o.flavor === 'g2-standard-4' && o.zone === 'us-central1-a')).toMatchObject({ gpus: 1, vcpus: 4, memoryGiB: 16 });
  });

  it('regions list configured zones, or the zones the API lists for a region given by name', async () => {
    expect(await driver.regions()).toEqual([
      { provider: driver.name, name: 'us-central1', zones: ['us-central1-a', 'us-central1-b'], location: null },
      { provider: driver.name, name: 'europe-west1', zones: ['europe-west1-b', 'europe-west1-c', 'europe-west1-d'], location: null },
    ]);
    expect((await driver.images()).map((i) => `${i.name}:${i.arch}`)).toContain('ubuntu-24.04-arm64:arm64');
  });
});

describe('the minimal IAM role', () => {
  /** The permissions of the role the README gives: the double refuses every call that needs anything else. */
  const ROLE = [
    'compute.instances.create',
    'compute.instances.get',
    'compute.instances.list',
    'compute.instances.start',
    'compute.instances.stop',
    'compute.instances.reset',
    'compute.instances.delete',
    'compute.instances.setLabels',
    'compute.instances.setMetadata',
    'compute.disks.create',
    'compute.images.useReadOnly',
    'compute.subnetworks.use',
    'compute.subnetworks.useExternalIp',
    'compute.zoneOperations.get',
    'compute.machineTypes.list',
    'compute.zones.list',
  ];

  it('is enough for every driver call', async () => {
    const strict = await startGceDouble({ serviceAccounts: [key.publicKey], grantedPermissions: ROLE });
    try {
      const d = await createGcpDriver('gcp-minimal-role', { ...config(), apiEndpoint: strict.host, port: strict.port, tokenUrl: strict.tokenUrl }, ctx());
      opened.push(d);
      const t = token();
      const made = await d.create(request({ market: 'spot', userData: '#!/bin/sh\ntrue\n' }), t);
      expect((await d.observe({ region: 'us-central1', token: t }))?.externalId).toBe(made.externalId);
      for await (const page of d.list()) expect(page.length).toBeGreaterThan(0);
      const ref = { region: 'us-central1', externalId: made.externalId };
      await d.power(ref, 'off');
      await settle(d, ref, 'stopped');
      await d.power(ref, 'reboot'); // a stopped VM cannot be reset: reboot starts it
      await settle(d, ref, 'running');
      await d.delete(ref);
      expect((await d.offers()).length).toBeGreaterThan(0);
      expect(await d.regions()).toHaveLength(2);
      expect(strict.calls.filter((c) => c.status === 403)).toEqual([]);
    } finally {
      await strict.close();
    }
  });
});

describe('configuration errors', () => {
  async function expectConfigError(raw: Record<string, unknown>, pattern: RegExp, credentials: Record<string, string> | null = { ...key.keyFile }) {
    const e = await createGcpDriver('gcp-bad', raw, ctx(credentials)).then(
      () => {
        throw new Error('expected an InvalidInputError');
      },
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(InvalidInputError);
    expect((e as Error).message).toMatch(pattern);
  }

  it('names each mistake and what to write instead', async () => {
    await expectConfigError({ project: PROJECT }, /gcp provider 'gcp-bad' has an invalid configuration: regions: .*list at least one region/i);
    await expectConfigError({ project: PROJECT, regions: [] }, /regions: list at least one region/);
    await expectConfigError({ project: PROJECT, regions: [{ name: 'us-central1', zones: ['europe-west1-b'] }] }, /regions\[0\]\.zones: every zone must belong to its region/);
    await expectConfigError({ project: PROJECT, regions: ['us-central1'], protocol: 'http' }, /protocol: protocol http is only for a local test endpoint/);
    await expectConfigError({ project: PROJECT, regions: ['us-central1'], region: 'us-central1' }, /unknown key "region"; the keys allowed here are: project, regions/);
    await expectConfigError({ project: 'My Project', regions: ['us-central1'] }, /project: must be a project id/);
    await expectConfigError({ project: PROJECT, regions: ['us-central1'], images: { bad: 'debian-12' } }, /images\.bad: must be an image path such as projects\/debian-cloud/);
    await expectConfigError({ project: PROJECT, regions: [{ name: 'us-central1', subnetwork: 'regions/europe-west1/subnetworks/x' }] }, /subnetwork must be in this region/);
  });

  it('says what a stored credential lacks, naming fields but never their values', async () => {
    const base = { project: PROJECT, regions: ['us-central1'] };
    const { private_key: _omitted, ...noKey } = key.keyFile;
    await expectConfigError(base, /lack private_key \(they hold: auth_uri, client_email, client_id, private_key_id, project_id, token_uri, type\)/, noKey);
    await expectConfigError(base, /type 'authorized_user', not a service-account key/, { type: 'authorized_user', client_id: 'x', client_secret: 'y', refresh_token: 'z' });
    await expectConfigError(base, /private_key that is not a PEM private key/, { ...key.keyFile, private_key: 'not-a-key' });
  });
});
