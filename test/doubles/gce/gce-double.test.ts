import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGceDouble, type GceDouble } from './server.js';

/** The double's own wire behaviour, checked with plain HTTP (the driver tests use it through the SDK). */

const TOKEN = 'ya29.static-test-token';
let double: GceDouble;

beforeAll(async () => {
  double = await startGceDouble({ accessTokens: [TOKEN], transitionMs: 60 });
});
afterAll(async () => double?.close());

async function call(method: string, path: string, body?: unknown, token: string | null = TOKEN): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(`${double.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

const BASE = '/compute/v1/projects/p-double/zones/us-central1-a';
const VM = { name: 'vm-1', machineType: 'zones/us-central1-a/machineTypes/e2-micro', disks: [{ boot: true, initializeParams: { sourceImage: 'projects/debian-cloud/global/images/family/debian-12' } }] };

describe('GCE double', () => {
  it('refuses a call without a bearer token it issued, in Google error envelope', async () => {
    for (const token of [null, 'ya29.forged']) {
      const r = await call('GET', `${BASE}/instances/vm-1`, undefined, token);
      expect(r.status).toBe(401);
      expect(r.json.error).toMatchObject({ code: 401, status: 'UNAUTHENTICATED', errors: [{ reason: 'authError' }] });
    }
  });

  it('answers an insert with a PENDING operation that becomes DONE, and de-duplicates by requestId', async () => {
    const requestId = '6f1c2b9e-4b7a-4d3e-9c1f-2a5b8e7d6c40';
    const first = await call('POST', `${BASE}/instances?requestId=${requestId}`, VM);
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ kind: 'compute#operation', operationType: 'insert', status: 'PENDING' });
    const again = await call('POST', `${BASE}/instances?requestId=${requestId}`, VM);
    expect(again.json.name).toBe(first.json.name);
    const other = await call('POST', `${BASE}/instances?requestId=6f1c2b9e-4b7a-4d3e-9c1f-2a5b8e7d6c41`, VM);
    expect(other.status).toBe(409);
    expect(other.json.error).toMatchObject({ errors: [{ reason: 'alreadyExists' }] });
    const done = await call('POST', `${BASE}/operations/${String(first.json.name)}/wait`);
    expect(done.json.status).toBe('DONE');
    expect((await call('GET', `${BASE}/instances/vm-1`)).json.status).toBe('RUNNING');
    expect(double.instances()).toHaveLength(1);
  });

  it('refuses a requestId that is not a UUID, and a page token used with another filter', async () => {
    const bad = await call('POST', `${BASE}/instances?requestId=not-a-uuid`, { ...VM, name: 'vm-2' });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatchObject({ errors: [{ reason: 'invalid' }] });
    for (const name of ['vm-3', 'vm-4']) await call('POST', `${BASE}/instances`, { ...VM, name });
    const page = await call('GET', '/compute/v1/projects/p-double/aggregated/instances?maxResults=1');
    expect(typeof page.json.nextPageToken).toBe('string');
    const items = page.json.items as Record<string, { instances?: unknown[]; warning?: { code: string } }>;
    expect(items['zones/us-central1-a']?.instances).toHaveLength(1);
    expect(items['zones/us-central1-b']?.warning?.code).toBe('NO_RESULTS_ON_PAGE');
    const misuse = await call('GET', `/compute/v1/projects/p-double/aggregated/instances?maxResults=1&filter=${encodeURIComponent('name = "vm-3"')}&pageToken=${String(page.json.nextPageToken)}`);
    expect(misuse.status).toBe(400);
  });

  it('throttles with 403 rateLimitExceeded, Retry-After and RetryInfo', async () => {
    double.faults.throttleNext(1);
    const r = await call('GET', `${BASE}/instances/vm-1`);
    expect(r.status).toBe(403);
    expect(r.headers.get('retry-after')).toBe('1');
    expect(r.json.error).toMatchObject({ errors: [{ reason: 'rateLimitExceeded' }], details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '1s' }] });
    expect((await call('GET', `${BASE}/instances/vm-1`)).status).toBe(200);
  });

  it('refuses an unknown filter expression as GCE does', async () => {
    const r = await call('GET', `/compute/v1/projects/p-double/aggregated/instances?filter=${encodeURIComponent('cpuPlatform ~ "Intel.*"')}`);
    expect(r.status).toBe(400);
  });
});
