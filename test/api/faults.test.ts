import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Instance } from '../../src/core/instance.js';
import type { SimDriver } from '../../src/providers/sim/driver.js';
import { runCli } from '../cli/fixtures-cli.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases.js';
import { eventually, simProvider, startTestPlane, type TestPlane } from '../support/control-plane.js';

const PER_PROVIDER = 20;

describe.each(DIALECTS)('faults on %s', (dialect) => {
  let tdb: TestDatabase;
  let t: TestPlane;
  let url: string;

  beforeAll(async () => {
    tdb = await createTestDatabase(dialect);
    // 20 % failures make 12 in a row vanishingly rare (4e-9): the flaky provider's breaker stays closed.
    const breaker = { failureThreshold: 12, coolDownMs: 1_000, maxCoolDownMs: 5_000 };
    const strict = { failureThreshold: 5, coolDownMs: 60_000, maxCoolDownMs: 60_000 };
    t = await startTestPlane(
      tdb,
      [
        // 20 % of calls fail Retryable (reads too), and the provider throttles above 40 requests/s.
        simProvider('flaky', { failureRates: { retryable: 0.2 }, failReads: true, throttle: { requestsPerSecond: 40, burst: 10 }, latencyMs: { min: 1, max: 20 } }, { breaker }),
        simProvider('steady', { latencyMs: { min: 1, max: 10 } }, { breaker }),
        // Goes down once its offers are known: its breaker must open, and the others must not wait for it.
        simProvider('down', {}, { breaker: strict }),
      ],
      { controller: { concurrency: 16 } },
    );
    url = await t.anonymous.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await t?.close();
    await tdb?.dispose();
  });

  it('retryable errors and throttling converge; a provider that always fails opens its breaker alone', async () => {
    // Placement keeps using the last known offers of a provider that stops answering; the flaky one's first
    // listing may fail too (20 %), and a failed listing is not cached, so ask until it answers.
    await eventually(async () => (await t.cp.catalog.forProvider('flaky')).length > 0, 10_000, 'the flaky provider to list its offers');
    await t.cp.catalog.all();
    (t.cp.providers.get('down')!.inner as SimDriver).setFailAll(true);
    const ids: Record<string, string[]> = { flaky: [], steady: [], down: [] };
    for (const provider of Object.keys(ids)) {
      for (let i = 0; i < PER_PROVIDER; i++) {
        const r = await t.app.inject({ method: 'POST', url: '/v1/instances', payload: { name: `${provider}-${i}`, provider, flavor: 'small', region: 'r1' } });
        // The down provider cannot list its images; the create is still accepted and the controller retries.
        expect(r.statusCode, r.body).toBe(202);
        ids[provider]!.push((JSON.parse(r.body) as Instance).id);
      }
    }
    const phases = async (provider: string) =>
      (JSON.parse((await t.app.inject({ method: 'GET', url: `/v1/instances?provider=${provider}&limit=1000` })).body) as { items: Instance[] }).items.map(
        (i) => i.status.phase,
      );
    await eventually(async () => (await phases('flaky')).every((p) => p === 'Running'), 60_000, 'flaky provider to converge');
    await eventually(async () => (await phases('steady')).every((p) => p === 'Running'), 30_000, 'steady provider to converge');
    expect((await phases('down')).every((p) => p !== 'Running')).toBe(true);

    const providers = JSON.parse((await t.app.inject({ method: 'GET', url: '/v1/providers' })).body) as {
      items: { name: string; health: string; circuit: { state: string }; lastError: string | null }[];
    };
    const down = providers.items.find((p) => p.name === 'down')!;
    expect(down.circuit.state).toBe('open');
    expect(down.health).toBe('down');
    expect(down.lastError).toMatch(/\S/);
    expect(providers.items.find((p) => p.name === 'steady')!.circuit.state).toBe('closed');

    const conditions = (JSON.parse((await t.app.inject({ method: 'GET', url: `/v1/instances/${ids.down![0]}` })).body) as Instance).status.conditions;
    expect(conditions.find((c) => c.type === 'ProviderError')?.reason).toBe('Retryable');

    const cli = await runCli(['provider', 'list'], { url });
    expect(cli.code).toBe(0);
    const downLine = cli.stdout.split('\n').find((l) => l.includes('down'))!;
    expect(downLine).toMatch(/open/);
    const json = await runCli(['provider', 'list', '-o', 'json'], { url });
    expect((JSON.parse(json.stdout) as { name: string; circuit: { state: string } }[]).find((p) => p.name === 'down')!.circuit.state).toBe('open');
  }, 120_000);
});
