/**
 * Everything the CLI takes from the process it runs in. `main` receives it as an argument so that tests can run
 * the whole CLI in-process with captured output, their own environment and their own "Ctrl-C".
 */

/** The part of a writable stream the CLI uses; `isTTY` decides between human and pipe-friendly output. */
export interface OutputStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/** What `tessera server` needs from the API module (src/api/server.ts). */
export interface ServerModule {
  startServer(options: {
    port?: number;
    dataDir?: string;
    configPath?: string;
    newAdminToken?: boolean;
  }): Promise<{ url: string; close(): Promise<void> }>;
}

export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  env: Readonly<Record<string, string | undefined>>;
  /**
   * Aborted when the user asks a long-running command (server, watch, events --follow) to stop.
   * Asked for lazily, so that commands which finish on their own keep Node's default Ctrl-C behaviour.
   */
  stopSignal(): AbortSignal;
  /** Loads the API server; replaced in tests, where src/api may not exist. */
  loadServer?: () => Promise<ServerModule>;
}

/** The real process: its streams, its environment, and SIGINT/SIGTERM as the stop request. */
export function processIo(): CliIo {
  let stop: AbortController | undefined;
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    stopSignal() {
      if (stop) return stop.signal;
      const controller = new AbortController();
      stop = controller;
      const onSignal = (signal: NodeJS.Signals) => {
        // A second Ctrl-C while a graceful shutdown hangs must still end the process.
        if (controller.signal.aborted) process.exit(130);
        controller.abort(signal);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      return controller.signal;
    },
  };
}
