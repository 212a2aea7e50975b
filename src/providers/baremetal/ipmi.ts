import { execFile, type ExecFileException } from 'node:child_process';
import { ProviderError } from '../driver.js';
import type { Bmc, BmcCredentials, BmcPowerAction, BmcPowerState, BootDevice } from './bmc.js';

/**
 * A BMC spoken to over IPMI 2.0 (RMCP+) by running `ipmitool -I lanplus`, as OpenStack Ironic does. ipmitool is
 * run directly (execFile, never a shell), and the password travels in its environment (`-E` reads
 * IPMI_PASSWORD), never in argv, where any user on the host could read it with `ps`.
 */

export interface IpmiEndpoint {
  host: string;
  port: number;
}

export interface IpmiSettings {
  /** The ipmitool binary (default `ipmitool` on PATH). */
  ipmitool: string;
  /**
   * `-C`: the RMCP+ cipher suite. Naming one skips ipmitool's cipher-suite discovery, a round trip that some BMCs
   * (ipmi_sim among them) never answer and that then costs ~10 s on every call; suite 3 (HMAC-SHA1, AES-128) is the
   * one IPMI 2.0 BMCs commonly support, 17 (HMAC-SHA256) the stronger one newer BMCs add.
   */
  cipherSuite: number;
  /** `-N`: seconds ipmitool waits for each answer. */
  timeoutSeconds: number;
  /**
   * `-R`: how often ipmitool resends an unanswered request, at least 1 (ipmitool 1.8.19 reads 0 as "its own default"
   * and then waits ~20 s). Each resend waits longer than the one before.
   */
  retries: number;
}

export const DEFAULT_IPMI_SETTINGS: IpmiSettings = { ipmitool: 'ipmitool', cipherSuite: 3, timeoutSeconds: 2, retries: 1 };

/** What a `chassis power` subcommand can be; `reset` is a warm reset, `cycle` off-then-on. */
export type ChassisPowerVerb = 'status' | 'on' | 'off' | 'cycle' | 'reset';

interface Run {
  stdout: string;
  stderr: string;
}

/** ipmitool's words for a refused login (RAKP is the RMCP+ authentication handshake). */
const AUTH_REFUSED = /RAKP \d HMAC is invalid|unauthorized name|RAKP \d message indicates an error|insufficient privilege|Activate Session error|password.*(invalid|incorrect)/i;
const CIPHER_REFUSED = /invalid (authentication|integrity|confidentiality) algorithm|no matching cipher suite/i;
const NO_ANSWER = /Get Auth Capabilities error|Get Channel Authentication Capabilities|No response|Unable to establish|timeout|Connection refused/i;
const REFUSED_COMMAND = /not supported|Invalid command|Invalid data field|Command illegal|Insufficient privilege level/i;

export class IpmiBmc implements Bmc {
  readonly address: string;

  constructor(
    private readonly endpoint: IpmiEndpoint,
    private readonly credentials: BmcCredentials,
    private readonly settings: IpmiSettings,
    /** Provider and machine names, for the errors this raises. */
    private readonly owner: { provider: string; machine: string },
  ) {
    this.address = `ipmi://${endpoint.host}:${endpoint.port}`;
  }

  async powerState(): Promise<BmcPowerState> {
    const { stdout } = await this.ipmitool(['chassis', 'power', 'status']);
    const m = /Chassis Power is (on|off)/i.exec(stdout);
    if (!m) {
      throw this.error('Retryable', 'UnexpectedAnswer', `answered "chassis power status" with "${stdout.trim().slice(0, 200)}", which is neither on nor off; retry, and check the BMC's firmware if it persists`);
    }
    return m[1]!.toLowerCase() as 'on' | 'off';
  }

  async power(action: BmcPowerAction): Promise<void> {
    await this.chassisPower(action);
  }

  /** Any `chassis power` verb, `reset` included (the Bmc interface needs only on, off and cycle). */
  async chassisPower(verb: ChassisPowerVerb): Promise<string> {
    return (await this.ipmitool(['chassis', 'power', verb])).stdout;
  }

  async setNextBoot(device: BootDevice, options: { persistent?: boolean } = {}): Promise<void> {
    const args = ['chassis', 'bootdev', device];
    if (options.persistent) args.push('options=persistent');
    await this.ipmitool(args);
  }

  /** The argv of one call: no password in it (see the class comment). Exposed for the test that checks so. */
  argv(command: string[]): string[] {
    const { host, port } = this.endpoint;
    const s = this.settings;
    // -v makes ipmitool say *why* a session failed (a refused password or no answer at all), which it otherwise
    // reports with the same sentence; the extra lines go to stderr.
    return ['-I', 'lanplus', '-H', host, '-p', String(port), '-U', this.credentials.username, '-E', '-C', String(s.cipherSuite), '-N', String(s.timeoutSeconds), '-R', String(s.retries), '-v', ...command];
  }

  private ipmitool(command: string[]): Promise<Run> {
    const s = this.settings;
    const killAfterMs = this.giveUpAfterSeconds() * 1000;
    return new Promise((resolve, reject) => {
      execFile(
        s.ipmitool,
        this.argv(command),
        // A minimal environment: the child needs PATH and the password, nothing else of ours.
        { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', IPMI_PASSWORD: this.credentials.password }, timeout: killAfterMs, encoding: 'utf8', maxBuffer: 1024 * 1024 },
        (error, stdout, stderr) => {
          if (!error) return resolve({ stdout, stderr });
          reject(this.classify(command, error, stderr));
        },
      );
    });
  }

  /**
   * ipmitool gives up on its own after timeout × (1 + 2 + … + (retries + 1)) seconds (it waits longer at each
   * resend); the kill 5 s later is a backstop for a wedged process.
   */
  private giveUpAfterSeconds(): number {
    const r = this.settings.retries + 1;
    return (this.settings.timeoutSeconds * r * (r + 1)) / 2 + 5;
  }

  private classify(command: string[], error: ExecFileException, stderr: string): ProviderError {
    const what = `"${command.join(' ')}"`;
    if (error.code === 'ENOENT') {
      return this.error('Invalid', 'IpmitoolMissing', `cannot run ${this.settings.ipmitool}: it is not installed or not on PATH; install ipmitool (apt-get install ipmitool) or set the provider's ipmi.ipmitool to its path`);
    }
    if (error.killed) {
      return this.error('Retryable', 'BmcTimeout', `did not finish ${what} within ${this.giveUpAfterSeconds()} s; the BMC may be overloaded or unreachable — the call will be retried`);
    }
    const meaningful = meaningfulLines(stderr);
    const said = meaningful.slice(-3).join('; ').slice(0, 300);
    const text = meaningful.join('\n');
    if (CIPHER_REFUSED.test(text)) {
      return this.error('Invalid', 'CipherSuiteRefused', `refused IPMI cipher suite ${this.settings.cipherSuite} (${said}): set the provider's ipmi.cipherSuite to one this BMC supports (3 or 17 usually)`);
    }
    if (/password is longer than 20 bytes/i.test(text)) {
      return this.error('Invalid', 'BmcPasswordTooLong', `cannot be given a password of more than 20 bytes (the IPMI 2.0 limit): set a shorter one on the BMC and enroll machine ${this.owner.machine} again`);
    }
    if (AUTH_REFUSED.test(text)) {
      return this.error('Invalid', 'BmcAuthFailed', `refused the credentials of user "${this.credentials.username}" (${said}): check the username and password enrolled for machine ${this.owner.machine} (enroll it again with the right ones) and that the user has the administrator privilege on the BMC`);
    }
    if (REFUSED_COMMAND.test(text)) {
      return this.error('Invalid', 'BmcRefused', `refused ${what} (${said}): this BMC does not support it in its present state`);
    }
    if (NO_ANSWER.test(text)) {
      return this.error('Retryable', 'BmcUnreachable', `did not answer ${what} (${said}): check that the BMC is powered and reachable on UDP port ${this.endpoint.port} — the call will be retried`);
    }
    return this.error('Retryable', 'BmcError', `failed ${what} (exit ${String(error.code)}: ${said || 'no message'}); the call will be retried`);
  }

  private error(errorClass: 'Retryable' | 'Invalid', code: string, message: string): ProviderError {
    return new ProviderError(errorClass, `machine ${this.owner.machine}: BMC ${this.address} ${message}`, this.owner.provider, code);
  }
}

/**
 * ipmitool's stderr without the chatter of -v: the registry it loads, and its probe for vendor extensions, which
 * most BMCs answer "Invalid command" even when the real command then succeeds.
 */
function meaningfulLines(stderr: string): string[] {
  const noise = /^Loading IANA PEN Registry|^Running Get VSO|^Invalid completion code received: Invalid command|^Discovered IPMB address|Unable to Get Channel Cipher Suites/;
  return stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !noise.test(l));
}
