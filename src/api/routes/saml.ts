import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SESSION_COOKIE } from '../../identity/sessions.js';
import { SsoConfig, SsoConfigure } from '../../identity/sso-config.js';
import { SsoRejectedError } from '../../identity/sso.js';
import type { AuditRecord } from '../../identity/audit.js';
import { principalOf, sessionSecret } from '../auth.js';
import type { ControlPlane } from '../control-plane.js';
import { publicBaseUrl } from '../public-url.js';
import { COMMON_ERRORS } from '../schemas.js';

/**
 * SAML 2.0 single sign-on, Tessera as the service provider: its metadata, SP- and IdP-initiated sign-in,
 * single logout (open routes: people are not signed in yet when they use them), and the SSO setup (admins).
 */
export function samlRoutes(cp: ControlPlane): FastifyPluginAsyncZod {
  const { sso, audit } = cp.identity;

  /** Sign-ins and sign-outs are audited here: they are not /v1 calls, which the audit trail covers. */
  async function record(req: FastifyRequest, entry: Pick<AuditRecord, 'action' | 'result' | 'message'> & Partial<AuditRecord>): Promise<void> {
    await audit.record({
      principalId: null,
      principal: null,
      via: 'saml',
      sourceIp: req.ip,
      userAgent: typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'] : null,
      method: req.method,
      path: req.url.split('?')[0]!,
      resourceKind: null,
      resourceId: null,
      project: null,
      statusCode: null,
      requestId: req.id,
      ...entry,
    });
  }

  function setSessionCookie(req: FastifyRequest, reply: FastifyReply, value: string, expires: Date): void {
    void reply.setCookie(SESSION_COOKIE, value, {
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure: publicBaseUrl(cp, req).startsWith('https:'),
      expires,
    });
  }

  return async (app) => {
    app.get(
      '/saml/metadata',
      { config: { access: 'public' }, schema: { summary: "Tessera's SAML service provider metadata (register it at the IdP)", tags: ['identity'], produces: ['application/samlmetadata+xml'] } },
      async (req, reply) => reply.type('application/samlmetadata+xml; charset=utf-8').send(await sso.metadata(publicBaseUrl(cp, req))),
    );

    app.get(
      '/saml/login',
      {
        config: { access: 'public' },
        schema: {
          summary: 'Start a sign-in at the identity provider (SP-initiated); come back to returnTo',
          tags: ['identity'],
          querystring: z.object({ returnTo: z.string().max(2000).optional() }).strict(),
        },
      },
      async (req, reply) => reply.redirect(await sso.loginUrl(publicBaseUrl(cp, req), req.query.returnTo ?? '/')),
    );

    app.post(
      '/saml/acs',
      {
        config: { access: 'public' },
        schema: {
          summary: 'Assertion consumer service: the IdP posts the SAMLResponse here (SP- and IdP-initiated)',
          tags: ['identity'],
          consumes: ['application/x-www-form-urlencoded'],
          body: z.object({ SAMLResponse: z.string().max(2_000_000).optional(), RelayState: z.string().max(2000).optional() }).passthrough(),
        },
      },
      async (req, reply) => {
        try {
          const signedIn = await sso.acceptResponse(publicBaseUrl(cp, req), req.body);
          await record(req, {
            action: 'auth.signin',
            result: 'success',
            principalId: signedIn.principal.id,
            principal: signedIn.principal.name,
            statusCode: 303,
            message: `signed in through SSO (groups: ${signedIn.groups.join(', ') || 'none'})`,
          });
          setSessionCookie(req, reply, signedIn.session.secret, new Date(signedIn.session.expiresAt));
          return reply.code(303).redirect(signedIn.returnTo);
        } catch (e) {
          const reason = e instanceof SsoRejectedError ? e.reason : (e as Error).message;
          await record(req, { action: 'auth.signin', result: 'denied', statusCode: 401, message: `SSO sign-in refused: ${reason}` });
          throw e;
        }
      },
    );

    app.get(
      '/saml/logout',
      { config: { access: 'public' }, schema: { summary: 'Sign out here and, when the IdP supports it, at the IdP (single logout)', tags: ['identity'] } },
      async (req, reply) => {
        const cookie = sessionSecret(req);
        const principal = cookie ? await cp.identity.sessions.authenticate(cookie) : null;
        const next = await sso.logout(publicBaseUrl(cp, req), cookie);
        if (principal) await record(req, { action: 'auth.signout', result: 'success', principalId: principal.id, principal: principal.name, message: 'signed out' });
        void reply.clearCookie(SESSION_COOKIE, { path: '/' });
        return reply.redirect(next ?? '/');
      },
    );

    app.get(
      '/saml/slo',
      {
        config: { access: 'public' },
        schema: {
          summary: "Single logout service (HTTP-Redirect): the IdP's LogoutResponse, or its LogoutRequest",
          tags: ['identity'],
          querystring: z.object({ SAMLRequest: z.string().optional(), SAMLResponse: z.string().optional(), RelayState: z.string().optional(), SigAlg: z.string().optional(), Signature: z.string().optional() }).strict(),
        },
      },
      async (req, reply) => {
        const rawQuery = req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '';
        try {
          const out = await sso.singleLogout(publicBaseUrl(cp, req), req.query as Record<string, string>, rawQuery);
          if (out.principalName) {
            await record(req, { action: 'auth.signout', result: 'success', principal: out.principalName, message: `signed out by the IdP (${out.endedSessions} session(s) ended)` });
          }
          return reply.redirect(out.redirect);
        } catch (e) {
          const reason = e instanceof SsoRejectedError ? e.reason : (e as Error).message;
          await record(req, { action: 'auth.signout', result: 'denied', statusCode: 401, message: `single logout refused: ${reason}` });
          throw e;
        }
      },
    );

    app.get(
      '/v1/sso',
      {
        config: { access: 'org-admin' },
        schema: { summary: 'The single sign-on setup: the IdP and the group rules', tags: ['identity'], response: { 200: SsoConfig, ...COMMON_ERRORS } },
      },
      async () => sso.mustConfig(),
    );

    app.put(
      '/v1/sso',
      {
        config: { access: 'org-admin', action: 'sso.configure' },
        schema: {
          summary: "Set up single sign-on from the IdP's metadata (a document or its URL) and the group → role rules",
          tags: ['identity'],
          body: SsoConfigure,
          response: { 200: SsoConfig, ...COMMON_ERRORS },
        },
      },
      async (req) => {
        principalOf(req);
        return sso.configure(req.body);
      },
    );
  };
}
