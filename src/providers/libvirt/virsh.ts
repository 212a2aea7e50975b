import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProviderError, type ErrorClass } from '../driver.js';
import type { LibvirtHostConfig } from './config.js';

/**
 * `virsh -c <uri> …` for one host, run with execve semantics (never a shell), quiet (`-q`: no banners, no table
 * headers) and in the C locale (messages are matched in English). A failure becomes a ProviderError whose class
 * comes from virsh's stderr.
 */

/** Runs before every virsh process; tests use it to watch commands or to simulate a crash at one. */
export type CommandHook = (host: string, args: readonly string[]) => void | Promise<void>;

export interface VirshOptions {
  timeoutMs: number;
  beforeCommand?: CommandHook;
}

interface Classified {
  errorClass: ErrorClass;
  code: string;
  advice: string;
}

/** Checked in order; the first pattern found in stderr (lower-cased) decides. */
const STDERR_CLASSES: { pattern: RegExp; errorClass: ErrorClass; code: string; advice: string }[] = [
  {
    pattern: /failed to connect to the hypervisor|failed to connect socket|cannot recv data|cannot write data|end of file while reading|connection reset|connection refused|no route to host|client socket is closed|unable to connect to server|host key verification failed|permission denied \(publickey/,
    errorClass: 'Retryable',
    code: 'ConnectFailed',
    advice: 'check that libvirtd runs on that host and that the URI (and its SSH key or TLS certificates) is right; Tessera retries',
  },
  {
    pattern: /domain not found|failed to get domain|no domain with matching/,
    errorClass: 'NotFound',
    code: 'DomainNotFound',
    advice: 'the domain no longer exists (undefined outside Tessera?)',
  },
  {
    pattern: /storage volume not found|failed to get vol|no storage vol with matching/,
    errorClass: 'NotFound',
    code: 'VolumeNotFound',
    advice: 'the volume does not exist in that pool: check the name, or put the file in the pool directory and refresh the pool',
  },
  {
    pattern: /storage pool not found|failed to get pool|no storage pool with matching/,
    errorClass: 'NotFound',
    code: 'PoolNotFound',
    advice: 'the storage pool does not exist on that host',
  },
  {
    pattern: /inaccessible backing store|cannot access backing file/,
    errorClass: 'Invalid',
    code: 'ImageMissing',
    advice: 'the base image is not on that host: copy the qcow2 there, or fix images[].path in the provider config',
  },
  {
    pattern: /could not access kvm kernel module|failed to initialize kvm|no accelerator found|domain type 'kvm'|kvm is not available/,
    errorClass: 'Invalid',
    code: 'KvmUnavailable',
    advice: 'the host cannot run KVM guests (no /dev/kvm for QEMU): set domainType: qemu in the provider config, or enable virtualisation on the host',
  },
  {
    pattern: /cannot allocate memory|out of memory|insufficient free memory/,
    errorClass: 'Capacity',
    code: 'HostOutOfMemory',
    advice: 'the host has no memory left for this domain: use a smaller flavor or another host',
  },
  {
    pattern: /timed out during operation|cannot acquire state change lock|operation timed out/,
    errorClass: 'Retryable',
    code: 'Busy',
    advice: 'libvirt is busy with another operation on this domain; Tessera retries',
  },
  {
    pattern: /requested operation is not valid|domain is already active|domain is not running/,
    errorClass: 'Invalid',
    code: 'OperationInvalid',
    advice: 'the domain is not in a state that allows this',
  },
  {
    pattern: /already exists|already in use/,
    errorClass: 'Invalid',
    code: 'AlreadyExists',
    advice: 'a domain or volume of that name or UUID exists already: remove it, or rename it',
  },
  {
    // libxml2's parse errors come prefixed with the document's role, e.g. `(domain_definition):1: Premature end…`.
    pattern: /xml error|\(\w+_definition\):\d+:|failed to validate|premature end of data|couldn't find end of|extra content at the end|failed to parse|invalid argument|unsupported configuration|expected .* for/,
    errorClass: 'Invalid',
    code: 'InvalidArgument',
    advice: 'libvirt refused the definition or an argument: check the provider config (image, pool, network, flavor)',
  },
];

/** What a failed virsh call means, from its stderr; unknown failures are retried (they are often transient). */
export function classifyVirshError(stderr: string): Classified {
  const text = stderr.toLowerCase();
  const found = STDERR_CLASSES.find((c) => c.pattern.test(text));
  if (found) return { errorClass: found.errorClass, code: found.code, advice: found.advice };
  return { errorClass: 'Retryable', code: 'VirshFailed', advice: 'Tessera retries; if it keeps failing, run the same virsh command by hand on that host' };
}

/** The `error: …` lines of virsh's stderr, joined, without the repeated prefix. */
function errorText(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .map((l) => l.replace(/^error:\s*/, ''));
  return lines.join(': ') || 'no message';
}

/** Arguments safe to put in virsh's own command language (batch mode) without quoting. */
const BATCH_SAFE = /^[A-Za-z0-9@:._/=+-]+$/;

export class Virsh {
  constructor(
    readonly provider: string,
    readonly host: LibvirtHostConfig,
    private readonly opts: VirshOptions,
  ) {}

  /** One command; its stdout, or a ProviderError of the class the failure means. */
  async run(args: string[]): Promise<string> {
    const r = await this.exec(args);
    if (r.code !== 0) throw this.failure(args, r.stderr);
    return r.stdout;
  }

  /**
   * A command that reads an XML file (`define`, `vol-create`): virsh reads it on this machine, also for a remote
   * host. Written to a private temporary file, because Node gives a child a socket, not a pipe, as its stdin,
   * and `/dev/stdin` cannot be opened on a socket.
   */
  async runWithFile(content: string, args: (path: string) => string[]): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'tessera-virsh-'));
    try {
      const path = join(dir, 'definition.xml');
      await writeFile(path, content, { mode: 0o600 });
      return await this.run(args(path));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** One command whose NotFound is an answer (null), not an error. */
  async runOrNull(args: string[]): Promise<string | null> {
    try {
      return await this.run(args);
    } catch (e) {
      if (e instanceof ProviderError && e.errorClass === 'NotFound') return null;
      throw e;
    }
  }

  /**
   * Several commands in one virsh process (one connection instead of one per command). Each command's failure is
   * left in stderr for the caller to ignore — a domain undefined between two calls simply prints nothing — but a
   * host that cannot be reached throws. Arguments must be plain (UUIDs, pool and volume names).
   */
  async batch(commands: string[][]): Promise<string> {
    if (commands.length === 0) return '';
    for (const arg of commands.flat()) {
      if (!BATCH_SAFE.test(arg)) throw new Error(`internal: "${arg}" cannot be passed to virsh in batch mode unquoted`);
    }
    const r = await this.exec([commands.map((c) => c.join(' ')).join(' ; ')]);
    const connectProblem = r.code !== 0 && classifyVirshError(r.stderr).code === 'ConnectFailed';
    if (connectProblem) throw this.failure(['(batch)', commands[0]![0]!], r.stderr);
    return r.stdout;
  }

  private failure(args: readonly string[], stderr: string): ProviderError {
    const c = classifyVirshError(stderr);
    return new ProviderError(
      c.errorClass,
      `libvirt host '${this.host.name}' (${this.host.uri}): virsh ${args[0]} failed: ${errorText(stderr)} — ${c.advice}`,
      this.provider,
      c.code,
    );
  }

  private async exec(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    await this.opts.beforeCommand?.(this.host.name, args);
    return new Promise((resolve, reject) => {
      const child = spawn('virsh', ['-q', '-c', this.host.uri, ...args], {
        env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: this.opts.timeoutMs,
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', (e: NodeJS.ErrnoException) => {
        const missing = e.code === 'ENOENT';
        reject(
          new ProviderError(
            'Retryable',
            missing
              ? `virsh is not installed on the machine running Tessera (libvirt provider '${this.provider}'): install libvirt-clients`
              : `could not run virsh for libvirt host '${this.host.name}': ${e.message}`,
            this.provider,
            missing ? 'VirshMissing' : 'VirshFailed',
          ),
        );
      });
      child.on('close', (code, signal) => {
        if (signal !== null) {
          reject(
            new ProviderError(
              'Retryable',
              `libvirt host '${this.host.name}' (${this.host.uri}): virsh ${args[0]} did not finish within ${this.opts.timeoutMs} ms and was stopped — ` +
                'is the host (or its SSH connection) answering? Tessera retries',
              this.provider,
              'Timeout',
            ),
          );
          return;
        }
        resolve({ code: code ?? 1, stdout, stderr });
      });
    });
  }
}
