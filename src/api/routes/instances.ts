import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { InstanceAction, InstanceCreate, InstanceView, Phase } from '../../core/instance.js';
import { parseLabelSelector } from '../../core/selector.js';
import { summarizeFleet } from '../../compute/fleet-summary.js';
import { fleetCosts } from '../../metering/fleet-costs.js';
import { NotFoundError } from '../../core/errors.js';
import { narrowProjects, projectsWith, requireRole } from '../../identity/access.js';
import { principalOf } from '../auth.js';
import type { ControlPlane } from '../control-plane.js';
import { sendEncoded } from '../send-encoded.js';
import { COMMON_ERRORS, IdParams, Limit, pageOf } from '../schemas.js';

const ListQuery = z
  .object({
    provider: z.string().max(63).optional(),
    region: z.string().max(63).optional(),
    phase: Phase.optional(),
    project: z.string().max(63).optional(),
    name: z.string().max(63).optional(),
    managed: z.enum(['true', 'false']).optional(),
    selector: z.string().max(4096).optional().describe('label selector, e.g. app=web,tier!=db'),
    limit: Limit,
    cursor: z.string().max(200).optional(),
  })
  .strict();

const KindCount = z.object({ vm: z.number(), container: z.number(), baremetal: z.number(), unknown: z.number() });
const FleetView = z
  .object({
    total: z.number(),
    managed: z.number(),
    discovered: z.number(),
    byKind: KindCount,
    byProvider: z.record(z.string(), KindCount),
    virtualisedShare: z.number().nullable(),
    containerShareOfVirtualised: z.number().nullable(),
    costs: z.object({
      runningInstances: z.number().int(),
      annualRunRateMicros: z.object({ private: z.number().int(), public: z.number().int(), total: z.number().int() }),
      unpricedRunning: z.number().int(),
      privateVsPublic: z.object({
        comparedInstances: z.number().int(),
        privateMicrosPerHour: z.number().int(),
        publicMicrosPerHour: z.number().int(),
        ratio: z.number().nullable(),
      }),
    }),
  })
  .meta({ id: 'Fleet' });

const DeleteQuery = z.object({ resourceVersion: z.coerce.number().int().min(1).optional() }).strict();

export function instanceRoutes(cp: ControlPlane): FastifyPluginAsyncZod {
  /** An instance the caller may change: invisible to it → 404, visible but not an operator there → 403. */
  async function operable(req: FastifyRequest, id: string): Promise<void> {
    const principal = principalOf(req);
    const inst = await cp.instances.get(id, projectsWith(principal, 'viewer'));
    requireRole(principal, inst.project, 'operator', () => new NotFoundError(`instance ${id} does not exist`));
  }

  return async (app) => {
    app.post(
      '/v1/instances',
      {
        config: { access: 'operator', action: 'instance.create' },
        schema: {
          summary: 'Create an instance (answered at once; the controller makes it real)',
          tags: ['compute'],
          body: InstanceCreate,
          response: { 202: InstanceView, ...COMMON_ERRORS },
        },
      },
      async (req, reply) => {
        requireRole(principalOf(req), req.body.project, 'operator', () => cp.projects.notFound(req.body.project));
        await cp.projects.mustExist(req.body.project);
        const inst = await cp.instances.create(req.body);
        return reply.code(202).send(inst);
      },
    );

    app.get(
      '/v1/instances',
      {
        config: { access: 'viewer' },
        schema: {
          summary: 'List instances (cursor pagination; filters; label selector)',
          tags: ['compute'],
          querystring: ListQuery,
          response: { 200: pageOf(InstanceView, 'InstancePage'), ...COMMON_ERRORS },
        },
      },
      async (req) => {
        const q = req.query;
        return cp.instances.list({
          provider: q.provider,
          region: q.region,
          phase: q.phase,
          project: narrowProjects(projectsWith(principalOf(req), 'viewer'), q.project),
          name: q.name,
          managed: q.managed === undefined ? undefined : q.managed === 'true',
          selector: q.selector ? parseLabelSelector(q.selector) : undefined,
          limit: q.limit,
          cursor: q.cursor ?? null,
        });
      },
    );

    app.get(
      '/v1/fleet',
      {
        config: { access: 'signed-in' },
        schema: {
          summary: 'The estate by kind (bare metal, VM, container) and provider, with the share virtualised and in containers',
          tags: ['compute'],
          querystring: z.object({}).strict(),
          response: { 200: FleetView, ...COMMON_ERRORS },
        },
      },
      async (req) => {
        const projects = projectsWith(principalOf(req), 'viewer');
        await cp.ledger.catchUp();
        const [counts, costs] = await Promise.all([summarizeFleet(cp.store, projects), fleetCosts(cp.store, cp.prices, projects)]);
        return { ...counts, costs };
      },
    );

    app.get(
      '/v1/instances/:id',
      {
        config: { access: 'viewer' },
        schema: { summary: 'Get an instance', tags: ['compute'], params: IdParams, response: { 200: InstanceView, ...COMMON_ERRORS } },
      },
      // Answered with the stored JSON as is: a read by id neither decodes nor re-encodes the resource, and when
      // the row is in memory the whole answer is given without a promise (most reads of a busy API).
      (req, reply) => {
        const projects = projectsWith(principalOf(req), 'viewer');
        const cached = cp.instances.cachedEncoded(req.params.id, projects);
        if (cached !== undefined) return void sendEncoded(reply, cached);
        return cp.instances.getEncoded(req.params.id, projects).then((json) => void sendEncoded(reply, json));
      },
    );

    app.delete(
      '/v1/instances/:id',
      {
        config: { access: 'operator', action: 'instance.delete' },
        schema: {
          summary: 'Delete an instance (the controller removes it at the provider)',
          tags: ['compute'],
          params: IdParams,
          querystring: DeleteQuery,
          response: { 202: InstanceView, ...COMMON_ERRORS },
        },
      },
      async (req, reply) => {
        await operable(req, req.params.id);
        return reply.code(202).send(await cp.instances.delete(req.params.id, req.query.resourceVersion));
      },
    );

    app.post(
      '/v1/instances/:id/:action',
      {
        config: { access: 'operator', action: 'instance.power' },
        schema: {
          summary: 'Power action: start, stop or reboot',
          tags: ['compute'],
          params: IdParams.extend({ action: InstanceAction }),
          response: { 202: InstanceView, ...COMMON_ERRORS },
        },
      },
      async (req, reply) => {
        await operable(req, req.params.id);
        return reply.code(202).send(await cp.instances.act(req.params.id, req.params.action));
      },
    );

    app.post(
      '/v1/instances/:id/adopt',
      {
        config: { access: 'operator', action: 'instance.adopt' },
        schema: {
          summary: 'Bring a discovered instance under management',
          tags: ['compute'],
          params: IdParams,
          // No body at all is fine: fastify hands an empty POST over as null.
          body: z.object({ project: z.string().max(63).optional() }).strict().nullish(),
          response: { 200: InstanceView, ...COMMON_ERRORS },
        },
      },
      async (req) => {
        await operable(req, req.params.id);
        const into = req.body?.project;
        if (into) {
          requireRole(principalOf(req), into, 'operator', () => cp.projects.notFound(into));
          await cp.projects.mustExist(into);
        }
        return cp.instances.adopt(req.params.id, into);
      },
    );
  };
}
