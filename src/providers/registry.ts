import type { Metrics } from '../runtime/metrics.js';
import type { Driver, DriverContext, DriverFactory } from './driver.js';
import { GuardedDriver, type GuardOptions } from './guarded-driver.js';

/** Driver types by name; loaded lazily so a deployment pays only for the SDKs it uses. */
const FACTORIES: Record<string, () => Promise<DriverFactory>> = {
  sim: async () => (await import('./sim/driver.js')).createSimDriver,
  baremetal: async () => (await import('./baremetal/driver.js')).createBaremetalDriver,
  libvirt: async () => (await import('./libvirt/driver.js')).createLibvirtDriver,
  docker: async () => (await import('./docker/driver.js')).createDockerDriver,
  aws: async () => (await import('./aws/driver.js')).createAwsDriver,
  azure: async () => (await import('./azure/driver.js')).createAzureDriver,
  gcp: async () => (await import('./gcp/driver.js')).createGcpDriver,
};

export function knownDriverTypes(): string[] {
  return Object.keys(FACTORIES);
}

export interface ProviderConfig {
  name: string;
  type: string;
  rateLimit?: { perSecond: number | null; burst?: number };
  breaker?: { failureThreshold?: number; coolDownMs?: number; maxCoolDownMs?: number };
  config?: Record<string, unknown>;
  /** A private provider's cost model (tessera.yaml `costModel`), validated by src/metering/cost-model. */
  costModel?: Record<string, unknown>;
  /** Placement labels (tessera.yaml `placement`): read by the deploy plane's optimiser. */
  placement?: { labels?: Record<string, string>; regions?: Record<string, Record<string, string>> };
}

export const DEFAULT_GUARD: Omit<GuardOptions, 'metrics'> = {
  rateLimit: { perSecond: 100, burst: 100 },
  breaker: { failureThreshold: 10, coolDownMs: 5_000, maxCoolDownMs: 60_000 },
  maxQueueWaitMs: 2_000,
};

/** The configured providers of one Tessera process, each behind its rate limit and circuit breaker. */
export class ProviderRegistry {
  private constructor(private readonly drivers: Map<string, GuardedDriver>) {}

  static async build(
    configs: ProviderConfig[],
    ctx: (p: ProviderConfig) => Promise<DriverContext>,
    metrics?: Metrics,
  ): Promise<ProviderRegistry> {
    const drivers = new Map<string, GuardedDriver>();
    for (const p of configs) {
      if (drivers.has(p.name)) throw new Error(`provider "${p.name}" is configured twice: provider names must be unique`);
      const load = FACTORIES[p.type];
      if (!load) {
        throw new Error(`provider "${p.name}" has unknown type "${p.type}": use one of ${knownDriverTypes().join(', ')}`);
      }
      const factory = await load();
      const driver = await factory(p.name, p.config ?? {}, await ctx(p));
      drivers.set(p.name, wrap(driver, p, metrics));
    }
    return new ProviderRegistry(drivers);
  }

  /** For tests: a registry over drivers built elsewhere. */
  static of(drivers: Driver[], guard: Partial<Omit<GuardOptions, 'metrics'>> = {}, metrics?: Metrics): ProviderRegistry {
    return new ProviderRegistry(new Map(drivers.map((d) => [d.name, new GuardedDriver(d, { ...DEFAULT_GUARD, ...guard, metrics })])));
  }

  get(name: string): GuardedDriver | undefined {
    return this.drivers.get(name);
  }

  names(): string[] {
    return [...this.drivers.keys()];
  }

  all(): GuardedDriver[] {
    return [...this.drivers.values()];
  }

  async close(): Promise<void> {
    await Promise.all(this.all().map((d) => d.close()));
  }
}

function wrap(driver: Driver, p: ProviderConfig, metrics?: Metrics): GuardedDriver {
  return new GuardedDriver(driver, {
    rateLimit: {
      perSecond: p.rateLimit?.perSecond === undefined ? DEFAULT_GUARD.rateLimit.perSecond : p.rateLimit.perSecond,
      burst: p.rateLimit?.burst ?? DEFAULT_GUARD.rateLimit.burst,
    },
    breaker: breakerSettings(p),
    maxQueueWaitMs: DEFAULT_GUARD.maxQueueWaitMs,
    metrics,
  });
}

/** A cool-down set alone may exceed the default ceiling: the ceiling then rises to meet it. */
function breakerSettings(p: ProviderConfig): GuardOptions['breaker'] {
  const merged = { ...DEFAULT_GUARD.breaker, ...p.breaker };
  return { ...merged, maxCoolDownMs: Math.max(merged.maxCoolDownMs, merged.coolDownMs) };
}
