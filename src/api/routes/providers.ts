import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { NotFoundError } from '../../core/errors.js';
import { INSTANCE_KIND } from '../../core/instance.js';
import type { ControlPlane } from '../control-plane.js';
import { COMMON_ERRORS, itemsOf } from '../schemas.js';

const ProviderView = z
  .object({
    name: z.string(),
    type: z.string(),
    simulated: z.boolean(),
    health: z.enum(['ok', 'degraded', 'down']),
    circuit: z.object({
      state: z.enum(['closed', 'open', 'half-open']),
      consecutiveFailures: z.number().int(),
      openedAt: z.string().nullable(),
      retryAt: z.string().nullable(),
    }),
    rateLimit: z.object({ perSecond: z.number().nullable(), burst: z.number().nullable(), available: z.number().nullable(), queued: z.number().int() }),
    lastError: z.string().nullable(),
    lastErrorAt: z.string().nullable(),
    instances: z.number().int(),
    lastSyncAt: z.string().nullable().describe('when this process last listed the provider (inventory discovery)'),
  })
  .meta({ id: 'Provider' });

/** Configured providers with their health, circuit breaker and rate limit, as this process sees them. */
export function providerRoutes(cp: ControlPlane): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/v1/providers',
      {
        config: { access: 'signed-in' },
        schema: {
          summary: 'Providers: health, circuit state, rate limit',
          tags: ['compute'],
          querystring: z.object({}).strict(),
          response: { 200: itemsOf(ProviderView, 'ProviderList'), ...COMMON_ERRORS },
        },
      },
      async () => ({
        items: await Promise.all(
          cp.providers.all().map(async (d) => ({
            ...d.status(),
            instances: await cp.store.count(INSTANCE_KIND, { provider: d.name }),
            lastSyncAt: cp.discovery.lastSync.get(d.name)?.at ?? null,
          })),
        ),
      }),
    );

    app.put(
      '/v1/providers/:name/credentials',
      {
        config: { access: 'org-admin', action: 'provider.credentials' },
        schema: {
          summary: "Store a provider's credentials (encrypted at rest; write-only: never returned)",
          tags: ['compute'],
          params: z.object({ name: z.string().max(63) }),
          body: z.record(z.string().min(1).max(128), z.string().max(16_384)).meta({ id: 'Credentials' }),
          response: { 200: z.object({ provider: z.string(), keys: z.array(z.string()), note: z.string() }), ...COMMON_ERRORS },
        },
      },
      async (req) => {
        if (!cp.providers.get(req.params.name)) {
          throw new NotFoundError(`provider "${req.params.name}" is not configured: use one of ${cp.providers.names().join(', ')}`);
        }
        await cp.setCredentials(req.params.name, req.body);
        // Only the key names come back: the values never travel back out.
        return { provider: req.params.name, keys: Object.keys(req.body).sort(), note: 'stored encrypted; takes effect at the next start of each Tessera process' };
      },
    );
  };
}
