import type { CostModelInput } from '../../../src/metering/cost-model/cost-model-config.js';

/**
 * Ten servers, numbers chosen so every step can be followed by hand:
 *   hardware  17,520 USD / (4 years × 8,760 h)                 = 0.50  USD/h
 *   power     500 W = 0.5 kWh/h × PUE 1.5 × 0.12 USD/kWh        = 0.09
 *   space     ceil(10 / 8) = 2 racks × 1,460 USD / (10 × 730 h) = 0.40
 *   network   73 USD / 730 h                                    = 0.10
 *   support   10 % × 17,520 USD / 8,760 h                       = 0.20
 *   people    175,200 USD / (100 servers × 8,760 h)             = 0.20
 *   one server-hour                                             = 1.49
 */
export const HAND_EXAMPLE: CostModelInput = {
  servers: [{ name: 'r650', count: 10, vcpus: 64, memoryGiB: 256, capexUsd: 17_520, amortisationYears: 4, powerWatts: 500 }],
  electricityUsdPerKwh: 0.12,
  pue: 1.5,
  space: { usdPerRackMonth: 1_460, serversPerRack: 8 },
  networkUsdPerServerMonth: 73,
  support: { percentOfCapexPerYear: 10 },
  people: { usdPerEngineerYear: 175_200, serversPerEngineer: 100 },
  targetUtilisation: 0.75,
  cpuMemorySplit: { cpuShare: 0.6 },
};
