import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeApi, makeInstance, type Step } from './fixtures-api-server.js';
import { runCli } from './fixtures-cli.js';

let api: FakeApi;
beforeEach(async () => {
  api = await FakeApi.start();
});
afterEach(() => api.close());

/** Plays `steps` on whichever instance the CLI starts watching, once it is listening. */
function playOnWatch(steps: Step[]): void {
  api.onWatchOpened = (query) => void api.play(query.get('id')!, steps);
}

describe('--wait over the SSE watch', () => {
  it('follows the instance to Running, prints it, and exits 0', async () => {
    playOnWatch(['Provisioning', 'Running']);
    const run = await runCli(['instance', 'create', 'web', '--flavor', 'sim.small', '--wait', '-o', 'json'], { url: api.url });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ name: 'web', status: { phase: 'Running' } });
    // Off a terminal, progress is one line per phase change, on stderr so that stdout stays valid JSON.
    const progress = run.stderr.trimEnd().split('\n');
    expect(progress).toHaveLength(3);
    expect(progress[0]).toMatch(/^instance web \(i-\w+\): Pending \(\d+s\)$/);
    expect(progress[1]).toContain(': Provisioning (');
    expect(progress[2]).toContain(': Running (');
    const watch = api.requestsTo('GET', '/v1/watch')[0]!;
    expect(watch.query.get('kind')).toBe('Instance');
    expect(watch.headers.accept).toBe('text/event-stream');
  });

  it('exits 1 with the reason when the instance ends Failed', async () => {
    playOnWatch(['Provisioning', { phase: 'Failed', reason: 'CapacityExhausted', message: 'no capacity for sim.small in sim-east' }]);
    const run = await runCli(['instance', 'create', 'web', '--flavor', 'sim.small', '--wait'], { url: api.url });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/error: instance i-\w+ failed: CapacityExhausted: no capacity for sim.small in sim-east\n$/);
  });

  it('waits for Stopped after stop, not for the phase the instance had before', async () => {
    const instance = api.add(makeInstance({ phase: 'Running' }));
    playOnWatch(['Stopped']);
    const run = await runCli(['instance', 'stop', instance.id, '--wait', '-o', 'json'], { url: api.url });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: { phase: 'Stopped' } });
  });

  it('waits for the reboot to happen, though the instance reads Running throughout', async () => {
    const instance = api.add(makeInstance({ phase: 'Running' }));
    playOnWatch([{ phase: 'Running', reason: 'Rebooted', message: 'rebooted' }]);
    const run = await runCli(['instance', 'reboot', instance.id, '--wait', '-o', 'json'], { url: api.url });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ spec: { reboots: 1 }, status: { phase: 'Running', observedReboots: 1, reason: 'Rebooted' } });
  });

  it('waits for a stopped create to be Stopped', async () => {
    playOnWatch(['Provisioning', 'Stopped']);
    const run = await runCli(['instance', 'create', 'cold', '--flavor', 'f', '--stopped', '--wait', '-o', 'json'], { url: api.url });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: { phase: 'Stopped' } });
  });

  it('ends a delete when the instance is gone', async () => {
    const instance = api.add(makeInstance({ phase: 'Running' }));
    playOnWatch(['Deleted']);
    const run = await runCli(['instance', 'delete', instance.id, '--wait'], { url: api.url });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`instance ${instance.name} (${instance.id}) deleted\n`);
  });

  it('gives up after --timeout with exit 1', async () => {
    playOnWatch(['Provisioning']);
    const run = await runCli(['instance', 'create', 'slow', '--flavor', 'f', '--wait', '--timeout', '0.3'], { url: api.url });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/error: timed out after 0.3s waiting for instance i-\w+ to be Running \(it is Provisioning\)/);
  });

  it('rewrites one line on a terminal', async () => {
    playOnWatch(['Provisioning', 'Running']);
    const run = await runCli(['instance', 'create', 'web', '--flavor', 'f', '--wait'], { url: api.url, tty: true });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('\r\x1b[2Kinstance web');
    expect(run.stderr.match(/\n/g)).toHaveLength(1);
    expect(run.stderr).toMatch(/Running \(\d+s\)\n$/);
  });
});

describe('--wait without the watch', () => {
  it('polls GET once a second until Running', async () => {
    api.watchAvailable = false;
    const instance = api.add(makeInstance({ phase: 'Stopped', generation: 2, spec: { ...makeInstance().spec, powerState: 'off' } }));
    api.stepsOnGet.set(instance.id, ['Provisioning', 'Running']);
    const run = await runCli(['instance', 'start', instance.id, '--wait', '-o', 'json'], { url: api.url });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: { phase: 'Running' } });
    expect(api.requestsTo('GET', `/v1/instances/${instance.id}`)).toHaveLength(2);
  });

  it('treats 404 as the end of a delete', async () => {
    api.watchAvailable = false;
    const instance = api.add(makeInstance({ phase: 'Running' }));
    api.stepsOnGet.set(instance.id, ['Deleted']);
    const run = await runCli(['instance', 'delete', instance.id, '--wait', '-o', 'json'], { url: api.url });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ id: instance.id, name: instance.name, deleted: true });
  });
});
