import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ProjectCreate, ProjectView } from '../../core/project.js';
import type { ControlPlane } from '../control-plane.js';
import { COMMON_ERRORS, itemsOf } from '../schemas.js';

export function projectRoutes(cp: ControlPlane): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/v1/projects',
      { schema: { summary: 'List projects', tags: ['identity'], querystring: z.object({}).strict(), response: { 200: itemsOf(ProjectView, 'ProjectList'), ...COMMON_ERRORS } } },
      async () => ({ items: await cp.projects.list() }),
    );
    app.post(
      '/v1/projects',
      { schema: { summary: 'Create a project', tags: ['identity'], body: ProjectCreate, response: { 201: ProjectView, ...COMMON_ERRORS } } },
      async (req, reply) => reply.code(201).send(await cp.projects.create(req.body)),
    );
  };
}
