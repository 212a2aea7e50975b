import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases.js';
import { simProvider, startTestPlane, type TestPlane } from '../support/control-plane.js';
import { FormBrowser, parseFirstForm, type Page } from '../support/form-browser.js';
import { startSimpleSamlIdp, type SimpleSamlIdp, type SimpleSamlUser } from '../support/simplesamlphp.js';

/** The few fields these tests read from API answers. */
type ApiAnswer = { items: { id: string; project: string }[] } & Record<string, unknown>;

const RULES = [
  { group: 'platform-admins', project: 'alpha', role: 'admin' },
  { group: 'viewers', project: 'alpha', role: 'viewer' },
];

/**
 * Single sign-on end to end against a real SAML identity provider (SimpleSAMLphp), through the genuine
 * redirect and POST flow: SP-initiated and IdP-initiated sign-in, roles from groups, single logout.
 */
describe.each(DIALECTS)('SAML single sign-on with SimpleSAMLphp on %s', (dialect) => {
  let tdb: TestDatabase;
  let t: TestPlane;
  let url: string;
  let idp: SimpleSamlIdp;
  const instances: Record<string, string> = {};

  async function startIdp(users: SimpleSamlUser[]): Promise<SimpleSamlIdp> {
    const key = await t.cp.identity.samlSigningKey();
    return startSimpleSamlIdp({
      users,
      serviceProviders: [
        {
          entityId: `${url}/saml/metadata`,
          assertionConsumerServiceUrl: `${url}/saml/acs`,
          singleLogoutServiceUrl: `${url}/saml/slo`,
          signingCertificatePem: key.certificatePem,
          validateAuthnRequest: true,
        },
      ],
    });
  }

  async function configureSso(metadataUrl: string): Promise<void> {
    const res = await t.app.inject({ method: 'PUT', url: '/v1/sso', payload: { metadataUrl, rules: RULES } });
    expect(res.statusCode, res.body).toBe(200);
  }

  /** The browser's own API call with its session cookie (and this server's Origin, as its pages would send). */
  async function api(browser: FormBrowser, method: string, path: string, body?: unknown): Promise<{ status: number; json: ApiAnswer }> {
    const res = await fetch(url + path, {
      method,
      headers: { cookie: browser.cookieHeader(url), origin: url, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, json: (await res.json()) as ApiAnswer };
  }

  /** Posts the IdP's auto-submitting SAMLResponse form to Tessera, as the browser's JavaScript would. */
  async function postToAcs(browser: FormBrowser, page: Page): Promise<Page> {
    const form = parseFirstForm(page.html, page.url);
    expect(form.action).toBe(`${url}/saml/acs`);
    expect(form.fields.SAMLResponse).toBeTruthy();
    return browser.submitForm(page.html, page.url);
  }

  async function spInitiatedSignIn(username: string, password: string, returnTo = '/v1/whoami'): Promise<{ browser: FormBrowser; page: Page }> {
    const browser = new FormBrowser();
    const login = await browser.get(`${url}/saml/login?returnTo=${encodeURIComponent(returnTo)}`);
    expect(login.url.startsWith(idp.baseUrl), login.url).toBe(true);
    const afterPassword = await browser.submitForm(login.html, login.url, { username, password });
    return { browser, page: await postToAcs(browser, afterPassword) };
  }

  beforeAll(async () => {
    tdb = await createTestDatabase(dialect);
    t = await startTestPlane(tdb, [simProvider('ssosim')], { background: false });
    url = await t.anonymous.listen({ port: 0, host: '127.0.0.1' });
    idp = await startIdp([
      { username: 'alice', password: 'alice-pass', groups: ['platform-admins'], email: 'alice@example.com', displayName: 'Alice' },
      { username: 'bob', password: 'bob-pass', groups: ['viewers'] },
    ]);
    for (const name of ['alpha', 'beta']) await t.app.inject({ method: 'POST', url: '/v1/projects', payload: { name } });
    for (const project of ['alpha', 'beta']) {
      const r = await t.app.inject({ method: 'POST', url: '/v1/instances', payload: { name: `sso-${project}`, project, provider: 'ssosim', flavor: 'small' } });
      instances[project] = JSON.parse(r.body).id;
    }
    await configureSso(idp.metadataUrl);
  }, 60_000);
  afterAll(async () => {
    await idp?.stop();
    await t?.close();
    await tdb?.dispose();
  });

  it('publishes SP metadata with the ACS, the SLO service and the signing certificate', async () => {
    const res = await fetch(`${url}/saml/metadata`);
    const xml = await res.text();
    expect(res.headers.get('content-type')).toMatch(/samlmetadata\+xml/);
    expect(xml).toContain(`entityID="${url}/saml/metadata"`);
    expect(xml).toContain(`Location="${url}/saml/acs"`);
    expect(xml).toContain(`Location="${url}/saml/slo"`);
    const cert = (await t.cp.identity.samlSigningKey()).certificatePem.replace(/-----[^-]+-----|\s/g, '');
    expect(xml.replace(/\s/g, '')).toContain(cert);
  });

  it('alice (platform-admins) signs in SP-initiated and is admin in alpha: she sees and changes alpha, not beta', async () => {
    const { browser, page } = await spInitiatedSignIn('alice', 'alice-pass');
    expect(page.url).toBe(`${url}/v1/whoami`);
    const me = JSON.parse(page.html);
    expect(me).toMatchObject({ name: 'alice', via: 'session', orgAdmin: false, roles: [{ project: 'alpha', role: 'admin' }] });
    expect(browser.cookieHeader(url)).toMatch(/tessera_session=tss_/);

    const list = await api(browser, 'GET', '/v1/instances');
    expect(list.json.items.map((i) => i.project)).toEqual(['alpha']);
    expect((await api(browser, 'GET', `/v1/instances/${instances.beta}`)).status).toBe(404);
    const created = await api(browser, 'POST', '/v1/instances', { name: 'alice-made', project: 'alpha', provider: 'ssosim', flavor: 'small' });
    expect(created.status, JSON.stringify(created.json)).toBe(202);
    // The same change from another site's page (its Origin) is refused, cookie or not.
    const forged = await fetch(`${url}/v1/instances`, {
      method: 'POST',
      headers: { cookie: browser.cookieHeader(url), origin: 'https://evil.example', 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'forged', project: 'alpha', provider: 'ssosim', flavor: 'small' }),
    });
    expect(forged.status).toBe(403);

    const users = JSON.parse((await t.app.inject({ method: 'GET', url: '/v1/users' })).body).items as { name: string; email: string; source: string }[];
    expect(users.find((u) => u.name === 'alice')).toMatchObject({ email: 'alice@example.com', source: 'saml' });
  });

  it('bob (viewers) signs in IdP-initiated: he can list alpha but not create (403), and cannot see beta', async () => {
    const browser = new FormBrowser();
    const login = await browser.get(idp.idpInitiatedLoginUrl(`${url}/saml/metadata`, '/v1/instances'));
    const afterPassword = await browser.submitForm(login.html, login.url, { username: 'bob', password: 'bob-pass' });
    const landed = await postToAcs(browser, afterPassword);
    expect(landed.url).toBe(`${url}/v1/instances`);
    const seen = JSON.parse(landed.html).items as { id: string; project: string }[];
    expect(seen.map((i) => i.id)).toContain(instances.alpha);
    expect(new Set(seen.map((i) => i.project))).toEqual(new Set(['alpha']));

    const create = await api(browser, 'POST', '/v1/instances', { name: 'bob-made', project: 'alpha', provider: 'ssosim', flavor: 'small' });
    expect(create.status).toBe(403);
    expect((await api(browser, 'GET', `/v1/instances/${instances.beta}`)).status).toBe(404);
    expect((await api(browser, 'GET', `/v1/instances/${instances.alpha}`)).status).toBe(200);
  });

  it('after signing in, the landing page makes a CLI token carrying the person’s rights', async () => {
    expect(await (await fetch(`${url}/`)).text()).toContain('href="/saml/login"');
    const { browser, page } = await spInitiatedSignIn('alice', 'alice-pass', '/');
    expect(page.url).toBe(`${url}/`);
    expect(page.html).toContain('Signed in as <b>alice</b> (admin in alpha)');
    // What the page's button does: a same-origin POST with the session cookie.
    const made = await api(browser, 'POST', '/v1/tokens', { name: 'cli (made in the browser)', expiresInDays: 30 });
    expect(made.status).toBe(201);
    const me = await fetch(`${url}/v1/whoami`, { headers: { authorization: `Bearer ${String(made.json.secret)}` } });
    expect(await me.json()).toMatchObject({ name: 'alice', via: 'token', roles: [{ project: 'alpha', role: 'admin' }] });
  });

  it('a wrong password signs nobody in; every sign-in is in the audit log', async () => {
    const browser = new FormBrowser();
    const login = await browser.get(`${url}/saml/login`);
    const again = await browser.submitForm(login.html, login.url, { username: 'alice', password: 'wrong' });
    expect(again.url.startsWith(idp.baseUrl)).toBe(true);
    expect(browser.cookieHeader(url)).not.toMatch(/tessera_session/);

    const audit = JSON.parse((await t.app.inject({ method: 'GET', url: '/v1/audit?action=auth.signin&limit=1000' })).body).items as { principal: string; result: string; via: string }[];
    expect(audit).toContainEqual(expect.objectContaining({ principal: 'alice', result: 'success', via: 'saml' }));
    expect(audit).toContainEqual(expect.objectContaining({ principal: 'bob', result: 'success', via: 'saml' }));
  });

  it('single logout: signing out ends the session here and at the IdP', async () => {
    const { browser } = await spInitiatedSignIn('alice', 'alice-pass');
    expect((await api(browser, 'GET', '/v1/whoami')).status).toBe(200);
    const out = await browser.get(`${url}/saml/logout`);
    // Tessera → the IdP's SLO service (a signed LogoutRequest) → back to Tessera's /saml/slo → home.
    expect(browser.hops.some((h) => h.url.startsWith(idp.sloUrl))).toBe(true);
    expect(browser.hops.some((h) => h.url.startsWith(`${url}/saml/slo`))).toBe(true);
    expect(out.url.startsWith(url)).toBe(true);
    expect((await api(browser, 'GET', '/v1/whoami')).status).toBe(401);
    // Signed out at the IdP too: a new sign-in asks for the password again.
    const login = await browser.get(`${url}/saml/login`);
    expect(parseFirstForm(login.html, login.url).fields).toHaveProperty('password');
  });

  it('a group removed at the IdP is a role removed at the next sign-in', async () => {
    await idp.stop();
    idp = await startIdp([{ username: 'bob', password: 'bob-pass', groups: [] }]);
    await configureSso(idp.metadataUrl);
    const { browser, page } = await spInitiatedSignIn('bob', 'bob-pass');
    expect(JSON.parse(page.html)).toMatchObject({ name: 'bob', roles: [] });
    expect((await api(browser, 'GET', '/v1/instances')).status).toBe(403);
  });
});
