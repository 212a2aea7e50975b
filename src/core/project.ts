import { z } from 'zod';
import { NAME_PATTERN } from './ids.js';
import { ResourceMeta, type Resource } from './resource.js';

export const PROJECT_KIND = 'Project';
export const DEFAULT_PROJECT = 'default';

export const ProjectCreate = z
  .object({
    name: z.string().regex(NAME_PATTERN, { message: 'project names are 1-63 lowercase letters, digits or "-"' }),
    description: z.string().max(1000).default(''),
  })
  .strict()
  .meta({ id: 'ProjectCreate' });
export type ProjectCreate = z.infer<typeof ProjectCreate>;

export const ProjectSpec = z.object({ description: z.string() });
export type ProjectSpec = z.infer<typeof ProjectSpec>;

export type Project = Resource<ProjectSpec, Record<string, never>>;

export const ProjectView = z.object({ ...ResourceMeta, spec: ProjectSpec, status: z.object({}) }).meta({ id: 'Project' });
