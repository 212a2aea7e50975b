import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PriceCatalog } from '../../src/metering/catalog/price-catalog.js';
import { ProviderError, type CreateRequest } from '../../src/providers/driver.js';
import type { SimConfigInput } from '../../src/providers/sim/config.js';
import { createSimDriver, type SimDriver } from '../../src/providers/sim/driver.js';
import { Store } from '../../src/store/store.js';
import { seededPriceCatalog } from '../support/price-catalog.js';

let dataDir: string;
let store: Store;
let prices: PriceCatalog;
const drivers: SimDriver[] = [];

beforeEach(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'tessera-sim-catalog-'));
  store = await Store.open({ sqliteFile: join(dataDir, 'tessera.db') });
  prices = await seededPriceCatalog(store);
});

afterEach(async () => {
  for (const d of drivers.splice(0)) await d.close();
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function open(config: SimConfigInput, name: string): Promise<SimDriver> {
  const driver = await createSimDriver(name, config, { dataDir, listPrices: (cloud) => prices.listPrices(cloud) });
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

describe('sim driver over a catalog', () => {
  it('offers each catalog row on demand and on spot, with regions and zones from the rows', async () => {
    const driver = await open({ flavors: { catalog: { provider: 'aws' } } }, 'aws-sim');
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

  it('sells at the catalog price of the moment: an imported price change shows in the next offers', async () => {
    const driver = await open({ flavors: { catalog: { provider: 'aws' } } }, 'aws-sim');
    const m6i = async () => (await driver.offers()).find((o) => o.flavor === 'm6i.large' && o.region === 'ap-northeast-2' && o.market === 'on-demand');
    expect((await m6i())!.priceMicrosPerHour).toBe(118_000);
    const [current] = await prices.history({ provider: 'aws', region: 'ap-northeast-2', flavor: 'm6i.large', market: 'on-demand' });
    await prices.import([{ ...current!, priceMicrosPerHour: 109_000, effectiveAt: null }], { source: 'test', effective: '2030-01-01T00:00:00Z' });
    expect((await m6i())!.priceMicrosPerHour).toBe(109_000);
  });

  it('refuses to start with no prices for its cloud, saying how to import some', async () => {
    await expect(open({ flavors: { catalog: { provider: 'oracle' } } }, 'oracle-sim')).rejects.toThrow(/no prices for it: import some \(tessera catalog import/);
  });

  it('has no spot offer where the catalog has no spot price, and no zones where it has none', async () => {
    const driver = await open({ flavors: { catalog: { provider: 'azure' } } }, 'azure-sim');
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
      { flavors: { catalog: { provider: 'gcp' } }, regions: [{ name: 'us-central1', capacityVcpus: 8 }] },
      'gcp-sim',
    );
    const offers = await driver.offers();
    expect(new Set(offers.map((o) => o.region))).toEqual(new Set(['us-central1']));
    expect(offers.find((o) => o.flavor === 'n2-standard-2')!.available).toBe(4);
    expect((await driver.regions())[0]!.zones).toEqual(['us-central1-a']);
    await expect(
      open({ flavors: { catalog: { provider: 'gcp' } }, regions: [{ name: 'us-east-1' }] }, 'gcp-wrong'),
    ).rejects.toThrow(/region 'us-east-1', which the price catalog does not price/);
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
