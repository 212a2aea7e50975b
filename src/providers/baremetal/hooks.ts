import { spawn } from 'node:child_process';
import { request } from 'undici';
import { ProviderError } from '../driver.js';
import type { HookConfig } from './config.js';
import type { MachineFacts } from './machine.js';

/**
 * The provisioning and wipe hooks: what installs a machine (a PXE/image server, MAAS, Tinkerbell, a script) and
 * what cleans it afterwards live outside Tessera; the driver tells them which machine and what to put on it.
 *
 * A command is run directly (no shell) with the user-data on stdin and the machine in TESSERA_* variables; it
 * inherits nothing else of Tessera's environment (which may hold TESSERA_SECRET_KEY). A URL gets the same as a
 * JSON POST. How a failure is classed: a command exiting 75 (EX_TEMPFAIL, sysexits.h), a timeout, a URL that
 * cannot be reached or answers 429/5xx are Retryable; any other non-zero exit or 4xx is Invalid — the hook's
 * author decides which of its failures are worth retrying.
 */

export type HookEvent = 'provision' | 'wipe';

export interface HookCall {
  event: HookEvent;
  provider: string;
  machine: { name: string; rack: string; facts: MachineFacts };
  /** The instance the machine is (or was) allocated to. */
  instance: { id: string; name: string; image: string; flavor: string; labels: Record<string, string> };
  /** Provisioning only: the instance's user-data, as given. */
  userData: string | null;
  bootDevice: 'pxe' | 'disk';
}

const EX_TEMPFAIL = 75;

export async function runHook(hook: HookConfig, call: HookCall): Promise<void> {
  if ('command' in hook) await runCommand(hook.command, hook.timeoutSeconds, call);
  else await postToUrl(hook.url, hook.headers, hook.timeoutSeconds, call);
}

/** The TESSERA_* variables a hook command sees. */
export function hookEnvironment(call: HookCall): Record<string, string> {
  const { machine, instance } = call;
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    TESSERA_HOOK_EVENT: call.event,
    TESSERA_PROVIDER: call.provider,
    TESSERA_MACHINE: machine.name,
    TESSERA_RACK: machine.rack,
    TESSERA_MACS: machine.facts.nics.map((n) => n.mac).join(','),
    TESSERA_CPUS: String(machine.facts.cpus),
    TESSERA_MEMORY_GIB: String(machine.facts.memoryGiB),
    TESSERA_ARCH: machine.facts.arch,
    TESSERA_FACTS: JSON.stringify(machine.facts),
    TESSERA_INSTANCE_ID: instance.id,
    TESSERA_INSTANCE_NAME: instance.name,
    TESSERA_IMAGE: instance.image,
    TESSERA_FLAVOR: instance.flavor,
    TESSERA_BOOT_DEVICE: call.bootDevice,
  };
}

function runCommand(command: string[], timeoutSeconds: number, call: HookCall): Promise<void> {
  const [program, ...args] = command as [string, ...string[]];
  const what = `the ${call.event} hook ${program}`;
  const fail = (errorClass: 'Retryable' | 'Invalid', code: string, message: string) =>
    new ProviderError(errorClass, `machine ${call.machine.name}: ${what} ${message}`, call.provider, code);
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { env: hookEnvironment(call), stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutSeconds * 1000);
    child.stderr.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-2000)));
    // A hook that does not read its stdin must not fail the write: EPIPE is its business, not ours.
    child.stdin.on('error', () => undefined);
    child.stdin.end(call.userData ?? '');
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        e.code === 'ENOENT' || e.code === 'EACCES'
          ? fail('Invalid', 'HookNotRunnable', `cannot be run (${e.code}): install it or fix the provider's ${call.event === 'provision' ? 'provisioning' : 'wipe'}.command`)
          : fail('Retryable', 'HookFailed', `could not be started (${e.message}); it will be retried`),
      );
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const said = stderr.trim().split('\n').slice(-3).join('; ').slice(0, 400);
      if (timedOut) return reject(fail('Retryable', 'HookTimeout', `did not finish within ${timeoutSeconds} s and was stopped; it will be retried`));
      if (code === 0) return resolve();
      if (code === EX_TEMPFAIL) return reject(fail('Retryable', 'HookTempFail', `asked to be retried (exit 75)${said ? `: ${said}` : ''}`));
      reject(fail('Invalid', 'HookFailed', `failed (${signal ? `signal ${signal}` : `exit ${code}`})${said ? `: ${said}` : ''} — fix what it reports and create the instance again (exit 75 marks a failure worth retrying)`));
    });
  });
}

async function postToUrl(url: string, headers: Record<string, string>, timeoutSeconds: number, call: HookCall): Promise<void> {
  const what = `the ${call.event} hook ${new URL(url).origin}${new URL(url).pathname}`;
  const fail = (errorClass: 'Retryable' | 'Invalid', code: string, message: string, retryAfterSeconds?: number) =>
    new ProviderError(errorClass, `machine ${call.machine.name}: ${what} ${message}`, call.provider, code, retryAfterSeconds);
  let status: number;
  let text: string;
  let retryAfter: string | undefined;
  try {
    const res = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(call),
      headersTimeout: timeoutSeconds * 1000,
      bodyTimeout: timeoutSeconds * 1000,
    });
    status = res.statusCode;
    text = await res.body.text();
    const ra = res.headers['retry-after'];
    retryAfter = typeof ra === 'string' ? ra : undefined;
  } catch (e) {
    throw fail('Retryable', 'HookUnreachable', `could not be reached (${(e as Error).message}); it will be retried`);
  }
  if (status >= 200 && status < 300) return;
  const said = text.replace(/\s+/g, ' ').trim().slice(0, 300);
  if (status === 429 || status >= 500) {
    const seconds = retryAfter !== undefined && Number.isFinite(Number(retryAfter)) ? Number(retryAfter) : undefined;
    throw fail('Retryable', `Hook${status}`, `answered ${status}${said ? `: ${said}` : ''}; it will be retried`, seconds);
  }
  throw fail('Invalid', `Hook${status}`, `refused the ${call.event} (${status}${said ? `: ${said}` : ''}) — fix what it reports and create the instance again`);
}
