import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { assessMaturity } from '../../metering/maturity.js';
import { pricePerformance } from '../../metering/priceperf/price-performance.js';
import { WORK_UNIT_KIND, type WorkUnitSpec } from '../../metering/priceperf/work-unit.js';
import type { ControlPlane } from '../control-plane.js';
import { gatherMaturityEvidence } from '../maturity-evidence.js';
import { COMMON_ERRORS } from '../schemas.js';

const DAY_MS = 86_400_000;

/** Units of work whose cost per unit could be measured in the period (some work, some cost). */
async function measuredUnits(cp: ControlPlane, since: string): Promise<number> {
  const to = new Date().toISOString();
  const units = await cp.store.list<WorkUnitSpec, object>(WORK_UNIT_KIND, { limit: 1000 });
  let measured = 0;
  for (const u of units.items) {
    const report = await pricePerformance(u.spec, cp.ledger.lines({ from: since, to, projects: [u.project] }), (w) => cp.otlp.workDone(w), { from: since, to });
    if (report.rows.some((r) => r.costPerUnitMicros !== null)) measured++;
  }
  return measured;
}

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
        const since = new Date(Date.now() - 30 * DAY_MS).toISOString();
        const evidence = await gatherMaturityEvidence(cp, {
          budgets: () => cp.store.count('Budget'),
          metricHours30d: async () => {
            const row = await cp.store.db.selectFrom('metric_rollups').select((eb) => eb.fn.countAll<number>().as('n')).where('hour', '>=', since).executeTakeFirst();
            return Number(row?.n ?? 0);
          },
          pricePerformanceMeasured: () => measuredUnits(cp, since),
        });
        return { ...assessMaturity(evidence), evidence: evidence as unknown as Record<string, unknown> };
      },
    );
  };
}
