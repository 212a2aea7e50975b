import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { TEST_ADMIN_TOKEN } from './test-token.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A free loopback port (the OS picks one; it is released before the server binds it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** Last lines of its stderr, for failure messages. */
  log(): string;
}

/** Runs `tessera server` from the sources in a child process (so it can be SIGKILLed) and waits for /healthz. */
export async function spawnServer(args: { port: number; configPath: string; env?: NodeJS.ProcessEnv }): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'server', '--port', String(args.port), '--config', args.configPath], {
    cwd: ROOT,
    env: { ...process.env, TESSERA_LOG_LEVEL: 'warn', TESSERA_BOOTSTRAP_TOKEN: TEST_ADMIN_TOKEN, ...args.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const keep = (b: Buffer) => {
    tail = (tail + b.toString()).slice(-4000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const url = `http://127.0.0.1:${args.port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`tessera server exited with ${child.exitCode}: ${tail}`);
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`tessera server did not become healthy in 60 s: ${tail}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, url, log: () => tail };
}

export function killHard(p: ServerProcess): Promise<void> {
  return new Promise((resolve) => {
    if (p.child.exitCode !== null || p.child.signalCode !== null) return resolve();
    p.child.once('exit', () => resolve());
    p.child.kill('SIGKILL');
  });
}

export function stopGracefully(p: ServerProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (p.child.exitCode !== null || p.child.signalCode !== null) return resolve(p.child.exitCode);
    p.child.once('exit', (code) => resolve(code));
    p.child.kill('SIGTERM');
  });
}
