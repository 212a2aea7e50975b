import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import { simProvider, startTestPlane, TEST_ADMIN_TOKEN, type TestPlane } from '../support/control-plane.js';
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

  it('logout forgets the token', async () => {
    await runCli(['login', '--token', TEST_ADMIN_TOKEN], { url, env });
    expect((await runCli(['logout'], { url, env })).stdout).toContain('signed out');
    expect((await runCli(['whoami'], { url, env })).code).toBe(1);
  });
});
