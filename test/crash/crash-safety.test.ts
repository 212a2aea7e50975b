import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { TESSERA_ID_LABEL } from '../../src/providers/driver.js';
import { createSimDriver } from '../../src/providers/sim/driver.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases.js';
import { freePort, killHard, spawnServer, stopGracefully, type ServerProcess } from '../support/server-process.js';
import { TEST_ADMIN_TOKEN } from '../support/control-plane.js';

const AUTH = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

const CREATES = 200;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The server is SIGKILLed at random moments while 200 creates are in flight, restarted each time, and left to
 * converge. Every requested instance must then exist exactly once at the simulated provider (whose state
 * persists in its own file): no duplicate, no orphan, no lost record.
 */
describe.each(DIALECTS)('crash safety on %s', (dialect) => {
  let tdb: TestDatabase;
  let configPath: string;
  let stateFile: string;
  let port: number;
  let server: ServerProcess | null = null;
  const env = () => ({ TESSERA_SECRET_KEY: Buffer.alloc(32, 3).toString('base64'), TESSERA_DATABASE_SCHEMA: tdb.options.schema ?? '' });

  beforeAll(async () => {
    tdb = await createTestDatabase(dialect);
    stateFile = join(tdb.dataDir, 'crashy-state.db');
    configPath = join(tdb.dataDir, 'tessera.yaml');
    port = await freePort();
    writeFileSync(
      configPath,
      stringify({
        dataDir: join(tdb.dataDir, 'data'),
        ...(tdb.options.databaseUrl ? { databaseUrl: tdb.options.databaseUrl } : {}),
        logLevel: 'warn',
        discovery: { intervalSeconds: 2, pageSize: 100 },
        controller: { concurrency: 16, leaseSeconds: 3, resyncSeconds: 30 },
        providers: [
          {
            name: 'crashy',
            type: 'sim',
            rateLimit: { perSecond: 200, burst: 50 },
            config: {
              stateFile,
              latencyMs: { min: 5, max: 60 },
              // Some creates are recorded at the provider but their answer is lost: observe-before-create matters.
              failAfterCreateRate: 0.1,
              failureRates: { retryable: 0.05 },
              provisionSeconds: 0.2,
            },
          },
        ],
      }),
    );
  });
  afterAll(async () => {
    if (server) await killHard(server);
    await tdb?.dispose();
  });

  /** How long one create may take to be answered while the server is killed again and again. */
  const CREATE_PATIENCE_MS = 150_000;

  it('each of 200 creates exists exactly once at the provider after random SIGKILLs', async () => {
    server = await spawnServer({ port, configPath, env: env() });
    let kills = 0;
    let stopKilling = false;
    const killer = (async () => {
      while (!stopKilling) {
        await sleep(300 + Math.random() * 900);
        if (stopKilling) break;
        await killHard(server!);
        kills++;
        server = await spawnServer({ port, configPath, env: env() });
      }
    })();

    const url = `http://127.0.0.1:${port}`;
    const accepted = new Map<string, string>(); // name → id
    for (let i = 0; i < CREATES; i++) {
      // Paced like a busy client (not a tight loop), so the kills land all along the run, even on a fast machine.
      await sleep(Math.random() * 60);
      const name = `c-${i}`;
      // Bounded by time, not tries: on a loaded machine a restart takes seconds, and a killed request's reservation
      // holds its key for 10 s, so how many tries fit in a while varies a lot.
      const giveUpAt = Date.now() + CREATE_PATIENCE_MS;
      for (;;) {
        if (Date.now() > giveUpAt) throw new Error(`create ${name} got no answer in ${CREATE_PATIENCE_MS / 1000} s; server log: ${server?.log()}`);
        try {
          const r = await fetch(`${url}/v1/instances`, {
            method: 'POST',
            headers: { ...AUTH, 'content-type': 'application/json', 'idempotency-key': `crash-${name}` },
            body: JSON.stringify({ name, provider: 'crashy', flavor: 'small' }),
          });
          const body = (await r.json()) as { id?: string; error?: { message: string } };
          if (r.status === 202) {
            accepted.set(name, body.id!);
            break;
          }
          if (r.status === 409 && /already exists/.test(body.error!.message)) {
            // The first attempt committed but its answer died with the server: the record is there.
            const list = (await (await fetch(`${url}/v1/instances?name=${name}`, { headers: AUTH })).json()) as { items: { id: string }[] };
            expect(list.items).toHaveLength(1);
            accepted.set(name, list.items[0]!.id);
            break;
          }
          if (r.status === 409) {
            await sleep(200); // the same key is still in flight elsewhere
            continue;
          }
          throw new Error(`unexpected ${r.status}: ${JSON.stringify(body)}`);
        } catch (e) {
          if (e instanceof Error && /unexpected/.test(e.message)) throw e;
          await sleep(100); // server down: retry the same request with the same key
        }
      }
    }
    stopKilling = true;
    await killer;
    expect(kills).toBeGreaterThanOrEqual(3);

    // Converge: every instance Running.
    const url2 = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 120_000;
    let running = 0;
    while (Date.now() < deadline) {
      const r = (await (await fetch(`${url2}/v1/instances?provider=crashy&phase=Running&limit=1000`, { headers: AUTH })).json()) as { items: unknown[] };
      running = r.items.length;
      if (running === CREATES) break;
      await sleep(500);
    }
    const all = (await (await fetch(`${url2}/v1/instances?provider=crashy&limit=1000`, { headers: AUTH })).json()) as {
      items: { id: string; name: string; status: { phase: string; externalId: string | null } }[];
    };
    expect(running, `phases: ${JSON.stringify(all.items.filter((i) => i.status.phase !== 'Running').map((i) => [i.name, i.status.phase]))}`).toBe(CREATES);
    expect(await stopGracefully(server!)).toBe(0);
    server = null;

    // The provider's own record: exactly one live machine per instance, none without an owner.
    expect(all.items).toHaveLength(CREATES);
    expect(new Set(all.items.map((i) => i.name))).toEqual(new Set(accepted.keys()));
    const sim = await createSimDriver('crashy', { stateFile }, { dataDir: tdb.dataDir });
    try {
      const machines = sim.simMachines().filter((m) => m.deletedAt === null);
      const ownerOf = (m: (typeof machines)[number]) => m.labels[TESSERA_ID_LABEL] ?? null;
      const byOwner = new Map<string, number>();
      for (const m of machines) byOwner.set(ownerOf(m) ?? '(none)', (byOwner.get(ownerOf(m) ?? '(none)') ?? 0) + 1);
      const duplicates = [...byOwner].filter(([, n]) => n > 1);
      expect(duplicates, 'instances with more than one machine').toEqual([]);
      const ids = new Set(all.items.map((i) => i.id));
      const orphans = machines.filter((m) => !ids.has(ownerOf(m) ?? ''));
      expect(orphans, 'machines no instance owns').toEqual([]);
      expect(machines).toHaveLength(CREATES);
      for (const i of all.items) expect(machines.find((m) => ownerOf(m) === i.id)?.externalId).toBe(i.status.externalId);
    } finally {
      await sim.close();
    }
    console.log(`crash safety on ${dialect}: ${CREATES} creates, ${kills} SIGKILLs, ${CREATES} machines, 0 duplicates, 0 orphans`);
  }, 400_000);
});
