import type { FastifyInstance, InjectOptions } from 'fastify';
import pino from 'pino';
import { buildApp } from '../../src/api/app.js';
import { ControlPlane, type ControlPlaneOptions } from '../../src/api/control-plane.js';
import type { ProviderConfig } from '../../src/providers/registry.js';
import { encryptSecret, loadSecretKey } from '../../src/runtime/secrets.js';
import type { TestDatabase } from './databases.js';
import { TEST_ADMIN_TOKEN } from './test-token.js';

export { TEST_ADMIN_TOKEN };

export interface TestPlane {
  cp: ControlPlane;
  /** The API, signed in as the organisation admin unless a request brings its own Authorization header. */
  app: FastifyInstance;
  /** The same API with no credentials added. */
  anonymous: FastifyInstance;
  close(): Promise<void>;
}

/** A control plane and its API on the given test database, with the given providers; not listening. */
export async function startTestPlane(
  tdb: TestDatabase,
  providers: ProviderConfig[],
  opts: Partial<ControlPlaneOptions> & {
    background?: boolean;
    /** Provider credentials stored (encrypted, as `tessera provider credentials` does) before the drivers are built. */
    credentials?: Record<string, Record<string, string>>;
  } = {},
): Promise<TestPlane> {
  const env = { TESSERA_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'), TESSERA_BOOTSTRAP_TOKEN: TEST_ADMIN_TOKEN };
  if (opts.credentials) {
    const key = loadSecretKey({ dataDir: tdb.dataDir, env });
    const store = await tdb.open();
    for (const [provider, credentials] of Object.entries(opts.credentials)) await store.putCredentials(provider, encryptSecret(key, credentials));
    await store.close();
  }
  const cp = await ControlPlane.open({
    dataDir: tdb.dataDir,
    databaseUrl: tdb.options.databaseUrl ?? null,
    databaseSchema: tdb.options.schema,
    providers,
    logger: pino({ level: process.env.TESSERA_TEST_LOG ?? 'silent' }),
    discovery: null,
    env,
    ...opts,
    controller: { pollMs: 100, ...opts.controller },
  });
  const app = await buildApp(cp);
  if (opts.background ?? true) cp.startBackground();
  return {
    cp,
    app: signedIn(app, TEST_ADMIN_TOKEN),
    anonymous: app,
    close: async () => {
      await app.close();
      await cp.close();
    },
  };
}

/** `app` with `Authorization: Bearer <token>` on every injected request that does not set its own. */
export function signedIn(app: FastifyInstance, token: string): FastifyInstance {
  const withToken = Object.create(app) as FastifyInstance;
  const inject = (opts: InjectOptions | string) => {
    const o: InjectOptions = typeof opts === 'string' ? { url: opts } : opts;
    return app.inject({ ...o, headers: { authorization: `Bearer ${token}`, ...o.headers } });
  };
  withToken.inject = inject as FastifyInstance['inject'];
  return withToken;
}

/** A small simulated provider for API tests: two regions, three flavors, no latency. */
export function simProvider(name: string, config: Record<string, unknown> = {}, extra: Partial<ProviderConfig> = {}): ProviderConfig {
  return {
    name,
    type: 'sim',
    rateLimit: { perSecond: null, burst: 1 },
    config: {
      regions: [
        { name: 'r1', zones: ['r1a'] },
        { name: 'r2', zones: ['r2a'] },
      ],
      flavors: [
        { name: 'small', vcpus: 1, memoryGiB: 2, priceUsdPerHour: '0.010' },
        { name: 'medium', vcpus: 2, memoryGiB: 4, priceUsdPerHour: '0.020', spotPriceUsdPerHour: '0.008' },
        { name: 'large', vcpus: 4, memoryGiB: 16, priceUsdPerHour: '0.080' },
      ],
      ...config,
    },
    ...extra,
  };
}

/** Polls until `check` returns a truthy value or the time runs out (then throws with the last value). */
export async function eventually<T>(check: () => Promise<T | null | undefined | false>, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    last = await check();
    if (last) return last as T;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
