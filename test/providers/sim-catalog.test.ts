import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/core/errors.js';
import { ProviderError, type CreateRequest } from '../../src/providers/driver.js';
import { loadCatalogRows, parseCatalogCsv } from '../../src/providers/sim/catalog-csv.js';
import type { SimConfigInput } from '../../src/providers/sim/config.js';
import { createSimDriver, type SimDriver } from '../../src/providers/sim/driver.js';

const CATALOG = '/work/shared/catalog/public-vms.csv';

let dataDir: string;
const drivers: SimDriver[] = [];

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'tessera-sim-catalog-'));
});

afterEach(async () => {
  for (const d of drivers.splice(0)) await d.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function open(config: SimConfigInput, name: string): Promise<SimDriver> {
  const driver = await createSimDriver(name, config, { dataDir });
  drivers.push(driver);
  return driver;
}

function request(overrides: Partial<CreateRequest>): CreateRequest {
  return {
    tesseraId: 'i-0000000000000001',
    name: 'web-1',
    region: 'us-east-1',
    zone: null,
    flavor: 'm6i.large',
    image: 'ubuntu-24.04',
    market: 'on-demand',
    userData: null,
    labels: {},
    powerOn: true,
    ...overrides,
  };
}

describe('catalog CSV', () => {
  it('parses prices to micro-dollars, finds columns by header and reads an empty spot price as none', () => {
    const rows = parseCatalogCsv(
      'zone,provider,instance_type,vcpus,memory_gib,region,price_usd_hour,spot_price_usd_hour\n' +
        'use1-az1,aws,m6i.large,2.0,8.0,us-east-1,0.096,0.039700\n' +
        ',azure,Standard_B2s,2.0,4,eastus,0.0416,\n',
      'inline',
    );
    expect(rows).toEqual([
      {
        provider: 'aws',
        instanceType: 'm6i.large',
        vcpus: 2,
        memoryGiB: 8,
        region: 'us-east-1',
        zone: 'use1-az1',
        priceMicrosPerHour: 96_000,
        spotPriceMicrosPerHour: 39_700,
      },
      {
        provider: 'azure',
        instanceType: 'Standard_B2s',
        vcpus: 2,
        memoryGiB: 4,
        region: 'eastus',
        zone: null,
        priceMicrosPerHour: 41_600,
        spotPriceMicrosPerHour: null,
      },
    ]);
  });

  it('says which column or line is wrong', () => {
    expect(() => parseCatalogCsv('provider,instance_type\n', 'f.csv')).toThrow(/f.csv has no 'vcpus' column/);
    const header = 'provider,instance_type,vcpus,memory_gib,region,zone,price_usd_hour,spot_price_usd_hour\n';
    expect(() => parseCatalogCsv(`${header}aws,t3.large,two,8,us-east-1,,0.1,\n`, 'f.csv')).toThrow(/line 2: 'vcpus'/);
    expect(() => parseCatalogCsv(`${header}aws,t3.large,2,8,us-east-1,,free,\n`, 'f.csv')).toThrow(/line 2: price "free"/);
  });

  it('reads the shared catalog and rejects a provider it does not list', () => {
    expect(loadCatalogRows(CATALOG, 'aws')).toHaveLength(48);
    expect(() => loadCatalogRows(CATALOG, 'oracle')).toThrow(/no rows for provider 'oracle'; it has: aws, azure, gcp/);
    expect(() => loadCatalogRows('/nonexistent/catalog.csv', 'aws')).toThrow(InvalidInputError);
  });
});

describe('sim driver over a catalog', () => {
  it('offers each catalog row on demand and on spot, with regions and zones from the rows', async () => {
    const driver = await open({ flavors: { catalog: { file: CATALOG, provider: 'aws' } } }, 'aws-sim');
    const regions = await driver.regions();
    expect(regions.map((r) => r.name).sort()).toEqual(['ap-northeast-2', 'eu-west-1', 'us-east-1']);
    expect(regions.find((r) => r.name === 'us-east-1')!.zones).toEqual(['use1-az1']);

    const offers = await driver.offers();
    expect(offers).toHaveLength(48 * 2);
    const m6i = offers.filter((o) => o.flavor === 'm6i.large' && o.region === 'us-east-1');
    expect(m6i).toEqual([
      expect.objectContaining({ provider: 'aws-sim', market: 'on-demand', priceMicrosPerHour: 96_000, zone: 'use1-az1', vcpus: 2, memoryGiB: 8 }),
      expect.objectContaining({ market: 'spot', priceMicrosPerHour: 39_700, available: null, arch: 'x86_64', gpus: 0 }),
    ]);

    const spot = await driver.create(request({ market: 'spot' }), 'tok-1');
    expect(spot).toMatchObject({ market: 'spot', zone: 'use1-az1', state: 'running' });
  });

  it('has no spot offer where the catalog has no spot price, and no zones where it has none', async () => {
    const driver = await open({ flavors: { catalog: { file: CATALOG, provider: 'azure' } } }, 'azure-sim');
    const b2s = (await driver.offers()).filter((o) => o.flavor === 'Standard_B2s');
    expect(b2s.map((o) => o.market)).toEqual(['on-demand']);
    const error = await driver.create(request({ region: 'eastus', flavor: 'Standard_B2s', market: 'spot' }), 'tok-1').catch((e) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).errorClass).toBe('Invalid');
    const made = await driver.create(request({ region: 'eastus', flavor: 'Standard_B2s' }), 'tok-2');
    expect(made.zone).toBeNull();
  });

  it('takes region capacity from the config and prices from the catalog', async () => {
    const driver = await open(
      { flavors: { catalog: { file: CATALOG, provider: 'gcp' } }, regions: [{ name: 'us-central1', capacityVcpus: 8 }] },
      'gcp-sim',
    );
    const offers = await driver.offers();
    expect(new Set(offers.map((o) => o.region))).toEqual(new Set(['us-central1']));
    expect(offers.find((o) => o.flavor === 'n2-standard-2')!.available).toBe(4);
    expect((await driver.regions())[0]!.zones).toEqual(['us-central1-a']);
    await expect(
      open({ flavors: { catalog: { file: CATALOG, provider: 'gcp' } }, regions: [{ name: 'us-east-1' }] }, 'gcp-wrong'),
    ).rejects.toThrow(/region 'us-east-1', which its catalog does not price/);
  });

  it('prices explicit private flavors and sells them as bare metal', async () => {
    const driver = await open(
      {
        kind: 'baremetal',
        regions: [{ name: 'seoul-dc1', location: 'Seoul', zones: ['rack-a'] }],
        flavors: [{ name: 'r740', vcpus: 48, memoryGiB: 384, priceUsdPerHour: 0.85 }],
      },
      'onprem',
    );
    expect(await driver.offers()).toEqual([
      {
        provider: 'onprem',
        region: 'seoul-dc1',
        zone: null,
        flavor: 'r740',
        vcpus: 48,
        memoryGiB: 384,
        gpus: 0,
        arch: 'x86_64',
        kind: 'baremetal',
        market: 'on-demand',
        priceMicrosPerHour: 850_000,
        available: null,
      },
    ]);
    const made = await driver.create(request({ region: 'seoul-dc1', flavor: 'r740' }), 'tok-1');
    expect(made).toMatchObject({ kind: 'baremetal', zone: 'rack-a' });
  });
});
