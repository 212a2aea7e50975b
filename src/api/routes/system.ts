import { sql } from 'kysely';
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { CIRCUIT_STATE_GAUGE_VALUE } from '../../runtime/metrics.js';
import type { ControlPlane } from '../control-plane.js';

/** Liveness, Prometheus metrics and the OpenAPI document: open routes, no /v1 prefix. */
export function systemRoutes(cp: ControlPlane): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/healthz',
      {
        config: { access: 'public' },
        schema: {
          summary: 'Liveness and database reachability',
          tags: ['system'],
          response: { 200: z.object({ status: z.literal('ok'), database: z.string() }), 503: z.object({ status: z.literal('unavailable'), database: z.string() }) },
        },
      },
      async (_req, reply) => {
        try {
          await sql`select 1`.execute(cp.store.db);
          return { status: 'ok' as const, database: cp.store.dialect };
        } catch {
          return reply.code(503).send({ status: 'unavailable' as const, database: cp.store.dialect });
        }
      },
    );

    app.get('/metrics', { config: { access: cp.metricsPublic ? 'public' : 'signed-in' }, schema: { summary: 'Prometheus metrics (text format)', tags: ['system'], produces: ['text/plain'] } }, async (_req, reply) => {
      await refreshGauges(cp);
      return reply.type(cp.metrics.registry.contentType).send(await cp.metrics.registry.metrics());
    });

    // The API's description is no secret: clients and tools read it before anyone signs in.
    app.get('/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () => app.swagger());
  };
}

async function refreshGauges(cp: ControlPlane): Promise<void> {
  for (const d of cp.providers.all()) {
    cp.metrics.circuitState.set({ provider: d.name }, CIRCUIT_STATE_GAUGE_VALUE[d.breaker.snapshot().state]);
  }
}
