import { newId } from '../core/ids.js';
import type { Principal } from '../core/identity.js';
import type { Store } from '../store/store.js';
import { hashCredentialSecret, newCredentialSecret, SESSION_PREFIX } from './credential-secret.js';
import { PrincipalCache } from './principal-cache.js';
import type { PrincipalRecord, PrincipalService } from './principals.js';

/** What the IdP said about a sign-in, kept so that a logout can name the same session back to it. */
export interface SamlSessionInfo {
  nameId: string;
  nameIdFormat: string | null;
  sessionIndex: string | null;
}

export const SESSION_COOKIE = 'tessera_session';

/** Sign-in sessions of people (the console's cookie): like tokens, stored only as a hash, ended by logout. */
export class SessionService {
  private readonly cache = new PrincipalCache();

  constructor(
    private readonly store: Store,
    private readonly principals: PrincipalService,
  ) {}

  async start(who: PrincipalRecord, saml: SamlSessionInfo, hours: number): Promise<{ id: string; secret: string; expiresAt: string }> {
    const secret = newCredentialSecret(SESSION_PREFIX);
    const now = this.store.nowIso();
    const expiresAt = new Date(Date.parse(now) + hours * 3600 * 1000).toISOString();
    const id = newId('s');
    await this.store.db
      .insertInto('sessions')
      .values({
        id,
        secret_hash: hashCredentialSecret(secret),
        principal_id: who.id,
        created_at: now,
        expires_at: expiresAt,
        revoked_at: null,
        saml_name_id: saml.nameId,
        saml_name_id_format: saml.nameIdFormat,
        saml_session_index: saml.sessionIndex,
      })
      .execute();
    return { id, secret, expiresAt };
  }

  cached(secret: string): Principal | undefined {
    return this.cache.get(secret, Date.now());
  }

  async authenticate(secret: string): Promise<Principal | null> {
    const cached = this.cached(secret);
    if (cached) return cached;
    const now = Date.now();
    const row = await this.store.db.selectFrom('sessions').selectAll().where('secret_hash', '=', hashCredentialSecret(secret)).executeTakeFirst();
    const principal = row ? await this.principals.principalOfCredential(row, null, 'session', now) : null;
    if (!row || !principal) return null;
    this.cache.put(secret, principal, now, Date.parse(row.expires_at));
    return principal;
  }

  /** Ends the session of this cookie; answers what the IdP knows it by (for single logout), if it was live. */
  async end(secret: string): Promise<SamlSessionInfo | null> {
    const row = await this.store.db.selectFrom('sessions').selectAll().where('secret_hash', '=', hashCredentialSecret(secret)).executeTakeFirst();
    if (!row || row.revoked_at !== null) return null;
    await this.store.db.updateTable('sessions').set({ revoked_at: this.store.nowIso() }).where('id', '=', row.id).execute();
    this.cache.clear();
    return row.saml_name_id ? { nameId: row.saml_name_id, nameIdFormat: row.saml_name_id_format, sessionIndex: row.saml_session_index } : null;
  }

  /** The IdP says a person signed out (IdP-initiated single logout): ends their matching sessions. */
  async endByNameId(nameId: string, sessionIndex: string | null): Promise<number> {
    let q = this.store.db.updateTable('sessions').set({ revoked_at: this.store.nowIso() }).where('saml_name_id', '=', nameId).where('revoked_at', 'is', null);
    if (sessionIndex) q = q.where('saml_session_index', '=', sessionIndex);
    const res = await q.executeTakeFirst();
    this.cache.clear();
    return Number(res.numUpdatedRows);
  }

  forgetResolved(): void {
    this.cache.clear();
  }
}
