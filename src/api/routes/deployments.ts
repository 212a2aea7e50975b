import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { NotFoundError } from '../../core/errors.js';
import { Market } from '../../core/offer.js';
import { DeploymentDocument, DeploymentPlacement, DeploymentView } from '../../deploy/deployment.js';
import { placementView, type DeploymentPlan, type Where } from '../../deploy/deployment-plan.js';
import { narrowProjects, projectsWith, requireRole } from '../../identity/access.js';
import { principalOf } from '../auth.js';
import type { ControlPlane } from '../control-plane.js';
import { COMMON_ERRORS, IdParams, pageOf } from '../schemas.js';
import { DocumentListQuery, DocumentNameParams, requirePathMatches, requireWritable, VersionQuery } from './documents.js';

const WhereView = z.object({ provider: z.string(), region: z.string(), flavor: z.string(), market: Market, priceMicrosPerHour: z.number().int() });

export const PlanView = z
  .object({
    project: z.string(),
    name: z.string(),
    /** False when applying would create the deployment. */
    exists: z.boolean(),
    templateHash: z.string(),
    changes: z.array(
      z.object({
        action: z.enum(['create', 'replace', 'delete', 'keep']),
        replica: z.string().nullable(),
        instanceId: z.string().nullable(),
        reason: z.string(),
        from: WhereView.nullable(),
        to: WhereView.nullable(),
      }),
    ),
    summary: z.object({ create: z.number().int(), replace: z.number().int(), delete: z.number().int(), keep: z.number().int() }),
    hourlyBeforeMicros: z.number().int(),
    hourlyAfterMicros: z.number().int(),
    /** (after − before) × 730 hours. */
    monthlyDeltaMicros: z.number().int(),
    placement: DeploymentPlacement.omit({ decidedAt: true }).nullable(),
  })
  .meta({ id: 'DeploymentPlan' });
type PlanView = z.infer<typeof PlanView>;

const Applied = z.object({ created: z.boolean(), deployment: DeploymentView, plan: PlanView }).meta({ id: 'DeploymentApplied' });


/** Deployments (DKOS): `:plan` shows what an apply would change; PUT by name applies; the controller does the rest. */
export function deploymentRoutes(cp: ControlPlane): FastifyPluginAsyncZod {
  const hidden = (what: string) => () => new NotFoundError(`deployment ${what} does not exist`);


  return async (app) => {
    app.post(
      '/v1/deployments::plan',
      {
        config: { access: 'operator', action: 'deployment.plan' },
        schema: {
          summary: 'What applying this Deployment document would change (create / replace / delete per replica, with prices), without changing anything',
          tags: ['deploy'],
          body: DeploymentDocument,
          response: { 200: PlanView, ...COMMON_ERRORS },
        },
      },
      async (req) => {
        await requireWritable(cp, req, req.body);
        const { existing, plan } = await cp.deployments.plan(req.body);
        return planView(req.body, existing !== null, plan);
      },
    );

    app.put(
      '/v1/projects/:project/deployments/:name',
      {
        config: { access: 'operator', action: 'deployment.apply' },
        schema: {
          summary: 'Apply a Deployment document: create it, or replace its spec (a rolling update when the template changes)',
          tags: ['deploy'],
          params: DocumentNameParams,
          querystring: VersionQuery,
          body: DeploymentDocument,
          response: { 200: Applied, 201: Applied, ...COMMON_ERRORS },
        },
      },
      async (req, reply) => {
        requirePathMatches(req.params, req.body);
        await requireWritable(cp, req, req.body);
        const { deployment, created, plan } = await cp.deployments.apply(req.body, req.query.resourceVersion);
        return reply.code(created ? 201 : 200).send({ created, deployment, plan: planView(req.body, !created, plan) });
      },
    );

    app.get(
      '/v1/deployments',
      {
        config: { access: 'viewer' },
        schema: { summary: 'List deployments', tags: ['deploy'], querystring: DocumentListQuery, response: { 200: pageOf(DeploymentView, 'DeploymentPage'), ...COMMON_ERRORS } },
      },
      async (req) =>
        cp.deployments.list({ project: narrowProjects(projectsWith(principalOf(req), 'viewer'), req.query.project), limit: req.query.limit, cursor: req.query.cursor ?? null }),
    );

    app.get(
      '/v1/deployments/:id',
      {
        config: { access: 'viewer' },
        schema: { summary: 'Get a deployment, with its placement, failures and conditions', tags: ['deploy'], params: IdParams, response: { 200: DeploymentView, ...COMMON_ERRORS } },
      },
      async (req) => cp.deployments.get(req.params.id, projectsWith(principalOf(req), 'viewer')),
    );

    app.get(
      '/v1/projects/:project/deployments/:name',
      {
        config: { access: 'viewer' },
        schema: { summary: 'Get a deployment by name', tags: ['deploy'], params: DocumentNameParams, response: { 200: DeploymentView, ...COMMON_ERRORS } },
      },
      async (req) => {
        const { project, name } = req.params;
        requireRole(principalOf(req), project, 'viewer', hidden(`${project}/${name}`));
        const d = await cp.deployments.findByName(project, name);
        if (!d) throw new NotFoundError(`deployment ${project}/${name} does not exist: list deployments with GET /v1/deployments (tessera get deployments)`);
        return d;
      },
    );

    app.delete(
      '/v1/deployments/:id',
      {
        config: { access: 'operator', action: 'deployment.delete' },
        schema: {
          summary: 'Delete a deployment: its replicas are deleted, then it',
          tags: ['deploy'],
          params: IdParams,
          querystring: VersionQuery,
          response: { 202: DeploymentView, ...COMMON_ERRORS },
        },
      },
      async (req, reply) => {
        const principal = principalOf(req);
        const d = await cp.deployments.get(req.params.id, projectsWith(principal, 'viewer'));
        requireRole(principal, d.project, 'operator', hidden(req.params.id));
        return reply.code(202).send(await cp.deployments.delete(d.id, req.query.resourceVersion));
      },
    );
  };
}

export function planView(doc: DeploymentDocument, exists: boolean, plan: DeploymentPlan): PlanView {
  const where = (w: Where | null) => w && { ...w };
  return {
    project: doc.metadata.project,
    name: doc.metadata.name,
    exists,
    templateHash: plan.templateHash,
    changes: plan.changes.map((c) => ({ ...c, from: where(c.from), to: where(c.to) })),
    summary: plan.summary,
    hourlyBeforeMicros: plan.hourlyBeforeMicros,
    hourlyAfterMicros: plan.hourlyAfterMicros,
    monthlyDeltaMicros: plan.monthlyDeltaMicros,
    placement: plan.placement ? withoutDecidedAt(placementView(plan.placement, '')) : null,
  };
}

function withoutDecidedAt({ decidedAt: _decidedAt, ...rest }: DeploymentPlacement): Omit<DeploymentPlacement, 'decidedAt'> {
  return rest;
}
