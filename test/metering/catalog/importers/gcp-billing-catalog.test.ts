import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../../src/core/errors.js';
import { importGcpBillingCatalog } from '../../../../src/metering/catalog/importers/gcp-billing-catalog.js';
import { readGceMachineTypes, type GceMachineType } from '../../../../src/metering/catalog/importers/gce-machine-types.js';
import { loadSample, publicVmsRows } from './fixtures.js';

interface SampleSku {
  skuId: string;
  description: string;
  category: { usageType: string };
  serviceRegions: string[];
  pricingInfo: { effectiveTime: string; pricingExpression: { tieredRates: { unitPrice: { units: string; nanos: number } }[] } }[];
}

function pages(): { skus: SampleSku[]; nextPageToken: string }[] {
  return loadSample('gcp-billing-catalog-pages.json') as { skus: SampleSku[]; nextPageToken: string }[];
}

const GCP_ROWS = publicVmsRows().filter((r) => r.provider === 'gcp');
/** The GCP machine types of the public-vms CSV, as a plain list (the family comes from the name). */
const CSV_MACHINE_TYPES: GceMachineType[] = [...new Map(GCP_ROWS.map((r) => [r.flavor, { name: r.flavor, vcpus: r.vcpus, memoryGiB: r.memoryGiB }])).values()];

/** The sample's rates were chosen so these smallest sizes reproduce the CSV exactly; larger sizes are multiples. */
const EXACT_IN_CSV = new Set(['n2-standard-2', 'n2-highmem-2', 'e2-standard-2', 'c2-standard-4']);

describe('GCP Billing Catalog SKUs priced per machine type', () => {
  const result = importGcpBillingCatalog(pages(), { machineTypes: CSV_MACHINE_TYPES });
  const price = (flavor: string, region: string, market = 'on-demand') =>
    result.prices.find((p) => p.flavor === flavor && p.region === region && p.market === market);

  it('works n2-standard-2 out as 2 × core + 8 GiB × RAM in exact nanos: 2 × 0.031615 + 8 × 0.00423625 = 0.09712', () => {
    // 2 × 31,615,000 + 8 × 4,236,250 = 97,120,000 nano-USD = 97,120 µ$, the CSV's 0.09712.
    expect(price('n2-standard-2', 'us-central1')).toEqual({
      provider: 'gcp',
      region: 'us-central1',
      zone: null,
      flavor: 'n2-standard-2',
      market: 'on-demand',
      vcpus: 2,
      memoryGiB: 8,
      gpus: 0,
      arch: 'x86_64',
      priceMicrosPerHour: 97_120,
      effectiveAt: '2025-11-20T12:04:32.512Z',
    });
  });

  it('reproduces the public-vms CSV: exactly for the sizes the rates were chosen from, to its 5-decimal rounding for the rest', () => {
    for (const row of GCP_ROWS.filter((r) => r.region === 'us-central1' || r.region === 'asia-northeast3')) {
      const got = price(row.flavor, row.region)?.priceMicrosPerHour;
      expect(got, `${row.flavor} ${row.region}`).toBeDefined();
      if (EXACT_IN_CSV.has(row.flavor)) expect(got, `${row.flavor} ${row.region}`).toBe(row.price);
      // A size k times the smallest is k × the exact sum; the CSV rounded each size to 0.00001 on its own.
      else expect(Math.abs(got! - row.price), `${row.flavor} ${row.region}`).toBeLessThanOrEqual(30);
    }
  });

  it('prices Spot from the Preemptible SKUs (n2 has them in both regions), also equal to the CSV', () => {
    for (const region of ['us-central1', 'asia-northeast3']) {
      for (const flavor of ['n2-standard-2', 'n2-highmem-2']) {
        expect(price(flavor, region, 'spot')?.priceMicrosPerHour, `${flavor} ${region}`).toBe(
          GCP_ROWS.find((r) => r.flavor === flavor && r.region === region)!.spot,
        );
      }
    }
    expect(new Set(result.prices.filter((p) => p.market === 'spot').map((p) => p.flavor.split('-')[0]))).toEqual(new Set(['n2']));
  });

  it('uses the n2 core and RAM SKUs for n2-highmem', () => {
    // 2 × 0.040595 + 16 × 0.00544125 = 0.16825 in Seoul.
    expect(price('n2-highmem-2', 'asia-northeast3')?.priceMicrosPerHour).toBe(168_250);
  });

  it('skips custom, sole-tenancy, commitment, premium, GPU, licence, storage and non-USD SKUs with reasons', () => {
    const reasons = result.skipped.map((s) => `${s.entry} => ${s.reason}`);
    const expected = [
      /"N2 Custom Instance Core running in Americas" => a custom, sole-tenancy, commitment or premium SKU/,
      /"N2 Sole Tenancy Instance Core running in Americas" => a custom, sole-tenancy, commitment or premium SKU/,
      /"Commitment v1: N2 Cpu in Americas for 1 Year" => usageType "Commit1Yr"/,
      /"Memory Optimized Upgrade Premium for .*" => a custom, sole-tenancy, commitment or premium SKU/,
      /"Nvidia Tesla T4 GPU running in Americas" => not a machine family's vCPU or RAM rate/,
      /"Storage PD Capacity" => resourceFamily "Storage" is not Compute/,
      /"N2D AMD Instance Core running in Seoul" => priced in KRW, not USD/,
      /"Licensing Fee for Debian 12 Bookworm \(CPU cost\)" => resourceFamily "License"/,
      /"C3 Instance Core running in Americas" => no machine type given is of this family/,
    ];
    for (const pattern of expected) expect(reasons.filter((r) => pattern.test(r)), String(pattern)).toHaveLength(1);
  });

  it('says which machine type has no price in a market, and why', () => {
    const reasons = result.skipped.map((s) => `${s.entry} => ${s.reason}`);
    expect(reasons).toContainEqual('GCE machine type c2-standard-4 in us-central1 (spot) => the catalog has no spot vCPU and RAM rate of family c2 in us-central1');
    // Each CSV machine type in each of the two regions: on-demand priced, or Spot priced or skipped.
    const spotPriced = result.prices.filter((p) => p.market === 'spot').length;
    const spotSkipped = result.skipped.filter((s) => s.entry.endsWith('(spot)')).length;
    expect(spotPriced + spotSkipped).toBe(CSV_MACHINE_TYPES.length * 2);
    expect(result.prices.filter((p) => p.market === 'on-demand')).toHaveLength(CSV_MACHINE_TYPES.length * 2);
  });
});

describe('GCP with the machine types of a project (machineTypes.aggregatedList)', () => {
  const machineTypes = readGceMachineTypes(loadSample('gce-machine-types-aggregated.json'));

  it('reads one entry per machine type with the regions of its zones', () => {
    const byName = new Map(machineTypes.map((t) => [t.name, t]));
    expect(byName.get('n2-standard-2')).toEqual({ name: 'n2-standard-2', vcpus: 2, memoryGiB: 8, gpus: 0, arch: 'x86_64', regions: ['asia-northeast3', 'us-central1'] });
    expect(byName.get('n1-standard-1')).toMatchObject({ memoryGiB: 3.75 });
    expect(byName.get('e2-micro')).toMatchObject({ sharedCpu: true });
    expect(byName.get('a2-highgpu-1g')).toMatchObject({ gpus: 1, regions: ['us-central1'] });
  });

  it('prices what the project offers and says why the rest is not priced', () => {
    const result = importGcpBillingCatalog(pages(), { machineTypes });
    expect(result.prices.filter((p) => p.market === 'on-demand').map((p) => `${p.flavor} ${p.region}`).sort()).toEqual([
      'e2-standard-2 asia-northeast3',
      'e2-standard-2 us-central1',
      'n2-highmem-2 asia-northeast3',
      'n2-highmem-2 us-central1',
      'n2-standard-2 asia-northeast3',
      'n2-standard-2 us-central1',
    ]);
    const reasons = result.skipped.map((s) => `${s.entry} => ${s.reason}`);
    expect(reasons).toContainEqual(expect.stringMatching(/^GCE machine type e2-micro => a shared-core type/));
    expect(reasons).toContainEqual(expect.stringMatching(/^GCE machine type a2-highgpu-1g => has 1 GPU\(s\)/));
    expect(reasons).toContainEqual('GCE machine type n1-standard-1 in us-central1 (on-demand) => the catalog has no on-demand vCPU and RAM rate of family n1 in us-central1');
    expect(reasons).toContainEqual(expect.stringMatching(/"Compute optimized Core running in Americas" => no machine type given is of this family/));
  });

  it('prices a fractional memory size exactly (n1-standard-1: 3.75 GiB)', () => {
    const n1 = (resource: 'Core' | 'Ram', nanos: number) => ({
      skuId: `N1-${resource}`,
      description: `N1 Predefined Instance ${resource} running in Americas`,
      category: { serviceDisplayName: 'Compute Engine', resourceFamily: 'Compute', resourceGroup: 'N1Standard', usageType: 'OnDemand' },
      serviceRegions: ['us-central1'],
      pricingInfo: [
        {
          effectiveTime: resource === 'Core' ? '2025-01-01T00:00:00Z' : '2025-06-01T00:00:00Z',
          pricingExpression: {
            usageUnit: resource === 'Core' ? 'h' : 'GiBy.h',
            tieredRates: [{ startUsageAmount: 0, unitPrice: { currencyCode: 'USD', units: '0', nanos } }],
          },
        },
      ],
    });
    // 1 × 0.031611 + 3.75 × 0.0042372 = 0.0475005 exactly, which rounds half up to 0.047501.
    const r = importGcpBillingCatalog({ skus: [n1('Core', 31_611_000), n1('Ram', 4_237_200)] }, { machineTypes });
    expect(r.prices.find((p) => p.flavor === 'n1-standard-1')).toMatchObject({
      priceMicrosPerHour: 47_501,
      // As new as the newer of its two rates.
      effectiveAt: '2025-06-01T00:00:00Z',
    });
  });
});

describe('GCP SKU details', () => {
  const n2OnlyTypes: GceMachineType[] = [{ name: 'n2-standard-2', vcpus: 2, memoryGiB: 8 }];

  it('takes the tier that starts at usage 0, and the newest pricingInfo', () => {
    const [page] = pages();
    const skus = page!.skus.filter((s) => s.category.usageType === 'OnDemand' && s.description.startsWith('N2 Instance'));
    const core = structuredClone(skus.find((s) => s.description.includes('Core'))!) as SampleSku & Record<string, unknown>;
    const ram = skus.find((s) => s.description.includes('Ram'))!;
    const info = core.pricingInfo[0]!;
    const tiers = info.pricingExpression.tieredRates as unknown as Record<string, unknown>[];
    tiers.unshift({ startUsageAmount: 100, unitPrice: { currencyCode: 'USD', units: '0', nanos: 1 } });
    const older = structuredClone(info);
    older.effectiveTime = '2024-01-01T00:00:00Z';
    older.pricingExpression.tieredRates[1]!.unitPrice.nanos = 1_000_000;
    core.pricingInfo = [older, info];
    const r = importGcpBillingCatalog({ skus: [core, ram] }, { machineTypes: n2OnlyTypes });
    expect(r.prices.map((p) => p.priceMicrosPerHour)).toEqual([97_120]);
  });

  it('keeps the newer of two SKUs for one rate and reports the other', () => {
    const [page] = pages();
    const core = page!.skus.find((s) => s.description === 'N2 Instance Core running in Americas')!;
    const ram = page!.skus.find((s) => s.description === 'N2 Instance Ram running in Americas')!;
    const newer = structuredClone(core);
    newer.skuId = 'NEWR-CORE-0001';
    newer.pricingInfo[0]!.effectiveTime = '2026-01-01T00:00:00Z';
    newer.pricingInfo[0]!.pricingExpression.tieredRates[0]!.unitPrice = { units: '0', nanos: 30_000_000 };
    (newer.pricingInfo[0]!.pricingExpression.tieredRates[0]!.unitPrice as Record<string, unknown>).currencyCode = 'USD';
    const r = importGcpBillingCatalog({ skus: [core, ram, newer] }, { machineTypes: n2OnlyTypes });
    // 2 × 0.03 + 8 × 0.00423625 = 0.093890
    expect(r.prices[0]).toMatchObject({ priceMicrosPerHour: 93_890, effectiveAt: '2026-01-01T00:00:00Z' });
    expect(r.skipped).toContainEqual({
      entry: `GCP sku ${core.skuId} "N2 Instance Core running in Americas"`,
      reason: expect.stringMatching(/another SKU gives the same on-demand core rate of n2 in us-central1: GCP sku NEWR-CORE-0001/),
    });
  });

  it('reads units and nanos together (a rate of a dollar and more)', () => {
    const [page] = pages();
    const core = structuredClone(page!.skus.find((s) => s.description === 'N2 Instance Core running in Americas')!);
    const ram = page!.skus.find((s) => s.description === 'N2 Instance Ram running in Americas')!;
    core.pricingInfo[0]!.pricingExpression.tieredRates[0]!.unitPrice.units = '1';
    core.pricingInfo[0]!.pricingExpression.tieredRates[0]!.unitPrice.nanos = 500_000_001;
    const r = importGcpBillingCatalog({ skus: [core, ram] }, { machineTypes: n2OnlyTypes });
    // 2 × 1.500000001 + 8 × 0.00423625 = 3.033890002 → 3.033890
    expect(r.prices[0]!.priceMicrosPerHour).toBe(3_033_890);
  });
});

describe('GCP input that is not a billing catalog', () => {
  it('names what was expected', () => {
    expect(() => importGcpBillingCatalog({ Items: [] }, { machineTypes: [] })).toThrow(InvalidInputError);
    expect(() => importGcpBillingCatalog({ Items: [] }, { machineTypes: [] })).toThrow(/the GCP billing catalog is not what was expected: skus: /);
  });

  it('names the SKU and field that is wrong', () => {
    const broken = pages();
    (broken[1]!.skus[3] as unknown as Record<string, unknown>).category = { usageType: 'OnDemand' };
    expect(() => importGcpBillingCatalog(broken, { machineTypes: CSV_MACHINE_TYPES })).toThrow(
      /page 2 of the GCP billing catalog, skus\[3\] is not what was expected: category\.resourceFamily: /,
    );
  });

  it('names the machine type that is wrong', () => {
    expect(() => importGcpBillingCatalog(pages(), { machineTypes: [{ name: 'n2-standard-2', vcpus: -2, memoryGiB: 8 }] })).toThrow(
      /the machine type list is not what was expected: 0\.vcpus: /,
    );
    expect(() => readGceMachineTypes({ items: { 'zones/us-central1-a': { machineTypes: [{ name: 'n2-standard-2', guestCpus: 2 }] } } })).toThrow(
      /items\["zones\/us-central1-a"\]\.machineTypes\[0\] is not what was expected: memoryMb: /,
    );
  });
});
