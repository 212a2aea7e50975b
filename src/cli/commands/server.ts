import type { Command } from 'commander';
import type { GlobalOptions } from '../context.js';
import type { CliIo, ServerModule } from '../io.js';
import { Printer } from '../output.js';
import { port } from '../parsers.js';

interface ServerFlags {
  port?: number;
  dataDir?: string;
  config?: string;
  newAdminToken?: boolean;
}

export function registerServerCommand(program: Command, io: CliIo): void {
  program
    .command('server')
    .description('run the Tessera API server and its controllers in this process (Ctrl-C stops it gracefully)')
    .option('--port <n>', 'port to listen on (default: from the configuration, else 8080)', port)
    .option('--data-dir <dir>', 'directory for the embedded database and other state')
    .option('--config <file>', 'configuration file')
    .option('--new-admin-token', 'print a new API token for the organisation admin (when its token is lost); shown once, audited')
    .action(async (flags: ServerFlags, command: Command) => {
      const printer = new Printer(io.stdout, command.optsWithGlobals<GlobalOptions>().output, io.env);
      // Listen for Ctrl-C before starting, so that one pressed during start-up also shuts down cleanly.
      const stop = io.stopSignal();
      const api = await (io.loadServer ?? importApiServer)();
      const server = await api.startServer({ port: flags.port, dataDir: flags.dataDir, configPath: flags.config, newAdminToken: flags.newAdminToken });
      printer.result({ url: server.url }, () => `Tessera API server listening on ${server.url}`);
      await untilAborted(stop);
      io.stderr.write('stopping: finishing requests in flight and closing the store\n');
      await server.close();
    });
}

/** The API is loaded only to serve, so that client commands start fast and never load the server's dependencies. */
async function importApiServer(): Promise<ServerModule> {
  return import('../../api/server.js');
}

function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
