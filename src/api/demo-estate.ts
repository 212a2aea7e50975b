import type { ProviderConfig } from '../providers/registry.js';

/**
 * The demo's private cloud as a platform team would cost it: `count` two-socket servers (64 threads, 512 GiB,
 * $18,000 over five years, 550 W) with realistic power, space, network, support and people costs.
 */
export function demoCostModel(count: number): Record<string, unknown> {
  return {
    servers: [{ name: 'r650', count, vcpus: 64, memoryGiB: 512, capexUsd: 18_000, amortisationYears: 5, powerWatts: 550 }],
    electricityUsdPerKwh: 0.11,
    pue: 1.5,
    space: { usdPerRackMonth: 1_200, serversPerRack: 8 },
    networkUsdPerServerMonth: 40,
    support: { percentOfCapexPerYear: 8 },
    people: { usdPerEngineerYear: 140_000, serversPerEngineer: 150 },
    targetUtilisation: 0.65,
  };
}

/**
 * What `tessera server` runs with no configuration: four SIMULATED providers, so a fresh clone can create,
 * stop and delete instances at once. `onprem` has a private-cloud cost; the three `*-sim` clouds sell at the
 * real public list prices of the price catalog (seeded from the bundled catalog/public-vms.csv). Every view labels them as simulated.
 */
export function demoEstate(): ProviderConfig[] {
  const cloud = (name: string, provider: string): ProviderConfig => ({
    name,
    type: 'sim',
    rateLimit: { perSecond: 50, burst: 50 },
    config: { flavors: { catalog: { provider } }, latencyMs: { min: 20, max: 120 }, provisionSeconds: 3, stopSeconds: 1 },
  });
  return [
    {
      name: 'onprem',
      type: 'sim',
      rateLimit: { perSecond: 50, burst: 50 },
      config: {
        kind: 'vm',
        regions: [
          { name: 'seoul-dc1', zones: ['rack-a', 'rack-b'], location: 'Seoul, KR', capacityVcpus: 512 },
          { name: 'busan-dc2', zones: ['rack-a'], location: 'Busan, KR', capacityVcpus: 256 },
        ],
        // A private cost per flavor (hardware amortisation, power, space, people), lower than list prices.
        flavors: [
          { name: 'std.2x4', vcpus: 2, memoryGiB: 4, priceUsdPerHour: '0.028' },
          { name: 'std.2x8', vcpus: 2, memoryGiB: 8, priceUsdPerHour: '0.041' },
          { name: 'std.4x16', vcpus: 4, memoryGiB: 16, priceUsdPerHour: '0.082' },
          { name: 'std.8x32', vcpus: 8, memoryGiB: 32, priceUsdPerHour: '0.164' },
          { name: 'mem.4x32', vcpus: 4, memoryGiB: 32, priceUsdPerHour: '0.118' },
        ],
        latencyMs: { min: 5, max: 40 },
        provisionSeconds: 2,
        stopSeconds: 1,
      },
      // What the two sites cost to run: twelve 2-socket servers (768 threads, the regions' capacity) in two racks.
      // Usage is billed at this model's prices (the catalog's onprem prices: tessera cost model show onprem); the
      // flavors' own prices above are what placement compares.
      costModel: demoCostModel(12),
      // Both sites are in Korea: deployments asking for `residency: kr` may use them (public regions get theirs from src/deploy/region-residency.ts).
      placement: { labels: { residency: 'kr' } },
    },
    cloud('aws-sim', 'aws'),
    cloud('gcp-sim', 'gcp'),
    cloud('azure-sim', 'azure'),
  ];
}
