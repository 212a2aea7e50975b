import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { projectsWith, requireRole } from '../../identity/access.js';
import { BudgetSet, BudgetView } from '../../metering/budgets/budget.js';
import { BudgetService } from '../../metering/budgets/budget-service.js';
import { principalOf } from '../auth.js';
import type { ControlPlane } from '../control-plane.js';
import { COMMON_ERRORS, itemsOf } from '../schemas.js';

const ProjectParams = z.object({ project: z.string().min(1).max(63) });

/** Projects' monthly budgets (KEMI): set by project admins, visible to anyone who sees the project. */
export function budgetRoutes(cp: ControlPlane): FastifyPluginAsyncZod {
  const budgets = new BudgetService(cp.store, cp.ledger);

  /** Only a project's admins may change its budget; a project the caller cannot see reads as missing. */
  async function administrable(caller: Parameters<typeof requireRole>[0], project: string): Promise<void> {
    requireRole(caller, project, 'admin', () => cp.projects.notFound(project));
    if (!(await cp.projects.findByName(project))) throw cp.projects.notFound(project);
  }

  return async (app) => {
    app.put(
      '/v1/projects/:project/budget',
      {
        config: { access: 'admin', action: 'budget.set' },
        schema: {
          summary: 'Set or change a project’s monthly budget and its alert thresholds (project admins)',
          tags: ['cost'],
          params: ProjectParams,
          body: BudgetSet,
          response: { 200: BudgetView, ...COMMON_ERRORS },
        },
      },
      async (req) => {
        await administrable(principalOf(req), req.params.project);
        return budgets.set(req.params.project, req.body);
      },
    );

    app.delete(
      '/v1/projects/:project/budget',
      {
        config: { access: 'admin', action: 'budget.delete' },
        schema: {
          summary: 'Remove a project’s monthly budget (project admins); its threshold events stay in the log',
          tags: ['cost'],
          params: ProjectParams,
          response: { 200: z.object({ project: z.string(), removed: z.literal(true) }), ...COMMON_ERRORS },
        },
      },
      async (req) => {
        await administrable(principalOf(req), req.params.project);
        await budgets.remove(req.params.project);
        return { project: req.params.project, removed: true as const };
      },
    );

    app.get(
      '/v1/budgets',
      {
        config: { access: 'viewer' },
        schema: {
          summary: 'Budgets of your projects: month-to-date spend, forecast to month end at the current run-rate, thresholds crossed',
          tags: ['cost'],
          querystring: z.object({}).strict(),
          response: { 200: itemsOf(BudgetView, 'BudgetList'), ...COMMON_ERRORS },
        },
      },
      async (req) => ({ items: await budgets.list(projectsWith(principalOf(req), 'viewer')) }),
    );
  };
}
