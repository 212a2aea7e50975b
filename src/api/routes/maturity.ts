import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { assessMaturity } from '../../metering/maturity.js';
import type { ControlPlane } from '../control-plane.js';
import { gatherMaturityEvidence } from '../maturity-evidence.js';
import { COMMON_ERRORS } from '../schemas.js';

const Criterion = z.object({ level: z.number().int(), criterion: z.string(), met: z.boolean(), evidence: z.string() });

const MaturityView = z
  .object({
    level: z.number().int().min(0).max(5),
    name: z.string(),
    criteria: z.array(Criterion),
    next: z.array(Criterion),
    evidence: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'Maturity' });

/** The organisation's Cloud Maturity Model level, from live evidence across the planes. */
export function maturityRoutes(cp: ControlPlane): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/v1/maturity',
      {
        // Organisation-wide figures (every project's instances and creates): for organisation admins.
        config: { access: 'org-admin' },
        schema: {
          summary: 'The ODCA Cloud Maturity Model level (0–5), with the evidence for each criterion',
          tags: ['metering'],
          querystring: z.object({}).strict(),
          response: { 200: MaturityView, ...COMMON_ERRORS },
        },
      },
      async () => {
        const evidence = await gatherMaturityEvidence(cp, {
          budgets: () => cp.store.count('Budget'),
          metricHours30d: async () => 0,
          pricePerformanceMeasured: async () => 0,
        });
        return { ...assessMaturity(evidence), evidence: evidence as unknown as Record<string, unknown> };
      },
    );
  };
}
