import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../../src/core/errors.js';
import type { FlavorShapes } from '../../../../src/metering/catalog/imported-price.js';
import { importAzureRetailPrices } from '../../../../src/metering/catalog/importers/azure-retail-prices.js';
import { csvRow, loadSample, shapesFromPublicVms } from './fixtures.js';

interface SamplePage {
  Items: Record<string, unknown>[];
}

function pages(): SamplePage[] {
  return loadSample('azure-retail-prices-pages.json') as SamplePage[];
}

describe('Azure Retail Prices pages', () => {
  const result = importAzureRetailPrices(pages(), { shapes: shapesFromPublicVms() });

  it('keeps pay-as-you-go and Spot Linux prices; in eastus they equal the public-vms CSV', () => {
    const eastus = result.prices.filter((p) => p.region === 'eastus');
    expect(eastus.map((p) => `${p.flavor} ${p.market}`).sort()).toEqual([
      'Standard_B2s on-demand',
      'Standard_D2s_v5 on-demand',
      'Standard_D2s_v5 spot',
      'Standard_E2s_v5 on-demand',
      'Standard_E2s_v5 spot',
      'Standard_F2s_v2 on-demand',
      'Standard_F2s_v2 spot',
    ]);
    for (const p of eastus) {
      const csv = csvRow('azure', p.flavor, 'eastus');
      expect(p.priceMicrosPerHour, `${p.flavor} ${p.market}`).toBe(p.market === 'spot' ? csv.spot : csv.price);
      expect(p).toMatchObject({ vcpus: csv.vcpus, memoryGiB: csv.memoryGiB });
    }
  });

  it('normalises one item fully: the size from the lookup, the date from effectiveStartDate', () => {
    expect(result.prices.find((p) => p.region === 'koreacentral' && p.flavor === 'Standard_D2s_v5' && p.market === 'spot')).toEqual({
      provider: 'azure',
      region: 'koreacentral',
      zone: null,
      flavor: 'Standard_D2s_v5',
      market: 'spot',
      vcpus: 2,
      memoryGiB: 8,
      gpus: 0,
      arch: 'x86_64',
      priceMicrosPerHour: 21_060,
      effectiveAt: '2025-11-01T00:00:00Z',
    });
  });

  it('skips every other item with its reason', () => {
    const reasons = result.skipped.map((s) => `${s.entry} => ${s.reason}`);
    const expected = [
      /"D2s v5 Low Priority".* => a Low Priority meter/,
      /Virtual Machines Dsv5 Series Windows, Consumption\) => a Windows meter/,
      /Reservation\) => price type "Reservation"/,
      /DevTestConsumption\) => price type "DevTestConsumption"/,
      /koreacentral "D2s v5".* => priced in KRW, not USD/,
      /eastus "D2s v5".* => not the primary meter region/,
      /Standard_D2as_v5 eastus .* => the size of Standard_D2as_v5 is not known .*import a catalog that has this flavor's size first \(e\.g\. the public-vms CSV\)/,
    ];
    expect(reasons).toHaveLength(expected.length);
    for (const pattern of expected) expect(reasons.filter((r) => pattern.test(r)), String(pattern)).toHaveLength(1);
  });

  it('asks the size lookup under the provider name it imports for', () => {
    const asked: string[] = [];
    const shapes: FlavorShapes = (provider, flavor) => {
      asked.push(`${provider}/${flavor}`);
      return { vcpus: 2, memoryGiB: 8, gpus: 0, arch: 'x86_64' };
    };
    const r = importAzureRetailPrices(pages()[1], { shapes, provider: 'azure-prod' });
    expect(asked).toContain('azure-prod/Standard_D2as_v5');
    expect(new Set(r.prices.map((p) => p.provider))).toEqual(new Set(['azure-prod']));
    expect(r.prices.find((p) => p.flavor === 'Standard_D2as_v5')?.priceMicrosPerHour).toBe(86_000);
  });

  it('reads retailPrice exactly, also when JavaScript prints it with an exponent', () => {
    const [item] = pages()[1]!.Items;
    const r = importAzureRetailPrices(
      { Items: [{ ...item, retailPrice: 0.0000005 }, { ...item, armRegionName: 'westus', retailPrice: 0.0846 }] },
      { shapes: shapesFromPublicVms() },
    );
    expect(r.prices.map((p) => p.priceMicrosPerHour)).toEqual([1, 84_600]);
  });
});

describe('Azure input that is not a Retail Prices answer', () => {
  it('names what was expected', () => {
    expect(() => importAzureRetailPrices({ PriceList: [] }, { shapes: shapesFromPublicVms() })).toThrow(InvalidInputError);
    expect(() => importAzureRetailPrices({ PriceList: [] }, { shapes: shapesFromPublicVms() })).toThrow(
      /the Azure retail prices is not what was expected: Items: /,
    );
  });

  it('names the item and field that is wrong', () => {
    const broken = pages();
    broken[1]!.Items[2] = { ...broken[1]!.Items[2], retailPrice: '0.126' };
    expect(() => importAzureRetailPrices(broken, { shapes: shapesFromPublicVms() })).toThrow(
      /page 2 of the Azure retail prices, Items\[2\] is not what was expected: retailPrice: /,
    );
  });
});
