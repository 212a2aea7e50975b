import type { InstanceKind, Offer } from '../../core/offer.js';
import { Ratio } from './exact-ratio.js';
import type { ServerTypeCost, UnitRates } from './unit-rates.js';

const MICROS_PER_USD = 1_000_000n;
/** The catalog keeps prices in a 32-bit column (src/store/migrations/004-price-catalog.ts). */
const MAX_CATALOG_MICROS = 2_147_483_647n;

/** A flavor of the provider with its price under the model: the one rounding of the chain, half up, to µ$. */
export interface PricedFlavor {
  region: string;
  flavor: string;
  kind: InstanceKind;
  vcpus: number;
  memoryGiB: number;
  gpus: number;
  arch: string;
  /** USD per hour, exact. */
  exact: Ratio;
  priceMicrosPerHour: number;
  /** For a bare-metal flavor, the server type it is sold as; null for a VM or container priced by vCPU and GiB. */
  server: string | null;
}

/** A flavor the model cannot price, and why: reported, never silently left out. */
export interface UnpricedFlavor {
  region: string;
  flavor: string;
  reason: string;
}

/**
 * Prices every flavor the provider offers, once per region (a zone does not change what a server costs; only the
 * on-demand market is priced, a private cloud having no other):
 * - a VM or container: vCPUs × vCPU-hour + GiB × GiB-hour (+ GPUs × GPU-hour);
 * - a bare-metal flavor: the server-hour of the smallest server type that meets it (fewest GPUs, then vCPUs,
 *   then memory), the machine the bare-metal pool hands out first.
 */
export function priceFlavors(offers: readonly Offer[], rates: UnitRates): { priced: PricedFlavor[]; unpriced: UnpricedFlavor[] } {
  const priced: PricedFlavor[] = [];
  const unpriced: UnpricedFlavor[] = [];
  const seen = new Set<string>();
  for (const o of offers) {
    const key = `${o.region}/${o.flavor}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const outcome = o.kind === 'baremetal' ? asServer(o, rates) : asVcpusAndMemory(o, rates);
    if ('reason' in outcome) {
      unpriced.push({ region: o.region, flavor: o.flavor, reason: outcome.reason });
      continue;
    }
    const micros = outcome.exact.roundTo(MICROS_PER_USD);
    if (micros > MAX_CATALOG_MICROS) {
      unpriced.push({ region: o.region, flavor: o.flavor, reason: `its price, $${outcome.exact.toFixed(2)}/h, is beyond what the price catalog holds ($2147/h)` });
      continue;
    }
    priced.push({
      region: o.region,
      flavor: o.flavor,
      kind: o.kind,
      vcpus: o.vcpus,
      memoryGiB: o.memoryGiB,
      gpus: o.gpus,
      arch: o.arch,
      exact: outcome.exact,
      priceMicrosPerHour: Number(micros),
      server: outcome.server,
    });
  }
  const order = (a: { region: string; flavor: string }, b: { region: string; flavor: string }) => a.region.localeCompare(b.region) || a.flavor.localeCompare(b.flavor);
  return { priced: priced.sort(order), unpriced: unpriced.sort(order) };
}

type Outcome = { exact: Ratio; server: string | null } | { reason: string };

function asVcpusAndMemory(o: Offer, rates: UnitRates): Outcome {
  let exact = rates.vcpuHour.mul(Ratio.decimal(o.vcpus)).add(rates.gibHour.mul(Ratio.decimal(o.memoryGiB)));
  if (o.gpus > 0) {
    if (rates.gpuHour === null) return { reason: `it has ${o.gpus} GPU(s) and no server of the cost model has any: add gpus to the server type that hosts it` };
    exact = exact.add(rates.gpuHour.mul(o.gpus));
  }
  return { exact, server: null };
}

function asServer(o: Offer, rates: UnitRates): Outcome {
  const fits = rates.servers.filter(({ server: s }) => s.vcpus >= o.vcpus && s.memoryGiB >= o.memoryGiB && (s.gpus?.count ?? 0) >= o.gpus);
  if (fits.length === 0) {
    return { reason: `no server type of the cost model has ${o.vcpus} vCPUs, ${o.memoryGiB} GiB${o.gpus ? ` and ${o.gpus} GPUs` : ''}: add the servers that serve it to costModel.servers` };
  }
  const best = fits.sort(bestFit)[0]!;
  return { exact: best.serverHourPrice, server: best.server.name };
}

function bestFit(a: ServerTypeCost, b: ServerTypeCost): number {
  return (
    (a.server.gpus?.count ?? 0) - (b.server.gpus?.count ?? 0) ||
    a.server.vcpus - b.server.vcpus ||
    a.server.memoryGiB - b.server.memoryGiB ||
    a.server.name.localeCompare(b.server.name)
  );
}
