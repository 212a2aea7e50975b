import type { CostModelInputs, ServerTypeInputs } from './cost-model-config.js';
import { cpuShareOf, type CpuMemorySplit } from './cpu-memory-split.js';
import { Ratio, sum } from './exact-ratio.js';
import { fleetOf, gpuHourCost, HOURS_PER_MONTH, serverHourCost, type Fleet, type ServerHourBreakdown } from './server-cost.js';

/** One server type's figures: its hour by input, what its GPUs cause, and its price as a whole bare-metal server. */
export interface ServerTypeCost {
  server: ServerTypeInputs;
  breakdown: ServerHourBreakdown;
  /** The part of `breakdown.total` caused by the GPUs (zero without). */
  gpuPart: Ratio;
  /** Of the rest, the share the vCPUs carry. */
  cpuShare: Ratio;
  /** What an hour of the whole server is sold for: its cost over the target utilisation. */
  serverHourPrice: Ratio;
}

/** A model worked out exactly: nothing here is rounded. */
export interface UnitRates {
  fleet: Fleet;
  servers: ServerTypeCost[];
  vcpuHour: Ratio;
  gibHour: Ratio;
  /** Null when no server has GPUs. */
  gpuHour: Ratio | null;
  /** What the whole fleet costs a month, whether used or not. */
  fleetMonth: Ratio;
}

/**
 * The unit prices of a private cloud. Every unit of capacity costs the same whether it is used or not, so the
 * units that are sold carry the idle ones: each rate is the fleet's cost of that resource divided by the
 * capacity expected to be in use (capacity × targetUtilisation).
 *
 *   vCPU-hour = Σ count × cpuShare × (server-hour − GPU part) / (u × Σ count × vCPUs)
 *   GiB-hour  = Σ count × (1 − cpuShare) × (server-hour − GPU part) / (u × Σ count × GiB)
 *   GPU-hour  = Σ count × GPU part / (u × Σ count × GPUs)
 *   bare-metal server-hour = server-hour / u
 */
export function unitRates(inputs: CostModelInputs, split: CpuMemorySplit): UnitRates {
  const fleet = fleetOf(inputs);
  const u = Ratio.decimal(inputs.targetUtilisation);
  const servers = inputs.servers.map((server): ServerTypeCost => {
    const breakdown = serverHourCost(inputs, server, fleet);
    return { server, breakdown, gpuPart: gpuHourCost(inputs, server), cpuShare: cpuShareOf(split, server), serverHourPrice: breakdown.total.div(u) };
  });
  const host = (c: ServerTypeCost) => c.breakdown.total.sub(c.gpuPart).mul(c.server.count);
  const vcpus = sum(servers.map((c) => Ratio.of(BigInt(c.server.vcpus) * BigInt(c.server.count))));
  const gib = sum(servers.map((c) => Ratio.decimal(c.server.memoryGiB).mul(c.server.count)));
  const gpus = servers.reduce((n, c) => n + BigInt((c.server.gpus?.count ?? 0) * c.server.count), 0n);
  return {
    fleet,
    servers,
    vcpuHour: sum(servers.map((c) => host(c).mul(c.cpuShare))).div(vcpus.mul(u)),
    gibHour: sum(servers.map((c) => host(c).mul(Ratio.ONE.sub(c.cpuShare)))).div(gib.mul(u)),
    gpuHour: gpus === 0n ? null : sum(servers.map((c) => c.gpuPart.mul(c.server.count))).div(u.mul(gpus)),
    fleetMonth: sum(servers.map((c) => c.breakdown.total.mul(c.server.count))).mul(HOURS_PER_MONTH),
  };
}
