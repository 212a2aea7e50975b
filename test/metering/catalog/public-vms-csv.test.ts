import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../src/core/errors.js';
import { importPublicVmsCsv, parseCatalogCsv } from '../../../src/metering/catalog/public-vms-csv.js';

const CATALOG = new URL('../../../catalog/public-vms.csv', import.meta.url).pathname;

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

  it('imports the shared catalog: one on-demand price per row and a spot price where the row has one', () => {
    const text = readFileSync(CATALOG, 'utf8');
    const lines = text.trim().split('\n').slice(1).map((l) => l.split(','));
    const { prices, skipped } = importPublicVmsCsv(text, 'public-vms.csv');
    expect(skipped).toEqual([]);
    expect(prices.filter((p) => p.market === 'on-demand')).toHaveLength(lines.length);
    expect(prices.filter((p) => p.market === 'spot')).toHaveLength(lines.filter((cells) => cells[7] !== '').length);
    expect(prices.find((p) => p.provider === 'aws' && p.flavor === 'm6i.large' && p.region === 'ap-northeast-2' && p.market === 'on-demand')).toEqual({
      provider: 'aws',
      region: 'ap-northeast-2',
      zone: 'apne2-az1',
      flavor: 'm6i.large',
      market: 'on-demand',
      vcpus: 2,
      memoryGiB: 8,
      gpus: 0,
      arch: 'x86_64',
      priceMicrosPerHour: 118_000,
      effectiveAt: null,
    });
    expect(() => importPublicVmsCsv('provider,instance_type\n', 'f.csv')).toThrow(InvalidInputError);
  });
});
