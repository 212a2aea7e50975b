import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { Agent, request } from 'undici';
import { ProviderError, type ErrorClass } from '../driver.js';
import type { Bmc, BmcCredentials, BmcPowerAction, BmcPowerState, BootDevice } from './bmc.js';
import { describeRedfishError } from './redfish-errors.js';

/**
 * A BMC spoken to over Redfish (DMTF DSP0266) on HTTPS: ServiceRoot → Systems → the ComputerSystem, its
 * `#ComputerSystem.Reset` action for power and its `Boot` property for the next boot device.
 *
 * BMCs mostly carry self-signed certificates. The one enrolled for a machine (`caPem`) is pinned: it is the only
 * trust anchor for that BMC, and a certificate identical to it is accepted whatever names it carries (BMC
 * certificates rarely name the address they are reached at). Without one, the system's CAs apply. Verification
 * is never switched off.
 */

export interface RedfishEndpoint {
  /** `https://host[:port]`; the service root is `<baseUrl>/redfish/v1/`. */
  baseUrl: string;
  /** The member of the Systems collection; null: the only one there is. */
  systemId: string | null;
  /** The BMC's certificate (or the CA that issued it), PEM. */
  caPem: string | null;
}

export interface RedfishSettings {
  /** `basic`: HTTP Basic on every request; `session`: log in once at SessionService and send X-Auth-Token. */
  auth: 'basic' | 'session';
  /** How long one request may take to connect and answer. */
  timeoutMs: number;
}

export const DEFAULT_REDFISH_SETTINGS: RedfishSettings = { auth: 'basic', timeoutMs: 10_000 };

/** What a ResetType asks for, most preferred first (Redfish `ResetType` enum values). */
const RESET_TYPES: Record<BmcPowerAction, string[]> = {
  on: ['On', 'ForceOn'],
  // A hard off: a machine being powered off by its control plane is being taken away or released, not asked.
  off: ['ForceOff', 'GracefulShutdown'],
  cycle: ['ForceRestart', 'PowerCycle', 'GracefulRestart'],
};

const BOOT_TARGETS: Record<BootDevice, string> = { pxe: 'Pxe', disk: 'Hdd' };

const POWER_STATES: Record<string, BmcPowerState> = { On: 'on', Off: 'off', PoweringOn: 'powering-on', PoweringOff: 'powering-off', Paused: 'on' };

/** Node's codes for a certificate that does not verify (pinned or not). */
const CERTIFICATE_ERRORS = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME|ERR_TLS_CERT/;

interface ComputerSystem {
  PowerState?: string;
  Boot?: { BootSourceOverrideTarget?: string; 'BootSourceOverrideTarget@Redfish.AllowableValues'?: string[] };
  Actions?: { '#ComputerSystem.Reset'?: { target?: string; 'ResetType@Redfish.AllowableValues'?: string[] } };
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export class RedfishBmc implements Bmc {
  readonly address: string;
  private readonly agent: Agent;
  private systemPath: string | null = null;
  private session: { token: string; location: string | null } | null = null;

  constructor(
    private readonly endpoint: RedfishEndpoint,
    private readonly credentials: BmcCredentials,
    private readonly settings: RedfishSettings,
    /** Provider and machine names, for the errors this raises. */
    private readonly owner: { provider: string; machine: string },
  ) {
    const base = endpoint.baseUrl.replace(/\/+$/, '');
    this.address = endpoint.systemId ? `${base}/redfish/v1/Systems/${endpoint.systemId}` : `${base}/redfish/v1`;
    this.agent = new Agent({ connect: { timeout: settings.timeoutMs, ...pinning(endpoint.caPem) } });
  }

  async powerState(): Promise<BmcPowerState> {
    const system = await this.system();
    const state = POWER_STATES[system.PowerState ?? ''];
    if (!state) {
      throw this.error('Retryable', 'UnexpectedAnswer', `reports PowerState "${String(system.PowerState)}", which is not a Redfish power state; retry, and check the BMC's firmware if it persists`);
    }
    return state;
  }

  async power(action: BmcPowerAction): Promise<void> {
    const system = await this.system();
    const reset = system.Actions?.['#ComputerSystem.Reset'];
    if (!reset?.target) {
      throw this.error('Invalid', 'NoResetAction', 'offers no #ComputerSystem.Reset action: this BMC cannot be power-controlled over Redfish; enroll the machine with protocol ipmi');
    }
    const allowed = reset['ResetType@Redfish.AllowableValues'];
    // Without the annotation the service does not say; the preferred value is the one the schema defines first.
    const resetType = allowed ? RESET_TYPES[action].find((t) => allowed.includes(t)) : RESET_TYPES[action][0];
    if (!resetType) {
      throw this.error('Invalid', 'ResetTypeUnsupported', `offers ResetType ${allowed!.join(', ')} but none of ${RESET_TYPES[action].join(', ')} (needed to power ${action}); use protocol ipmi for this machine`);
    }
    await this.call('POST', reset.target, { ResetType: resetType });
  }

  async setNextBoot(device: BootDevice, options: { persistent?: boolean } = {}): Promise<void> {
    const system = await this.system();
    const target = BOOT_TARGETS[device];
    const allowed = system.Boot?.['BootSourceOverrideTarget@Redfish.AllowableValues'];
    if (allowed && !allowed.includes(target)) {
      throw this.error('Invalid', 'BootTargetUnsupported', `cannot boot from ${target} (it offers ${allowed.join(', ')}): set the provider's bootDevice to one it has`);
    }
    await this.call('PATCH', await this.systemUri(), {
      Boot: { BootSourceOverrideTarget: target, BootSourceOverrideEnabled: options.persistent ? 'Continuous' : 'Once' },
    });
  }

  async close(): Promise<void> {
    const session = this.session;
    this.session = null;
    try {
      // Sessions are a scarce resource on a BMC (often a handful): hand it back rather than let it time out.
      if (session?.location) await this.send('DELETE', session.location, undefined, { 'x-auth-token': session.token }).catch(() => undefined);
    } finally {
      await this.agent.close();
    }
  }

  /** The ComputerSystem resource as the BMC reports it now. */
  async system(): Promise<ComputerSystem> {
    return JSON.parse((await this.call('GET', await this.systemUri())).text) as ComputerSystem;
  }

  /** ServiceRoot → Systems → the system: found once per client, then remembered. */
  private async systemUri(): Promise<string> {
    if (this.systemPath) return this.systemPath;
    const root = JSON.parse((await this.call('GET', '/redfish/v1/')).text) as { Systems?: { '@odata.id'?: string } };
    const systems = root.Systems?.['@odata.id'];
    if (!systems) throw this.error('Invalid', 'NoSystems', 'has no Systems collection in its ServiceRoot: it is not a Redfish service for servers; check the endpoint');
    if (this.endpoint.systemId) {
      this.systemPath = `${systems.replace(/\/+$/, '')}/${encodeURIComponent(this.endpoint.systemId)}`;
      return this.systemPath;
    }
    const collection = JSON.parse((await this.call('GET', systems)).text) as { Members?: { '@odata.id': string }[] };
    const members = collection.Members ?? [];
    if (members.length !== 1) {
      throw this.error('Invalid', 'AmbiguousSystem', `has ${members.length} systems (${members.map((m) => m['@odata.id']).join(', ') || 'none'}): enroll the machine with the systemId of its own`);
    }
    this.systemPath = members[0]!['@odata.id'];
    return this.systemPath;
  }

  /** One authenticated request; a session that expired is renewed once. */
  private async call(method: string, path: string, body?: unknown): Promise<Answer> {
    if (path === '/redfish/v1/' || this.settings.auth === 'basic') {
      const basic = `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString('base64')}`;
      // The service root is readable without credentials (DSP0266 §13.3): sending none keeps them off the wire.
      return this.checked(method, path, await this.send(method, path, body, path === '/redfish/v1/' ? {} : { authorization: basic }));
    }
    const fresh = this.session === null;
    const token = await this.sessionToken();
    const answer = await this.send(method, path, body, { 'x-auth-token': token });
    if (answer.status === 401 && !fresh) {
      this.session = null;
      return this.checked(method, path, await this.send(method, path, body, { 'x-auth-token': await this.sessionToken() }));
    }
    return this.checked(method, path, answer);
  }

  private async sessionToken(): Promise<string> {
    if (this.session) return this.session.token;
    const path = '/redfish/v1/SessionService/Sessions';
    const answer = this.checked('POST', path, await this.send('POST', path, { UserName: this.credentials.username, Password: this.credentials.password }, {}));
    const token = header(answer, 'x-auth-token');
    if (!token) throw this.error('Retryable', 'NoSessionToken', 'created a session but sent no X-Auth-Token; retry, or set the provider\'s redfish.auth to basic');
    this.session = { token, location: header(answer, 'location') };
    return token;
  }

  private async send(method: string, path: string, body: unknown, headers: Record<string, string>): Promise<Answer> {
    const url = new URL(path, this.endpoint.baseUrl);
    try {
      const res = await request(url, {
        method: method as 'GET',
        dispatcher: this.agent,
        headers: { accept: 'application/json', 'odata-version': '4.0', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        headersTimeout: this.settings.timeoutMs,
        bodyTimeout: this.settings.timeoutMs,
      });
      return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
    } catch (e) {
      throw this.networkError(method, url.pathname, e as NodeJS.ErrnoException);
    }
  }

  /** Maps an HTTP status to the error classes; 2xx passes. */
  private checked(method: string, path: string, answer: Answer): Answer {
    if (answer.status >= 200 && answer.status < 300) return answer;
    const what = `${method} ${path}`;
    const said = describeRedfishError(answer.status, answer.text);
    const s = answer.status;
    if (s === 401) {
      throw this.error('Invalid', 'BmcAuthFailed', `refused the credentials of user "${this.credentials.username}" (${said}): check the username and password enrolled for machine ${this.owner.machine} and enroll it again with the right ones`);
    }
    if (s === 403) throw this.error('Invalid', 'BmcForbidden', `refused ${what} (${said}): give user "${this.credentials.username}" the Administrator role (or ConfigureComponents) on the BMC`);
    if (s === 404) throw this.error('Invalid', 'NotFoundAtBmc', `has no ${path} (${said}): check the endpoint and the systemId enrolled for machine ${this.owner.machine}`);
    if (s === 429 || s >= 500 || s === 409 || s === 412) {
      throw this.error('Retryable', s === 429 ? 'Throttling' : `Http${s}`, `answered ${what} with ${said}; the call will be retried`, retryAfter(answer));
    }
    throw this.error('Invalid', `Http${s}`, `refused ${what}: ${said}`);
  }

  private networkError(method: string, path: string, e: NodeJS.ErrnoException): ProviderError {
    const code = e.code ?? e.name;
    if (CERTIFICATE_ERRORS.test(code) || CERTIFICATE_ERRORS.test(e.message)) {
      return this.error('Invalid', 'BmcCertificateRejected', `presented a certificate that does not match the one enrolled for machine ${this.owner.machine} (${e.message}): if the BMC's certificate was replaced, enroll the machine again with the new one (caPem)`);
    }
    const timedOut = /TIMEOUT/i.test(code);
    return this.error(
      'Retryable',
      timedOut ? 'BmcTimeout' : 'BmcUnreachable',
      `did not answer ${method} ${path} (${timedOut ? `no answer within ${this.settings.timeoutMs} ms` : e.message || code}): check that the BMC is powered and reachable — the call will be retried`,
    );
  }

  private error(errorClass: ErrorClass, code: string, message: string, retryAfterSeconds?: number): ProviderError {
    return new ProviderError(errorClass, `machine ${this.owner.machine}: BMC ${this.address} ${message}`, this.owner.provider, code, retryAfterSeconds);
  }
}

/** TLS options that trust exactly the enrolled certificate; none when there is none (the system's CAs apply). */
function pinning(caPem: string | null): { ca?: string; checkServerIdentity?: (host: string, cert: PeerCertificate) => Error | undefined } {
  if (!caPem) return {};
  const pinned = new X509Certificate(caPem).fingerprint256;
  return {
    ca: caPem,
    // The chain is verified against `ca` before this runs; the very certificate enrolled needs no name check.
    checkServerIdentity: (host, cert) => (cert.fingerprint256 === pinned ? undefined : checkServerIdentity(host, cert)),
  };
}

function header(answer: Answer, name: string): string | null {
  const v = answer.headers[name];
  return typeof v === 'string' ? v : Array.isArray(v) ? (v[0] ?? null) : null;
}

function retryAfter(answer: Answer): number | undefined {
  const v = header(answer, 'retry-after');
  if (v === null) return undefined;
  const seconds = Number(v);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, (at - Date.now()) / 1000);
}
