import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { projectsWith } from '../../identity/access.js';
import { CostAllocator } from '../../metering/allocation/cost-allocator.js';
import { CostReport, DistributionMode } from '../../metering/allocation/cost-report.js';
import { parseDimensions } from '../../metering/allocation/dimensions.js';
import { resolvePeriod } from '../../metering/allocation/report-period.js';
import { focusCsv } from '../../metering/focus/focus-export.js';
import { principalOf } from '../auth.js';
import type { ControlPlane } from '../control-plane.js';
import { COMMON_ERRORS } from '../schemas.js';

const Moment = z.string().max(40).describe('ISO 8601: a date (UTC midnight) or a date-time with an offset');

const ReportQuery = z
  .object({
    by: z.string().max(1000).default('project').describe('comma-separated: project, provider, region, kind, flavor, market, state, day, month, label:<key>'),
    from: Moment.optional().describe('inclusive; default the start of the current UTC month'),
    to: Moment.optional().describe('exclusive; default now'),
    idle: DistributionMode.default('show').describe('idle capacity of private providers with a cost model: none, show (project "(idle)"), even, proportional'),
    shared: DistributionMode.default('none').describe('instances labelled tessera.io/shared=true: none (their own project), show (project "(shared)"), even, proportional'),
  })
  .strict();

const ExportQuery = z
  .object({
    format: z.enum(['focus']).default('focus').describe('focus: FinOps FOCUS 1.x columns, CSV'),
    from: Moment.optional().describe('inclusive; default the start of the current UTC month'),
    to: Moment.optional().describe('exclusive; default now'),
  })
  .strict();

/** Cost allocation and export (KEMI): what the estate cost, by anything, and the same lines as a FOCUS file. */
export function costRoutes(cp: ControlPlane): FastifyPluginAsyncZod {
  const allocator = new CostAllocator({ ledger: cp.ledger, costModels: cp.costModels.versions, now: () => cp.store.nowIso() });
  const simulated = (provider: string) => cp.providers.get(provider)?.simulated ?? false;

  return async (app) => {
    app.get(
      '/v1/cost/report',
      {
        config: { access: 'viewer' },
        schema: {
          summary: 'Cost of a period grouped by any dimensions, with idle capacity and shared cost shown or distributed (your projects only)',
          tags: ['cost'],
          querystring: ReportQuery,
          response: { 200: CostReport, ...COMMON_ERRORS },
        },
      },
      async (req) => {
        const q = req.query;
        return allocator.report({
          by: parseDimensions(q.by),
          period: resolvePeriod(q, cp.store.nowIso()),
          idle: q.idle,
          shared: q.shared,
          visibleProjects: projectsWith(principalOf(req), 'viewer'),
        });
      },
    );

    app.get(
      '/v1/cost/export',
      {
        config: { access: 'viewer' },
        schema: {
          summary: 'The usage ledger of a period as a FinOps FOCUS 1.x CSV file, streamed (your projects only)',
          tags: ['cost'],
          querystring: ExportQuery,
          produces: ['text/csv'],
        },
      },
      async (req, reply) => {
        // Checked before the first byte: once the stream has started, an error can only cut it short.
        const period = resolvePeriod(req.query, cp.store.nowIso());
        const projects = projectsWith(principalOf(req), 'viewer');
        const name = `tessera-focus-${period.from.slice(0, 10)}-${period.to.slice(0, 10)}.csv`;
        // The untyped reply: a stream is not a JSON body.
        return (reply as FastifyReply)
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="${name}"`)
          .send(Readable.from(focusCsv(cp.ledger, { period, projects, simulated })));
      },
    );
  };
}
