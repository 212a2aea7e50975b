import { ForbiddenError } from '../core/errors.js';
import { roleCovers, weakerRole, type Principal, type Role, type RoleBinding } from '../core/identity.js';
import type { PrincipalRecord } from './principals.js';

/**
 * What a request may do: the principal's own roles, narrowed by the token's scopes when it has any. An
 * organisation admin holds `admin` in every project; a scoped token of theirs holds only what it names.
 */
export function effectivePrincipal(
  record: PrincipalRecord,
  held: ReadonlyMap<string, Role>,
  scopes: RoleBinding[] | null,
  via: Principal['via'],
  credentialId: string,
): Principal {
  const base = { id: record.id, name: record.name, kind: record.kind, via, credentialId };
  if (scopes === null) return { ...base, orgAdmin: record.orgAdmin, roles: held };
  const roles = new Map<string, Role>();
  for (const s of scopes) {
    const own = record.orgAdmin ? 'admin' : held.get(s.project);
    if (own) roles.set(s.project, weakerRole(own, s.role));
  }
  return { ...base, orgAdmin: false, roles };
}

/** The role the principal holds in a project, or null when it holds none there (the project is invisible to it). */
export function roleIn(p: Principal, project: string): Role | null {
  return p.orgAdmin ? 'admin' : (p.roles.get(project) ?? null);
}

/** Projects where the principal holds at least `minimum`; undefined means every project (an organisation admin). */
export function projectsWith(p: Principal, minimum: Role): string[] | undefined {
  if (p.orgAdmin) return undefined;
  return [...p.roles].filter(([, role]) => roleCovers(role, minimum)).map(([project]) => project);
}

/** True when the principal holds at least `minimum` somewhere. */
export function holdsAnywhere(p: Principal, minimum: Role): boolean {
  return p.orgAdmin || [...p.roles.values()].some((r) => roleCovers(r, minimum));
}

/**
 * Checks a role in a project. Holding no role there at all reads as "does not exist" (`notFound`), so ids and
 * names of other projects' resources are never confirmed; holding a weaker role is a 403 that says which.
 */
export function requireRole(p: Principal, project: string, minimum: Role, notFound: () => Error): void {
  const held = roleIn(p, project);
  if (held === null) throw notFound();
  if (!roleCovers(held, minimum)) {
    throw new ForbiddenError(`you are ${article(held)} ${held} in project "${project}"; this needs ${minimum}: ask a project admin`, {
      project,
      role: held,
      needed: minimum,
    });
  }
}

export function requireOrgAdmin(p: Principal): void {
  if (!p.orgAdmin) throw new ForbiddenError('this needs an organisation admin: ask one to do it, or to make you one');
}

function article(role: Role): string {
  return role === 'operator' || role === 'admin' ? 'an' : 'a';
}

/** The projects a list may show: those asked for (if any) among those visible; undefined means no narrowing. */
export function narrowProjects(visible: string[] | undefined, asked: string | undefined): string[] | undefined {
  if (asked === undefined) return visible;
  return visible === undefined || visible.includes(asked) ? [asked] : [];
}
