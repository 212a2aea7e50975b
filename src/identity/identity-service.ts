import { ConflictError, InvalidInputError } from '../core/errors.js';
import { MAX_TOKEN_DAYS } from '../core/identity.js';
import type { SecretKey } from '../runtime/secrets.js';
import { Settings } from '../store/settings.js';
import type { Store } from '../store/store.js';
import { AuditLog } from './audit.js';
import { hashCredentialSecret } from './credential-secret.js';
import { loadOrCreateSamlSigningKey, type SamlSigningKey } from './saml-signing-key.js';
import { PrincipalService } from './principals.js';
import { SessionService } from './sessions.js';
import { SsoService } from './sso.js';
import { TokenService } from './tokens.js';

export const BOOTSTRAP_ADMIN = 'admin';
/** What a preset bootstrap token must look like: Tessera's prefix and at least 192 bits of randomness. */
const PRESET_TOKEN = /^tsr_[A-Za-z0-9_-]{32,128}$/;

export type BootstrapOutcome = { created: true; admin: string; token: string; preset: boolean } | { created: false; presetIgnored: boolean };

/** The identity plane's services over one store: principals and roles, API tokens, the audit log, SAML keys. */
export class IdentityService {
  readonly principals: PrincipalService;
  readonly tokens: TokenService;
  readonly audit: AuditLog;
  readonly settings: Settings;
  readonly sessions: SessionService;
  readonly sso: SsoService;
  private signingKey: Promise<SamlSigningKey> | null = null;

  constructor(
    private readonly store: Store,
    private readonly secretKey: SecretKey,
  ) {
    this.principals = new PrincipalService(store);
    this.tokens = new TokenService(store, this.principals);
    this.audit = new AuditLog(store);
    this.settings = new Settings(store);
    this.sessions = new SessionService(store, this.principals);
    this.sso = new SsoService(store, this.settings, this.principals, this.sessions, () => this.samlSigningKey());
  }

  /** Roles changed: every resolved token and session is looked up afresh. */
  forgetResolved(): void {
    this.tokens.forgetResolved();
    this.sessions.forgetResolved();
  }

  /** Tessera's SAML signing key and certificate, made on first use (not at start: it takes a few hundred ms). */
  samlSigningKey(): Promise<SamlSigningKey> {
    this.signingKey ??= loadOrCreateSamlSigningKey(this.settings, this.secretKey, 'Tessera SAML').catch((e: unknown) => {
      this.signingKey = null;
      throw e;
    });
    return this.signingKey;
  }

  /**
   * First start: creates the organisation admin and its first token — `presetToken` (TESSERA_BOOTSTRAP_TOKEN,
   * for automation) or a new one, which the caller prints once. Later starts change nothing.
   */
  async bootstrap(presetToken: string | undefined): Promise<BootstrapOutcome> {
    if (presetToken !== undefined && !PRESET_TOKEN.test(presetToken)) {
      throw new InvalidInputError(
        'TESSERA_BOOTSTRAP_TOKEN must be "tsr_" followed by 32-128 letters, digits, "-" or "_" (e.g. tsr_$(openssl rand -hex 24))',
      );
    }
    if ((await this.principals.count()) > 0) {
      const known = presetToken !== undefined && (await this.isKnownToken(presetToken));
      return { created: false, presetIgnored: presetToken !== undefined && !known };
    }
    try {
      const admin = await this.principals.create({ name: BOOTSTRAP_ADMIN, kind: 'user', orgAdmin: true, displayName: 'Organisation admin' });
      const token = await this.tokens.issue('bootstrap', admin, { name: 'bootstrap', expiresInDays: MAX_TOKEN_DAYS }, presetToken);
      return { created: true, admin: admin.name, token: token.secret, preset: presetToken !== undefined };
    } catch (e) {
      // Another server sharing the database bootstrapped at the same moment: theirs stands.
      if (e instanceof ConflictError || /unique|duplicate/i.test((e as Error).message)) return { created: false, presetIgnored: presetToken !== undefined };
      throw e;
    }
  }

  /**
   * The way back in when the admin's token is lost: only someone who can start the server (and so holds its
   * database and secret key) can ask for it. It is audited like any token creation.
   */
  async issueAdminToken(): Promise<{ admin: string; token: string }> {
    const admin = await this.principals.mustFindByName(BOOTSTRAP_ADMIN);
    const token = await this.tokens.issue('bootstrap', admin, { name: 'issued at server start (--new-admin-token)', expiresInDays: 7 });
    await this.audit.record({
      principalId: admin.id,
      principal: admin.name,
      via: 'server-start',
      sourceIp: null,
      userAgent: null,
      action: 'token.create',
      method: null,
      path: null,
      resourceKind: 'token',
      resourceId: token.id,
      project: null,
      result: 'success',
      statusCode: null,
      requestId: null,
      message: 'a new admin token was issued at server start (tessera server --new-admin-token)',
    });
    return { admin: admin.name, token: token.secret };
  }

  private async isKnownToken(secret: string): Promise<boolean> {
    const row = await this.store.db.selectFrom('api_tokens').select('id').where('secret_hash', '=', hashCredentialSecret(secret)).executeTakeFirst();
    return row !== undefined;
  }
}
