import { z } from 'zod';
import { section } from '../../core/config-schema.js';
import { InvalidInputError } from '../../core/errors.js';
import { NAME_PATTERN } from '../../core/ids.js';

/**
 * A private provider's `costModel:` block in tessera.yaml: what a platform team knows about its servers and
 * what running them costs. runtime/config.ts only carries the block (the runtime may not depend on metering);
 * it is validated here, strictly, when the control plane starts, before anything is stored.
 */

const amount = (what: string) => z.number().min(0, `must be 0 or more: ${what}`);

const GpuPart = section({
  count: z.number().int('must be a whole number of GPUs per server').min(1, 'must be at least 1 (leave gpus out for a server without GPUs)'),
  capexUsd: amount('the part of the purchase price that is the GPUs, in USD'),
  powerWatts: amount('the part of the average power draw that is the GPUs, in watts'),
});

const ServerType = section({
  /** Names the server type in the breakdown; default server-1, server-2, … by position. */
  name: z.string().regex(NAME_PATTERN, 'must be lowercase letters, digits and inner hyphens, e.g. "r650"').optional(),
  count: z.number().int('must be a whole number of servers').min(1, 'must be at least 1: the number of servers of this type'),
  vcpus: z.number().int('must be a whole number of hardware threads per server').min(1, 'must be at least 1: hardware threads per server'),
  memoryGiB: z.number().positive('must be greater than 0: memory per server, in GiB'),
  capexUsd: amount('the purchase price of one server, in USD'),
  amortisationYears: z.number().positive('must be greater than 0: the years over which a server is written off (typically 3 to 6)'),
  powerWatts: amount('the average power draw of one server, in watts'),
  /** The part of the server's purchase and power that is its GPUs: charged per GPU-hour rather than per vCPU or GiB. */
  gpus: GpuPart.optional(),
}).superRefine((s, ctx) => {
  if (s.gpus && s.gpus.capexUsd > s.capexUsd) {
    ctx.addIssue({ code: 'custom', path: ['gpus', 'capexUsd'], message: `is more than the whole server's capexUsd (${s.capexUsd}): give the part of the server's price that is the GPUs` });
  }
  if (s.gpus && s.gpus.powerWatts > s.powerWatts) {
    ctx.addIssue({ code: 'custom', path: ['gpus', 'powerWatts'], message: `is more than the whole server's powerWatts (${s.powerWatts}): give the part of the server's draw that is the GPUs` });
  }
});

/** One of two ways to price support; written as one mapping and checked here, so a mistake gets one plain sentence. */
const Support = section({
  usdPerServerYear: amount('support and maintenance per server and year, in USD').optional(),
  percentOfCapexPerYear: z.number().min(0, 'must be between 0 and 100').max(100, 'must be between 0 and 100').optional(),
}).superRefine((s, ctx) => {
  if ((s.usdPerServerYear === undefined) === (s.percentOfCapexPerYear === undefined)) {
    ctx.addIssue({ code: 'custom', message: 'give exactly one of usdPerServerYear (e.g. 900) or percentOfCapexPerYear (e.g. 8)' });
  }
});

const CPU_SHARE = 'cpuShare is the share of a server\'s cost carried by its vCPUs, greater than 0 and less than 1 (e.g. 0.6); memory carries the rest';

/** `public-catalog` (the default) or `{ cpuShare }`; see cpu-memory-split.ts. */
const CpuMemorySplit = z.union(
  [
    z.literal('public-catalog'),
    section({ cpuShare: z.number({ error: CPU_SHARE }).gt(0, CPU_SHARE).lt(1, CPU_SHARE) }),
  ],
  { error: `must be public-catalog (vCPU and GiB weighed by their public list prices) or { cpuShare: 0.6 }` },
);

export const CostModelConfig = section({
  servers: z.array(ServerType).min(1, 'list at least one server type, e.g. [{ count: 20, vcpus: 64, memoryGiB: 512, capexUsd: 18000, amortisationYears: 5, powerWatts: 450 }]'),
  electricityUsdPerKwh: amount('the price of electricity, in USD per kWh'),
  pue: z.number().min(1, 'must be 1 or more: PUE is the facility\'s power over the IT power (typically 1.2 to 1.8)'),
  space: section({
    usdPerRackMonth: amount('the rent of one rack per month, in USD'),
    serversPerRack: z.number().int('must be a whole number').min(1, 'must be at least 1: how many servers one rack holds'),
  }),
  networkUsdPerServerMonth: amount('network cost per server and month, in USD'),
  support: Support,
  people: section({
    usdPerEngineerYear: amount('the yearly cost of one engineer, in USD'),
    serversPerEngineer: z.number().positive('must be greater than 0: how many servers one engineer looks after'),
  }),
  targetUtilisation: z
    .number()
    .gt(0, 'must be greater than 0 and at most 1: the share of capacity you expect to be in use (e.g. 0.7)')
    .max(1, 'must be greater than 0 and at most 1: the share of capacity you expect to be in use (e.g. 0.7)'),
  cpuMemorySplit: CpuMemorySplit.default('public-catalog'),
})
  // Keys in one fixed order, defaults filled in: a version is compared by its JSON, which must not depend on how the YAML was written.
  .transform((c) => ({
    ...c,
    servers: c.servers.map((s, i) => ({
      name: s.name ?? `server-${i + 1}`,
      count: s.count,
      vcpus: s.vcpus,
      memoryGiB: s.memoryGiB,
      capexUsd: s.capexUsd,
      amortisationYears: s.amortisationYears,
      powerWatts: s.powerWatts,
      gpus: s.gpus ? { count: s.gpus.count, capexUsd: s.gpus.capexUsd, powerWatts: s.gpus.powerWatts } : null,
    })),
  }))
  .superRefine((c, ctx) => {
    const first = new Map<string, number>();
    c.servers.forEach((s, i) => {
      const earlier = first.get(s.name);
      if (earlier === undefined) first.set(s.name, i);
      else ctx.addIssue({ code: 'custom', path: ['servers', i, 'name'], message: `"${s.name}" is already the name of servers[${earlier}]: server type names must be unique` });
    });
  });

/** The validated inputs of one provider's cost model, with defaults filled in: what a model version records. */
export type CostModelInputs = z.output<typeof CostModelConfig>;
export type CostModelInput = z.input<typeof CostModelConfig>;
export type ServerTypeInputs = CostModelInputs['servers'][number];

/** Provider types that sell at published list prices (the catalog has them): a cost model would be wrong there. */
const PUBLIC_CLOUD_TYPES = new Set(['aws', 'azure', 'gcp']);

/** A provider as configured, as far as the cost model cares. */
export interface CostModelProvider {
  name: string;
  type: string;
  costModel?: Record<string, unknown>;
}

/** Validates one provider's `costModel:` block; null when it has none. The message names every offending key. */
export function parseCostModel(provider: CostModelProvider): CostModelInputs | null {
  if (provider.costModel === undefined) return null;
  const where = `provider "${provider.name}": costModel`;
  if (PUBLIC_CLOUD_TYPES.has(provider.type)) {
    throw new InvalidInputError(
      `${where} is for private providers: a provider of type ${provider.type} is priced by the cloud's published list prices in the price catalog. Remove the costModel block`,
      { provider: provider.name },
    );
  }
  const result = CostModelConfig.safeParse(provider.costModel, { error: describeIssue });
  if (!result.success) {
    const problems = describeIssues(result.error.issues).map((p) => `  - ${p}`);
    throw new InvalidInputError(`${where} is invalid; nothing was applied:\n${problems.join('\n')}`, { provider: provider.name });
  }
  return result.data;
}

/** Every configured cost model, validated all at once so one start reports every mistake of every provider. */
export function parseCostModels(providers: readonly CostModelProvider[]): Map<string, CostModelInputs> {
  const models = new Map<string, CostModelInputs>();
  const errors: string[] = [];
  for (const p of providers) {
    try {
      const model = parseCostModel(p);
      if (model) models.set(p.name, model);
    } catch (e) {
      if (!(e instanceof InvalidInputError)) throw e;
      errors.push(e.message);
    }
  }
  if (errors.length > 0) throw new InvalidInputError(errors.join('\n'));
  return models;
}

function describeIssues(issues: readonly z.core.$ZodIssue[], prefix: PropertyKey[] = []): string[] {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union') {
      // Report what is wrong inside the alternative the input was shaped like (the mapping), not a bare "invalid input".
      const shaped = issue.errors.filter((branch) => !branch.every((i) => i.path.length === 0 && (i.code === 'invalid_type' || i.code === 'invalid_value')));
      if (shaped.length === 1) return describeIssues(shaped[0]!, path);
    }
    return [`${formatPath(['costModel', ...path])}: ${issue.message}`];
  });
}

/** `costModel.servers[0].gpus.count`, the way the key is written in the file. */
function formatPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}

const EXPECTED: Record<string, string> = { number: 'a number', string: 'text', object: 'a mapping (key: value)', array: 'a list' };

/** zod's own wording for the cases the schema leaves to it, rephrased for someone editing YAML. */
function describeIssue(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code !== 'invalid_type') return undefined;
  const expected = EXPECTED[issue.expected] ?? issue.expected;
  if (issue.input === undefined) return `is required: expected ${expected}`;
  const got = issue.input === null ? 'nothing (null)' : Array.isArray(issue.input) ? 'a list' : typeof issue.input === 'object' ? 'a mapping' : typeof issue.input === 'string' ? `text ("${String(issue.input).slice(0, 20)}")` : String(issue.input);
  return `expected ${expected}, got ${got}`;
}
