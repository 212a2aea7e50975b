import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { FakeApi, makeInstance } from './fixtures-api-server.js';
import { runCli } from './fixtures-cli.js';

let api: FakeApi;
beforeAll(async () => {
  api = await FakeApi.start();
  api.add(makeInstance({ name: 'web-a', phase: 'Running' }));
  api.add(makeInstance({ name: 'db-a', phase: 'Stopped', spec: { ...makeInstance().spec, provider: 'docker', region: 'local' } }));
});
afterAll(() => api.close());

describe('-o json', () => {
  it('prints the API data as valid JSON and nothing else', async () => {
    const run = await runCli(['provider', 'list', '-o', 'json'], { url: api.url });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const providers = JSON.parse(run.stdout) as { name: string; simulated: boolean }[];
    expect(providers.map((p) => [p.name, p.simulated])).toEqual([['sim', true], ['docker', false]]);
  });

  it('is accepted before the command as well as after it', async () => {
    const run = await runCli(['-o', 'json', 'instance', 'list'], { url: api.url });
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as unknown[]).length).toBe(2);
    // Labels are for tables: JSON output does not cost an extra request for them.
    expect(api.requestsTo('GET', '/v1/providers').length).toBeLessThanOrEqual(1);
  });
});

describe('-o yaml', () => {
  it('prints YAML that parses back to the API data', async () => {
    const run = await runCli(['region', 'list', '-o', 'yaml'], { url: api.url });
    expect(run.code).toBe(0);
    expect(parseYaml(run.stdout)).toEqual(api.regions);
  });
});

describe('tables', () => {
  it('label simulated providers, and use no borders or colours off a terminal', async () => {
    const run = await runCli(['provider', 'list'], { url: api.url });
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+TYPE\s+HEALTH/);
    expect(lines[1]).toMatch(/^sim \(simulated\)\s+sim\s+ok/);
    expect(lines[2]).toMatch(/^docker\s+docker\s+ok/);
    expect(run.stdout).not.toMatch(/[┌│─]/);
    expect(run.stdout).not.toContain('\x1b[');
    expect(run.stdout).not.toMatch(/ +\n/);
  });

  it('draw boxes on a terminal', async () => {
    const run = await runCli(['provider', 'list'], { url: api.url, tty: true, env: { NO_COLOR: '1' } });
    expect(run.stdout).toContain('┌');
    expect(run.stdout).not.toContain('\x1b[');
  });

  it('label instances on simulated providers, which do not carry the flag themselves', async () => {
    const run = await runCli(['instance', 'list'], { url: api.url });
    expect(run.code).toBe(0);
    const web = run.stdout.split('\n').find((line) => line.includes('web-a'));
    const db = run.stdout.split('\n').find((line) => line.includes('db-a'));
    expect(web).toContain('sim (simulated)');
    expect(web).toContain('$0.0384/h');
    expect(db).toContain('docker');
    expect(db).not.toContain('(simulated)');
  });

  it('show money as USD from integer micro-dollars, and filter flavors by size', async () => {
    const run = await runCli(['flavor', 'list', '--min-vcpus', '4'], { url: api.url });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('sim.large');
    expect(run.stdout).toContain('$1.25/h');
    expect(run.stdout).not.toContain('sim.small');
  });

  it('label images by their provider', async () => {
    const run = await runCli(['image', 'list'], { url: api.url });
    expect(run.stdout).toMatch(/sim \(simulated\)\s+ubuntu-24\.04/);
  });

  it('show one instance field by field', async () => {
    const [web] = [...api.instances.values()];
    const run = await runCli(['instance', 'get', web!.id], { url: api.url });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Provider\s+sim \(simulated\)/);
    expect(run.stdout).toMatch(/Placement\s+cheapest offer that fits/);
  });
});
