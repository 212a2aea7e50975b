import type { Image, InstanceKind, Market, Offer, Region } from '../core/offer.js';

/**
 * The driver contract: one small interface for every provider (DESIGN.md, "The driver contract").
 * Drivers are stateless toward Tessera's store: everything they know comes from the provider.
 */

/** How a provider reports a machine's state, normalised. */
export type ObservedState = 'pending' | 'running' | 'stopping' | 'stopped' | 'terminating' | 'terminated';

export interface ObservedInstance {
  /** Provider's own id (EC2 instance id, container id, domain UUID, …). */
  externalId: string;
  /** Tessera's idempotency token carried at create, if the machine was made by Tessera. */
  token: string | null;
  /** Tessera's instance id carried as a tag/label, if any. */
  tesseraId: string | null;
  name: string;
  region: string;
  zone: string | null;
  flavor: string;
  image: string;
  market: Market;
  kind: InstanceKind;
  state: ObservedState;
  addresses: { type: 'private' | 'public'; address: string }[];
  labels: Record<string, string>;
  createdAt: string;
}

export interface CreateRequest {
  tesseraId: string;
  name: string;
  region: string;
  zone: string | null;
  flavor: string;
  image: string;
  market: Market;
  userData: string | null;
  labels: Record<string, string>;
  powerOn: boolean;
}

/** Finds a machine either by its provider id or by Tessera's create token (observe-before-create). */
export interface InstanceRef {
  region: string;
  externalId?: string | null;
  token?: string | null;
}

export type PowerAction = 'on' | 'off' | 'reboot';

export interface ListOptions {
  pageSize?: number;
  signal?: AbortSignal;
}

export interface Driver {
  /** Name of this configured provider (e.g. `aws-sim`, `onprem`), unique in one Tessera. */
  readonly name: string;
  /** Which driver implements it (`sim`, `docker`, `aws`, …). */
  readonly type: string;
  /** True for simulated providers: every user-facing view labels them as such. */
  readonly simulated: boolean;

  offers(): Promise<Offer[]>;
  regions(): Promise<Region[]>;
  images(): Promise<Image[]>;
  /** Null when no such machine exists (a NotFound is not an error here). */
  observe(ref: InstanceRef): Promise<ObservedInstance | null>;
  /** Starts creating; a repeated call with the same token returns the first machine, never a second one. */
  create(req: CreateRequest, token: string): Promise<ObservedInstance>;
  /** Deleting a machine that is already gone is not an error. */
  delete(ref: InstanceRef): Promise<void>;
  power(ref: InstanceRef, action: PowerAction): Promise<void>;
  /** Every machine the account holds, one page at a time (for inventory discovery and adoption). */
  list(opts?: ListOptions): AsyncIterable<ObservedInstance[]>;
  close?(): Promise<void>;
}

/** Error classes every driver maps its provider's errors to (never a bare string). */
export type ErrorClass = 'Retryable' | 'Capacity' | 'Quota' | 'Invalid' | 'NotFound';

export class ProviderError extends Error {
  constructor(
    readonly errorClass: ErrorClass,
    message: string,
    readonly provider: string,
    /** The provider's own code (e.g. `InsufficientInstanceCapacity`), for the record. */
    readonly providerCode?: string,
    /** Seconds the provider asked us to wait (Retry-After), if it said. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = `ProviderError(${errorClass})`;
  }
}

/**
 * Provider codes that mean "slow down", not "unhealthy": a throttled cloud is up, so throttling backs off
 * but does not open the circuit breaker. One list for every driver's vocabulary.
 */
const THROTTLE_CODES = new Set([
  'RequestLimitExceeded', // EC2
  'Throttling', // AWS query APIs
  'ThrottlingException',
  'TooManyRequests', // Azure ARM 429
  'rateLimitExceeded', // GCE
  'userRateLimitExceeded',
  'LocalRateLimit', // our own per-provider limiter's queue
]);

export function isThrottle(e: unknown): boolean {
  return e instanceof ProviderError && e.errorClass === 'Retryable' && THROTTLE_CODES.has(e.providerCode ?? '');
}

export function isProviderError(e: unknown, cls?: ErrorClass): e is ProviderError {
  return e instanceof ProviderError && (cls === undefined || e.errorClass === cls);
}

/** Labels every driver sets on what it creates, so the machine can be found again without Tessera's store. */
export const TESSERA_ID_LABEL = 'tessera.io/id';
export const TESSERA_TOKEN_LABEL = 'tessera.io/token';

/** The factory each provider folder exports; `config` is that provider's block from tessera.yaml. */
export type DriverFactory = (name: string, config: Record<string, unknown>, ctx: DriverContext) => Promise<Driver>;

export interface DriverContext {
  dataDir: string;
  /** Decrypted credentials for this provider, if any were stored. */
  credentials: Record<string, string> | null;
  /** Seals secrets a driver keeps in its own state (a BMC's login, say) with the server's key; drivers that keep none ignore it. */
  secrets?: SecretBox;
  /**
   * Today's list prices of a public cloud (`aws`, `azure`, `gcp`) from Tessera's price catalog (src/metering/catalog):
   * a cloud's API says which flavors exist, the catalog says what they cost. Empty when nothing was imported for it.
   */
  listPrices?: (cloud: string) => Promise<ListPrice[]>;
}

/** One flavor's hourly list price in one region and market, as the price catalog holds it now. */
export interface ListPrice {
  region: string;
  /** The zone the price was published for, when the source names one (prices rarely differ between zones). */
  zone: string | null;
  flavor: string;
  market: Market;
  vcpus: number;
  memoryGiB: number;
  gpus: number;
  arch: string;
  priceMicrosPerHour: number;
}

/** Encryption at rest under the installation's secret key (AES-256-GCM, src/runtime/secrets.ts), without handing out the key. */
export interface SecretBox {
  seal(plaintext: Record<string, string>): string;
  /** Throws when the text was sealed under another key or altered. */
  open(sealed: string): Record<string, string>;
}
