import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeApi, makeInstance } from './fixtures-api-server.js';
import { eventually, runCli, startCli } from './fixtures-cli.js';

let api: FakeApi;
beforeEach(async () => {
  api = await FakeApi.start();
});
afterEach(() => api.close());

describe('tessera watch', () => {
  it('prints one JSON line per event as it arrives, and exits 0 on Ctrl-C', async () => {
    const instance = api.add(makeInstance());
    api.onWatchOpened = () => void api.play(instance.id, ['Provisioning', 'Running']);
    const cli = startCli(['watch', '-o', 'json'], { url: api.url });
    await eventually(cli.stdout, (text) => text.split('\n').length > 2);
    cli.stop();
    const run = await cli.result;
    expect(run.code).toBe(0);
    const events = run.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as { seq: number; resource: { status: { phase: string } } });
    expect(events.map((e) => e.resource.status.phase)).toEqual(['Provisioning', 'Running']);
    expect(api.requestsTo('GET', '/v1/watch')[0]!.query.get('kind')).toBe('Instance');
  });

  it('prints a readable line per event in table mode', async () => {
    const instance = api.add(makeInstance());
    api.onWatchOpened = () => void api.play(instance.id, ['Running']);
    const cli = startCli(['watch'], { url: api.url });
    await eventually(cli.stdout, (text) => text.includes('\n'));
    cli.stop();
    expect((await cli.result).stdout).toBe(`#1 Instance ${instance.id} Updated Running PhaseRunning: now Running\n`);
  });

  it('reopens the stream after the server closes it, resuming after the last event seen', async () => {
    const instance = api.add(makeInstance());
    api.onWatchOpened = (query) => {
      if (query.get('after') === null) {
        api.apply(instance.id, 'Provisioning');
        setTimeout(() => api.endWatches(), 10);
      } else {
        api.apply(instance.id, 'Running');
      }
    };
    const cli = startCli(['watch', '-o', 'json'], { url: api.url });
    await eventually(cli.stdout, (text) => text.includes('Running'));
    cli.stop();
    const run = await cli.result;
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const phases = run.stdout.trimEnd().split('\n').map((line) => (JSON.parse(line) as { resource: { status: { phase: string } } }).resource.status.phase);
    expect(phases).toEqual(['Provisioning', 'Running']);
    expect(api.requestsTo('GET', '/v1/watch').map((r) => r.query.get('after'))).toEqual([null, '1']);
  });
});

describe('tessera events', () => {
  it('shows a page of the log as a table', async () => {
    api.publish('Instance', 'i-0000000000000001', 'Created', 'Created', 'instance requested', null);
    const run = await runCli(['events', '--kind', 'Instance', '--limit', '10'], { url: api.url });
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/^SEQ\s+TIME\s+KIND\s+RESOURCE\s+TYPE\s+WHAT HAPPENED\n1\s+\S+\s+Instance\s+i-0000000000000001\s+Created\s+Created: instance requested\n$/);
    expect(Object.fromEntries(api.requestsTo('GET', '/v1/events')[0]!.query)).toEqual({ kind: 'Instance', limit: '10' });
  });

  it('--follow prints the history, then new events from the watch without repeating any', async () => {
    const instance = api.add(makeInstance());
    api.publish('Instance', instance.id, 'Created', 'Created', 'instance requested', null);
    api.onWatchOpened = () => void api.play(instance.id, ['Running']);
    const cli = startCli(['events', '--follow', '--resource', instance.id, '-o', 'json'], { url: api.url });
    await eventually(cli.stdout, (text) => text.split('\n').length > 2);
    cli.stop();
    const run = await cli.result;
    expect(run.code).toBe(0);
    expect(run.stdout.trimEnd().split('\n').map((line) => (JSON.parse(line) as { seq: number }).seq)).toEqual([1, 2]);
    const watch = api.requestsTo('GET', '/v1/watch')[0]!;
    expect(Object.fromEntries(watch.query)).toEqual({ id: instance.id, after: '1' });
  });
});
