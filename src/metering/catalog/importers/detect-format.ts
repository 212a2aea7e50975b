import { InvalidInputError } from '../../../core/errors.js';
import { COLUMNS as PUBLIC_VMS_COLUMNS } from '../public-vms-csv.js';

/**
 * Says which price format a file holds, so `tessera catalog import FILE` needs no flag: the public-vms CSV, an
 * AWS price list (GetProducts pages or an offer file), Azure Retail Prices pages, Cloud Billing Catalog SKU pages,
 * or a GCE machine type list (which a GCP import needs beside the SKUs). A JSON file is parsed once, here.
 */
export type PriceFileFormat = 'public-vms-csv' | 'aws-price-list' | 'azure-retail-prices' | 'gcp-billing-catalog' | 'gce-machine-types';

export type DetectedPriceFile =
  | { format: 'public-vms-csv'; text: string }
  | { format: Exclude<PriceFileFormat, 'public-vms-csv'>; json: unknown };

const DESCRIPTIONS: Record<PriceFileFormat, string> = {
  'public-vms-csv': `the public-vms CSV (header ${PUBLIC_VMS_COLUMNS.join(',')})`,
  'aws-price-list': 'an AWS Price List GetProducts answer ({"FormatVersion", "PriceList": […]}) or offer file ({"products", "terms"})',
  'azure-retail-prices': 'an Azure Retail Prices API answer ({"BillingCurrency", "Items": […], "NextPageLink"})',
  'gcp-billing-catalog': 'a Cloud Billing Catalog services.skus.list answer ({"skus": […], "nextPageToken"})',
  'gce-machine-types': 'a GCE machineTypes.aggregatedList answer ({"items": {"zones/…": {"machineTypes": […]}}}) or a list of machine types',
};

/** The format of `content`; `source` names the file in the error when no format matches. */
export function detectPriceFile(content: string, source = 'the file'): DetectedPriceFile {
  const text = content.replace(/^\uFEFF/, '');
  const start = text.trimStart()[0];
  if (start === '{' || start === '[') {
    let json: unknown;
    try {
      json = JSON.parse(text) as unknown;
    } catch (e) {
      throw new InvalidInputError(`${source} looks like JSON but does not parse: ${(e as Error).message}`);
    }
    return { format: jsonFormat(json, source), json };
  }
  const header = (text.split(/\r?\n/, 1)[0] ?? '').split(',').map((h) => h.trim());
  if (header.includes('provider') && header.includes('instance_type')) return { format: 'public-vms-csv', text };
  throw unrecognised(source, 'it is neither JSON nor a CSV whose header names provider and instance_type');
}

/** A JSON file may hold one page or an array of pages (one per request); every page must be of the same format. */
function jsonFormat(json: unknown, source: string): Exclude<PriceFileFormat, 'public-vms-csv'> {
  const pages = Array.isArray(json) ? json : [json];
  if (pages.length === 0) throw unrecognised(source, 'it is an empty JSON array');
  const formats = pages.map(pageFormat);
  const first = formats[0];
  if (first === null || first === undefined) throw unrecognised(source, `its ${Array.isArray(json) ? 'first element' : 'top-level value'} has none of the expected fields`);
  const other = formats.findIndex((f) => f !== first);
  if (other >= 0) {
    throw new InvalidInputError(
      `${source} mixes formats: element 1 is ${DESCRIPTIONS[first]}, but element ${other + 1} is ${formats[other] ? DESCRIPTIONS[formats[other]!] : 'none of the known formats'}; import one format per file`,
    );
  }
  return first;
}

function pageFormat(page: unknown): Exclude<PriceFileFormat, 'public-vms-csv'> | null {
  if (typeof page !== 'object' || page === null || Array.isArray(page)) return null;
  const has = (key: string): boolean => key in page;
  const value = (key: string): unknown => (page as Record<string, unknown>)[key];
  if (Array.isArray(value('PriceList'))) return 'aws-price-list';
  if (isRecord(value('products')) && isRecord(value('terms'))) return 'aws-price-list';
  if (Array.isArray(value('Items'))) return 'azure-retail-prices';
  if (Array.isArray(value('skus'))) return 'gcp-billing-catalog';
  if (isRecord(value('items')) || value('kind') === 'compute#machineTypeAggregatedList') return 'gce-machine-types';
  // A flat list: gcloud's machine types (`guestCpus`) or Tessera's own (`vcpus` and `memoryGiB`).
  if (has('name') && (has('guestCpus') || (has('vcpus') && has('memoryGiB')))) return 'gce-machine-types';
  return null;
}

function unrecognised(source: string, why: string): InvalidInputError {
  const known = Object.values(DESCRIPTIONS).map((d) => `  - ${d}`).join('\n');
  return new InvalidInputError(`${source} is not a price file Tessera can import: ${why}. Recognised formats:\n${known}`);
}

function isRecord(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
