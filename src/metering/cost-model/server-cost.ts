import type { CostModelInputs, ServerTypeInputs } from './cost-model-config.js';
import { Ratio, sum } from './exact-ratio.js';

/** A year of 365 days. A month is a twelfth of it (730 h), as cloud bills and `tessera catalog list` count. */
export const HOURS_PER_YEAR = 8760n;
export const HOURS_PER_MONTH = HOURS_PER_YEAR / 12n;

/** What one hour of one server costs, by input: the "where does the money go" a platform team is asked for. */
export interface ServerHourBreakdown {
  /** Purchase price over the amortisation period. */
  hardware: Ratio;
  /** Average draw × PUE × electricity price. */
  power: Ratio;
  /** Whole racks for the fleet (a partly filled rack is paid in full), shared by every server. */
  space: Ratio;
  network: Ratio;
  support: Ratio;
  /** Engineers' yearly cost over the servers each looks after. */
  people: Ratio;
  total: Ratio;
}

/** The fleet as a whole: how many servers, and how many racks they fill. */
export interface Fleet {
  servers: bigint;
  racks: bigint;
}

export function fleetOf(inputs: CostModelInputs): Fleet {
  const servers = inputs.servers.reduce((n, s) => n + BigInt(s.count), 0n);
  const racks = Ratio.of(servers, BigInt(inputs.space.serversPerRack)).ceil();
  return { servers, racks };
}

const d = (value: number) => Ratio.decimal(value);

/** Cost per hour of one server of type `s`, exact, by input. */
export function serverHourCost(inputs: CostModelInputs, s: ServerTypeInputs, fleet: Fleet): ServerHourBreakdown {
  const hardware = hardwareCost(s.capexUsd, s.amortisationYears);
  const power = powerCost(inputs, s.powerWatts);
  const space = d(inputs.space.usdPerRackMonth).mul(fleet.racks).div(fleet.servers * HOURS_PER_MONTH);
  const network = d(inputs.networkUsdPerServerMonth).div(HOURS_PER_MONTH);
  const support = supportCost(inputs, s.capexUsd, true);
  const people = d(inputs.people.usdPerEngineerYear).div(d(inputs.people.serversPerEngineer).mul(HOURS_PER_YEAR));
  return { hardware, power, space, network, support, people, total: sum([hardware, power, space, network, support, people]) };
}

/**
 * The part of a server's hour that its GPUs cause: their share of the purchase, their power and, where support
 * is a share of the purchase price, that share of support. Space, network and people come with the host
 * whatever it holds, so they stay with the vCPUs and memory.
 */
export function gpuHourCost(inputs: CostModelInputs, s: ServerTypeInputs): Ratio {
  if (!s.gpus) return Ratio.ZERO;
  return sum([hardwareCost(s.gpus.capexUsd, s.amortisationYears), powerCost(inputs, s.gpus.powerWatts), supportCost(inputs, s.gpus.capexUsd, false)]);
}

function hardwareCost(capexUsd: number, years: number): Ratio {
  return d(capexUsd).div(d(years).mul(HOURS_PER_YEAR));
}

/** Watts are joules a second: W / 1000 is kWh per hour, and the facility draws PUE times that. */
function powerCost(inputs: CostModelInputs, watts: number): Ratio {
  return d(watts).div(1000n).mul(d(inputs.pue)).mul(d(inputs.electricityUsdPerKwh));
}

function supportCost(inputs: CostModelInputs, capexUsd: number, flatApplies: boolean): Ratio {
  const s = inputs.support;
  if (s.percentOfCapexPerYear !== undefined) return d(s.percentOfCapexPerYear).div(100n).mul(d(capexUsd)).div(HOURS_PER_YEAR);
  return flatApplies ? d(s.usdPerServerYear ?? 0).div(HOURS_PER_YEAR) : Ratio.ZERO;
}
