import { createPublicKey, randomBytes, verify, type KeyObject } from 'node:crypto';

/**
 * Google's OAuth 2.0 token endpoint for service accounts (RFC 7523 JWT-bearer grant, as google-auth-library sends
 * it): `POST /token` with `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=JWT`, the JWT signed
 * RS256 with the account's private key and carrying `iss`, `scope`, `aud`, `iat`, `exp`. A valid assertion is
 * answered with a one-hour bearer token that the Compute API double then accepts.
 */

export interface ServiceAccountPublicKey {
  email: string;
  /** The public half of the key in the account's JSON key file (SPKI PEM). */
  publicKeyPem: string;
}

/** The audience gtoken signs for: Google's token URL, whatever URL the request is sent to. */
export const GOOGLE_TOKEN_AUDIENCE = 'https://oauth2.googleapis.com/token';

const COMPUTE_SCOPES = ['https://www.googleapis.com/auth/compute', 'https://www.googleapis.com/auth/cloud-platform'];
const READONLY_SCOPES = [...COMPUTE_SCOPES, 'https://www.googleapis.com/auth/compute.readonly'];

export interface TokenAnswer {
  status: number;
  body: Record<string, unknown>;
}

export interface Principal {
  /** The service account (or `static-token` for a token given to the double up front). */
  email: string;
  scopes: string[];
}

export class TokenIssuer {
  private readonly keys = new Map<string, KeyObject>();
  private readonly tokens = new Map<string, { principal: Principal; expiresAt: number }>();

  constructor(accounts: ServiceAccountPublicKey[], staticTokens: string[], private readonly ownUrl: () => string) {
    for (const a of accounts) this.keys.set(a.email, createPublicKey(a.publicKeyPem));
    for (const t of staticTokens) this.tokens.set(t, { principal: { email: 'static-token', scopes: COMPUTE_SCOPES }, expiresAt: Number.POSITIVE_INFINITY });
  }

  /** Answers one token request (form fields already parsed). */
  grant(form: URLSearchParams): TokenAnswer {
    const grantType = form.get('grant_type');
    if (grantType !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      return oauthError('unsupported_grant_type', `Invalid grant_type: ${grantType ?? ''}`);
    }
    const assertion = form.get('assertion') ?? '';
    const parts = assertion.split('.');
    if (parts.length !== 3) return oauthError('invalid_grant', 'Invalid JWT: the assertion is not a signed JWT.');
    const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
    const header = decodeJson(headerPart);
    const claims = decodeJson(payloadPart);
    if (!header || !claims || header.alg !== 'RS256') return oauthError('invalid_grant', 'Invalid JWT: the header must name alg RS256.');
    const key = typeof claims.iss === 'string' ? this.keys.get(claims.iss) : undefined;
    if (!key) return oauthError('invalid_grant', 'Invalid grant: account not found');
    const signed = verify('RSA-SHA256', Buffer.from(`${headerPart}.${payloadPart}`), key, Buffer.from(signaturePart, 'base64url'));
    if (!signed) return oauthError('invalid_grant', 'Invalid JWT Signature.');
    if (claims.aud !== GOOGLE_TOKEN_AUDIENCE && claims.aud !== this.ownUrl()) return oauthError('invalid_grant', 'Invalid JWT: audience is not the token endpoint.');
    const now = Math.floor(Date.now() / 1000);
    const iat = Number(claims.iat);
    const exp = Number(claims.exp);
    if (!(exp > now) || !(iat <= now + 300) || !(exp - iat <= 3600)) {
      return oauthError(
        'invalid_grant',
        'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.',
      );
    }
    const scopes = typeof claims.scope === 'string' ? claims.scope.split(/\s+/).filter(Boolean) : [];
    if (scopes.length === 0) return oauthError('invalid_scope', 'Invalid OAuth scope or ID token audience provided.');
    const accessToken = `ya29.double-${randomBytes(24).toString('base64url')}`;
    this.tokens.set(accessToken, { principal: { email: claims.iss as string, scopes }, expiresAt: Date.now() + 3600_000 });
    return { status: 200, body: { access_token: accessToken, expires_in: 3599, token_type: 'Bearer' } };
  }

  /** Who a bearer token belongs to, or null when it was never issued or has expired. */
  principalOf(authorization: string | undefined): Principal | null {
    const m = /^Bearer (\S+)$/.exec(authorization ?? '');
    const entry = m ? this.tokens.get(m[1]!) : undefined;
    return entry && entry.expiresAt > Date.now() ? entry.principal : null;
  }
}

/** True when the token's scopes allow the call (reads also accept compute.readonly). */
export function scopesAllow(principal: Principal, method: string): boolean {
  const allowed = method === 'GET' ? READONLY_SCOPES : COMPUTE_SCOPES;
  return principal.scopes.some((s) => allowed.includes(s));
}

function oauthError(error: string, description: string): TokenAnswer {
  return { status: 400, body: { error, error_description: description } };
}

function decodeJson(part: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
