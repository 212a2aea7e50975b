import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { CostModelApplyOutcome, CostModelView } from '../../metering/cost-model/cost-model-view.js';
import type { ControlPlane } from '../control-plane.js';
import { COMMON_ERRORS, itemsOf } from '../schemas.js';

const ProviderParams = z.object({ provider: z.string().min(1).max(63) });

/** Private-cloud cost models (KEMI): inputs, per-server-hour breakdown, unit rates, flavor prices, versions. */
export function costModelRoutes(cp: ControlPlane): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/v1/cost/models',
      {
        config: { access: 'signed-in' },
        schema: {
          summary: 'Every private provider’s cost model: inputs, breakdown, rates, flavor prices beside public ones, versions',
          tags: ['cost'],
          querystring: z.object({}).strict(),
          response: { 200: itemsOf(CostModelView, 'CostModelList'), ...COMMON_ERRORS },
        },
      },
      async () => ({ items: await cp.costModels.list() }),
    );

    app.get(
      '/v1/cost/models/:provider',
      {
        config: { access: 'signed-in' },
        schema: {
          summary: 'One provider’s cost model',
          tags: ['cost'],
          params: ProviderParams,
          querystring: z.object({}).strict(),
          response: { 200: CostModelView, ...COMMON_ERRORS },
        },
      },
      async (req) => cp.costModels.show(req.params.provider),
    );

    app.post(
      '/v1/cost/models/:provider/apply',
      {
        config: { access: 'org-admin', action: 'cost-model.apply' },
        schema: {
          summary:
            'Apply the configured model again (after a public price import, or when the provider offers other flavors): ' +
            'a change opens a new model version and new catalog periods; an unchanged model changes nothing',
          tags: ['cost'],
          params: ProviderParams,
          response: { 200: CostModelApplyOutcome, ...COMMON_ERRORS },
        },
      },
      async (req) => {
        req.auditResourceId = req.params.provider;
        return cp.costModels.apply(req.params.provider);
      },
    );
  };
}
