import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { InvalidInputError } from '../../core/errors.js';
import { InstanceName } from '../../core/instance.js';
import { requireRole } from '../../identity/access.js';
import { principalOf } from '../auth.js';
import type { ControlPlane } from '../control-plane.js';
import { Limit } from '../schemas.js';

/**
 * What the routes of the deploy plane's documents (Deployment, Cluster) share: applied by name under their
 * project, listed by project, changed with an optional resourceVersion.
 */
export const DocumentNameParams = z.object({ project: InstanceName, name: InstanceName }).strict();
export const DocumentListQuery = z.object({ project: z.string().max(63).optional(), limit: Limit, cursor: z.string().max(200).optional() }).strict();
export const VersionQuery = z.object({ resourceVersion: z.coerce.number().int().min(1).optional() }).strict();

interface Named {
  metadata: { project: string; name: string };
}

/** The caller may change documents in the document's project, which exists (403/404 otherwise). */
export async function requireWritable(cp: ControlPlane, req: FastifyRequest, doc: Named): Promise<void> {
  const { project } = doc.metadata;
  requireRole(principalOf(req), project, 'operator', () => cp.projects.notFound(project));
  await cp.projects.mustExist(project);
}

/** A document PUT to a path must name what the path names. */
export function requirePathMatches(params: { project: string; name: string }, doc: Named): void {
  const { project, name } = doc.metadata;
  if (project !== params.project || name !== params.name) {
    throw new InvalidInputError(`the document names ${project}/${name} but the path ${params.project}/${params.name}: they must agree`, { field: 'metadata' });
  }
}
