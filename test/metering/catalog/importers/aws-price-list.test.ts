import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../../src/core/errors.js';
import { importAwsPriceList } from '../../../../src/metering/catalog/importers/aws-price-list.js';
import { csvRow, loadSample } from './fixtures.js';

type Page = { FormatVersion: string; PriceList: string[]; NextToken?: string };

function pages(): Page[] {
  return loadSample('aws-get-products-pages.json') as Page[];
}

interface SampleDimension {
  unit: string;
  pricePerUnit: Record<string, string>;
}
interface SampleTerm {
  effectiveDate: string;
  priceDimensions: Record<string, SampleDimension> | string;
}
interface SampleProduct {
  product: { sku?: string; attributes: Record<string, string> };
  terms: { OnDemand: Record<string, SampleTerm> };
}

/** A product of the sample's first page, parsed, to build variants of one entry. */
function product(index: number): SampleProduct {
  return JSON.parse(pages()[0]!.PriceList[index]!) as SampleProduct;
}

function onDemandTerm(p: SampleProduct): SampleTerm {
  return Object.values(p.terms.OnDemand)[0]!;
}

/** The one price dimension of a term (of a product's On-Demand term when given a product). */
function dimension(of: SampleProduct | SampleTerm): SampleDimension {
  const term = 'terms' in of ? onDemandTerm(of) : of;
  return Object.values(term.priceDimensions as Record<string, SampleDimension>)[0]!;
}

function priceOf(result: ReturnType<typeof importAwsPriceList>, flavor: string, region: string) {
  return result.prices.find((p) => p.flavor === flavor && p.region === region);
}

describe('AWS Price List GetProducts pages', () => {
  const result = importAwsPriceList(pages());

  it('keeps the Linux shared on-demand hourly prices, equal to the public-vms CSV where it has them', () => {
    expect(result.prices.map((p) => `${p.flavor} ${p.region}`).sort()).toEqual([
      'c6i.large ap-northeast-2',
      'g5.xlarge us-east-1',
      'm6i.large ap-northeast-2',
      'm6i.large us-east-1',
      'm7g.large us-east-1',
      't3.medium us-east-1',
    ]);
    for (const [flavor, region] of [
      ['m6i.large', 'ap-northeast-2'],
      ['c6i.large', 'ap-northeast-2'],
      ['m6i.large', 'us-east-1'],
      ['t3.medium', 'us-east-1'],
    ] as const) {
      const csv = csvRow('aws', flavor, region);
      expect(priceOf(result, flavor, region)).toMatchObject({ priceMicrosPerHour: csv.price, vcpus: csv.vcpus, memoryGiB: csv.memoryGiB });
    }
  });

  it('normalises one product fully: m6i.large in Seoul at 0.118', () => {
    expect(priceOf(result, 'm6i.large', 'ap-northeast-2')).toEqual({
      provider: 'aws',
      region: 'ap-northeast-2',
      zone: null,
      flavor: 'm6i.large',
      market: 'on-demand',
      vcpus: 2,
      memoryGiB: 8,
      gpus: 0,
      arch: 'x86_64',
      priceMicrosPerHour: 118_000,
      effectiveAt: '2025-11-01T00:00:00Z',
    });
  });

  it('reads arm64 from a Graviton processor and the GPU count from the gpu attribute', () => {
    expect(priceOf(result, 'm7g.large', 'us-east-1')).toMatchObject({ arch: 'arm64', gpus: 0, priceMicrosPerHour: 81_600 });
    expect(priceOf(result, 'g5.xlarge', 'us-east-1')).toMatchObject({ arch: 'x86_64', gpus: 1, vcpus: 4, memoryGiB: 16, priceMicrosPerHour: 1_006_000 });
  });

  it('prices everything on-demand: the Price List has no Spot prices', () => {
    expect(new Set(result.prices.map((p) => p.market))).toEqual(new Set(['on-demand']));
  });

  it('skips every other entry with its reason', () => {
    const reasons = result.skipped.map((s) => `${s.entry} => ${s.reason}`);
    const expected = [
      /m6i\.large ap-northeast-2 Windows\) => operating system "Windows"/,
      /=> tenancy "Dedicated"/,
      /=> capacitystatus "UnusedCapacityReservation"/,
      /=> pre-installed software "SQL Web"/,
      /=> productFamily "Storage" is not an instance/,
      /m6i\.large ap-northeast-2 Linux\) => 1 Reserved term\(s\) passed over/,
      /m6i\.large us-east-1 Linux\) => 1 Reserved term\(s\) passed over/,
      /us-east-1-atl-2 Linux\) => locationType "AWS Local Zone"/,
      /cn-north-1 Linux\) => priced in CNY, not USD/,
    ];
    expect(reasons).toHaveLength(expected.length);
    for (const pattern of expected) expect(reasons.filter((r) => pattern.test(r)), String(pattern)).toHaveLength(1);
  });

  it('reads one page as well as an array, and PriceList elements already parsed into objects', () => {
    const [first] = pages();
    const single = importAwsPriceList(first);
    expect(single.prices.map((p) => p.flavor).sort()).toEqual(['c6i.large', 'm6i.large']);
    const parsed = importAwsPriceList({ ...first, PriceList: first!.PriceList.map((s) => JSON.parse(s) as unknown) });
    expect(parsed).toEqual(single);
  });

  it('keeps the later of two On-Demand terms of one offer and says the other was superseded', () => {
    const p = product(0);
    const [termKey, term] = Object.entries(p.terms.OnDemand)[0]!;
    const later = structuredClone(term);
    later.effectiveDate = '2026-02-01T00:00:00Z';
    dimension(later).pricePerUnit.USD = '0.1100000000';
    p.terms.OnDemand = { [termKey]: term, [`${termKey}2`]: later };
    const r = importAwsPriceList({ PriceList: [JSON.stringify(p)] });
    expect(r.prices).toHaveLength(1);
    expect(r.prices[0]).toMatchObject({ priceMicrosPerHour: 110_000, effectiveAt: '2026-02-01T00:00:00Z' });
    expect(r.skipped.map((s) => s.reason)).toContainEqual(expect.stringMatching(/superseded by .*2026-02-01/));
  });

  it('reads memory with thousands separators and rounds a price half up at the seventh decimal', () => {
    const p = product(0);
    p.product.attributes.memory = '1,952 GiB';
    dimension(p).pricePerUnit.USD = '13.3380005000';
    const r = importAwsPriceList({ PriceList: [JSON.stringify(p)] });
    expect(r.prices[0]).toMatchObject({ memoryGiB: 1952, priceMicrosPerHour: 13_338_001 });
  });

  it('skips per-entry oddities instead of failing: an unknown unit, a zero price, an unknown architecture', () => {
    const hours = product(0);
    dimension(hours).unit = 'Quantity';
    const zero = product(1);
    dimension(zero).pricePerUnit.USD = '0.0000000000';
    const weird = product(0);
    weird.product.sku = 'WEIRDARCH0000000';
    weird.product.attributes.processorArchitecture = 'RISC-V';
    const r = importAwsPriceList({ PriceList: [hours, zero, weird].map((x) => JSON.stringify(x)) });
    expect(r.prices).toEqual([]);
    expect(r.skipped.map((s) => s.reason)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/price unit "Quantity" is not hours/),
        expect.stringMatching(/price is 0/),
        expect.stringMatching(/processorArchitecture "RISC-V"/),
      ]),
    );
  });
});

describe('AWS bulk offer file', () => {
  const result = importAwsPriceList(loadSample('aws-offer-file.json'));

  it('reads products and their OnDemand terms by SKU', () => {
    expect(result.prices.map((p) => [p.flavor, p.region, p.priceMicrosPerHour]).sort()).toEqual([
      ['c6i.large', 'us-east-1', csvRow('aws', 'c6i.large', 'us-east-1').price],
      ['r6i.large', 'us-east-1', csvRow('aws', 'r6i.large', 'us-east-1').price],
    ]);
  });

  it('says why the rest were passed over', () => {
    const reasons = result.skipped.map((s) => `${s.entry} => ${s.reason}`);
    expect(reasons).toHaveLength(4);
    expect(reasons).toContainEqual(expect.stringMatching(/r6i\.large us-east-1 Windows\) => operating system "Windows"/));
    expect(reasons).toContainEqual(expect.stringMatching(/c6i\.large us-east-1 Linux\) => 1 Reserved term/));
    expect(reasons).toContainEqual(expect.stringMatching(/m6i\.xlarge us-east-1 Linux\) => 1 Reserved term/));
    expect(reasons).toContainEqual(expect.stringMatching(/m6i\.xlarge us-east-1 Linux\) => no OnDemand term/));
  });
});

describe('AWS input that is not a price list', () => {
  it('names what was expected when the file is of another shape', () => {
    expect(() => importAwsPriceList({ Items: [] })).toThrow(InvalidInputError);
    expect(() => importAwsPriceList({ Items: [] })).toThrow(/neither a GetProducts answer .*"PriceList".* nor an offer file/);
  });

  it('names the entry and field that is wrong', () => {
    expect(() => importAwsPriceList({ PriceList: ['{not json'] })).toThrow(/PriceList\[0\] is a string but not the JSON of a product/);
    const noSku = product(0);
    delete noSku.product.sku;
    expect(() => importAwsPriceList([pages()[0], { PriceList: [JSON.stringify(noSku)] }])).toThrow(
      /page 2 of the AWS price list, PriceList\[0\] is not what was expected: product\.sku: /,
    );
    const badTerm = product(0);
    onDemandTerm(badTerm).priceDimensions = 'none';
    expect(() => importAwsPriceList({ PriceList: [badTerm] })).toThrow(/terms\.OnDemand\..*\.priceDimensions/);
  });
});
