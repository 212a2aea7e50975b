import { ControlPlane, type ControlPlaneOptions } from '../../src/api/control-plane.js';
import type { ProviderConfig } from '../../src/providers/registry.js';
import type { SimConfigInput } from '../../src/providers/sim/config.js';
import type { SimDriver } from '../../src/providers/sim/driver.js';
import { createLogger, type Logger } from '../../src/runtime/logger.js';
import type { BenchDatabase } from './bench-database.js';

/**
 * The production logger at `error`: the figures stay readable, and what is measured still pays for the real
 * logger's level checks. (Nothing on the measured paths logs below `warn` anyway, except the controller's
 * "reconcile failed; retrying" warnings, a few hundred lines per converge run.)
 */
export function benchLogger(): Logger {
  return createLogger({ level: 'error' });
}

/** A fixed key, so no key file is written and nothing depends on the environment the benchmark runs in. */
const BENCH_SECRET_KEY = Buffer.alloc(32, 11).toString('base64');

/** A control plane on the benchmark's database, controllers not started (the benchmark decides when). */
export function openControlPlane(
  db: BenchDatabase,
  providers: ProviderConfig[],
  opts: Pick<ControlPlaneOptions, 'controller' | 'discovery'> = {},
): Promise<ControlPlane> {
  return ControlPlane.open({
    dataDir: db.dataDir,
    databaseUrl: db.databaseUrl,
    databaseSchema: db.schema,
    providers,
    logger: benchLogger(),
    discovery: null,
    env: { TESSERA_SECRET_KEY: BENCH_SECRET_KEY },
    ...opts,
  });
}

/** A `sim` provider as tessera.yaml would configure it; `rateLimit` is Tessera's own limit toward it. */
export function simProvider(name: string, config: SimConfigInput, rateLimit: ProviderConfig['rateLimit']): ProviderConfig {
  return { name, type: 'sim', rateLimit, config: config as Record<string, unknown> };
}

/** The simulated driver under a provider's guard: its `simState()` counts the calls the provider received. */
export function simDriverOf(cp: ControlPlane, provider: string): SimDriver {
  const guarded = cp.providers.get(provider);
  if (!guarded || guarded.type !== 'sim') throw new Error(`provider ${provider} is not a configured sim provider`);
  return guarded.inner as SimDriver;
}
