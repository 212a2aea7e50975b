import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import { simProvider, startTestPlane, TEST_ADMIN_TOKEN, type TestPlane } from '../support/control-plane.js';
import { createSigningIdentity, idpMetadataXml } from '../doubles/sts/test-assertions.js';
import { runCli } from './fixtures-cli.js';

/** The identity commands against a real API server (SQLite): login, whoami, tokens, members, audit. */
describe('tessera login, whoami, token, project member and audit', () => {
  let tdb: TestDatabase;
  let t: TestPlane;
  let url: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    tdb = await createTestDatabase('sqlite');
    t = await startTestPlane(tdb, [simProvider('clisim')], { background: false });
    url = await t.anonymous.listen({ port: 0, host: '127.0.0.1' });
    // No TESSERA_TOKEN: the CLI must use what login kept.
    env = { TESSERA_TOKEN: '', TESSERA_CREDENTIALS: join(mkdtempSync(join(tmpdir(), 'tessera-cred-')), 'credentials.json') };
  });
  afterAll(async () => {
    await t?.close();
    await tdb?.dispose();
  });

  it('without a token a command says how to sign in; login keeps the token in a 0600 file; whoami then works', async () => {
    const before = await runCli(['instance', 'list'], { url, env });
    expect(before.code).toBe(1);
    expect(before.stderr).toMatch(/tessera login/);

    const bad = await runCli(['login', '--token', `tsr_${'n'.repeat(43)}`], { url, env });
    expect(bad.code).toBe(1);
    expect(() => statSync(env.TESSERA_CREDENTIALS!)).toThrow();

    const login = await runCli(['login', '--token', TEST_ADMIN_TOKEN], { url, env });
    expect(login.code, login.stderr).toBe(0);
    expect(login.stdout).toContain('signed in');
    expect(statSync(env.TESSERA_CREDENTIALS!).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(env.TESSERA_CREDENTIALS!, 'utf8')).servers[url].principal).toBe('admin');

    const me = await runCli(['whoami', '-o', 'json'], { url, env });
    expect(me.code, me.stderr).toBe(0);
    expect(JSON.parse(me.stdout)).toMatchObject({ name: 'admin', orgAdmin: true });
  });

  it('creates a service account, gives it a role, mints a scoped token for it, revokes it; the audit shows each step', async () => {
    await runCli(['login', '--token', TEST_ADMIN_TOKEN], { url, env });
    expect((await runCli(['service-account', 'create', 'deployer'], { url, env })).code).toBe(0);
    const add = await runCli(['project', 'member', 'add', 'default', 'deployer', '--role', 'operator'], { url, env });
    expect(add.code, add.stderr).toBe(0);
    const created = await runCli(['token', 'create', 'ci', '--for', 'deployer', '--scope', 'default=viewer', '-o', 'json'], { url, env });
    expect(created.code, created.stderr).toBe(0);
    const token = JSON.parse(created.stdout) as { id: string; secret: string; scopes: unknown };
    expect(token.scopes).toEqual([{ project: 'default', role: 'viewer' }]);

    // The scoped token reads but cannot create, although its owner is an operator.
    const asDeployer = { TESSERA_TOKEN: token.secret };
    expect((await runCli(['instance', 'list'], { url, env: asDeployer })).code).toBe(0);
    const denied = await runCli(['instance', 'create', 'x', '--provider', 'clisim', '--flavor', 'small'], { url, env: asDeployer });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/Forbidden, HTTP 403/);

    const listed = await runCli(['token', 'list', '--all', '-o', 'json'], { url, env });
    expect(listed.stdout).not.toContain(token.secret);
    expect((await runCli(['token', 'revoke', token.id], { url, env })).code).toBe(0);
    expect((await runCli(['instance', 'list'], { url, env: asDeployer })).code).toBe(1);

    const audit = await runCli(['audit', '--action', 'token.*', '-o', 'json'], { url, env });
    const actions = (JSON.parse(audit.stdout) as { action: string; result: string }[]).map((e) => `${e.action}:${e.result}`);
    expect(actions).toEqual(expect.arrayContaining(['token.create:success', 'token.revoke:success']));
    const exported = await runCli(['audit', '--export'], { url, env });
    const lines = exported.stdout.trim().split('\n').map((l) => JSON.parse(l) as { action: string });
    expect(lines.some((e) => e.action === 'member.bind')).toBe(true);
    expect(exported.stdout).not.toContain(token.secret);
  });

  it('sso configure imports IdP metadata from a file with group rules; sso show and sso metadata print the setup', async () => {
    const idp = createSigningIdentity('cli-test-idp');
    const dir = mkdtempSync(join(tmpdir(), 'tessera-sso-'));
    const file = join(dir, 'idp.xml');
    writeFileSync(file, idpMetadataXml('https://idp.cli.test/saml', idp.certificatePem));
    const asAdmin = { TESSERA_TOKEN: TEST_ADMIN_TOKEN };
    const configured = await runCli(
      ['sso', 'configure', '--metadata', file, '--rule', 'platform-admins=default:admin', '--rule', 'viewers=default:viewer', '--org-admin-group', 'tessera-admins'],
      { url, env: asAdmin },
    );
    expect(configured.code, configured.stderr).toBe(0);
    expect(configured.stdout).toContain('platform-admins → admin in default');
    const shown = JSON.parse((await runCli(['sso', 'show', '-o', 'json'], { url, env: asAdmin })).stdout) as { idp: { entityId: string }; rules: unknown[] };
    expect(shown.idp.entityId).toBe('https://idp.cli.test/saml');
    expect(shown.rules).toEqual([{ group: 'tessera-admins', orgAdmin: true }, { group: 'platform-admins', project: 'default', role: 'admin' }, { group: 'viewers', project: 'default', role: 'viewer' }]);
    expect((await runCli(['sso', 'metadata'], { url, env: asAdmin })).stdout).toContain(`entityID="${url}/saml/metadata"`);

    const badRule = await runCli(['sso', 'configure', '--metadata', file, '--rule', 'nonsense'], { url, env: asAdmin });
    expect(badRule.code).toBe(2);
    writeFileSync(file, `<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>${idpMetadataXml('https://idp.cli.test/saml', idp.certificatePem)}`);
    const hostile = await runCli(['sso', 'configure', '--metadata', file], { url, env: asAdmin });
    expect(hostile.code).toBe(1);
    expect(hostile.stderr).toMatch(/DOCTYPE/);
    // The earlier setup stands.
    expect(JSON.parse((await runCli(['sso', 'show', '-o', 'json'], { url, env: asAdmin })).stdout).rules).toHaveLength(3);
  });

  it('logout forgets the token', async () => {
    await runCli(['login', '--token', TEST_ADMIN_TOKEN], { url, env });
    expect((await runCli(['logout'], { url, env })).stdout).toContain('signed out');
    expect((await runCli(['whoami'], { url, env })).code).toBe(1);
  });
});
