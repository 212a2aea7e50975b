import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { sessionSecret } from '../auth.js';
import type { ControlPlane } from '../control-plane.js';

/**
 * The page a person lands on after signing in (until the web console exists): who they are, their roles, and
 * a button that makes an API token for the CLI — how someone who signs in through SSO gets to use `tessera`.
 */
export function homeRoutes(cp: ControlPlane): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/', { config: { access: 'public' }, schema: { hide: true } }, async (req, reply) => {
      const cookie = sessionSecret(req);
      const principal = cookie ? await cp.identity.sessions.authenticate(cookie) : null;
      const ssoReady = (await cp.identity.sso.config()) !== null;
      void reply
        .type('text/html; charset=utf-8')
        // Only this page's own inline script may run, and it may talk only to this server.
        .header('content-security-policy', "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; form-action 'self'")
        .header('cache-control', 'no-store');
      if (!principal) return page('Tessera', ssoReady ? '<p><a href="/saml/login">Sign in with your company account</a></p>' : '<p>Single sign-on is not set up yet. Use an API token with the CLI (tessera login).</p>');
      const roles = principal.orgAdmin ? 'organisation admin' : [...principal.roles].map(([p, r]) => `${escapeHtml(r)} in ${escapeHtml(p)}`).join(', ') || 'no roles yet';
      return page(
        'Tessera',
        `<p>Signed in as <b>${escapeHtml(principal.name)}</b> (${roles}). <a href="/saml/logout">Sign out</a></p>
<h2>Use the CLI</h2>
<p>Make an API token with your rights (it is shown once), then run the line below.</p>
<button id="make">Create a CLI token</button>
<pre id="out"></pre>
<script>
document.getElementById('make').onclick = async () => {
  const res = await fetch('/v1/tokens', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'cli (made in the browser)', expiresInDays: 30 }) });
  const body = await res.json();
  document.getElementById('out').textContent = res.ok
    ? 'tessera --url ' + location.origin + ' login --token ' + body.secret + '\\n\\n(expires ' + body.expiresAt + '; revoke it with tessera token revoke ' + body.id + ')'
    : body.error.message;
};
</script>`,
      );
    });
  };
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<style>body{font-family:system-ui,sans-serif;max-width:46rem;margin:3rem auto;padding:0 1rem}pre{white-space:pre-wrap;background:#f4f4f4;padding:1rem}</style>
</head><body><h1>${title}</h1>${body}</body></html>`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
