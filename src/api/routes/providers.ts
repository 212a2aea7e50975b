import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
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
  };
}
