import { InvalidInputError } from '../../core/errors.js';
import type { CostModelInputs, ServerTypeInputs } from './cost-model-config.js';
import { Ratio } from './exact-ratio.js';

const NANOS_PER_USD = 1_000_000_000n;

/**
 * How a server's cost (less its GPUs' part) is divided between its vCPUs and its memory, as recorded in a model
 * version so that the version can be recomputed exactly:
 * - `public-catalog` (default): in proportion to what the public clouds charge for them. The catalog's list
 *   prices are fitted as price ≈ a·vCPUs + b·GiB (least squares, exact); a server of V vCPUs and M GiB gives its
 *   vCPUs the share a·V / (a·V + b·M). On the bundled catalog a ≈ $0.035 and b ≈ $0.0043 per hour: one vCPU
 *   weighs about as much as 8 GiB, so private and public prices compare like with like.
 * - `fixed`: the share the configuration gives (`cpuMemorySplit: { cpuShare: 0.6 }`), the same for every server.
 */
export type CpuMemorySplit =
  | { method: 'public-catalog'; vcpuNanosPerHour: number; gibNanosPerHour: number; pricesFitted: number }
  | { method: 'fixed'; cpuShare: number };

/** A public list price, as far as the fit needs it. */
export interface PublicPrice {
  vcpus: number;
  memoryGiB: number;
  priceMicrosPerHour: number;
}

/** The split a model's inputs ask for; `publicPrices` is read only when they ask for the catalog's. */
export async function splitFor(inputs: CostModelInputs, publicPrices: () => Promise<PublicPrice[]>): Promise<CpuMemorySplit> {
  if (inputs.cpuMemorySplit !== 'public-catalog') return { method: 'fixed', cpuShare: inputs.cpuMemorySplit.cpuShare };
  const prices = await publicPrices();
  const { vcpu, gib } = fitVcpuAndGibPrices(prices);
  return { method: 'public-catalog', vcpuNanosPerHour: Number(vcpu), gibNanosPerHour: Number(gib), pricesFitted: prices.length };
}

/** The share of server `s`'s (host) cost that its vCPUs carry under `split`. */
export function cpuShareOf(split: CpuMemorySplit, s: ServerTypeInputs): Ratio {
  if (split.method === 'fixed') return Ratio.decimal(split.cpuShare);
  const cpu = Ratio.of(BigInt(split.vcpuNanosPerHour)).mul(s.vcpus);
  const memory = Ratio.of(BigInt(split.gibNanosPerHour)).mul(Ratio.decimal(s.memoryGiB));
  return cpu.div(cpu.add(memory));
}

/**
 * Least squares through the origin, price ≈ a·vCPUs + b·GiB, solved exactly (the normal equations over exact
 * decimals), then a and b rounded once to nano-dollars per hour. Refused, with what to do instead, when the
 * prices cannot tell the two apart (fewer than two shapes, or a fit that makes either one free or negative).
 */
export function fitVcpuAndGibPrices(prices: readonly PublicPrice[]): { vcpu: bigint; gib: bigint } {
  let vv = Ratio.ZERO;
  let vm = Ratio.ZERO;
  let mm = Ratio.ZERO;
  let vp = Ratio.ZERO;
  let mp = Ratio.ZERO;
  for (const p of prices) {
    const v = Ratio.decimal(p.vcpus);
    const m = Ratio.decimal(p.memoryGiB);
    const price = Ratio.of(BigInt(p.priceMicrosPerHour), 1_000_000n);
    vv = vv.add(v.mul(v));
    vm = vm.add(v.mul(m));
    mm = mm.add(m.mul(m));
    vp = vp.add(v.mul(price));
    mp = mp.add(m.mul(price));
  }
  const det = vv.mul(mm).sub(vm.mul(vm));
  const cannot = (why: string) =>
    new InvalidInputError(
      `the public prices in the catalog cannot tell what a vCPU costs from what a GiB of memory costs (${prices.length} on-demand prices without GPUs; ${why}). ` +
        'Set costModel.cpuMemorySplit to { cpuShare: 0.6 } (the share of a server\'s cost its vCPUs carry), or import public price lists first',
    );
  if (det.isZero()) throw cannot('every price has the same vCPU-to-memory ratio');
  const a = vp.mul(mm).sub(mp.mul(vm)).div(det).roundTo(NANOS_PER_USD);
  const b = mp.mul(vv).sub(vp.mul(vm)).div(det).roundTo(NANOS_PER_USD);
  if (a <= 0n || b <= 0n) throw cannot(`the fit gives ${a} n$ per vCPU-hour and ${b} n$ per GiB-hour`);
  return { vcpu: a, gib: b };
}
