import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeApi, makeInstance, sendError } from './fixtures-api-server.js';
import { runCli } from './fixtures-cli.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let api: FakeApi;
beforeEach(async () => {
  api = await FakeApi.start();
});
afterEach(() => api.close());

describe('instance create', () => {
  it('sends the request body the API expects, with an Idempotency-Key', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tessera-cli-'));
    await writeFile(join(dir, 'init.yaml'), '#cloud-config\n');
    const run = await runCli(
      [
        'instance', 'create', 'web-1', '--vcpus', '2', '--memory', '8', '--gpus', '1', '--spot', '--stopped',
        '--label', 'app=web', '--label', 'tier=front', '--project', 'shop', '--region', 'sim-east',
        '--user-data-file', join(dir, 'init.yaml'), '--drift-policy', 'recreate', '-o', 'json',
      ],
      { url: api.url },
    );
    expect(run.code).toBe(0);
    const [request] = api.requestsTo('POST', '/v1/instances');
    expect(request!.body).toEqual({
      name: 'web-1',
      project: 'shop',
      labels: { app: 'web', tier: 'front' },
      region: 'sim-east',
      requirements: { vcpus: 2, memoryGiB: 8, gpus: 1 },
      market: 'spot',
      userData: '#cloud-config\n',
      powerState: 'off',
      driftPolicy: 'recreate',
    });
    expect(request!.headers['idempotency-key']).toMatch(UUID);
    expect(request!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(run.stdout)).toMatchObject({ name: 'web-1', status: { phase: 'Pending' } });
  });

  it('leaves out what was not given, so the server applies its defaults', async () => {
    await runCli(['instance', 'create', 'web-2', '--provider', 'sim', '--flavor', 'sim.small'], { url: api.url });
    expect(api.requestsTo('POST', '/v1/instances')[0]!.body).toEqual({ name: 'web-2', provider: 'sim', flavor: 'sim.small' });
  });

  it('retries a 503 with the same Idempotency-Key, so the server can tell it is the same request', async () => {
    let failuresLeft = 1;
    api.overrides.push((req, res) => {
      if (req.method !== 'POST' || failuresLeft-- <= 0) return false;
      sendError(res, 503, 'Unavailable', 'try again');
      return true;
    });
    const run = await runCli(['instance', 'create', 'web-3', '--flavor', 'sim.small'], { url: api.url });
    expect(run.code).toBe(0);
    const keys = api.requestsTo('POST', '/v1/instances').map((r) => r.headers['idempotency-key']);
    expect(keys).toHaveLength(2);
    expect(keys[0]).toBe(keys[1]);
  });

  it('uses a new key for each command', async () => {
    await runCli(['instance', 'create', 'a', '--flavor', 'f'], { url: api.url });
    await runCli(['instance', 'create', 'b', '--flavor', 'f'], { url: api.url });
    const [first, second] = api.requestsTo('POST', '/v1/instances').map((r) => r.headers['idempotency-key']);
    expect(first).not.toBe(second);
  });

  it('prints the created instance as a table row', async () => {
    const run = await runCli(['instance', 'create', 'web-4', '--flavor', 'sim.small'], { url: api.url });
    expect(run.stdout).toMatch(/^ID\s+NAME\s+PROJECT\s+PROVIDER/);
    expect(run.stdout).toMatch(/web-4\s+default\s+sim \(simulated\)\s+sim-east\s+sim\.small\s+Pending/);
  });
});

describe('instance list', () => {
  it('passes filters and the selector to the API', async () => {
    await runCli(['instance', 'list', '--provider', 'sim', '--phase', 'Running', '-l', 'app=web,tier!=db', '--limit', '5'], { url: api.url });
    const [request] = api.requestsTo('GET', '/v1/instances');
    expect(Object.fromEntries(request!.query)).toEqual({ provider: 'sim', phase: 'Running', selector: 'app=web,tier!=db', limit: '5' });
  });

  it('follows cursors with --all, and says when there is more without it', async () => {
    for (let n = 0; n < 3; n++) api.add(makeInstance({ name: `page-${n}` }));
    const all = await runCli(['instance', 'list', '--all', '--limit', '1', '-o', 'json'], { url: api.url });
    expect((JSON.parse(all.stdout) as { name: string }[]).map((i) => i.name)).toEqual(['page-0', 'page-1', 'page-2']);
    expect(api.requestsTo('GET', '/v1/instances').map((r) => r.query.get('cursor'))).toEqual([null, '1', '2']);

    const first = await runCli(['instance', 'list', '--limit', '1', '-o', 'json'], { url: api.url });
    expect(JSON.parse(first.stdout)).toHaveLength(1);
    expect(first.stderr).toContain('add --all');
  });
});

describe('instance references', () => {
  it('accept a name when exactly one instance has it', async () => {
    const web = api.add(makeInstance({ name: 'frontend', phase: 'Running' }));
    const run = await runCli(['instance', 'stop', 'frontend', '-o', 'json'], { url: api.url });
    expect(run.code).toBe(0);
    expect(api.requestsTo('GET', '/v1/instances')[0]!.query.get('name')).toBe('frontend');
    expect(api.requestsTo('POST', `/v1/instances/${web.id}/stop`)).toHaveLength(1);
  });

  it('refuse an ambiguous name', async () => {
    api.add(makeInstance({ name: 'twin', project: 'a' }));
    api.add(makeInstance({ name: 'twin', project: 'b' }));
    const run = await runCli(['instance', 'delete', 'twin'], { url: api.url });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('error: more than one instance is named "twin" (in projects a, b): give its id instead\n');
    expect(api.requests.filter((r) => r.method === 'DELETE')).toEqual([]);
  });

  it('report a name nobody has', async () => {
    const run = await runCli(['instance', 'get', 'ghost'], { url: api.url });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('no instance is named "ghost"');
  });
});

describe('instance actions', () => {
  it.each([
    ['start', 'POST', '/start'],
    ['stop', 'POST', '/stop'],
    ['reboot', 'POST', '/reboot'],
    ['adopt', 'POST', '/adopt'],
    ['delete', 'DELETE', ''],
  ])('%s', async (action, method, suffix) => {
    const instance = api.add(makeInstance({ phase: 'Running' }));
    const run = await runCli(['instance', action, instance.id, '-o', 'json'], { url: api.url });
    expect(run.code).toBe(0);
    expect(api.requestsTo(method, `/v1/instances/${instance.id}${suffix}`)).toHaveLength(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ id: instance.id });
  });
});

describe('projects', () => {
  it('create prints the new project', async () => {
    const run = await runCli(['project', 'create', 'shop', '--description', 'the web shop', '-o', 'json'], { url: api.url });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ name: 'shop', description: 'the web shop' });
    expect(api.requestsTo('POST', '/v1/projects')[0]!.headers['idempotency-key']).toMatch(UUID);
  });
});
