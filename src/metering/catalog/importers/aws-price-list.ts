import { z } from 'zod';
import { InvalidInputError } from '../../../core/errors.js';
import { usdToMicros, type Micros } from '../../../core/money.js';
import type { ImportResult } from '../imported-price.js';
import { ImportCollector } from './import-collector.js';
import { asPages, parseInput } from './parse-input.js';

/**
 * Reads AWS's published EC2 prices: the Price List Query API's `GetProducts` answer (`aws pricing get-products
 * --service-code AmazonEC2`: `{FormatVersion, PriceList: ["<JSON of one product>", …], NextToken}`), one page or an
 * array of pages, and the bulk offer file (`{products: {sku: …}, terms: {OnDemand: {sku: …}}}`).
 *
 * Kept: Linux, shared tenancy, no pre-installed software, capacitystatus Used (the instance itself, not a
 * capacity-reservation line), in an AWS Region, priced per hour On-Demand in USD. Everything is market `on-demand`:
 * the Price List carries no Spot prices (those move with the Spot market and are read from the Spot price
 * history), and Reserved terms are commitments, not an hourly list price.
 */

export interface AwsPriceListOptions {
  /** The provider name the prices are for; default `aws`. */
  provider?: string;
}

const Attributes = z.record(z.string(), z.string());

const PriceDimension = z.object({
  unit: z.string(),
  pricePerUnit: z.record(z.string(), z.string()),
  beginRange: z.string().optional(),
  endRange: z.string().optional(),
  description: z.string().optional(),
});

const Term = z.object({
  effectiveDate: z.string().optional(),
  priceDimensions: z.record(z.string(), PriceDimension),
});

/** Terms of one product, keyed `SKU.OFFERTERMCODE`. */
const TermsOfProduct = z.record(z.string(), Term);

const Product = z.object({
  sku: z.string().min(1),
  productFamily: z.string().optional(),
  attributes: Attributes.default({}),
});

/** One element of `PriceList`: product and terms together. */
const PriceListEntry = z.object({
  product: Product,
  terms: z
    .object({ OnDemand: TermsOfProduct.optional(), Reserved: TermsOfProduct.optional() })
    .default({}),
  publicationDate: z.string().optional(),
});

const GetProductsPage = z.object({
  FormatVersion: z.string().optional(),
  PriceList: z.array(z.unknown()),
  NextToken: z.string().nullish(),
});

const OfferFile = z.object({
  products: z.record(z.string(), Product),
  terms: z
    .object({
      OnDemand: z.record(z.string(), TermsOfProduct).optional(),
      Reserved: z.record(z.string(), TermsOfProduct).optional(),
    })
    .default({}),
});

type Product = z.infer<typeof Product>;
type Term = z.infer<typeof Term>;

interface ProductWithTerms {
  product: Product;
  onDemand: Term[];
  reservedTerms: number;
}

/** Product families whose SKUs are instances; bare-metal sizes (`m6i.metal`) have their own family name. */
const INSTANCE_FAMILIES = new Set(['Compute Instance', 'Compute Instance (bare metal)']);

/** Imports EC2 on-demand Linux prices from GetProducts pages or an offer file (already JSON-parsed). */
export function importAwsPriceList(input: unknown, opts: AwsPriceListOptions = {}): ImportResult {
  const provider = opts.provider ?? 'aws';
  const collector = new ImportCollector();
  const pages = asPages(input);
  pages.forEach((page, pageIndex) => {
    const where = pages.length > 1 ? `page ${pageIndex + 1} of the AWS price list` : 'the AWS price list';
    for (const entry of productsOf(page, where)) priceProduct(entry, provider, collector);
  });
  return collector.result();
}

function productsOf(page: unknown, where: string): ProductWithTerms[] {
  if (isObject(page) && 'PriceList' in page) {
    const { PriceList } = parseInput(GetProductsPage, page, where);
    return PriceList.map((element, i) => {
      const what = `${where}, PriceList[${i}]`;
      const entry = parseInput(PriceListEntry, typeof element === 'string' ? parseJsonString(element, what) : element, what);
      const { OnDemand = {}, Reserved = {} } = entry.terms;
      return { product: entry.product, onDemand: Object.values(OnDemand), reservedTerms: Object.keys(Reserved).length };
    });
  }
  if (isObject(page) && 'products' in page) {
    const offer = parseInput(OfferFile, page, `${where} (offer file)`);
    const { OnDemand = {}, Reserved = {} } = offer.terms;
    return Object.entries(offer.products).map(([sku, product]) => ({
      product,
      onDemand: Object.values(OnDemand[sku] ?? {}),
      reservedTerms: Object.keys(Reserved[sku] ?? {}).length,
    }));
  }
  throw new InvalidInputError(
    `${where} is neither a GetProducts answer (an object with a "PriceList" array) nor an offer file (an object with "products" and "terms")`,
  );
}

function priceProduct({ product, onDemand, reservedTerms }: ProductWithTerms, provider: string, collector: ImportCollector): void {
  const a = product.attributes;
  const entry = `AWS sku ${product.sku} (${[a.instanceType, a.regionCode ?? a.location, a.operatingSystem].filter(Boolean).join(' ')})`;
  const skip = (reason: string): void => collector.skip(entry, reason);

  if (!INSTANCE_FAMILIES.has(product.productFamily ?? '')) return skip(`productFamily ${quote(product.productFamily)} is not an instance`);
  if (!a.instanceType) return skip('no instanceType attribute');
  if (a.operatingSystem !== 'Linux') return skip(`operating system ${quote(a.operatingSystem)}: Tessera imports Linux prices (other systems add a licence)`);
  if (a.tenancy !== 'Shared') return skip(`tenancy ${quote(a.tenancy)}: only shared tenancy is a list price per instance`);
  // Files older than these attributes list only plain instances, so a missing one means the default.
  if ((a.preInstalledSw ?? 'NA') !== 'NA') return skip(`pre-installed software ${quote(a.preInstalledSw)} adds a licence fee`);
  if ((a.capacitystatus ?? 'Used') !== 'Used') return skip(`capacitystatus ${quote(a.capacitystatus)}: a capacity-reservation line, not the instance's price`);
  if ((a.licenseModel ?? 'No License required') !== 'No License required') return skip(`licenseModel ${quote(a.licenseModel)}`);
  if ((a.marketoption ?? 'OnDemand') !== 'OnDemand') return skip(`marketoption ${quote(a.marketoption)}: only On-Demand instances are imported`);
  if ((a.locationType ?? 'AWS Region') !== 'AWS Region') return skip(`locationType ${quote(a.locationType)}: Local Zone and Wavelength prices are not their region's price`);
  if (!a.regionCode) return skip('no regionCode attribute (an older price list?): the region cannot be named');

  const vcpus = Number(a.vcpu);
  if (!Number.isInteger(vcpus) || vcpus <= 0) return skip(`vcpu ${quote(a.vcpu)} is not a whole number of vCPUs`);
  const memoryGiB = parseGiB(a.memory);
  if (memoryGiB === null) return skip(`memory ${quote(a.memory)} is not an amount of GiB`);
  const gpus = a.gpu === undefined || a.gpu === 'NA' ? 0 : Number(a.gpu);
  if (!Number.isInteger(gpus) || gpus < 0) return skip(`gpu ${quote(a.gpu)} is not a whole number of GPUs`);
  const arch = archOf(a.processorArchitecture, a.physicalProcessor);
  if (arch === null) return skip(`processorArchitecture ${quote(a.processorArchitecture)} (physicalProcessor ${quote(a.physicalProcessor)}) is not one Tessera knows`);

  if (reservedTerms > 0) skip(`${reservedTerms} Reserved term(s) passed over: a reservation is a commitment, not an hourly list price; only On-Demand is imported`);
  if (onDemand.length === 0) return skip('no OnDemand term');

  onDemand.forEach((term, i) => {
    const termEntry = onDemand.length > 1 ? `${entry} OnDemand term ${i + 1}` : entry;
    const priced = hourlyUsd(term);
    if (typeof priced === 'string') return collector.skip(termEntry, priced);
    if (term.effectiveDate !== undefined && Number.isNaN(Date.parse(term.effectiveDate))) {
      return collector.skip(termEntry, `effectiveDate ${quote(term.effectiveDate)} is not a date`);
    }
    collector.add(
      {
        provider,
        region: a.regionCode!,
        zone: null,
        flavor: a.instanceType!,
        market: 'on-demand',
        vcpus,
        memoryGiB,
        gpus,
        arch,
        priceMicrosPerHour: priced,
        effectiveAt: term.effectiveDate ?? null,
      },
      termEntry,
    );
  });
}

/** The term's hourly USD price, or why it has none Tessera can use. */
function hourlyUsd(term: Term): Micros | string {
  const dimensions = Object.values(term.priceDimensions);
  if (dimensions.length !== 1) return `OnDemand term has ${dimensions.length} price dimensions; an hourly instance price has exactly one`;
  const [dimension] = dimensions as [z.infer<typeof PriceDimension>];
  if (dimension.unit !== 'Hrs') return `price unit ${quote(dimension.unit)} is not hours`;
  const usd = dimension.pricePerUnit.USD;
  if (usd === undefined) return `priced in ${Object.keys(dimension.pricePerUnit).join(', ') || 'no currency'}, not USD`;
  let micros: Micros;
  try {
    micros = usdToMicros(usd);
  } catch {
    return `price ${quote(usd)} is not a non-negative decimal USD amount`;
  }
  // A zero On-Demand rate is bookkeeping (a combination AWS lists but does not sell), never an instance's price.
  if (micros === 0) return 'price is 0: not an instance AWS sells at that rate';
  return micros;
}

/** `"8 GiB"`, `"0.5 GiB"`, `"1,952 GiB"` → GiB. */
function parseGiB(memory: string | undefined): number | null {
  const m = /^([\d,]+(?:\.\d+)?) GiB$/.exec(memory?.trim() ?? '');
  if (!m) return null;
  const gib = Number(m[1]!.replaceAll(',', ''));
  return Number.isFinite(gib) && gib > 0 ? gib : null;
}

/** Graviton parts say "64-bit" like x86 ones do, so the processor name decides first. */
function archOf(processorArchitecture: string | undefined, physicalProcessor: string | undefined): string | null {
  if (/graviton/i.test(physicalProcessor ?? '') || /\barm/i.test(processorArchitecture ?? '')) return 'arm64';
  if (/64-bit/.test(processorArchitecture ?? '')) return 'x86_64';
  return null;
}

function parseJsonString(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new InvalidInputError(`${what} is a string but not the JSON of a product: ${(e as Error).message}`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function quote(value: string | undefined): string {
  return value === undefined ? '(absent)' : JSON.stringify(value);
}
