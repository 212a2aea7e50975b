import { ForbiddenError, InvalidInputError, NotFoundError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { roleCovers, type Principal, type RoleBinding, type TokenCreate, type TokenCreated, type TokenView } from '../core/identity.js';
import type { Store } from '../store/store.js';
import type { ApiTokensTable } from '../store/schema.js';
import { roleIn } from './access.js';
import { hashCredentialSecret, newCredentialSecret, TOKEN_PREFIX } from './credential-secret.js';
import { PrincipalCache } from './principal-cache.js';
import type { PrincipalRecord, PrincipalService } from './principals.js';

const DAY_MS = 24 * 3600 * 1000;
/** Last-used times are written at most this often per token: a busy token is not a write per request. */
const LAST_USED_RESOLUTION_MS = 60_000;

/** API tokens for the CLI and for machines: scoped, expiring, revocable, stored only as a hash. */
export class TokenService {
  private readonly cache = new PrincipalCache();
  private readonly lastUsedWritten = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly principals: PrincipalService,
  ) {}

  /**
   * Issues a token for `owner`. Its scopes may only narrow what `issuer` itself could grant: a token never
   * carries a role in a project that its issuer does not hold there. The secret is in this answer only.
   */
  async issue(issuer: Principal | 'bootstrap', owner: PrincipalRecord, req: TokenCreate, presetSecret?: string): Promise<TokenCreated> {
    if (issuer !== 'bootstrap') this.checkScopesWithin(issuer, req.scopes ?? null);
    const secret = presetSecret ?? newCredentialSecret(TOKEN_PREFIX);
    const now = this.store.nowIso();
    const row: ApiTokensTable = {
      id: newId('t'),
      secret_hash: hashCredentialSecret(secret),
      principal_id: owner.id,
      name: req.name,
      scopes: req.scopes ? JSON.stringify(req.scopes) : null,
      created_at: now,
      expires_at: new Date(Date.parse(now) + req.expiresInDays * DAY_MS).toISOString(),
      revoked_at: null,
      last_used_at: null,
    };
    await this.store.db.insertInto('api_tokens').values(row).execute();
    return { ...toView(row, owner.name), secret };
  }

  /** The principal of a token resolved a moment ago, without touching the store (the hot path of every request). */
  cached(secret: string): Principal | undefined {
    const now = Date.now();
    const cached = this.cache.get(secret, now);
    if (cached) this.noteUse(cached.credentialId, now);
    return cached;
  }

  /** The principal a token secret stands for, or null when the token is unknown, expired or revoked. */
  async authenticate(secret: string): Promise<Principal | null> {
    const cached = this.cached(secret);
    if (cached) return cached;
    const now = Date.now();
    const hash = hashCredentialSecret(secret);
    const row = await this.store.db.selectFrom('api_tokens').selectAll().where('secret_hash', '=', hash).executeTakeFirst();
    const principal = row ? await this.principals.principalOfCredential(row, parseScopes(row.scopes), 'token', now) : null;
    if (!row || !principal) return null;
    this.cache.put(secret, principal, now, Date.parse(row.expires_at));
    this.noteUse(row.id, now);
    return principal;
  }

  async list(principalId?: string): Promise<TokenView[]> {
    let q = this.store.db
      .selectFrom('api_tokens as t')
      .innerJoin('principals as p', 'p.id', 't.principal_id')
      .selectAll('t')
      .select('p.name as principal_name')
      .orderBy('t.created_at');
    if (principalId !== undefined) q = q.where('t.principal_id', '=', principalId);
    return (await q.execute()).map((r) => toView(r, r.principal_name));
  }

  /** Revokes a token: it stops working at once in this process, and within seconds in every other. */
  async revoke(id: string, by: Principal): Promise<TokenView> {
    const row = await this.store.db
      .selectFrom('api_tokens as t')
      .innerJoin('principals as p', 'p.id', 't.principal_id')
      .selectAll('t')
      .select('p.name as principal_name')
      .where('t.id', '=', id)
      .executeTakeFirst();
    // Someone else's token is "not found" unless the caller is an organisation admin.
    if (!row || (row.principal_id !== by.id && !by.orgAdmin)) {
      throw new NotFoundError(`token ${id} does not exist: list your tokens with tessera token list`);
    }
    if (row.revoked_at === null) {
      const at = this.store.nowIso();
      await this.store.db.updateTable('api_tokens').set({ revoked_at: at }).where('id', '=', id).execute();
      row.revoked_at = at;
    }
    this.cache.clear();
    return toView(row, row.principal_name);
  }

  /** Roles changed somewhere: resolve every token afresh. */
  forgetResolved(): void {
    this.cache.clear();
  }

  private checkScopesWithin(issuer: Principal, scopes: RoleBinding[] | null): void {
    if (scopes === null) return;
    for (const s of scopes) {
      const held = roleIn(issuer, s.project);
      if (held === null || !roleCovers(held, s.role)) {
        throw new ForbiddenError(`a token cannot carry ${s.role} in project "${s.project}": you do not hold it there`, { project: s.project });
      }
    }
    const seen = new Set<string>();
    for (const s of scopes) {
      if (seen.has(s.project)) throw new InvalidInputError(`project "${s.project}" appears twice in scopes: name each project once`, { field: 'scopes' });
      seen.add(s.project);
    }
  }

  private noteUse(tokenId: string, now: number): void {
    const last = this.lastUsedWritten.get(tokenId) ?? 0;
    if (now - last < LAST_USED_RESOLUTION_MS) return;
    this.lastUsedWritten.set(tokenId, now);
    void this.store.db
      .updateTable('api_tokens')
      .set({ last_used_at: new Date(now).toISOString() })
      .where('id', '=', tokenId)
      .execute()
      .catch(() => this.lastUsedWritten.delete(tokenId));
  }
}

function parseScopes(json: string | null): RoleBinding[] | null {
  return json === null ? null : (JSON.parse(json) as RoleBinding[]);
}

function toView(row: ApiTokensTable, principalName: string): TokenView {
  return {
    id: row.id,
    name: row.name,
    principal: principalName,
    scopes: parseScopes(row.scopes),
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
  };
}
