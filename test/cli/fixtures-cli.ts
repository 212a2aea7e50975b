/** Runs the CLI in-process, as main.ts would, with captured output and a Ctrl-C the test can press. */
import { main } from '../../src/cli/program.js';
import type { CliIo, OutputStream, ServerModule } from '../../src/cli/io.js';
import { TEST_ADMIN_TOKEN } from '../support/test-token.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** TESSERA_URL; most tests point it at a FakeApi. */
  url?: string;
  env?: Record<string, string>;
  /** Pretend stdout and stderr are a terminal. */
  tty?: boolean;
  loadServer?: () => Promise<ServerModule>;
}

export interface RunningCli {
  result: Promise<CliResult>;
  stdout(): string;
  stderr(): string;
  /** What SIGINT does to the real process. */
  stop(): void;
}

class CapturedStream implements OutputStream {
  text = '';
  constructor(readonly isTTY: boolean) {}
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

export function startCli(args: string[], options: CliOptions = {}): RunningCli {
  const stdout = new CapturedStream(options.tty ?? false);
  const stderr = new CapturedStream(options.tty ?? false);
  const stop = new AbortController();
  const io: CliIo = {
    stdout,
    stderr,
    // Signed in as the test servers' admin unless a test says otherwise (fake APIs ignore the header).
    env: { TESSERA_TOKEN: TEST_ADMIN_TOKEN, ...(options.url ? { TESSERA_URL: options.url } : {}), ...options.env },
    stopSignal: () => stop.signal,
    loadServer: options.loadServer,
  };
  const result = main(args, io).then((code) => ({ code, stdout: stdout.text, stderr: stderr.text }));
  return { result, stdout: () => stdout.text, stderr: () => stderr.text, stop: () => stop.abort('SIGINT') };
}

export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return startCli(args, options).result;
}

/** Resolves once `read()` satisfies `done`, polling briefly; for output that arrives while a command runs. */
export async function eventually(read: () => string, done: (text: string) => boolean, timeoutMs = 5000): Promise<string> {
  const started = Date.now();
  while (!done(read())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out; output so far:\n${read()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return read();
}
