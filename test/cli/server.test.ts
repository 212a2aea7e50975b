import { describe, expect, it } from 'vitest';
import type { ServerModule } from '../../src/cli/io.js';
import { eventually, runCli, startCli } from './fixtures-cli.js';

/** Stands in for src/api/server.ts and records how it was started and stopped. */
function fakeServerModule() {
  const calls: string[] = [];
  let options: unknown;
  const module: ServerModule = {
    async startServer(given) {
      options = given;
      calls.push('start');
      return {
        url: 'http://127.0.0.1:18080',
        async close() {
          calls.push('close');
        },
      };
    },
  };
  return { loadServer: async () => module, calls, options: () => options };
}

describe('tessera server', () => {
  it('starts the API with the given options, prints its URL, and closes it on Ctrl-C with exit 0', async () => {
    const server = fakeServerModule();
    const cli = startCli(['server', '--port', '18080', '--data-dir', './data', '--config', 'tessera.yaml'], { loadServer: server.loadServer });
    await eventually(cli.stdout, (text) => text.includes('\n'));
    expect(cli.stdout()).toBe('Tessera API server listening on http://127.0.0.1:18080\n');
    expect(server.options()).toEqual({ port: 18080, dataDir: './data', configPath: 'tessera.yaml' });
    cli.stop();
    const run = await cli.result;
    expect(run.code).toBe(0);
    expect(server.calls).toEqual(['start', 'close']);
  });

  it('refuses a port that is not a port', async () => {
    const run = await runCli(['server', '--port', '70000'], { loadServer: fakeServerModule().loadServer });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('expected a port number');
  });

  it('exits 1 with the reason when the server cannot start', async () => {
    const run = await runCli(['server'], {
      loadServer: async () => ({
        startServer: async () => {
          throw new Error('listen EADDRINUSE: address already in use 127.0.0.1:8080');
        },
      }),
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('error: listen EADDRINUSE: address already in use 127.0.0.1:8080\n');
  });
});
