import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../../src/core/errors.js';
import { importAwsPriceList } from '../../../../src/metering/catalog/importers/aws-price-list.js';
import { importAzureRetailPrices } from '../../../../src/metering/catalog/importers/azure-retail-prices.js';
import { detectPriceFile } from '../../../../src/metering/catalog/importers/detect-format.js';
import { importGcpBillingCatalog } from '../../../../src/metering/catalog/importers/gcp-billing-catalog.js';
import { readGceMachineTypes } from '../../../../src/metering/catalog/importers/gce-machine-types.js';
import { PUBLIC_VMS_CSV, readSampleText, shapesFromPublicVms } from './fixtures.js';

describe('detecting a price file format', () => {
  it.each([
    ['aws-get-products-pages.json', 'aws-price-list'],
    ['aws-offer-file.json', 'aws-price-list'],
    ['azure-retail-prices-pages.json', 'azure-retail-prices'],
    ['gcp-billing-catalog-pages.json', 'gcp-billing-catalog'],
    ['gce-machine-types-aggregated.json', 'gce-machine-types'],
  ])('recognises %s as %s', (file, format) => {
    expect(detectPriceFile(readSampleText(file)).format).toBe(format);
  });

  it('recognises one page as well as an array of pages', () => {
    const [firstPage] = JSON.parse(readSampleText('azure-retail-prices-pages.json')) as unknown[];
    expect(detectPriceFile(JSON.stringify(firstPage)).format).toBe('azure-retail-prices');
  });

  it('recognises the public-vms CSV by its header, also with a byte-order mark and CRLF line ends', () => {
    const csv = readFileSync(PUBLIC_VMS_CSV, 'utf8');
    expect(detectPriceFile(csv)).toEqual({ format: 'public-vms-csv', text: csv });
    expect(detectPriceFile(`\uFEFF${csv.replaceAll('\n', '\r\n')}`).format).toBe('public-vms-csv');
  });

  it('recognises machine type lists: gcloud output and a plain list', () => {
    expect(detectPriceFile(JSON.stringify([{ name: 'n2-standard-2', guestCpus: 2, memoryMb: 8192, zone: 'us-central1-a' }])).format).toBe('gce-machine-types');
    expect(detectPriceFile(JSON.stringify([{ name: 'n2-standard-2', vcpus: 2, memoryGiB: 8 }])).format).toBe('gce-machine-types');
  });

  it('hands back the parsed JSON, which the matching importer reads', () => {
    const aws = detectPriceFile(readSampleText('aws-get-products-pages.json'));
    const azure = detectPriceFile(readSampleText('azure-retail-prices-pages.json'));
    const gcp = detectPriceFile(readSampleText('gcp-billing-catalog-pages.json'));
    const types = detectPriceFile(readSampleText('gce-machine-types-aggregated.json'));
    if (!('json' in aws && 'json' in azure && 'json' in gcp && 'json' in types)) throw new Error('expected JSON formats');
    expect(importAwsPriceList(aws.json).prices.length).toBeGreaterThan(0);
    expect(importAzureRetailPrices(azure.json, { shapes: shapesFromPublicVms() }).prices.length).toBeGreaterThan(0);
    expect(importGcpBillingCatalog(gcp.json, { machineTypes: readGceMachineTypes(types.json) }).prices.length).toBeGreaterThan(0);
  });

  it('says clearly when no format matches, and lists the ones it knows', () => {
    const attempt = (content: string) => () => detectPriceFile(content, 'prices.txt');
    expect(attempt('hello,world\n1,2\n')).toThrow(InvalidInputError);
    expect(attempt('hello,world\n1,2\n')).toThrow(/prices\.txt is not a price file Tessera can import: it is neither JSON nor a CSV .*Recognised formats:\n {2}- the public-vms CSV/s);
    expect(attempt('{"foo": 1}')).toThrow(/its top-level value has none of the expected fields.*Azure Retail Prices/s);
    expect(attempt('[]')).toThrow(/it is an empty JSON array/);
    expect(attempt('{"PriceList": [')).toThrow(/prices\.txt looks like JSON but does not parse/);
  });

  it('refuses a file that mixes formats, naming the element', () => {
    const aws = (JSON.parse(readSampleText('aws-get-products-pages.json')) as unknown[])[0];
    const azure = (JSON.parse(readSampleText('azure-retail-prices-pages.json')) as unknown[])[0];
    expect(() => detectPriceFile(JSON.stringify([aws, azure]), 'mixed.json')).toThrow(
      /mixed\.json mixes formats: element 1 is an AWS Price List .* but element 2 is an Azure Retail Prices API answer/,
    );
  });
});
