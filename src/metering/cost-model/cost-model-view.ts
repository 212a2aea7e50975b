import { z } from 'zod';
import { InstanceKindEnum } from '../../core/offer.js';
import type { CpuMemorySplit } from './cpu-memory-split.js';
import type { ServerHourBreakdown } from './server-cost.js';
import type { UnitRates } from './unit-rates.js';

/**
 * The cost model as the API shows it and as a model version stores it. Rates are integer nano-dollars per hour,
 * each rounded once (half up) from the exact figure: µ$ would leave a GiB-hour with three significant digits.
 * Flavor prices are integer micro-dollars per hour, like every catalog price.
 */

const NanosPerHour = z.number().int().describe('USD per hour in nano-dollars (1 USD = 10⁹), rounded half up');

export const ServerHourBreakdownView = z
  .object({
    hardware: NanosPerHour.describe('purchase price over the amortisation period'),
    power: NanosPerHour.describe('average draw × PUE × electricity price'),
    space: NanosPerHour.describe("the fleet's whole racks, shared by its servers"),
    network: NanosPerHour,
    support: NanosPerHour,
    people: NanosPerHour.describe("an engineer's yearly cost over the servers each looks after"),
    total: NanosPerHour.describe('the exact sum, rounded once (may differ by 1 n$ from the sum of the rounded parts)'),
  })
  .meta({ id: 'ServerHourBreakdown' });
type ServerHourBreakdownView = z.infer<typeof ServerHourBreakdownView>;

export const ServerTypeRatesView = z.object({
  name: z.string(),
  count: z.number().int(),
  costNanosPerHour: ServerHourBreakdownView.describe("one server's hour, by input"),
  gpuPartNanosPerHour: NanosPerHour.describe("the part of the server's hour its GPUs cause (purchase, power, support)"),
  cpuShare: z.string().describe("of the rest, the share the vCPUs carry (6 decimals; memory carries the rest)"),
  serverHourNanos: NanosPerHour.describe('the price of an hour of the whole server (bare metal): its cost over the target utilisation'),
});

export const CpuMemorySplitView = z.union([
  z.object({ method: z.literal('public-catalog'), vcpuNanosPerHour: z.number().int(), gibNanosPerHour: z.number().int(), pricesFitted: z.number().int() }),
  z.object({ method: z.literal('fixed'), cpuShare: z.number() }),
]);

export const CostModelRates = z
  .object({
    split: CpuMemorySplitView.describe('how a server\'s cost is divided between vCPUs and memory'),
    fleet: z.object({
      servers: z.number().int(),
      racks: z.number().int(),
      vcpus: z.number(),
      memoryGiB: z.number(),
      gpus: z.number().int(),
      costMicrosPerMonth: z.number().int().describe('what the whole fleet costs a month (730 h), used or not'),
    }),
    servers: z.array(ServerTypeRatesView),
    vcpuHourNanos: NanosPerHour,
    gibHourNanos: NanosPerHour,
    gpuHourNanos: NanosPerHour.nullable(),
  })
  .meta({ id: 'CostModelRates' });
export type CostModelRates = z.infer<typeof CostModelRates>;

const amount = z.number();
export const CostModelInputsView = z
  .object({
    servers: z.array(
      z.object({
        name: z.string(),
        count: z.number().int(),
        vcpus: z.number().int(),
        memoryGiB: amount,
        capexUsd: amount,
        amortisationYears: amount,
        powerWatts: amount,
        gpus: z.object({ count: z.number().int(), capexUsd: amount, powerWatts: amount }).nullable(),
      }),
    ),
    electricityUsdPerKwh: amount,
    pue: amount,
    space: z.object({ usdPerRackMonth: amount, serversPerRack: z.number().int() }),
    networkUsdPerServerMonth: amount,
    support: z.object({ usdPerServerYear: amount.optional(), percentOfCapexPerYear: amount.optional() }),
    people: z.object({ usdPerEngineerYear: amount, serversPerEngineer: amount }),
    targetUtilisation: amount,
    cpuMemorySplit: z.union([z.literal('public-catalog'), z.object({ cpuShare: amount })]),
  })
  .meta({ id: 'CostModelInputs' });

export const CostModelVersion = z
  .object({
    provider: z.string(),
    /** ISO 8601, inclusive; the first version of a provider's model has always been in force (1970), as a first catalog price. */
    validFrom: z.string(),
    validTo: z.string().nullable(),
    inputs: CostModelInputsView,
    rates: CostModelRates,
    recordedAt: z.string(),
  })
  .meta({ id: 'CostModelVersion' });
export type CostModelVersion = z.infer<typeof CostModelVersion>;

export const PublicComparison = z
  .object({
    provider: z.string(),
    region: z.string(),
    flavor: z.string(),
    vcpus: z.number(),
    memoryGiB: z.number(),
    priceMicrosPerHour: z.number().int(),
    ratio: z.number().describe('private price over public price, to 3 decimals: 0.4 means the private flavor costs 40% of the public one'),
  })
  .meta({ id: 'PublicComparison' });
export type PublicComparison = z.infer<typeof PublicComparison>;

export const CostModelFlavorPrice = z
  .object({
    region: z.string(),
    flavor: z.string(),
    kind: InstanceKindEnum.nullable().describe('null when the provider no longer offers the flavor'),
    vcpus: z.number(),
    memoryGiB: z.number(),
    gpus: z.number().int(),
    priceMicrosPerHour: z.number().int(),
    validFrom: z.string(),
    cheapestPublic: PublicComparison.nullable().describe('the cheapest on-demand public offer with at least as many vCPUs, GiB and GPUs'),
  })
  .meta({ id: 'CostModelFlavorPrice' });
export type CostModelFlavorPrice = z.infer<typeof CostModelFlavorPrice>;

export const CostModelView = z
  .object({
    provider: z.string(),
    configured: z.boolean().describe('false: no longer in tessera.yaml; its last version and prices stay in force'),
    current: CostModelVersion,
    flavors: z.array(CostModelFlavorPrice).describe("the model's prices in force in the price catalog"),
    versions: z.array(CostModelVersion).describe('every version, oldest first'),
  })
  .meta({ id: 'CostModel' });
export type CostModelView = z.infer<typeof CostModelView>;

export const CostModelApplyOutcome = z
  .object({
    provider: z.string(),
    newVersion: z.boolean().describe('the inputs or the derived rates changed: a new version was opened'),
    version: CostModelVersion,
    catalog: z.object({ added: z.number().int(), changed: z.number().int(), withdrawn: z.number().int(), unchanged: z.number().int() }),
    unpriced: z.array(z.object({ region: z.string(), flavor: z.string(), reason: z.string() })),
    note: z.string().nullable().describe('what was not done and why (e.g. the provider listed no offers)'),
  })
  .meta({ id: 'CostModelApplyOutcome' });
export type CostModelApplyOutcome = z.infer<typeof CostModelApplyOutcome>;

const NANOS = 1_000_000_000n;

function breakdownNanos(b: ServerHourBreakdown): ServerHourBreakdownView {
  const n = (r: ServerHourBreakdown['total']) => Number(r.roundTo(NANOS));
  return { hardware: n(b.hardware), power: n(b.power), space: n(b.space), network: n(b.network), support: n(b.support), people: n(b.people), total: n(b.total) };
}

/** The exact figures as a version records them: each rounded once, here. */
export function ratesView(rates: UnitRates, split: CpuMemorySplit): CostModelRates {
  const nanos = (r: { roundTo(n: bigint): bigint }) => Number(r.roundTo(NANOS));
  return {
    split,
    fleet: {
      servers: Number(rates.fleet.servers),
      racks: Number(rates.fleet.racks),
      vcpus: rates.servers.reduce((n, c) => n + c.server.vcpus * c.server.count, 0),
      memoryGiB: rates.servers.reduce((n, c) => n + c.server.memoryGiB * c.server.count, 0),
      gpus: rates.servers.reduce((n, c) => n + (c.server.gpus?.count ?? 0) * c.server.count, 0),
      costMicrosPerMonth: Number(rates.fleetMonth.roundTo(1_000_000n)),
    },
    servers: rates.servers.map((c) => ({
      name: c.server.name,
      count: c.server.count,
      costNanosPerHour: breakdownNanos(c.breakdown),
      gpuPartNanosPerHour: nanos(c.gpuPart),
      cpuShare: c.cpuShare.toFixed(6),
      serverHourNanos: nanos(c.serverHourPrice),
    })),
    vcpuHourNanos: nanos(rates.vcpuHour),
    gibHourNanos: nanos(rates.gibHour),
    gpuHourNanos: rates.gpuHour === null ? null : nanos(rates.gpuHour),
  };
}
