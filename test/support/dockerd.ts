import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './server-process.js';

/**
 * A private Docker Engine for tests: Debian's dockerd (docker.io) with its own data, exec root and socket in a
 * temporary directory, the vfs storage driver (no overlay mounts needed), and a tiny image made with
 * `docker import` from busybox-static — no registry is ever contacted.
 *
 * Found by experiment on this machine (dockerd 20.10, cgroup v1, root): dockerd starts with its defaults, but
 * then it owns the host's `docker0` bridge and rewrites the host's iptables (DOCKER chains, FORWARD policy DROP,
 * ip_forward on), which two engines started at once would fight over and which outlives a test. So each engine
 * gets a bridge of its own, made here (`--bridge=tsrd…`, a random 10.x.y.0/24), and leaves iptables and
 * forwarding alone (`--iptables=false --ip-forward=false --ip-masq=false`): containers still get an address on
 * that bridge (the driver reports it), reachable from the host, with no way out — which no test needs.
 * `--config-file` points at an empty file so a machine's /etc/docker/daemon.json cannot change the engine.
 */

const execFileAsync = promisify(execFile);

const DEBIAN_PACKAGES = 'docker.io busybox-static';
/** The image every test container runs: sleeps until stopped, and exits at once on SIGTERM. */
export const TEST_IMAGE = 'tessera-test/busybox:1';
/**
 * PID 1 of a container gets no default signal handlers, so a bare `sleep` would ignore SIGTERM and every stop
 * would wait out docker's 10 s grace. A shell that traps TERM and waits on its sleeping child exits at once.
 */
const TEST_IMAGE_CMD = `CMD ["/bin/busybox","sh","-c","trap 'exit 0' TERM; /bin/busybox sleep 3600000 & wait"]`;

export interface PrivateDockerd {
  socketPath: string;
  /** Set when started with `{ tls: true }`: the engine also listens on loopback TCP with mutual TLS. */
  tls: { url: string; ca: string; cert: string; key: string } | null;
  /** `tessera-test/busybox:1`, present on this engine. */
  image: string;
  /** The bridge subnet containers get their addresses from, e.g. `10.213.7.0/24`. */
  subnet: string;
  /** Runs the docker CLI against this engine; resolves with its stdout, trimmed; rejects with its stderr. */
  docker(args: string[]): Promise<string>;
  /** The engine's log so far (the last 8 KiB), for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

/** A `docker` provider on this engine, one host `local`, as the end-to-end tests configure it. */
export function dockerProvider(dockerd: PrivateDockerd, name = 'docker-local'): { name: string; type: string; config: Record<string, unknown> } {
  return { name, type: 'docker', config: { hosts: [{ name: 'local', socketPath: dockerd.socketPath }], stopTimeoutSeconds: 5 } };
}

export async function startDockerd(opts: { tls?: boolean } = {}): Promise<PrivateDockerd> {
  const tools = findTools();
  const dir = mkdtempSync('/tmp/tsrd-'); // short: containerd's sockets live below it, and socket paths are capped at 108 bytes
  const bridge = `tsrd${randomBytes(4).toString('hex').slice(0, 6)}`;
  const paths = {
    socket: join(dir, 'docker.sock'),
    data: join(dir, 'data'),
    exec: join(dir, 'exec'),
    pid: join(dir, 'docker.pid'),
    log: join(dir, 'dockerd.log'),
    daemonJson: join(dir, 'daemon.json'),
    cliConfig: join(dir, 'cli'),
  };
  mkdirSync(paths.cliConfig);
  writeFileSync(paths.daemonJson, '{}\n');
  let child: ChildProcess | null = null;
  let bridgeMade = false;
  // A test process that dies without stop() still asks dockerd to go: SIGTERM lets it undo its own mounts.
  const killOnExit = () => child?.kill('SIGTERM');

  const cleanup = async () => {
    process.off('exit', killOnExit);
    if (child) await stopProcess(child);
    killLeftovers(paths.exec);
    if (bridgeMade) await execFileAsync('ip', ['link', 'del', bridge]).catch(() => undefined);
    unmountBelow(dir);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const subnet = await pickSubnet();
    await execFileAsync('ip', ['link', 'add', bridge, 'type', 'bridge']);
    bridgeMade = true;
    await execFileAsync('ip', ['addr', 'add', `${subnet.gateway}/24`, 'dev', bridge]);
    await execFileAsync('ip', ['link', 'set', bridge, 'up']);

    const args = [
      `--config-file=${paths.daemonJson}`,
      '--storage-driver=vfs',
      `--data-root=${paths.data}`,
      `--exec-root=${paths.exec}`,
      `--pidfile=${paths.pid}`,
      `--bridge=${bridge}`,
      '--iptables=false',
      '--ip-forward=false',
      '--ip-masq=false',
      // Containers left running at stop are given 2 s, not 15.
      '--shutdown-timeout=2',
      '-H',
      `unix://${paths.socket}`,
    ];
    let tls: PrivateDockerd['tls'] = null;
    if (opts.tls) {
      const certs = await makeCertificates(join(dir, 'tls'));
      const port = await freePort();
      args.push('-H', `tcp://127.0.0.1:${port}`, '--tlsverify', `--tlscacert=${certs.ca}`, `--tlscert=${certs.serverCert}`, `--tlskey=${certs.serverKey}`);
      tls = { url: `tcp://127.0.0.1:${port}`, ca: certs.ca, cert: certs.clientCert, key: certs.clientKey };
    }
    const logFd = openSync(paths.log, 'a');
    child = spawn(tools.dockerd, args, { stdio: ['ignore', logFd, logFd], env: engineEnv() });
    closeSync(logFd);
    process.once('exit', killOnExit);
    const readLog = () => (existsSync(paths.log) ? readFileSync(paths.log, 'utf8').slice(-8192) : '');
    await waitForPing(paths.socket, child, readLog);

    const docker = async (cliArgs: string[]): Promise<string> => {
      try {
        const { stdout } = await execFileAsync(tools.docker, ['-H', `unix://${paths.socket}`, ...cliArgs], {
          env: { ...engineEnv(), DOCKER_CONFIG: paths.cliConfig },
          maxBuffer: 16 * 1024 * 1024,
        });
        return stdout.trim();
      } catch (e) {
        const err = e as { stderr?: string; message: string };
        throw new Error(`docker ${cliArgs.join(' ')} failed: ${err.stderr?.trim() || err.message}`);
      }
    };
    await importTestImage(dir, tools.busybox, docker);

    return { socketPath: paths.socket, tls, image: TEST_IMAGE, subnet: subnet.cidr, docker, log: readLog, stop: cleanup };
  } catch (e) {
    const log = existsSync(paths.log) ? readFileSync(paths.log, 'utf8').slice(-4000) : '';
    await cleanup().catch(() => undefined);
    throw new Error(`could not start a private dockerd for the docker driver's tests: ${(e as Error).message}${log ? `\n--- dockerd log ---\n${log}` : ''}`);
  }
}

interface Tools {
  dockerd: string;
  docker: string;
  busybox: string;
}

/** Every tool the engine needs, or an error that names the Debian packages; never a skip. */
function findTools(): Tools {
  const missing = (what: string) =>
    new Error(
      `${what}: the docker driver's tests run a private dockerd. Install the Debian packages ${DEBIAN_PACKAGES} ` +
        `(scripts/install-test-deps does, as root), then run the tests again`,
    );
  const dockerd = firstExisting(['/usr/sbin/dockerd', '/usr/bin/dockerd']) ?? onPath('dockerd');
  if (!dockerd) throw missing('dockerd is not installed');
  // The CLI of the same package first: it speaks the engine's API version without negotiating down.
  const docker = firstExisting(['/usr/bin/docker']) ?? onPath('docker');
  if (!docker) throw missing('the docker CLI is not installed');
  const busybox = firstExisting(['/bin/busybox', '/usr/bin/busybox']);
  if (!busybox) throw missing('busybox is not installed');
  // An image holding nothing but busybox needs one without a dynamic loader.
  if (readFileSync(busybox).includes('/ld-linux')) throw missing(`${busybox} is dynamically linked (busybox, not busybox-static)`);
  if (!onPath('ip')) throw new Error('the `ip` command (Debian package iproute2) is needed to give the private dockerd its own bridge');
  if (process.getuid?.() !== 0) throw new Error('dockerd needs root: run the docker driver tests as root (CI does)');
  return { dockerd, docker, busybox };
}

function firstExisting(paths: string[]): string | undefined {
  return paths.find((p) => existsSync(p));
}

function onPath(command: string): string | undefined {
  return (process.env.PATH ?? '')
    .split(':')
    .filter(Boolean)
    .map((dir) => join(dir, command))
    .find((p) => existsSync(p));
}

/** The environment without Docker client settings that would point the CLI (or dockerd's plugins) elsewhere. */
function engineEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of ['DOCKER_HOST', 'DOCKER_CONTEXT', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH', 'DOCKER_CONFIG']) delete env[key];
  return env;
}

/** A random 10.x.y.0/24 that no interface or route of this machine uses yet. */
async function pickSubnet(): Promise<{ cidr: string; gateway: string }> {
  const { stdout: addrs } = await execFileAsync('ip', ['-4', '-o', 'addr']);
  const { stdout: routes } = await execFileAsync('ip', ['-4', 'route']);
  const taken = addrs + routes;
  for (let i = 0; i < 50; i++) {
    const b = 200 + Math.floor(Math.random() * 55);
    const c = Math.floor(Math.random() * 256);
    const prefix = `10.${b}.${c}.`;
    if (!taken.includes(prefix) && !taken.includes(`10.${b}.0.0/16`)) return { cidr: `${prefix}0/24`, gateway: `${prefix}1` };
  }
  throw new Error('found no free 10.x.y.0/24 for the private bridge in 50 tries');
}

async function waitForPing(socketPath: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`dockerd exited (${child.exitCode ?? child.signalCode}) before it answered /_ping`);
    if (await ping(socketPath)) return;
    if (Date.now() > deadline) throw new Error(`dockerd did not answer /_ping on ${socketPath} within 60 s; last log lines:\n${log().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function ping(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

/** A root filesystem of one file, /bin/busybox, imported as the test image. */
async function importTestImage(dir: string, busybox: string, docker: (args: string[]) => Promise<string>): Promise<void> {
  const rootfs = join(dir, 'rootfs');
  mkdirSync(join(rootfs, 'bin'), { recursive: true });
  copyFileSync(busybox, join(rootfs, 'bin', 'busybox'));
  const tarball = join(dir, 'rootfs.tar');
  await execFileAsync('tar', ['-C', rootfs, '-cf', tarball, '.']);
  await docker(['import', '--change', TEST_IMAGE_CMD, tarball, TEST_IMAGE]);
}

interface Certificates {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

/** A throw-away CA, a server certificate for 127.0.0.1 and a client certificate, as `dockerd --tlsverify` wants. */
async function makeCertificates(dir: string): Promise<Certificates> {
  mkdirSync(dir, { recursive: true });
  const f = (name: string) => join(dir, name);
  const openssl = (args: string[]) => execFileAsync('openssl', args);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(['req', '-x509', ...ec, '-keyout', f('ca-key.pem'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=tessera-test-ca']);
  for (const [who, ext] of [
    ['server', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n'],
    ['client', 'extendedKeyUsage=clientAuth\n'],
  ] as const) {
    writeFileSync(f(`${who}.ext`), ext);
    await openssl(['req', ...ec, '-keyout', f(`${who}-key.pem`), '-out', f(`${who}.csr`), '-subj', `/CN=tessera-test-${who}`]);
    await openssl(['x509', '-req', '-in', f(`${who}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca-key.pem'), '-CAcreateserial', '-out', f(`${who}-cert.pem`), '-days', '2', '-extfile', f(`${who}.ext`)]);
  }
  return { ca: f('ca.pem'), serverCert: f('server-cert.pem'), serverKey: f('server-key.pem'), clientCert: f('client-cert.pem'), clientKey: f('client-key.pem') };
}

/** SIGTERM (dockerd stops its containers and its containerd), then SIGKILL if it takes over 20 s. */
async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), 20_000).unref());
  if ((await Promise.race([exited, timer])) === 'late') {
    child.kill('SIGKILL');
    await exited;
  }
}

/**
 * Processes this engine started that outlive it (containerd shims survive a dockerd that was killed): each is
 * found by the engine's own exec root on its command line and killed by its pid.
 */
function killLeftovers(execRoot: string): void {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    if (cmdline.includes(`${execRoot}/`) || cmdline.includes(`${execRoot}\0`)) {
      try {
        process.kill(Number(entry), 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
}

/**
 * vfs needs no mounts of its own, but dockerd mounts its data root onto itself and network namespaces below
 * its exec root; they normally go with it. Anything still mounted below `dir` is unmounted (deepest first)
 * before the directory is removed: a recursive delete through a leftover mount could reach files outside it.
 */
function unmountBelow(dir: string): void {
  const mounted = () =>
    readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((line) => line.split(' ')[4] ?? '')
      .filter((point) => point === dir || point.startsWith(`${dir}/`))
      .sort((a, b) => b.length - a.length);
  for (const point of mounted()) {
    try {
      // Synchronous on purpose: nothing else may touch the directory until it is clear.
      execFileSync('umount', ['-l', point], { stdio: 'ignore' });
    } catch {
      /* checked below */
    }
  }
  const left = mounted();
  if (left.length > 0) throw new Error(`left ${dir} in place: still mounted there: ${left.join(', ')}; unmount them (umount -l) and remove it`);
}
