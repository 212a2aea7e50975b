import { ConflictError, NotFoundError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { roleCovers, type Principal, type PrincipalKind, type Role, type RoleBinding, type UserView } from '../core/identity.js';
import type { Store } from '../store/store.js';
import type { PrincipalsTable } from '../store/schema.js';
import { effectivePrincipal } from './access.js';

export type BindingSource = 'manual' | 'saml';

export interface PrincipalRecord {
  id: string;
  name: string;
  kind: PrincipalKind;
  displayName: string | null;
  email: string | null;
  orgAdmin: boolean;
  source: 'local' | 'saml';
  createdAt: string;
  lastLoginAt: string | null;
}

export interface StoredBinding {
  project: string;
  role: Role;
  source: BindingSource;
}

/** Users (people) and service accounts (machines), and the roles they hold in projects. */
export class PrincipalService {
  constructor(private readonly store: Store) {}

  async count(): Promise<number> {
    const row = await this.store.db.selectFrom('principals').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async get(id: string): Promise<PrincipalRecord | null> {
    const row = await this.store.db.selectFrom('principals').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  async findByName(name: string): Promise<PrincipalRecord | null> {
    const row = await this.store.db.selectFrom('principals').selectAll().where('name', '=', name).executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  async mustFindByName(name: string): Promise<PrincipalRecord> {
    const found = await this.findByName(name);
    if (!found) throw new NotFoundError(`there is no user or service account named "${name}": list them with tessera user list`);
    return found;
  }

  /** A local principal (the bootstrap admin, a service account). A taken name → ConflictError. */
  async create(p: { name: string; kind: PrincipalKind; orgAdmin?: boolean; displayName?: string | null; email?: string | null }): Promise<PrincipalRecord> {
    if (await this.findByName(p.name)) {
      throw new ConflictError(`the name "${p.name}" is taken by another user or service account: choose another`, { name: p.name });
    }
    const record: PrincipalRecord = {
      id: newId(p.kind === 'user' ? 'u' : 'sa'),
      name: p.name,
      kind: p.kind,
      displayName: p.displayName ?? null,
      email: p.email ?? null,
      orgAdmin: p.orgAdmin ?? false,
      source: 'local',
      createdAt: this.store.nowIso(),
      lastLoginAt: null,
    };
    await this.store.db.insertInto('principals').values(toRow(record)).execute();
    return record;
  }

  /** A person signing in through SSO: created on first sign-in, their name and email kept current after. */
  async upsertFromSso(p: { name: string; displayName: string | null; email: string | null }): Promise<PrincipalRecord> {
    const now = this.store.nowIso();
    const existing = await this.findByName(p.name);
    if (existing) {
      await this.store.db
        .updateTable('principals')
        .set({ display_name: p.displayName ?? existing.displayName, email: p.email ?? existing.email, last_login_at: now })
        .where('id', '=', existing.id)
        .execute();
      return { ...existing, displayName: p.displayName ?? existing.displayName, email: p.email ?? existing.email, lastLoginAt: now };
    }
    const record: PrincipalRecord = {
      id: newId('u'),
      name: p.name,
      kind: 'user',
      displayName: p.displayName,
      email: p.email,
      orgAdmin: false,
      source: 'saml',
      createdAt: now,
      lastLoginAt: now,
    };
    await this.store.db.insertInto('principals').values(toRow(record)).execute();
    return record;
  }

  async setOrgAdmin(id: string, orgAdmin: boolean): Promise<void> {
    await this.store.db.updateTable('principals').set({ org_admin: orgAdmin ? 1 : 0 }).where('id', '=', id).execute();
  }

  async bindings(principalId: string): Promise<StoredBinding[]> {
    const rows = await this.store.db
      .selectFrom('role_bindings')
      .select(['project', 'role', 'source'])
      .where('principal_id', '=', principalId)
      .orderBy('project')
      .execute();
    return rows.map((r) => ({ project: r.project, role: r.role as Role, source: r.source as BindingSource }));
  }

  /** The members of a project and the role each holds there (the stronger one where several are bound). */
  async members(project: string): Promise<{ principal: PrincipalRecord; role: Role; sources: BindingSource[] }[]> {
    const rows = await this.store.db
      .selectFrom('role_bindings as b')
      .innerJoin('principals as p', 'p.id', 'b.principal_id')
      .selectAll('p')
      .select(['b.role', 'b.source'])
      .where('b.project', '=', project)
      .orderBy('p.name')
      .execute();
    const byId = new Map<string, { principal: PrincipalRecord; role: Role; sources: BindingSource[] }>();
    for (const r of rows) {
      const entry = byId.get(r.id) ?? { principal: toRecord(r), role: r.role as Role, sources: [] };
      if (roleCovers(r.role as Role, entry.role)) entry.role = r.role as Role;
      entry.sources.push(r.source as BindingSource);
      byId.set(r.id, entry);
    }
    return [...byId.values()];
  }

  /** Grants (or changes) a role by hand; bindings from SSO are kept apart and never touched by this. */
  async bind(principalId: string, project: string, role: Role, source: BindingSource = 'manual'): Promise<void> {
    await this.store.db
      .insertInto('role_bindings')
      .values({ principal_id: principalId, project, source, role })
      .onConflict((oc) => oc.columns(['principal_id', 'project', 'source']).doUpdateSet({ role }))
      .execute();
  }

  /** Removes a hand-made binding; true when there was one. */
  async unbind(principalId: string, project: string, source: BindingSource = 'manual'): Promise<boolean> {
    const res = await this.store.db
      .deleteFrom('role_bindings')
      .where('principal_id', '=', principalId)
      .where('project', '=', project)
      .where('source', '=', source)
      .executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  /** At each SSO sign-in the roles from the IdP's groups replace the previous ones: a group removed is a role removed. */
  async replaceSsoBindings(principalId: string, bindings: { project: string; role: Role }[]): Promise<void> {
    await this.store.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('role_bindings').where('principal_id', '=', principalId).where('source', '=', 'saml').execute();
      if (bindings.length > 0) {
        await tx
          .insertInto('role_bindings')
          .values(bindings.map((b) => ({ principal_id: principalId, project: b.project, source: 'saml', role: b.role })))
          .execute();
      }
    });
  }

  /** The role held in each project: the stronger of the hand-made and the SSO binding. */
  async heldRoles(principalId: string): Promise<Map<string, Role>> {
    const held = new Map<string, Role>();
    for (const b of await this.bindings(principalId)) {
      const prev = held.get(b.project);
      if (!prev || roleCovers(b.role, prev)) held.set(b.project, b.role);
    }
    return held;
  }

  /**
   * Who a stored credential (an API token's or a session's row) stands for, with its rights narrowed to
   * `scopes`; null when the credential is revoked or expired, or its owner is gone.
   */
  async principalOfCredential(
    credential: { id: string; principal_id: string; revoked_at: string | null; expires_at: string },
    scopes: RoleBinding[] | null,
    via: Principal['via'],
    now: number,
  ): Promise<Principal | null> {
    if (credential.revoked_at !== null || Date.parse(credential.expires_at) <= now) return null;
    const owner = await this.get(credential.principal_id);
    if (!owner) return null;
    return effectivePrincipal(owner, await this.heldRoles(owner.id), scopes, via, credential.id);
  }

  async view(p: PrincipalRecord): Promise<UserView> {
    return {
      id: p.id,
      name: p.name,
      kind: p.kind,
      displayName: p.displayName,
      email: p.email,
      orgAdmin: p.orgAdmin,
      source: p.source,
      roles: (await this.bindings(p.id)).map((b) => ({ project: b.project, role: b.role, source: b.source })),
      createdAt: p.createdAt,
      lastLoginAt: p.lastLoginAt,
    };
  }

  async list(): Promise<UserView[]> {
    const rows = await this.store.db.selectFrom('principals').selectAll().orderBy('name').execute();
    return Promise.all(rows.map((r) => this.view(toRecord(r))));
  }
}

function toRecord(row: PrincipalsTable): PrincipalRecord {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind as PrincipalKind,
    displayName: row.display_name,
    email: row.email,
    orgAdmin: Number(row.org_admin) === 1,
    source: row.source as 'local' | 'saml',
    createdAt: row.created_at,
    lastLoginAt: row.last_login_at,
  };
}

function toRow(p: PrincipalRecord): PrincipalsTable {
  return {
    id: p.id,
    name: p.name,
    kind: p.kind,
    display_name: p.displayName,
    email: p.email,
    org_admin: p.orgAdmin ? 1 : 0,
    source: p.source,
    created_at: p.createdAt,
    last_login_at: p.lastLoginAt,
  };
}
