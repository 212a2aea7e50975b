import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { NotFoundError } from '../../core/errors.js';
import { ClusterDocument, clusterView, ClusterView } from '../../deploy/cluster/cluster.js';
import type { NodeGroupPlan } from '../../deploy/cluster/cluster-service.js';
import { narrowProjects, projectsWith, requireRole } from '../../identity/access.js';
import { principalOf } from '../auth.js';
import type { ControlPlane } from '../control-plane.js';
import { COMMON_ERRORS, IdParams, pageOf } from '../schemas.js';
import { DocumentListQuery, DocumentNameParams, requirePathMatches, requireWritable, VersionQuery } from './documents.js';
import { planView, PlanView } from './deployments.js';

const ClusterPlan = z
  .object({ project: z.string(), name: z.string(), exists: z.boolean(), deployments: z.array(PlanView) })
  .meta({ id: 'ClusterPlan' });
const Applied = z.object({ created: z.boolean(), cluster: ClusterView, plans: ClusterPlan }).meta({ id: 'ClusterApplied' });



function clusterPlan(doc: ClusterDocument, exists: boolean, groups: NodeGroupPlan[]): z.infer<typeof ClusterPlan> {
  return { project: doc.metadata.project, name: doc.metadata.name, exists, deployments: groups.map((g) => planView(g.document, g.exists, g.plan)) };
}

/** Clusters (toward DKOS's Kubernetes-as-a-service): nodes deployed as child deployments with kubeadm cloud-init. */
export function clusterRoutes(cp: ControlPlane): FastifyPluginAsyncZod {
  const hidden = (what: string) => () => new NotFoundError(`cluster ${what} does not exist`);


  return async (app) => {
    app.post(
      '/v1/clusters::plan',
      {
        config: { access: 'operator', action: 'cluster.plan' },
        schema: {
          summary: 'What applying this Cluster document would change, node group by node group, without changing anything',
          tags: ['deploy'],
          body: ClusterDocument,
          response: { 200: ClusterPlan, ...COMMON_ERRORS },
        },
      },
      async (req) => {
        await requireWritable(cp, req, req.body);
        const { existing, groups } = await cp.clusters.plan(req.body);
        return clusterPlan(req.body, existing !== null, groups);
      },
    );

    app.put(
      '/v1/projects/:project/clusters/:name',
      {
        config: { access: 'operator', action: 'cluster.apply' },
        schema: {
          summary: 'Apply a Cluster document: create it (its CA and join token made and sealed), or change its worker pools',
          tags: ['deploy'],
          params: DocumentNameParams,
          querystring: VersionQuery,
          body: ClusterDocument,
          response: { 200: Applied, 201: Applied, ...COMMON_ERRORS },
        },
      },
      async (req, reply) => {
        requirePathMatches(req.params, req.body);
        await requireWritable(cp, req, req.body);
        const { cluster, created, groups } = await cp.clusters.apply(req.body, req.query.resourceVersion);
        return reply.code(created ? 201 : 200).send({ created, cluster: clusterView(cluster), plans: clusterPlan(req.body, !created, groups) });
      },
    );

    app.get(
      '/v1/clusters',
      {
        config: { access: 'viewer' },
        schema: { summary: 'List clusters', tags: ['deploy'], querystring: DocumentListQuery, response: { 200: pageOf(ClusterView, 'ClusterPage'), ...COMMON_ERRORS } },
      },
      async (req) => {
        const page = await cp.clusters.list({ project: narrowProjects(projectsWith(principalOf(req), 'viewer'), req.query.project), limit: req.query.limit, cursor: req.query.cursor ?? null });
        return { items: page.items.map(clusterView), nextCursor: page.nextCursor };
      },
    );

    app.get(
      '/v1/clusters/:id',
      {
        config: { access: 'viewer' },
        schema: { summary: 'Get a cluster', tags: ['deploy'], params: IdParams, response: { 200: ClusterView, ...COMMON_ERRORS } },
      },
      async (req) => clusterView(await cp.clusters.get(req.params.id, projectsWith(principalOf(req), 'viewer'))),
    );

    app.get(
      '/v1/projects/:project/clusters/:name',
      {
        config: { access: 'viewer' },
        schema: { summary: 'Get a cluster by name', tags: ['deploy'], params: DocumentNameParams, response: { 200: ClusterView, ...COMMON_ERRORS } },
      },
      async (req) => {
        const { project, name } = req.params;
        requireRole(principalOf(req), project, 'viewer', hidden(`${project}/${name}`));
        const c = await cp.clusters.findByName(project, name);
        if (!c) throw new NotFoundError(`cluster ${project}/${name} does not exist: list clusters with GET /v1/clusters (tessera get clusters)`);
        return clusterView(c);
      },
    );

    app.delete(
      '/v1/clusters/:id',
      {
        config: { access: 'operator', action: 'cluster.delete' },
        schema: { summary: 'Delete a cluster: its node groups and machines, then it', tags: ['deploy'], params: IdParams, querystring: VersionQuery, response: { 202: ClusterView, ...COMMON_ERRORS } },
      },
      async (req, reply) => {
        const principal = principalOf(req);
        const c = await cp.clusters.get(req.params.id, projectsWith(principal, 'viewer'));
        requireRole(principal, c.project, 'operator', hidden(req.params.id));
        return reply.code(202).send(clusterView(await cp.clusters.delete(c.id, req.query.resourceVersion)));
      },
    );
  };
}
