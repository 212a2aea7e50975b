import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/api/server.js';
import { createLogger } from '../../src/runtime/logger.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases.js';

/** The first start's organisation admin, and the way back in when its token is lost. */
describe.each(DIALECTS)('bootstrap admin on %s', (dialect) => {
  let tdb: TestDatabase | undefined;
  let server: RunningServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
    await tdb?.dispose();
  });

  async function start(announced: string[], extra: { env?: NodeJS.ProcessEnv; newAdminToken?: boolean; logged?: string[] } = {}): Promise<RunningServer> {
    const sink = new Writable({
      write(chunk, _enc, cb) {
        extra.logged?.push(String(chunk));
        cb();
      },
    });
    return startServer({
      port: 0,
      dataDir: tdb!.dataDir,
      databaseUrl: tdb!.options.databaseUrl,
      databaseSchema: tdb!.options.schema,
      env: { TESSERA_SECRET_KEY: Buffer.alloc(32, 3).toString('base64'), ...extra.env },
      logger: createLogger({ level: 'info', destination: sink }),
      background: false,
      newAdminToken: extra.newAdminToken,
      announce: (text) => announced.push(text),
    });
  }

  const whoami = (url: string, token: string) => fetch(`${url}/v1/whoami`, { headers: { authorization: `Bearer ${token}` } });

  it('the first start prints the admin token once; a later start prints nothing; --new-admin-token prints a new, audited one', async () => {
    tdb = await createTestDatabase(dialect);
    const first: string[] = [];
    server = await start(first);
    const token = /tsr_[A-Za-z0-9_-]{43}/.exec(first.join(''))![0];
    expect((await (await whoami(server.url, token)).json()) as object).toMatchObject({ name: 'admin', orgAdmin: true });
    await server.close();

    const second: string[] = [];
    server = await start(second);
    expect(second.join('')).toBe('');
    await server.close();

    const third: string[] = [];
    const logged: string[] = [];
    server = await start(third, { newAdminToken: true, logged });
    const fresh = /tsr_[A-Za-z0-9_-]{43}/.exec(third.join(''))![0];
    expect(fresh).not.toBe(token);
    expect((await whoami(server.url, fresh)).status).toBe(200);
    expect((await whoami(server.url, token)).status).toBe(200); // the old one stays until revoked
    const audit = (await (await fetch(`${server.url}/v1/audit?action=token.create`, { headers: { authorization: `Bearer ${fresh}` } })).json()) as { items: { via: string }[] };
    expect(audit.items).toContainEqual(expect.objectContaining({ via: 'server-start' }));
    expect(logged.join('')).not.toContain(fresh);
  });

  it('TESSERA_BOOTSTRAP_TOKEN sets the first token (nothing printed); a malformed one stops the start with what to do', async () => {
    tdb = await createTestDatabase(dialect);
    await expect(start([], { env: { TESSERA_BOOTSTRAP_TOKEN: 'hunter2' } })).rejects.toThrow(/TESSERA_BOOTSTRAP_TOKEN must be "tsr_"/);
    const preset = `tsr_${'p'.repeat(40)}`;
    const announced: string[] = [];
    server = await start(announced, { env: { TESSERA_BOOTSTRAP_TOKEN: preset } });
    expect(announced.join('')).toBe('');
    expect((await whoami(server.url, preset)).status).toBe(200);
  });
});
