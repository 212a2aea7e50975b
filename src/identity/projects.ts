import { InvalidInputError, NotFoundError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { DEFAULT_PROJECT, PROJECT_KIND, type Project, type ProjectCreate, type ProjectSpec } from '../core/project.js';
import type { Store } from '../store/store.js';

type ProjectStatus = Record<string, never>;

/** Projects group instances for ownership, access and cost. A project's own `project` field is its name. */
export class ProjectService {
  constructor(private readonly store: Store) {}

  /** Creates the `default` project on first start; a no-op afterwards. */
  async ensureDefault(): Promise<void> {
    if (!(await this.findByName(DEFAULT_PROJECT))) {
      await this.create({ name: DEFAULT_PROJECT, description: 'created on first start' }).catch(() => undefined);
    }
  }

  async create(req: ProjectCreate): Promise<Project> {
    return this.store.create<ProjectSpec, ProjectStatus>(
      { id: newId('p'), kind: PROJECT_KIND, project: req.name, name: req.name, labels: {}, spec: { description: req.description }, status: {} },
      { type: 'Created', reason: 'Requested', message: `project ${req.name} created` },
    );
  }

  async findByName(name: string): Promise<Project | null> {
    const page = await this.store.list<ProjectSpec, ProjectStatus>(PROJECT_KIND, { name, limit: 1 });
    return page.items[0] ?? null;
  }

  /** What a caller who may not see a project is told about it: the same as for one that does not exist. */
  notFound(name: string): NotFoundError {
    return new NotFoundError(`project "${name}" does not exist, or you hold no role in it: list yours with tessera project list`, { project: name });
  }

  /** Refuses a write into a project that does not exist, naming the ones that do. */
  async mustExist(name: string): Promise<void> {
    if (await this.findByName(name)) return;
    const known = (await this.list()).map((p) => p.name);
    throw new InvalidInputError(`project "${name}" does not exist: use one of ${known.join(', ')}, or create it (tessera project create ${name})`, {
      field: 'project',
    });
  }

  async list(): Promise<Project[]> {
    const out: Project[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<Store['list']>> = await this.store.list<ProjectSpec, ProjectStatus>(PROJECT_KIND, { limit: 1000, cursor });
      out.push(...(page.items as Project[]));
      cursor = page.nextCursor;
    } while (cursor);
    return out;
  }
}
