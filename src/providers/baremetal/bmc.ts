/**
 * What the baremetal driver needs from a machine's baseboard management controller, whatever protocol it speaks
 * (IPMI in ipmi.ts, Redfish in redfish.ts). Every method throws a ProviderError: `Retryable` when the BMC did not
 * answer or answered "try later", `Invalid` when it refused the request or the credentials (with advice).
 */

/** Transitional states exist only where the protocol reports them (Redfish does; IPMI does not). */
export type BmcPowerState = 'on' | 'off' | 'powering-on' | 'powering-off';

/** `cycle` is a hard restart (IPMI `chassis power cycle`, Redfish `ForceRestart`): the machine boots again. */
export type BmcPowerAction = 'on' | 'off' | 'cycle';

export type BootDevice = 'pxe' | 'disk';

export const BMC_PROTOCOLS = ['ipmi', 'redfish'] as const;
export type BmcProtocol = (typeof BMC_PROTOCOLS)[number];

export interface Bmc {
  /** Where it is, for messages: `ipmi://10.0.0.5:623` or `https://10.0.0.5/redfish/v1/Systems/1`. */
  readonly address: string;
  powerState(): Promise<BmcPowerState>;
  power(action: BmcPowerAction): Promise<void>;
  /**
   * The device the machine boots from next. `persistent: false` (the default) applies to one boot only, so a
   * machine installed over PXE boots its own disk afterwards without anyone resetting the override.
   */
  setNextBoot(device: BootDevice, options?: { persistent?: boolean }): Promise<void>;
  /** Ends a login session, if the protocol keeps one. */
  close?(): Promise<void>;
}

/** Login for a BMC; only ever held in memory, opened from the pool's sealed record for one use. */
export interface BmcCredentials {
  username: string;
  password: string;
}
