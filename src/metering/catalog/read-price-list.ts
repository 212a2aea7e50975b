import { InvalidInputError } from '../../core/errors.js';
import type { FlavorShapes, ImportResult } from './imported-price.js';
import { importAwsPriceList } from './importers/aws-price-list.js';
import { importAzureRetailPrices } from './importers/azure-retail-prices.js';
import { detectPriceFile, type PriceFileFormat } from './importers/detect-format.js';
import { readGceMachineTypes, type GceMachineType } from './importers/gce-machine-types.js';
import { importGcpBillingCatalog } from './importers/gcp-billing-catalog.js';
import { importPublicVmsCsv } from './public-vms-csv.js';

export interface PriceListInput {
  /** The file's text: the public-vms CSV or a cloud's published JSON (one page or an array of pages). */
  content: string;
  /** Names the file in messages and in the stored periods. */
  source: string;
  /** For a GCP SKU list: the machine types to price (a machineTypes.aggregatedList answer or a plain list). */
  machineTypes?: string | null;
}

/** What the catalog already knows, for price lists that do not carry flavor sizes. */
export interface KnownFlavors {
  shapes: FlavorShapes;
  /** GCE machine types the catalog has prices for, used when a GCP import brings no machine type list. */
  gceMachineTypes(): GceMachineType[];
}

/** Reads any supported price list into catalog prices; the format is recognised from the content. */
export function readPriceList(input: PriceListInput, known: KnownFlavors): ImportResult & { format: PriceFileFormat } {
  const file = detectPriceFile(input.content, input.source);
  switch (file.format) {
    case 'public-vms-csv':
      return { format: file.format, ...importPublicVmsCsv(file.text, input.source) };
    case 'aws-price-list':
      return { format: file.format, ...importAwsPriceList(file.json) };
    case 'azure-retail-prices':
      return { format: file.format, ...importAzureRetailPrices(file.json, { shapes: known.shapes }) };
    case 'gcp-billing-catalog': {
      const machineTypes = input.machineTypes ? machineTypesOf(input.machineTypes) : known.gceMachineTypes();
      if (machineTypes.length === 0) {
        throw new InvalidInputError(
          `${input.source} prices GCE per vCPU and per GiB, so it needs the machine types to price: give them (--machine-types FILE, a machineTypes.aggregatedList answer) or import a catalog that has GCP machine types first`,
        );
      }
      return { format: file.format, ...importGcpBillingCatalog(file.json, { machineTypes }) };
    }
    case 'gce-machine-types':
      throw new InvalidInputError(
        `${input.source} is a GCE machine type list, which holds no prices: import a Cloud Billing Catalog SKU list and give this file as its --machine-types`,
      );
  }
}

function machineTypesOf(content: string): GceMachineType[] {
  let json: unknown;
  try {
    json = JSON.parse(content) as unknown;
  } catch (e) {
    throw new InvalidInputError(`the machine types file is not JSON: ${(e as Error).message}`);
  }
  return readGceMachineTypes(json);
}
