import { execFile, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { parseDomainXml } from '../../src/providers/libvirt/domain-facts.js';

/**
 * The real libvirt the libvirt tests run against: the system daemon (`qemu:///system`), started here when it is
 * not running, and a per-run directory holding a tiny base image and the run's storage pool.
 *
 * Host setup, and why no /etc file is changed: libvirtd's stock Debian config runs QEMU as `libvirt-qemu` and
 * chowns each disk to it while the domain runs (dynamic_ownership). That works as root with no config change as
 * long as QEMU's user can *reach* the files — so the run directory is mode 0711 (mkdtemp makes 0700, which is
 * what fails with "Cannot access storage file … Permission denied"). The network is QEMU's user mode: no bridge,
 * no dnsmasq, no iptables. Domains are `type='qemu'` (TCG), so the tests need no hardware virtualisation.
 *
 * One device node is set as a stock Debian host has it: /dev/kvm `root:kvm 0660` (udev's default rule; the
 * `libvirt-qemu` user is in group `kvm` for exactly this). A VM without udev keeps the kernel's `root 0600`, and
 * then libvirt contradicts itself: its capability probe sees KVM, its cache check (can `libvirt-qemu` open
 * /dev/kvm?) does not, so every lookup throws the cache away and probes QEMU again — seconds each, and a
 * `virsh define` took 30–60 s under load. Nothing under /etc is changed.
 */

export const SYSTEM_URI = 'qemu:///system';
const PACKAGES = 'libvirt-daemon-system libvirt-clients qemu-system-x86 qemu-utils genisoimage';
const TOOLS = ['virsh', 'libvirtd', 'virtlogd', 'qemu-system-x86_64', 'qemu-img', 'genisoimage', 'isoinfo'];
/** The first connection after a start probes QEMU's capabilities, which takes seconds under TCG. */
const DAEMON_READY_MS = 90_000;
const RUN_POOL = /^tessera-test-(\d+)-[a-z0-9]+$/;

export interface Exec {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program without a shell; never rejects (the caller decides what a failure means). */
export function exec(file: string, args: string[], opts: { timeoutMs?: number } = {}): Promise<Exec> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: opts.timeoutMs ?? 60_000, env: { ...process.env, LC_ALL: 'C' }, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) || (err && typeof err.code !== 'number' ? err.message : '') });
    });
  });
}

/**
 * `virsh -c qemu:///system …`, throwing with virsh's message when it fails. `file` is written to a temporary
 * file whose path replaces the argument `@file` (virsh cannot read a Node child's stdin, a socket, as a file).
 */
export async function virsh(args: string[], opts: { file?: string; uri?: string } = {}): Promise<string> {
  let dir: string | null = null;
  try {
    if (opts.file !== undefined) {
      dir = await mkdtemp(join(tmpdir(), 'tessera-test-virsh-'));
      await writeFile(join(dir, 'input.xml'), opts.file);
    }
    const resolved = args.map((a) => (a === '@file' && dir ? join(dir, 'input.xml') : a));
    const r = await exec('virsh', ['-q', '-c', opts.uri ?? SYSTEM_URI, ...resolved]);
    if (r.code !== 0) throw new Error(`virsh ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
    return r.stdout;
  } finally {
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}

function onPath(tool: string): boolean {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin'];
  return dirs.some((d) => {
    try {
      accessSync(join(d, tool), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function startDaemon(binary: string): Promise<Exec> {
  // `-d` forks into the background (its own session), so it outlives this test process: it is a system daemon,
  // started once and shared by every test file, and left running.
  return new Promise((resolve) => {
    const child = spawn(binary, ['-d'], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` } });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (e) => resolve({ code: 127, stdout: '', stderr: e.message }));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout: '', stderr }));
  });
}

/** Gives /dev/kvm the owner and mode udev gives it on Debian (see the top of this file); a no-op when it has them. */
async function alignKvmDeviceWithUdev(): Promise<void> {
  let device;
  try {
    device = await stat('/dev/kvm');
  } catch {
    return; // no KVM at all: libvirt's probe and its cache check agree that there is none
  }
  const kvmGid = Number((await readFile('/etc/group', 'utf8')).match(/^kvm:[^:]*:(\d+):/m)?.[1] ?? NaN);
  if (!Number.isInteger(kvmGid) || (device.gid === kvmGid && (device.mode & 0o060) === 0o060)) return;
  if (process.getuid?.() !== 0) return; // only root could; libvirt then works, slowly
  await chown('/dev/kvm', 0, kvmGid);
  await chmod('/dev/kvm', 0o660);
}

/**
 * Makes sure virtlogd and libvirtd run and `qemu:///system` answers. Idempotent and safe from test files running
 * at once: a second `libvirtd -d` finds the pid file locked and exits, and both wait for the same socket.
 */
export async function ensureLibvirtd(): Promise<void> {
  const missing = TOOLS.filter((t) => !onPath(t));
  if (missing.length > 0) {
    throw new Error(
      `the libvirt tests need ${missing.join(', ')}, which are not installed: run scripts/install-test-deps as root ` +
        `(Debian packages: ${PACKAGES})`,
    );
  }
  await alignKvmDeviceWithUdev();
  const first = await exec('virsh', ['-c', SYSTEM_URI, 'version'], { timeoutMs: DAEMON_READY_MS });
  if (first.code === 0) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`qemu:///system does not answer (${first.stderr.trim()}) and only root can start libvirtd: run the libvirt tests as root, or start libvirtd`);
  }
  const logd = await startDaemon('virtlogd');
  const libvirtd = await startDaemon('libvirtd');
  const deadline = Date.now() + DAEMON_READY_MS;
  let last = first;
  while (Date.now() < deadline) {
    last = await exec('virsh', ['-c', SYSTEM_URI, 'version'], { timeoutMs: DAEMON_READY_MS });
    if (last.code === 0) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `libvirtd did not start answering on qemu:///system within ${DAEMON_READY_MS / 1000} s: ${last.stderr.trim()} ` +
      `(virtlogd -d: ${logd.stderr.trim() || `exit ${logd.code}`}; libvirtd -d: ${libvirtd.stderr.trim() || `exit ${libvirtd.code}`}). ` +
      'See /var/log/libvirt/libvirtd.log, or run libvirtd in the foreground to read why.',
  );
}

export interface LibvirtTestHost {
  uri: string;
  /** This run's directory (mode 0711, so QEMU's user can reach the files inside). */
  dir: string;
  /** For the driver's config; the driver creates it (the directory does not exist yet). */
  pool: { name: string; path: string };
  /** A 64 MiB empty qcow2: the bar is a domain that runs, not an OS that boots. */
  baseImage: string;
  /** Defines (and, if asked, starts) a domain as someone outside Tessera would; returns its UUID. */
  defineForeign(name: string, opts?: { vcpus?: number; memoryMiB?: number; start?: boolean }): Promise<string>;
  /** Destroys and undefines every domain using this run's files, removes the pool and the directory. */
  cleanup(): Promise<void>;
}

/** A per-run area on the system libvirtd; runs left behind by a killed test process are swept first. */
export async function createLibvirtTestHost(): Promise<LibvirtTestHost> {
  await ensureLibvirtd();
  await sweepDeadRuns();
  const dir = await mkdtemp(join(tmpdir(), 'tessera-libvirt-'));
  await chmod(dir, 0o711);
  const images = join(dir, 'images');
  await mkdir(images, { mode: 0o711 });
  const baseImage = join(images, 'base.qcow2');
  const made = await exec('qemu-img', ['create', '-q', '-f', 'qcow2', baseImage, '64M']);
  if (made.code !== 0) throw new Error(`qemu-img could not make the base image: ${made.stderr}`);
  const pool = { name: `tessera-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`, path: join(dir, 'pool') };

  return {
    uri: SYSTEM_URI,
    dir,
    pool,
    baseImage,
    async defineForeign(name, opts = {}) {
      const disk = join(images, `${name}.qcow2`);
      const r = await exec('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', baseImage, '-F', 'qcow2', disk]);
      if (r.code !== 0) throw new Error(`qemu-img could not make ${disk}: ${r.stderr}`);
      await virsh(['define', '@file'], { file: foreignDomainXml(name, disk, opts.vcpus ?? 1, opts.memoryMiB ?? 128) });
      if (opts.start) await virsh(['start', name]);
      return (await virsh(['domuuid', name])).trim();
    },
    async cleanup() {
      await removeRun(pool.name, dir);
    },
  };
}

/** A hand-written domain, as an administrator would define one: no Tessera metadata. */
function foreignDomainXml(name: string, disk: string, vcpus: number, memoryMiB: number): string {
  return `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>${memoryMiB}</memory>
  <vcpu>${vcpus}</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${disk}'/><target dev='vda' bus='virtio'/></disk>
    <interface type='user'><model type='virtio'/></interface>
  </devices>
</domain>`;
}

async function removeRun(poolName: string, dir: string): Promise<void> {
  const uuids = (await virsh(['list', '--all', '--uuid'])).split('\n').filter((l) => l.trim());
  // In parallel: destroying a TCG domain takes libvirt about 1.5 s, however briefly it ran.
  await Promise.all(
    uuids.map(async (uuid) => {
      const xml = await exec('virsh', ['-q', '-c', SYSTEM_URI, 'dumpxml', uuid]);
      if (xml.code !== 0) return;
      const disks = parseDomainXml(xml.stdout).disks;
      const uses = disks.some((d) => d.pool === poolName || d.file?.startsWith(`${dir}/`) || d.backingFile?.startsWith(`${dir}/`));
      if (!uses) return;
      await exec('virsh', ['-c', SYSTEM_URI, 'destroy', uuid]);
      await exec('virsh', ['-c', SYSTEM_URI, 'undefine', uuid, '--nvram', '--managed-save']);
    }),
  );
  await exec('virsh', ['-c', SYSTEM_URI, 'pool-destroy', poolName]);
  await exec('virsh', ['-c', SYSTEM_URI, 'pool-undefine', poolName]);
  await rm(dir, { recursive: true, force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Pools (and their domains and directories) of test runs whose process is gone: a killed run cleans up nothing. */
async function sweepDeadRuns(): Promise<void> {
  const pools = (await virsh(['pool-list', '--all', '--name'])).split('\n').map((l) => l.trim());
  for (const name of pools) {
    const m = RUN_POOL.exec(name);
    if (!m || alive(Number(m[1]))) continue;
    const xml = await exec('virsh', ['-q', '-c', SYSTEM_URI, 'pool-dumpxml', name]);
    const path = /<path>([^<]+)<\/path>/.exec(xml.stdout)?.[1];
    // The pool lives at <run dir>/pool; the run dir holds the images too.
    const dir = path?.replace(/\/pool\/?$/, '');
    if (dir?.startsWith(join(tmpdir(), 'tessera-libvirt-'))) await removeRun(name, dir);
    else await removeRun(name, '/nonexistent-tessera-run');
  }
}
