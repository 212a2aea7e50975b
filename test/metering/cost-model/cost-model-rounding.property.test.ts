import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Offer } from '../../../src/core/offer.js';
import { parseCostModel } from '../../../src/metering/cost-model/cost-model-config.js';
import type { CpuMemorySplit } from '../../../src/metering/cost-model/cpu-memory-split.js';
import { priceFlavors } from '../../../src/metering/cost-model/flavor-prices.js';
import { unitRates } from '../../../src/metering/cost-model/unit-rates.js';

/**
 * The reference: the documented formula over plain BigInt fractions [numerator, denominator], written without the
 * module's Ratio class or any of its code, so the two can disagree.
 */
type F = [bigint, bigint];
const f = (n: bigint, d = 1n): F => [n, d];
const add = (a: F, b: F): F => [a[0] * b[1] + b[0] * a[1], a[1] * b[1]];
const mul = (a: F, b: F): F => [a[0] * b[0], a[1] * b[1]];
const div = (a: F, b: F): F => [a[0] * b[1], a[1] * b[0]];
const total = (xs: F[]): F => xs.reduce(add, f(0n));

/** A decimal drawn as an integer and a scale, so the test knows its exact value and the model reads the same number. */
const decimal = (maxUnits: number, scale: number, min = 0) =>
  fc.integer({ min, max: maxUnits }).map((units) => ({ value: Number((units / 10 ** scale).toFixed(scale)), exact: f(BigInt(units), 10n ** BigInt(scale)) }));
type Decimal = { value: number; exact: F };

const serverArb = fc.record({
  count: fc.integer({ min: 1, max: 60 }),
  vcpus: fc.integer({ min: 1, max: 256 }),
  memoryGiB: decimal(40_960, 1, 1),
  capexUsd: decimal(20_000_000, 2),
  amortisationYears: decimal(100, 1, 5),
  powerWatts: decimal(30_000, 1),
  gpus: fc.option(fc.record({ count: fc.integer({ min: 1, max: 8 }), capexShare: fc.integer({ min: 0, max: 100 }), powerShare: fc.integer({ min: 0, max: 100 }) }), { nil: undefined }),
});

const modelArb = fc.record({
  servers: fc.array(serverArb, { minLength: 1, maxLength: 3 }),
  electricity: decimal(5_000, 4),
  pue: decimal(300, 2, 100),
  rack: decimal(500_000, 2),
  serversPerRack: fc.integer({ min: 1, max: 42 }),
  network: decimal(50_000, 2),
  support: fc.oneof(decimal(500_000, 2).map((d) => ({ flat: d })), decimal(3_000, 2).map((d) => ({ percent: d }))),
  engineer: decimal(50_000_000, 2),
  serversPerEngineer: decimal(5_000, 1, 1),
  utilisation: decimal(100, 2, 1),
  split: fc.oneof(
    decimal(99, 2, 1).map((share): { fixed: Decimal } => ({ fixed: share })),
    fc.record({ vcpu: fc.integer({ min: 1, max: 100_000_000 }), gib: fc.integer({ min: 1, max: 20_000_000 }) }),
  ),
  flavors: fc.array(fc.record({ vcpus: decimal(128, 1, 1), memoryGiB: decimal(2_048, 2, 1), gpus: fc.integer({ min: 0, max: 2 }) }), { minLength: 1, maxLength: 6 }),
});

describe('cost model rounding', () => {
  it('never takes a flavor price more than 1 µ$ from the exact rational (it is the exact price rounded half up)', () => {
    fc.assert(
      fc.property(modelArb, (m) => {
        const servers = m.servers.map((s, i) => ({
          ...s,
          name: `s${i}`,
          // The GPUs' part of a server's price and draw: a whole percentage of it, so it never exceeds the whole.
          gpuCapex: s.gpus ? mul(s.capexUsd.exact, f(BigInt(s.gpus.capexShare), 100n)) : f(0n),
          gpuPower: s.gpus ? mul(s.powerWatts.exact, f(BigInt(s.gpus.powerShare), 100n)) : f(0n),
        }));
        const asNumber = (x: F) => Number(x[0]) / Number(x[1]);
        const inputs = parseCostModel({
          name: 'p',
          type: 'sim',
          costModel: {
            servers: servers.map((s) => ({
              name: s.name,
              count: s.count,
              vcpus: s.vcpus,
              memoryGiB: s.memoryGiB.value,
              capexUsd: s.capexUsd.value,
              amortisationYears: s.amortisationYears.value,
              powerWatts: s.powerWatts.value,
              ...(s.gpus ? { gpus: { count: s.gpus.count, capexUsd: asNumber(s.gpuCapex), powerWatts: asNumber(s.gpuPower) } } : {}),
            })),
            electricityUsdPerKwh: m.electricity.value,
            pue: m.pue.value,
            space: { usdPerRackMonth: m.rack.value, serversPerRack: m.serversPerRack },
            networkUsdPerServerMonth: m.network.value,
            support: 'flat' in m.support ? { usdPerServerYear: m.support.flat.value } : { percentOfCapexPerYear: m.support.percent.value },
            people: { usdPerEngineerYear: m.engineer.value, serversPerEngineer: m.serversPerEngineer.value },
            targetUtilisation: m.utilisation.value,
            cpuMemorySplit: 'fixed' in m.split ? { cpuShare: m.split.fixed.value } : 'public-catalog',
          },
        })!;
        // The GPU parts went through a JS number: read them back the way the model reads them, as the decimal they print as.
        servers.forEach((s, i) => {
          const g = inputs.servers[i]!.gpus;
          if (g) {
            s.gpuCapex = decimalOf(g.capexUsd);
            s.gpuPower = decimalOf(g.powerWatts);
          }
        });
        const split: CpuMemorySplit = 'fixed' in m.split ? { method: 'fixed', cpuShare: m.split.fixed.value } : { method: 'public-catalog', vcpuNanosPerHour: m.split.vcpu, gibNanosPerHour: m.split.gib, pricesFitted: 2 };
        const rates = unitRates(inputs, split);
        const offers: Offer[] = m.flavors.map((fl, i) => ({
          provider: 'p', region: 'r', zone: null, flavor: `f${i}`, vcpus: fl.vcpus.value, memoryGiB: fl.memoryGiB.value, gpus: fl.gpus,
          arch: 'x86_64', kind: 'vm', market: 'on-demand', priceMicrosPerHour: 0, available: null,
        }));
        const { priced, unpriced } = priceFlavors(offers, rates);

        // The reference, step by step from the formula.
        const H = f(8760n);
        const u = m.utilisation.exact;
        const N = BigInt(servers.reduce((n, s) => n + s.count, 0));
        const racks = (N + BigInt(m.serversPerRack) - 1n) / BigInt(m.serversPerRack);
        const kwh = (w: F) => mul(mul(div(w, f(1000n)), m.pue.exact), m.electricity.exact);
        const supportOf = (capex: F, flatApplies: boolean): F =>
          'percent' in m.support ? div(mul(div(m.support.percent.exact, f(100n)), capex), H) : flatApplies ? div(m.support.flat.exact, H) : f(0n);
        let cpuCost = f(0n);
        let memCost = f(0n);
        let gpuCost = f(0n);
        let vcpus = f(0n);
        let gib = f(0n);
        let gpus = 0n;
        for (const s of servers) {
          const years = mul(s.amortisationYears.exact, H);
          const hour = total([
            div(s.capexUsd.exact, years),
            kwh(s.powerWatts.exact),
            div(mul(m.rack.exact, f(racks)), f(N * 730n)),
            div(m.network.exact, f(730n)),
            supportOf(s.capexUsd.exact, true),
            div(m.engineer.exact, mul(m.serversPerEngineer.exact, H)),
          ]);
          const gpuPart = s.gpus ? total([div(s.gpuCapex, years), kwh(s.gpuPower), supportOf(s.gpuCapex, false)]) : f(0n);
          const host = add(hour, mul(gpuPart, f(-1n)));
          const share: F =
            'fixed' in m.split
              ? m.split.fixed.exact
              : div(f(BigInt(m.split.vcpu) * BigInt(s.vcpus)), add(f(BigInt(m.split.vcpu) * BigInt(s.vcpus)), mul(f(BigInt(m.split.gib)), s.memoryGiB.exact)));
          const count = f(BigInt(s.count));
          cpuCost = add(cpuCost, mul(mul(host, share), count));
          memCost = add(memCost, mul(mul(host, add(f(1n), mul(share, f(-1n)))), count));
          gpuCost = add(gpuCost, mul(gpuPart, count));
          vcpus = add(vcpus, f(BigInt(s.vcpus * s.count)));
          gib = add(gib, mul(s.memoryGiB.exact, count));
          gpus += BigInt((s.gpus?.count ?? 0) * s.count);
        }
        const vcpuHour = div(cpuCost, mul(vcpus, u));
        const gibHour = div(memCost, mul(gib, u));
        const gpuHour = gpus === 0n ? null : div(gpuCost, mul(f(gpus), u));

        for (const fl of m.flavors) {
          const i = m.flavors.indexOf(fl);
          const got = priced.find((p) => p.flavor === `f${i}`);
          if (fl.gpus > 0 && gpuHour === null) {
            expect(got).toBeUndefined();
            continue;
          }
          let exact = add(mul(vcpuHour, fl.vcpus.exact), mul(gibHour, fl.memoryGiB.exact));
          if (fl.gpus > 0) exact = add(exact, mul(gpuHour!, f(BigInt(fl.gpus))));
          const [num, den] = exact[1] < 0n ? [-exact[0], -exact[1]] : exact;
          // Absurd inputs (a 0.1-GiB server at 1 % utilisation) price a flavor beyond the catalog's 32-bit µ$ column: said, not stored.
          if (num * 1_000_000n > 2_147_483_647n * den) {
            expect(unpriced.find((p) => p.flavor === `f${i}`)?.reason).toMatch(/beyond what the price catalog holds/);
            continue;
          }
          // |price − exact| in µ$, compared without division: |price × den − num × 10⁶| ≤ den / 2 (half up: at most half a µ$).
          const diff = BigInt(got!.priceMicrosPerHour) * den - num * 1_000_000n;
          expect(diff * 2n <= den && diff * 2n > -den, `f${i}: ${got!.priceMicrosPerHour} µ$ vs ${num}/${den} USD`).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });
});

function decimalOf(value: number): F {
  const [whole, fraction = ''] = String(value).split('.');
  return f(BigInt(`${whole}${fraction}`), 10n ** BigInt(fraction.length));
}
