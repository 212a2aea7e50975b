import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ProjectCreate, ProjectView } from '../../core/project.js';
import { projectsWith } from '../../identity/access.js';
import { principalOf } from '../auth.js';
import type { ControlPlane } from '../control-plane.js';
import { COMMON_ERRORS, itemsOf } from '../schemas.js';

export function projectRoutes(cp: ControlPlane): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/v1/projects',
      {
        config: { access: 'signed-in' },
        schema: { summary: 'List the projects you hold a role in (all of them for an organisation admin)', tags: ['identity'], querystring: z.object({}).strict(), response: { 200: itemsOf(ProjectView, 'ProjectList'), ...COMMON_ERRORS } },
      },
      async (req) => {
        const visible = projectsWith(principalOf(req), 'viewer');
        const all = await cp.projects.list();
        return { items: visible === undefined ? all : all.filter((p) => visible.includes(p.name)) };
      },
    );
    app.post(
      '/v1/projects',
      {
        config: { access: 'org-admin', action: 'project.create' },
        schema: { summary: 'Create a project (organisation admins)', tags: ['identity'], body: ProjectCreate, response: { 201: ProjectView, ...COMMON_ERRORS } },
      },
      async (req, reply) => reply.code(201).send(await cp.projects.create(req.body)),
    );
  };
}
