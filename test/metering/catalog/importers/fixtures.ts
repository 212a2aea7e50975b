import { readFileSync } from 'node:fs';
import type { FlavorShapes } from '../../../../src/metering/catalog/imported-price.js';

/** A sample file of samples/ as parsed JSON. */
export function loadSample(name: string): unknown {
  return JSON.parse(readSampleText(name)) as unknown;
}

export function readSampleText(name: string): string {
  return readFileSync(new URL(`./samples/${name}`, import.meta.url), 'utf8');
}

export const PUBLIC_VMS_CSV = new URL('../../../../catalog/public-vms.csv', import.meta.url);

export interface PublicVmsRow {
  provider: string;
  flavor: string;
  vcpus: number;
  memoryGiB: number;
  region: string;
  /** Micro-dollars, read from the CSV text without float arithmetic. */
  price: number;
  spot: number | null;
}

/** The rows of catalog/public-vms.csv, read independently of the code under test to cross-check it. */
export function publicVmsRows(): PublicVmsRow[] {
  const [header, ...lines] = readFileSync(PUBLIC_VMS_CSV, 'utf8').trim().split('\n');
  const columns = header!.split(',');
  return lines.map((line) => {
    const cells = Object.fromEntries(line.split(',').map((value, i) => [columns[i], value]));
    return {
      provider: cells.provider!,
      flavor: cells.instance_type!,
      vcpus: Number(cells.vcpus),
      memoryGiB: Number(cells.memory_gib),
      region: cells.region!,
      price: microsOf(cells.price_usd_hour!),
      spot: cells.spot_price_usd_hour ? microsOf(cells.spot_price_usd_hour) : null,
    };
  });
}

export function csvRow(provider: string, flavor: string, region: string): PublicVmsRow {
  const row = publicVmsRows().find((r) => r.provider === provider && r.flavor === flavor && r.region === region);
  if (!row) throw new Error(`public-vms.csv has no ${provider} ${flavor} in ${region}`);
  return row;
}

/** Flavor sizes as the catalog would know them after importing public-vms.csv. */
export function shapesFromPublicVms(): FlavorShapes {
  const rows = publicVmsRows();
  return (provider, flavor) => {
    const row = rows.find((r) => r.provider === provider && r.flavor === flavor);
    return row ? { vcpus: row.vcpus, memoryGiB: row.memoryGiB, gpus: 0, arch: 'x86_64' } : undefined;
  };
}

/** "0.0384" → 38400, by string shifting: the CSV's prices have at most six decimals. */
function microsOf(usd: string): number {
  const [whole, fraction = ''] = usd.split('.');
  if (fraction.length > 6) throw new Error(`${usd} has more than six decimals`);
  return Number(whole) * 1_000_000 + Number(fraction.padEnd(6, '0'));
}
