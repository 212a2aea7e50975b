import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/runtime/logger.js';
import { decryptSecret, loadSecretKey } from '../../src/runtime/secrets.js';
import { runCli } from '../cli/fixtures-cli.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases.js';
import { simProvider, startTestPlane, type TestPlane } from '../support/control-plane.js';

const SECRET = 'wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY';

describe.each(DIALECTS)('provider credentials on %s', (dialect) => {
  let tdb: TestDatabase;
  let t: TestPlane;
  let logged = '';

  beforeAll(async () => {
    tdb = await createTestDatabase(dialect);
    const sink = new Writable({
      write(chunk, _enc, cb) {
        logged += String(chunk);
        cb();
      },
    });
    t = await startTestPlane(tdb, [simProvider('vault')], { logger: createLogger({ level: 'trace', destination: sink }), background: false });
  });
  afterAll(async () => {
    await t?.close();
    await tdb?.dispose();
  });

  it('are stored encrypted, answered with key names only, and never appear in the API or the logs', async () => {
    const r = await t.app.inject({
      method: 'PUT',
      url: '/v1/providers/vault/credentials',
      payload: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: SECRET },
    });
    expect(r.statusCode, r.body).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ provider: 'vault', keys: ['accessKeyId', 'secretAccessKey'] });
    expect(r.body).not.toContain(SECRET);

    const sealed = await t.cp.store.getCredentials('vault');
    expect(sealed).toMatch(/^v1:/);
    expect(sealed).not.toContain(SECRET);
    expect(sealed).not.toContain(Buffer.from(SECRET).toString('base64'));
    const key = loadSecretKey({ dataDir: tdb.dataDir, env: { TESSERA_SECRET_KEY: Buffer.alloc(32, 7).toString('base64') } });
    expect(decryptSecret(key, sealed!)).toEqual({ accessKeyId: 'AKIAEXAMPLE', secretAccessKey: SECRET });

    const providers = await t.app.inject({ method: 'GET', url: '/v1/providers' });
    expect(providers.body).not.toContain(SECRET);
    expect(providers.body).not.toContain('AKIAEXAMPLE');
    expect(logged).toMatch(/\S/); // the PUT was logged …
    expect(logged).not.toContain(SECRET); // … without the secret
  });

  it('for a provider that is not configured: 404 naming the configured ones, nothing stored', async () => {
    const r = await t.app.inject({ method: 'PUT', url: '/v1/providers/nope/credentials', payload: { token: SECRET } });
    expect(r.statusCode).toBe(404);
    expect(JSON.parse(r.body).error.message).toMatch(/use one of vault/);
    expect(await t.cp.store.getCredentials('nope')).toBeNull();
  });

  it('`tessera provider credentials NAME --from-file` stores them and prints only the key names', async () => {
    const url = await t.anonymous.listen({ port: 0, host: '127.0.0.1' });
    const file = join(tdb.dataDir, 'creds.yaml');
    writeFileSync(file, `clientId: app-1\nclientSecret: ${SECRET}\n`, { mode: 0o600 });
    const run = await runCli(['provider', 'credentials', 'vault', '--from-file', file], { url });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('clientId, clientSecret');
    expect(run.stdout + run.stderr).not.toContain(SECRET);
    const key = loadSecretKey({ dataDir: tdb.dataDir, env: { TESSERA_SECRET_KEY: Buffer.alloc(32, 7).toString('base64') } });
    expect(decryptSecret(key, (await t.cp.store.getCredentials('vault'))!)).toEqual({ clientId: 'app-1', clientSecret: SECRET });
    writeFileSync(file, '[1, 2]');
    const bad = await runCli(['provider', 'credentials', 'vault', '--from-file', file], { url });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/values are all strings/);
  });

  it('must be string values: 400 naming the field', async () => {
    const r = await t.app.inject({ method: 'PUT', url: '/v1/providers/vault/credentials', payload: { port: 5 } });
    expect(r.statusCode).toBe(400);
    expect(JSON.parse(r.body).error.message).toMatch(/body\.port/);
  });
});
