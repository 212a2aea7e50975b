import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { NotFoundError } from '../../core/errors.js';
import { InstanceName } from '../../core/instance.js';
import { newId } from '../../core/ids.js';
import { projectsWith, requireRole } from '../../identity/access.js';
import { pricePerformance } from '../../metering/priceperf/price-performance.js';
import { WORK_UNIT_KIND, WorkUnitSpec } from '../../metering/priceperf/work-unit.js';
import { principalOf } from '../auth.js';
import type { ControlPlane } from '../control-plane.js';
import { COMMON_ERRORS, itemsOf } from '../schemas.js';

const DAY_MS = 86_400_000;

const UnitParams = z.object({ project: InstanceName, name: InstanceName }).strict();

const WorkUnitView = z
  .object({ project: z.string(), name: z.string(), spec: WorkUnitSpec, createdAt: z.string(), updatedAt: z.string() })
  .meta({ id: 'WorkUnit' });

const Sample = z.object({ instances: z.number().int(), instanceHours: z.number(), hoursWithMetrics: z.number(), instancesWithoutMetrics: z.number().int() });
const Row = z.object({
  provider: z.string(),
  priceKey: z.string(),
  region: z.string(),
  flavor: z.string(),
  costMicros: z.number().int(),
  work: z.number(),
  costPerUnitMicros: z.number().nullable(),
  unitsPerUsd: z.number().nullable(),
  sample: Sample,
});
const Report = z
  .object({
    project: z.string(),
    name: z.string(),
    unit: z.string(),
    metric: z.string(),
    aggregation: z.string(),
    from: z.string(),
    to: z.string(),
    rows: z.array(Row),
  })
  .meta({ id: 'PricePerformance' });

const Period = z
  .object({
    project: InstanceName.optional(),
    unit: InstanceName.optional(),
    from: z.iso.datetime({ offset: true }).or(z.iso.date()).optional().describe('default: 7 days ago'),
    to: z.iso.datetime({ offset: true }).or(z.iso.date()).optional().describe('default: now'),
  })
  .strict();

/**
 * Units of useful work and what one costs on each provider × flavor × region (`/v1/priceperf`): the
 * price-performance the placement optimiser weighs, from the ledger's cost and the OTLP rollups' work.
 */
export function pricePerfRoutes(cp: ControlPlane): FastifyPluginAsyncZod {
  const notFound = (project: string, name: string) => () => new NotFoundError(`work unit ${project}/${name} does not exist`);

  async function unitsOf(projects: string[] | undefined) {
    const out = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof cp.store.list<WorkUnitSpec, object>>> = await cp.store.list<WorkUnitSpec, object>(WORK_UNIT_KIND, { project: projects, limit: 1000, cursor });
      out.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return out;
  }

  return async (app) => {
    app.put(
      '/v1/projects/:project/work-units/:name',
      {
        config: { access: 'operator', action: 'workunit.put' },
        schema: {
          summary: "Declare (or change) a unit of useful work: the instances that do it and the OTLP metric that counts it",
          tags: ['metering'],
          params: UnitParams,
          body: WorkUnitSpec,
          response: { 200: WorkUnitView, ...COMMON_ERRORS },
        },
      },
      async (req) => {
        const { project, name } = req.params;
        requireRole(principalOf(req), project, 'operator', notFound(project, name));
        const [existing] = (await unitsOf([project])).filter((u) => u.name === name);
        const saved = existing
          ? await cp.store.update<WorkUnitSpec, object>(WORK_UNIT_KIND, existing.id, (r) => ({ ...r, spec: req.body }), {
              event: () => ({ type: 'Updated', reason: 'WorkUnit', message: `measures ${req.body.aggregation} of ${req.body.metric} on ${req.body.selector}` }),
            })
          : await cp.store.create<WorkUnitSpec, object>(
              { id: newId('wu'), kind: WORK_UNIT_KIND, project, name, labels: {}, spec: req.body, status: {} },
              { type: 'Created', reason: 'WorkUnit', message: `measures ${req.body.aggregation} of ${req.body.metric} on ${req.body.selector}` },
            );
        return { project: saved.project, name: saved.name, spec: saved.spec, createdAt: saved.createdAt, updatedAt: saved.updatedAt };
      },
    );

    app.get(
      '/v1/work-units',
      {
        config: { access: 'signed-in' },
        schema: { summary: 'Units of useful work in your projects', tags: ['metering'], response: { 200: itemsOf(WorkUnitView, 'WorkUnitList'), ...COMMON_ERRORS } },
      },
      async (req) => ({
        items: (await unitsOf(projectsWith(principalOf(req), 'viewer'))).map((u) => ({ project: u.project, name: u.name, spec: u.spec, createdAt: u.createdAt, updatedAt: u.updatedAt })),
      }),
    );

    app.get(
      '/v1/priceperf',
      {
        config: { access: 'signed-in' },
        schema: {
          summary: 'Cost per unit of work per provider × flavor × region, with the sample size, for each unit of work you can see',
          tags: ['metering'],
          querystring: Period,
          response: { 200: itemsOf(Report, 'PricePerformanceList'), ...COMMON_ERRORS },
        },
      },
      async (req) => {
        const visible = projectsWith(principalOf(req), 'viewer');
        const q = req.query;
        if (q.project && visible && !visible.includes(q.project)) return { items: [] };
        const units = (await unitsOf(q.project ? [q.project] : visible)).filter((u) => !q.unit || u.name === q.unit);
        const to = new Date(q.to ?? Date.now()).toISOString();
        const from = new Date(q.from ?? Date.parse(to) - 7 * DAY_MS).toISOString();
        const items = [];
        for (const u of units) {
          const report = await pricePerformance(u.spec, cp.ledger.lines({ from, to, projects: [u.project] }), (w) => cp.otlp.workDone(w), { from, to });
          items.push({ project: u.project, name: u.name, ...report });
        }
        return { items };
      },
    );
  };
}
