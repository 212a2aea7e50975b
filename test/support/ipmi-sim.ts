import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A simulated BMC for tests: OpenIPMI's `ipmi_sim` (Debian `openipmi`) serving IPMI 2.0 on a UDP port of
 * 127.0.0.1, started from the shared recipe (../shared/recipes/ipmi_sim) adapted into a temporary directory: its
 * own port, an absolute path to the chassis-control script, its own state directory. The chassis script keeps
 * power and the boot device in files, and (added here) a journal of every change in the order it was made.
 */

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const IPMI_SIM_RECIPE = join(ROOT, '..', 'shared', 'recipes', 'ipmi_sim');

export interface IpmiSimOptions {
  /** The BMC's name in its lan config. */
  name?: string;
  username?: string;
  password?: string;
  /** Default a free UDP port. */
  port?: number;
}

export interface IpmiSim {
  host: string;
  port: number;
  username: string;
  password: string;
  /** Where the chassis script keeps `power` (0/1), `boot` (pxe, default = disk, …) and `journal`. */
  chassisDir: string;
  /** `0` or `1` as the chassis script last set it. */
  powerFile(): string;
  /** The next boot device as ipmi_sim handed it to the chassis script (`pxe`; a disk boot is `default`). */
  bootFile(): string;
  /** Every `set` the chassis script received, oldest first, e.g. `boot pxe`, `power 1`. */
  journal(): string[];
  /** Runs `ipmitool -I lanplus … <args>` against this BMC and returns its stdout (throws on failure). */
  ipmitool(args: string[]): Promise<string>;
  /** Kills ipmi_sim: the BMC stops answering (the state directory stays). */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same state. */
  restart(): Promise<void>;
  /** Stops it and removes its files. */
  dispose(): Promise<void>;
}

/** A UDP port nobody listens on right now (the OS picks it; it is released before ipmi_sim binds it). */
export function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

export async function startIpmiSim(options: IpmiSimOptions = {}): Promise<IpmiSim> {
  if (!existsSync('/usr/bin/ipmi_sim') && !existsSync('/usr/sbin/ipmi_sim')) {
    throw new Error('ipmi_sim is not installed: install the Debian package openipmi (scripts/install-test-deps does)');
  }
  const name = options.name ?? 'bmc1';
  const username = options.username ?? 'admin';
  const password = options.password ?? 'secret';
  if (Buffer.byteLength(password) > 20) throw new Error(`an IPMI password is at most 20 bytes (IPMI 2.0); "${password}" is ${Buffer.byteLength(password)}`);
  const dir = mkdtempSync(join(tmpdir(), 'tessera-ipmi-sim-'));
  const chassisDir = join(dir, 'chassis');
  const stateDir = join(dir, 'state');
  mkdirSync(chassisDir);
  mkdirSync(stateDir);
  const port = options.port ?? (await freeUdpPort());

  const script = join(dir, 'chassis.sh');
  writeFileSync(script, withJournal(readFileSync(join(IPMI_SIM_RECIPE, 'chassis.sh'), 'utf8')));
  chmodSync(script, 0o755);
  writeFileSync(join(dir, 'lan.conf'), lanConf(readFileSync(join(IPMI_SIM_RECIPE, 'lan.conf'), 'utf8'), { name, script, port, username, password }));
  writeFileSync(join(dir, 'sim.emu'), readFileSync(join(IPMI_SIM_RECIPE, 'sim.emu'), 'utf8'));

  let child: ChildProcess | null = null;
  let log = '';
  const ipmitool = (args: string[], attempt = { timeout: 2, retries: 1 }) =>
    new Promise<string>((resolve, reject) => {
      const argv = ['-I', 'lanplus', '-C', '3', '-N', String(attempt.timeout), '-R', String(attempt.retries), '-H', '127.0.0.1', '-p', String(port), '-U', username, '-E', ...args];
      execFile('ipmitool', argv, { env: { PATH: process.env.PATH, IPMI_PASSWORD: password }, encoding: 'utf8' }, (error, stdout, stderr) =>
        error ? reject(new Error(`ipmitool ${args.join(' ')} failed: ${stderr.trim() || error.message}`)) : resolve(stdout),
      );
    });

  const start = async () => {
    log = '';
    const c = spawn('ipmi_sim', ['-c', join(dir, 'lan.conf'), '-f', join(dir, 'sim.emu'), '-n', '-s', stateDir], {
      cwd: dir,
      env: { PATH: process.env.PATH, IPMI_STATE_DIR: chassisDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    c.stdout!.on('data', (b: Buffer) => (log = (log + b.toString()).slice(-2000)));
    c.stderr!.on('data', (b: Buffer) => (log = (log + b.toString()).slice(-2000)));
    child = c;
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (c.exitCode !== null) throw new Error(`ipmi_sim exited with ${c.exitCode} on port ${port}: ${log}`);
      try {
        await ipmitool(['chassis', 'power', 'status'], { timeout: 1, retries: 1 });
        return;
      } catch (e) {
        if (Date.now() > deadline) {
          c.kill('SIGKILL');
          throw new Error(`ipmi_sim on UDP port ${port} did not answer "chassis power status" within 15 s: ${(e as Error).message}; its output: ${log}`);
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const stop = async () => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGTERM');
    });
  };

  try {
    await start();
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const read = (file: string) => (existsSync(join(chassisDir, file)) ? readFileSync(join(chassisDir, file), 'utf8').trim() : '');
  return {
    host: '127.0.0.1',
    port,
    username,
    password,
    chassisDir,
    powerFile: () => read('power') || '0',
    bootFile: () => read('boot') || 'default',
    journal: () => read('journal').split('\n').filter((l) => l !== ''),
    ipmitool: (args) => ipmitool(args),
    stop,
    restart: start,
    dispose: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The recipe's chassis script, plus one line that journals every change it is asked to make. */
function withJournal(recipe: string): string {
  const marker = 'addr=$1; op=$2; shift 2';
  if (!recipe.includes(marker)) throw new Error(`the recipe's chassis.sh changed (no "${marker}" line): update test/support/ipmi-sim.ts`);
  return recipe.replace(marker, `${marker}\n[ "$op" = set ] && echo "$*" >> "$D/journal"`);
}

/** The recipe's lan.conf for one BMC: its name, the chassis script (absolute path), its port and its login. */
function lanConf(recipe: string, o: { name: string; script: string; port: number; username: string; password: string }): string {
  const adapted = recipe
    .replace(/^name ".*"$/m, `name "${o.name}"`)
    .replace('CHASSIS_SCRIPT', o.script)
    .replace(/^(\s*addr 127\.0\.0\.1) \d+$/m, `$1 ${o.port}`)
    .replace(/^(\s*user 2 true\s+)"admin"(\s+)"secret"/m, `$1"${o.username}"$2"${o.password}"`);
  if (!adapted.includes(o.script) || !adapted.includes(` ${o.port}`) || !adapted.includes(`"${o.password}"`)) {
    throw new Error('the recipe\'s lan.conf changed shape (CHASSIS_SCRIPT, "addr 127.0.0.1 PORT", user 2 "admin" "secret"): update test/support/ipmi-sim.ts');
  }
  return adapted;
}
