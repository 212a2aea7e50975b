import { createHash } from 'node:crypto';
import { RedfishError } from './errors.js';

/**
 * One ComputerSystem (DSP8010 ComputerSystem.v1_20_0) as the double keeps it: power with its transitions, the
 * boot override, and the hardware summary. Every change is written to `journal`, so a test can tell in which
 * order a client did things (the boot override set before the power went on, say).
 */

export type PowerState = 'On' | 'Off' | 'PoweringOn' | 'PoweringOff';

export const RESET_TYPES = ['On', 'ForceOff', 'GracefulShutdown', 'GracefulRestart', 'ForceRestart', 'Nmi', 'ForceOn', 'PushPowerButton', 'PowerCycle'] as const;
export type ResetType = (typeof RESET_TYPES)[number];

export const BOOT_TARGETS = ['None', 'Pxe', 'Hdd', 'Cd', 'Usb', 'BiosSetup', 'UefiShell'] as const;
export const BOOT_ENABLED = ['Disabled', 'Once', 'Continuous'] as const;

export interface SystemConfig {
  id: string;
  cpus?: number;
  memoryGiB?: number;
  powerState?: 'On' | 'Off';
  /** What the Reset action offers (`ResetType@Redfish.AllowableValues`); default On, ForceOff, GracefulShutdown, ForceRestart, PowerCycle. */
  resetTypes?: ResetType[];
  /** How long PoweringOn/PoweringOff last before On/Off (default 0: at once). */
  transitionMs?: number;
}

export class ComputerSystem {
  readonly id: string;
  readonly journal: string[] = [];
  private power: PowerState;
  private transitionTimer: NodeJS.Timeout | null = null;
  private bootTarget: (typeof BOOT_TARGETS)[number] = 'None';
  private bootEnabled: (typeof BOOT_ENABLED)[number] = 'Disabled';
  private readonly resetTypes: ResetType[];
  private readonly transitionMs: number;
  private version = 1;

  constructor(private readonly config: SystemConfig) {
    this.id = config.id;
    this.power = config.powerState ?? 'Off';
    this.resetTypes = config.resetTypes ?? ['On', 'ForceOff', 'GracefulShutdown', 'ForceRestart', 'PowerCycle'];
    this.transitionMs = config.transitionMs ?? 0;
  }

  get uri(): string {
    return `/redfish/v1/Systems/${this.id}`;
  }

  get powerState(): PowerState {
    return this.power;
  }

  get bootOverride(): { target: string; enabled: string } {
    return { target: this.bootTarget, enabled: this.bootEnabled };
  }

  /** A weak ETag that changes with every modification (DSP0266 §6.5: clients send it back in If-Match). */
  get etag(): string {
    return `W/"${createHash('sha256').update(`${this.id}:${this.version}`).digest('hex').slice(0, 16)}"`;
  }

  resource(): Record<string, unknown> {
    const uri = this.uri;
    return {
      '@odata.type': '#ComputerSystem.v1_20_0.ComputerSystem',
      '@odata.id': uri,
      '@odata.etag': this.etag,
      Id: this.id,
      Name: `Simulated server ${this.id}`,
      SystemType: 'Physical',
      Manufacturer: 'Tessera test doubles',
      Model: 'Redfish double',
      SerialNumber: `RFD-${this.id}`,
      UUID: uuidFrom(this.id),
      PowerState: this.power,
      Status: { State: 'Enabled', Health: 'OK' },
      ProcessorSummary: { Count: this.config.cpus ?? 2, LogicalProcessorCount: (this.config.cpus ?? 2) * 2, Model: 'Simulated CPU' },
      MemorySummary: { TotalSystemMemoryGiB: this.config.memoryGiB ?? 8, Status: { State: 'Enabled', Health: 'OK' } },
      Boot: {
        BootSourceOverrideEnabled: this.bootEnabled,
        BootSourceOverrideTarget: this.bootTarget,
        'BootSourceOverrideTarget@Redfish.AllowableValues': [...BOOT_TARGETS],
        BootSourceOverrideMode: 'UEFI',
      },
      Actions: {
        '#ComputerSystem.Reset': {
          target: `${uri}/Actions/ComputerSystem.Reset`,
          'ResetType@Redfish.AllowableValues': [...this.resetTypes],
        },
      },
    };
  }

  /** PATCH: only the boot override may change; anything else is refused the way a BMC refuses it. */
  patch(body: unknown): void {
    if (typeof body !== 'object' || body === null) throw new RedfishError(400, 'MalformedJSON');
    for (const key of Object.keys(body)) {
      if (key !== 'Boot') throw new RedfishError(400, 'PropertyUnknown', [key]);
    }
    const boot = (body as { Boot?: unknown }).Boot;
    if (typeof boot !== 'object' || boot === null) throw new RedfishError(400, 'PropertyValueNotInList', [JSON.stringify(boot), 'Boot']);
    let target = this.bootTarget;
    let enabled = this.bootEnabled;
    for (const [key, value] of Object.entries(boot)) {
      if (key === 'BootSourceOverrideTarget') {
        if (!BOOT_TARGETS.includes(value as never)) throw new RedfishError(400, 'PropertyValueNotInList', [String(value), key]);
        target = value as typeof target;
      } else if (key === 'BootSourceOverrideEnabled') {
        if (!BOOT_ENABLED.includes(value as never)) throw new RedfishError(400, 'PropertyValueNotInList', [String(value), key]);
        enabled = value as typeof enabled;
      } else if (key !== 'BootSourceOverrideMode') {
        throw new RedfishError(400, 'PropertyUnknown', [`Boot/${key}`]);
      }
    }
    this.bootTarget = target;
    this.bootEnabled = enabled;
    this.version++;
    this.journal.push(`boot ${target} ${enabled}`);
  }

  /** POST …/Actions/ComputerSystem.Reset. */
  reset(body: unknown): void {
    const action = 'ComputerSystem.Reset';
    const resetType = (body as { ResetType?: unknown } | null)?.ResetType;
    if (resetType === undefined) throw new RedfishError(400, 'ActionParameterMissing', [action, 'ResetType']);
    if (!this.resetTypes.includes(resetType as ResetType)) throw new RedfishError(400, 'ActionParameterValueNotInList', [String(resetType), 'ResetType', action]);
    this.journal.push(`reset ${String(resetType)}`);
    this.version++;
    switch (resetType as ResetType) {
      case 'On':
      case 'ForceOn':
        if (this.power === 'Off' || this.power === 'PoweringOff') this.boot();
        break;
      case 'ForceOff':
        this.settle('Off');
        break;
      case 'GracefulShutdown':
        if (this.power !== 'Off') this.transition('PoweringOff', 'Off');
        break;
      case 'PushPowerButton':
        if (this.power === 'Off') this.boot();
        else this.transition('PoweringOff', 'Off');
        break;
      case 'ForceRestart':
      case 'GracefulRestart':
      case 'PowerCycle':
        // A restart of a machine that is off does nothing on most BMCs; one that is on goes through POST again.
        if (this.power !== 'Off') this.boot();
        break;
      case 'Nmi':
        break;
    }
  }

  /** For a test: the machine is switched on or off by hand, outside any client. */
  forcePower(state: 'On' | 'Off'): void {
    this.settle(state);
  }

  stop(): void {
    if (this.transitionTimer) clearTimeout(this.transitionTimer);
    this.transitionTimer = null;
  }

  private boot(): void {
    this.transition('PoweringOn', 'On');
    // A one-time override is used up by the boot it applies to (DSP8010: Once reverts to Disabled).
    if (this.bootEnabled === 'Once') this.bootEnabled = 'Disabled';
  }

  private transition(through: PowerState, to: PowerState): void {
    this.stop();
    if (this.transitionMs === 0) return this.settle(to);
    this.power = through;
    this.transitionTimer = setTimeout(() => this.settle(to), this.transitionMs);
    this.transitionTimer.unref();
  }

  private settle(state: PowerState): void {
    this.stop();
    if (this.power !== state) this.journal.push(`power ${state}`);
    this.power = state;
    this.version++;
  }
}

function uuidFrom(id: string): string {
  const h = createHash('sha256').update(id).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
