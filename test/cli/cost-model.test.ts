import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CostModelInput } from '../../src/metering/cost-model/cost-model-config.js';
import type { CostModelView } from '../../src/metering/cost-model/cost-model-view.js';
import { fitVcpuAndGibPrices } from '../../src/metering/cost-model/cpu-memory-split.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import { simProvider, startTestPlane, type TestPlane } from '../support/control-plane.js';
import { runCli } from './fixtures-cli.js';
import { HAND_EXAMPLE } from '../metering/cost-model/hand-example.js';

const CATALOG_FILE = new URL('../../catalog/public-vms.csv', import.meta.url).pathname;
/** The bundled public prices, read the plainest way: the reference for "the cheapest comparable public offer". */
const PUBLIC = readFileSync(CATALOG_FILE, 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => line.split(','))
  .map(([provider, flavor, vcpus, memoryGiB, region, , price]) => ({
    provider: provider!,
    flavor: flavor!,
    vcpus: Number(vcpus),
    memoryGiB: Number(memoryGiB),
    region: region!,
    priceMicrosPerHour: Math.round(Number(price) * 1e6),
  }));

function cheapestPublic(vcpus: number, memoryGiB: number) {
  return PUBLIC.filter((p) => p.vcpus >= vcpus && p.memoryGiB >= memoryGiB).sort(
    (a, b) => a.priceMicrosPerHour - b.priceMicrosPerHour || a.provider.localeCompare(b.provider) || a.region.localeCompare(b.region) || a.flavor.localeCompare(b.flavor),
  )[0]!;
}

/** The hand example of test/metering/cost-model: a server-hour of 1.49 USD; 0.018625 USD per vCPU-hour, 0.0031041666… per GiB-hour. */
const ONPREM: CostModelInput = HAND_EXAMPLE;
/** small 24,833 µ$, medium 49,667 µ$, large 124,167 µ$ (steps in test/metering/cost-model/cost-model-versions.test.ts). */
const FLAVORS = [
  { flavor: 'small', vcpus: 1, memoryGiB: 2, micros: 24_833 },
  { flavor: 'medium', vcpus: 2, memoryGiB: 4, micros: 49_667 },
  { flavor: 'large', vcpus: 4, memoryGiB: 16, micros: 124_167 },
];

/** `tessera cost model show|apply` against a real API server: the onprem model's inputs, breakdown, rates and private-vs-public prices. */
describe('tessera cost model', () => {
  let tdb: TestDatabase;
  let t: TestPlane;
  let url: string;

  beforeAll(async () => {
    tdb = await createTestDatabase('sqlite');
    t = await startTestPlane(
      tdb,
      [
        simProvider('onprem', {}, { costModel: ONPREM as Record<string, unknown> }),
        // The default split: weighed by the public list prices.
        simProvider('lab', { regions: [{ name: 'lab-1' }] }, { costModel: { ...ONPREM, cpuMemorySplit: undefined } as Record<string, unknown> }),
        // A private provider without a cost model: its own configured prices are in the catalog too, and are not "public".
        simProvider('cheap-private', { flavors: [{ name: 'tiny', vcpus: 64, memoryGiB: 1024, priceUsdPerHour: '0.001' }] }),
      ],
      { background: false },
    );
    url = await t.anonymous.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await t?.close();
    await tdb?.dispose();
  });

  it('show PROVIDER -o json: the API’s model, each flavor beside the cheapest public offer with at least its vCPUs and memory', async () => {
    const r = await runCli(['cost', 'model', 'show', 'onprem', '-o', 'json'], { url });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const shown = JSON.parse(r.stdout) as CostModelView;
    expect(shown).toEqual(JSON.parse((await t.app.inject('/v1/cost/models/onprem')).body));
    expect(shown.current.rates).toMatchObject({ vcpuHourNanos: 18_625_000, gibHourNanos: 3_104_167, split: { method: 'fixed', cpuShare: 0.6 } });
    const r1 = shown.flavors.filter((f) => f.region === 'r1');
    expect(r1.map((f) => [f.flavor, f.priceMicrosPerHour])).toEqual(FLAVORS.map((f) => [f.flavor, f.micros]));
    for (const f of FLAVORS) {
      const pub = cheapestPublic(f.vcpus, f.memoryGiB);
      expect(r1.find((x) => x.flavor === f.flavor)!.cheapestPublic).toEqual({
        provider: pub.provider,
        region: pub.region,
        flavor: pub.flavor,
        vcpus: pub.vcpus,
        memoryGiB: pub.memoryGiB,
        priceMicrosPerHour: pub.priceMicrosPerHour,
        ratio: Math.round((f.micros / pub.priceMicrosPerHour) * 1000) / 1000,
      });
    }
  });

  it('fits the default CPU/memory split to the public prices only, never to private providers’ own', async () => {
    const r = await runCli(['cost', 'model', 'show', 'lab', '-o', 'yaml'], { url });
    expect(r.code).toBe(0);
    const lab = parseYaml(r.stdout) as CostModelView;
    const fit = fitVcpuAndGibPrices(PUBLIC);
    expect(lab.current.rates.split).toEqual({ method: 'public-catalog', vcpuNanosPerHour: Number(fit.vcpu), gibNanosPerHour: Number(fit.gib), pricesFitted: PUBLIC.length });
  });

  it('show PROVIDER prints the inputs, where a server-hour’s money goes, the rates, and private vs public per flavor', async () => {
    const r = await runCli(['cost', 'model', 'show', 'onprem'], { url });
    expect(r.code).toBe(0);
    const text = r.stdout;
    expect(text).toContain('onprem: cost model in force since its first version (1 version)');
    expect(text).toMatch(/servers\s+10 × r650: 64 vCPUs, 256 GiB, \$17,520 over 4 years, 500 W/);
    expect(text).toMatch(/space\s+\$1,460 per rack-month, 8 servers per rack \(2 racks\)/);
    expect(text).toMatch(/support\s+10% of capex per year/);
    expect(text).toMatch(/cpu \/ memory\s+vCPUs carry 60% of a server's cost, memory the rest/);
    // The breakdown: 0.50 + 0.09 + 0.40 + 0.10 + 0.20 + 0.20 = 1.49 USD an hour.
    const breakdown: [string, string, string][] = [
      ['hardware', '0.50', '33.6%'],
      ['power', '0.09', '6.0%'],
      ['space', '0.40', '26.8%'],
      ['network', '0.10', '6.7%'],
      ['support', '0.20', '13.4%'],
      ['people', '0.20', '13.4%'],
      ['total', '1.49', '100%'],
    ];
    for (const [part, amount, share] of breakdown) {
      expect(text).toMatch(new RegExp(`\\n  ${part}\\s+\\$${amount.replace('.', '\\.')}\\s+${share.replace('.', '\\.')}\\n`));
    }
    expect(text).toMatch(/vCPU-hour\s+\$0\.018625\n/);
    expect(text).toMatch(/GiB-hour\s+\$0\.003104167\n/);
    expect(text).toMatch(/server-hour \(r650\)\s+\$1\.986666667\n/);
    expect(text).toMatch(/fleet per month\s+\$10,877\.00 for 10 servers in 2 racks, used or not/);
    // medium: $0.049667/h, 730 h → $36.26 a month, beside the cheapest public 2-vCPU, 4-GiB offer.
    const pub = cheapestPublic(2, 4);
    const ratio = (Math.round((49_667 / pub.priceMicrosPerHour) * 1000) / 1000).toFixed(2);
    expect(text).toMatch(
      new RegExp(`\\n  r1\\s+medium\\s+vm\\s+2 vCPU 4 GiB\\s+\\$0\\.049667/h\\s+\\$36\\.26\\s+${pub.provider} ${pub.flavor.replace('.', '\\.')} \\(${pub.region}\\)\\s+\\$[0-9.]+/h\\s+${ratio.replace('.', '\\.')}×\\n`),
    );
    expect(text).not.toMatch(/cheap-private/);
  });

  it('show without a provider prints every model; apply of an unchanged model says so; an unknown provider is an error that says what to do', async () => {
    const all = await runCli(['cost', 'model', 'show', '-o', 'json'], { url });
    expect((JSON.parse(all.stdout) as CostModelView[]).map((m) => m.provider)).toEqual(['lab', 'onprem']);
    const table = await runCli(['cost', 'model', 'show'], { url });
    expect(table.stdout).toMatch(/^lab: cost model in force[^]*\n\nonprem: cost model in force/);

    const apply = await runCli(['cost', 'model', 'apply', 'onprem'], { url });
    expect(apply.code).toBe(0);
    expect(apply.stdout).toBe(
      'No change in the cost model of onprem (in force since 1970-01-01T00:00:00.000Z): $0.018625 per vCPU-hour, $0.003104167 per GiB-hour.\n' +
        'Catalog: 0 added, 0 changed, 0 withdrawn, 6 unchanged.\n',
    );

    const unknown = await runCli(['cost', 'model', 'show', 'cheap-private'], { url });
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/provider "cheap-private" has no cost model; these have one: lab, onprem/);
  });
});
