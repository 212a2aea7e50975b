import '@fastify/cookie';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ForbiddenError, UnauthenticatedError } from '../core/errors.js';
import type { Principal, Role } from '../core/identity.js';
import { holdsAnywhere, requireOrgAdmin } from '../identity/access.js';
import { looksLikeCredentialSecret } from '../identity/credential-secret.js';
import { SESSION_COOKIE } from '../identity/sessions.js';
import type { ControlPlane } from './control-plane.js';
import { publicBaseUrl } from './public-url.js';

/**
 * Who may call a route, declared by every route (a `/v1` route without one fails at start-up):
 * `public` — anyone; `signed-in` — any principal; `org-admin`; or a project role the caller must hold in at
 * least one project. Which project a call touches is checked where it is known, with the same helpers
 * (src/identity/access.ts): a list is narrowed to the caller's projects, another project's id is a 404.
 */
export type RouteAccess = 'public' | 'signed-in' | 'org-admin' | Role;

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
    /** The audit log's name for what this route does, e.g. `instance.create`. */
    action?: string;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** The principal of a request that passed authentication (routes that are not public). */
export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw new UnauthenticatedError('sign in first: send Authorization: Bearer <token> (tessera login)');
  return req.principal;
}

export function registerAuth(app: FastifyInstance, cp: ControlPlane): void {
  app.decorateRequest('principal', null);

  app.addHook('onRoute', (route) => {
    const access = (route.config as { access?: RouteAccess } | undefined)?.access;
    if (route.url.startsWith('/v1') && access === undefined) {
      throw new Error(`route ${String(route.method)} ${route.url} declares no access rule (config.access)`);
    }
  });

  // Before the body is even parsed: an unauthenticated caller learns nothing about what it sent. A token seen a
  // moment ago is checked without a promise (the path of nearly every request).
  app.addHook('onRequest', (req, _reply, done) => {
    const access = req.routeOptions.config.access ?? 'public';
    if (access === 'public') return done();
    const secret = bearerSecret(req);
    const known = secret === undefined ? undefined : cp.identity.tokens.cached(secret);
    if (known) return done(admit(req, known, access));
    authenticate(req, secret, cp).then(
      (principal) => done(admit(req, principal, access)),
      (e: Error) => done(e),
    );
  });
}

/** The console's session cookie, read only when a request brings no bearer token. */
export function sessionSecret(req: FastifyRequest): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  const value = req.server.parseCookie(header)[SESSION_COOKIE];
  return value && looksLikeCredentialSecret(value) ? value : undefined;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A browser sends its cookie with requests other sites make it send; a change made with a session must come
 * from a page of this server (its Origin), on top of the cookie's SameSite=Lax.
 */
function refuseCrossSite(req: FastifyRequest, cp: ControlPlane): void {
  if (SAFE_METHODS.has(req.method)) return;
  const origin = req.headers.origin;
  const own = new URL(publicBaseUrl(cp, req)).origin;
  if (origin !== own) {
    throw new ForbiddenError(`a change made with a sign-in session must come from this server's own pages (Origin ${own}); scripts use an API token`);
  }
}

/** Records the principal and checks the route's declared access; an error to refuse with, or undefined. */
function admit(req: FastifyRequest, principal: Principal, access: Exclude<RouteAccess, 'public'>): Error | undefined {
  req.principal = principal;
  try {
    if (access === 'org-admin') requireOrgAdmin(principal);
    else if (access !== 'signed-in' && !holdsAnywhere(principal, access)) {
      throw new ForbiddenError(`this needs the ${access} role in a project, and you hold it in none: ask a project admin`, { needed: access });
    }
    return undefined;
  } catch (e) {
    return e as Error;
  }
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** The token of `Authorization: Bearer <token>`; undefined when there is no such header. */
function bearerSecret(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  if (header === undefined) return undefined;
  return BEARER.exec(header)?.[1] ?? '';
}

async function authenticate(req: FastifyRequest, secret: string | undefined, cp: ControlPlane): Promise<Principal> {
  if (secret === undefined) {
    const session = sessionSecret(req);
    if (session) {
      const principal = await cp.identity.sessions.authenticate(session);
      if (!principal) throw new UnauthenticatedError('your sign-in session has ended: sign in again (/saml/login)');
      refuseCrossSite(req, cp);
      return principal;
    }
    throw new UnauthenticatedError('this needs a signed-in caller: send Authorization: Bearer <token> (the CLI: tessera login, or TESSERA_TOKEN)');
  }
  if (secret === '') throw new UnauthenticatedError('the Authorization header must be "Bearer <token>"');
  const principal = await cp.identity.tokens.authenticate(secret);
  if (!principal) {
    throw new UnauthenticatedError('the token is unknown, expired or revoked: create a new one (tessera token create) and sign in again');
  }
  return principal;
}
