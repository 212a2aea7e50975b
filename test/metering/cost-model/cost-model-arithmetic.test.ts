import { describe, expect, it } from 'vitest';
import type { Offer } from '../../../src/core/offer.js';
import { parseCostModel, type CostModelInput } from '../../../src/metering/cost-model/cost-model-config.js';
import { ratesView } from '../../../src/metering/cost-model/cost-model-view.js';
import { fitVcpuAndGibPrices, splitFor } from '../../../src/metering/cost-model/cpu-memory-split.js';
import { priceFlavors } from '../../../src/metering/cost-model/flavor-prices.js';
import { unitRates } from '../../../src/metering/cost-model/unit-rates.js';
import { HAND_EXAMPLE } from './hand-example.js';

const model = (costModel: CostModelInput) => parseCostModel({ name: 'dc', type: 'sim', costModel: costModel as Record<string, unknown> })!;

const offer = (flavor: string, vcpus: number, memoryGiB: number, over: Partial<Offer> = {}): Offer => ({
  provider: 'dc',
  region: 'r1',
  zone: null,
  flavor,
  vcpus,
  memoryGiB,
  gpus: 0,
  arch: 'x86_64',
  kind: 'vm',
  market: 'on-demand',
  priceMicrosPerHour: 1,
  available: null,
  ...over,
});


describe('cost model arithmetic', () => {
  it('works a hand-computed example out exactly: the server-hour by input, the unit rates and the flavor prices', async () => {
    const inputs = model(HAND_EXAMPLE);
    const split = await splitFor(inputs, () => Promise.reject(new Error('a fixed share reads no public prices')));
    const rates = unitRates(inputs, split);
    const view = ratesView(rates, split);

    expect(view.servers[0]!.costNanosPerHour).toEqual({
      hardware: 500_000_000,
      power: 90_000_000,
      space: 400_000_000,
      network: 100_000_000,
      support: 200_000_000,
      people: 200_000_000,
      total: 1_490_000_000,
    });
    // vCPU-hour = 10 × 0.6 × 1.49 / (0.75 × 10 × 64) = 8.94 / 480      = 0.018625 exactly
    expect(rates.vcpuHour.toString()).toBe('149/8000');
    expect(view.vcpuHourNanos).toBe(18_625_000);
    // GiB-hour  = 10 × 0.4 × 1.49 / (0.75 × 10 × 256) = 5.96 / 1920    = 0.0031041666…
    expect(rates.gibHour.toString()).toBe('149/48000');
    expect(view.gibHourNanos).toBe(3_104_167);
    // server-hour (bare metal) = 1.49 / 0.75                            = 1.98666…
    expect(view.servers[0]!.serverHourNanos).toBe(1_986_666_667);
    // The fleet: 10 × 1.49 × 730 h                                     = 10,877 USD a month
    expect(view.fleet).toEqual({ servers: 10, racks: 2, vcpus: 640, memoryGiB: 2560, gpus: 0, costMicrosPerMonth: 10_877_000_000 });

    const { priced, unpriced } = priceFlavors([offer('std.2x8', 2, 8), offer('std.4x16', 4, 16), offer('std.2x8', 2, 8, { zone: 'r1b', market: 'spot' })], rates);
    expect(unpriced).toEqual([]);
    // std.2x8  = 2 × 0.018625 + 8 × 0.0031041666… = 0.03725 + 0.0248333… = 0.0620833… → 62,083 µ$ (one rounding, half up)
    // std.4x16 = 4 × 0.018625 + 16 × 0.0031041666… = 0.0745 + 0.0496666… = 0.1241666… → 124,167 µ$
    expect(priced.map((f) => [f.region, f.flavor, f.exact.toString(), f.priceMicrosPerHour])).toEqual([
      ['r1', 'std.2x8', '149/2400', 62_083],
      ['r1', 'std.4x16', '149/1200', 124_167],
    ]);
  });

  it('gives GPUs their own hourly rate, prices bare metal by the server that fits, and says what it cannot price', async () => {
    // cpu: hardware 8,760/(2 × 8,760) = 0.5; power 0.4 kW × 1.25 × 0.10 = 0.05; total 0.5 + 0.05 + 0.25 + 0.05 + 0.1 + 0.2 = 1.15
    // gpu: hardware 43,800/(5 × 8,760) = 1.0; power 2.0 kW × 1.25 × 0.10 = 0.25; total 1.0 + 0.25 + 0.25 + 0.05 + 0.1 + 0.2 = 1.85
    //      of which GPUs: 21,900/(5 × 8,760) = 0.5 + 1.0 kW × 1.25 × 0.10 = 0.125 (+ no support: it is per server) = 0.625
    // space: ceil(8 / 5) = 2 racks × 730 / (8 × 730) = 0.25; network 36.5/730 = 0.05; support 876/8760 = 0.1; people 87,600/(50 × 8,760) = 0.2
    const inputs = model({
      servers: [
        { name: 'cpu', count: 6, vcpus: 32, memoryGiB: 128, capexUsd: 8_760, amortisationYears: 2, powerWatts: 400 },
        { name: 'gpu', count: 2, vcpus: 64, memoryGiB: 512, capexUsd: 43_800, amortisationYears: 5, powerWatts: 2_000, gpus: { count: 4, capexUsd: 21_900, powerWatts: 1_000 } },
      ],
      electricityUsdPerKwh: 0.1,
      pue: 1.25,
      space: { usdPerRackMonth: 730, serversPerRack: 5 },
      networkUsdPerServerMonth: 36.5,
      support: { usdPerServerYear: 876 },
      people: { usdPerEngineerYear: 87_600, serversPerEngineer: 50 },
      targetUtilisation: 0.5,
      cpuMemorySplit: { cpuShare: 0.5 },
    });
    const split = await splitFor(inputs, () => Promise.resolve([]));
    const rates = unitRates(inputs, split);
    const view = ratesView(rates, split);
    expect(view.servers.map((s) => [s.name, s.costNanosPerHour.total, s.gpuPartNanosPerHour, s.serverHourNanos])).toEqual([
      ['cpu', 1_150_000_000, 0, 2_300_000_000],
      ['gpu', 1_850_000_000, 625_000_000, 3_700_000_000],
    ]);
    // vCPU-hour = (6 × 0.5 × 1.15 + 2 × 0.5 × (1.85 − 0.625)) / (0.5 × (6 × 32 + 2 × 64)) = 4.675 / 160 = 0.02921875
    expect(rates.vcpuHour.toString()).toBe('187/6400');
    // GiB-hour  = 4.675 / (0.5 × (6 × 128 + 2 × 512)) = 4.675 / 896
    expect(rates.gibHour.toString()).toBe('187/35840');
    // GPU-hour  = 2 × 0.625 / (0.5 × 8 GPUs) = 0.3125
    expect(rates.gpuHour?.toString()).toBe('5/16');

    const { priced, unpriced } = priceFlavors(
      [
        offer('g1.8x32', 8, 32, { gpus: 1 }),
        offer('bm.small', 16, 64, { kind: 'baremetal' }),
        offer('bm.gpu', 32, 256, { kind: 'baremetal', gpus: 2 }),
        offer('bm.huge', 128, 1024, { kind: 'baremetal' }),
      ],
      rates,
    );
    // g1.8x32 = 8 × 0.02921875 + 32 × 4.675/896 + 1 × 0.3125 = 0.23375 + 0.1669642857… + 0.3125 = 0.7132142857… → 713,214 µ$
    expect(priced.map((f) => [f.flavor, f.priceMicrosPerHour, f.server])).toEqual([
      ['bm.gpu', 3_700_000, 'gpu'],
      ['bm.small', 2_300_000, 'cpu'],
      ['g1.8x32', 713_214, null],
    ]);
    expect(unpriced).toEqual([{ region: 'r1', flavor: 'bm.huge', reason: expect.stringMatching(/no server type of the cost model has 128 vCPUs, 1024 GiB/) }]);

    const noGpus = unitRates(model({ ...HAND_EXAMPLE }), { method: 'fixed', cpuShare: 0.6 });
    expect(priceFlavors([offer('g1', 8, 32, { gpus: 1 })], noGpus).unpriced[0]!.reason).toMatch(/1 GPU\(s\) and no server of the cost model has any/);
  });

  it('weighs vCPUs against memory by public list prices: an exact least-squares fit, rounded once to n$', async () => {
    // 2a + 4b = 0.10 and 2a + 16b = 0.16 → b = 0.005, a = 0.04 (two shapes: the fit is exact).
    const prices = [
      { vcpus: 2, memoryGiB: 4, priceMicrosPerHour: 100_000 },
      { vcpus: 2, memoryGiB: 16, priceMicrosPerHour: 160_000 },
    ];
    expect(fitVcpuAndGibPrices(prices)).toEqual({ vcpu: 40_000_000n, gib: 5_000_000n });
    const inputs = model({ ...HAND_EXAMPLE, cpuMemorySplit: 'public-catalog' });
    const split = await splitFor(inputs, () => Promise.resolve(prices));
    expect(split).toEqual({ method: 'public-catalog', vcpuNanosPerHour: 40_000_000, gibNanosPerHour: 5_000_000, pricesFitted: 2 });
    // A 64-vCPU, 256-GiB server: vCPUs weigh 64 × 0.04 = 2.56, memory 256 × 0.005 = 1.28 → the vCPUs carry 2/3.
    const rates = unitRates(inputs, split);
    expect(rates.servers[0]!.cpuShare.toString()).toBe('2/3');
    // vCPU-hour = 10 × 2/3 × 1.49 / (0.75 × 640) = 149/7200
    expect(rates.vcpuHour.toString()).toBe('149/7200');

    expect(() => fitVcpuAndGibPrices([{ vcpus: 2, memoryGiB: 4, priceMicrosPerHour: 1 }, { vcpus: 4, memoryGiB: 8, priceMicrosPerHour: 2 }])).toThrow(
      /cannot tell what a vCPU costs from what a GiB of memory costs \(2 on-demand prices without GPUs; every price has the same vCPU-to-memory ratio\)\. Set costModel\.cpuMemorySplit to \{ cpuShare: 0\.6 \}/,
    );
    // More memory is cheaper here: the fit makes a GiB's price negative, which no split can use.
    expect(() => fitVcpuAndGibPrices([{ vcpus: 2, memoryGiB: 4, priceMicrosPerHour: 200_000 }, { vcpus: 2, memoryGiB: 16, priceMicrosPerHour: 100_000 }])).toThrow(/the fit gives .* n\$ per GiB-hour/);
    expect(() => fitVcpuAndGibPrices([])).toThrow(/0 on-demand prices/);
  });
});
