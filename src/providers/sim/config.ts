import { z } from 'zod';
import { section, usdPerHour } from '../../core/config-schema.js';
import { InvalidInputError } from '../../core/errors.js';
import { InstanceKindEnum } from '../../core/offer.js';

/**
 * One `sim` provider's block from tessera.yaml. Every field has a default, so `{}` is a working simulated
 * cloud; keys this schema does not know (such as `type`, or rate-limit settings read by the runtime) are ignored.
 */

const UsdAmount = usdPerHour('0.096');

const Probability = z.number().min(0).max(1);


export const SimRegionConfig = z.object({
  name: z.string().min(1),
  zones: z.array(z.string().min(1)).default([]),
  location: z.string().nullable().default(null),
  /** Total vCPUs the region can hold; null means unbounded. Zero is allowed, to test capacity errors. */
  capacityVcpus: z.number().min(0).nullable().default(null),
  /**
   * Probability that a create in this region is refused for capacity or quota, on top of the provider-wide rates:
   * a region that says no while its offers still look available, as a real cloud's does.
   */
  failureRates: z.object({ capacity: Probability.default(0), quota: Probability.default(0) }).optional(),
});
export type SimRegionConfig = z.output<typeof SimRegionConfig>;

export const SimFlavorConfig = z.object({
  name: z.string().min(1),
  vcpus: z.number().positive(),
  memoryGiB: z.number().positive(),
  gpus: z.number().int().min(0).default(0),
  arch: z.string().min(1).default('x86_64'),
  priceUsdPerHour: UsdAmount,
  /** Without it the flavor has no spot market. */
  spotPriceUsdPerHour: UsdAmount.optional(),
});
export type SimFlavorConfig = z.output<typeof SimFlavorConfig>;

/** Flavors, regions and prices of one public cloud, read from Tessera's price catalog (DriverContext.listPrices). */
export const SimCatalogSource = z.object({
  catalog: section({
    /** Which cloud's prices to sell (e.g. `aws`): the catalog's `provider`. */
    provider: z.string().min(1),
  }),
});
export type SimCatalogSource = z.output<typeof SimCatalogSource>;

/** Used when a config names no flavors: a small generic range with a private-cloud price. */
const DEFAULT_FLAVORS: z.input<typeof SimFlavorConfig>[] = [
  { name: 'small', vcpus: 1, memoryGiB: 2, priceUsdPerHour: '0.01' },
  { name: 'medium', vcpus: 2, memoryGiB: 4, priceUsdPerHour: '0.02' },
  { name: 'large', vcpus: 4, memoryGiB: 8, priceUsdPerHour: '0.04' },
];

export const SimConfig = z
  .object({
    /** Omitted: taken from the catalog rows when flavors come from a catalog, else one region `sim-1`. */
    regions: z.array(SimRegionConfig).min(1).optional(),
    flavors: z
      .union([z.array(SimFlavorConfig).min(1), SimCatalogSource], {
        error: 'expected a list of flavors ({name, vcpus, memoryGiB, priceUsdPerHour, ...}) or {catalog: {provider}}',
      })
      .prefault(DEFAULT_FLAVORS),
    kind: InstanceKindEnum.default('vm'),
    images: z.array(z.string().min(1)).min(1).default(['ubuntu-24.04', 'ubuntu-22.04', 'debian-12', 'rocky-9']),
    /** Each call waits a delay drawn uniformly from [min, max] milliseconds. */
    latencyMs: z
      .object({ min: z.number().min(0).default(0), max: z.number().min(0).default(0) })
      .refine((l) => l.min <= l.max, { message: 'latencyMs.min must not exceed latencyMs.max' })
      .prefault({}),
    /** Probability that a mutating call fails with each error class (decided before anything is recorded). */
    failureRates: z
      .object({
        retryable: Probability.default(0),
        capacity: Probability.default(0),
        quota: Probability.default(0),
        invalid: Probability.default(0),
      })
      .prefault({}),
    /** Also inject `failureRates.retryable` into reads (observe, list, offers); throttling applies to reads anyway. */
    failReads: z.boolean().default(false),
    /** Probability that a create is recorded durably but its response is lost (the call throws Retryable). */
    failAfterCreateRate: Probability.default(0),
    /** The simulated provider's own server-side rate limit (a token bucket); null means none. */
    throttle: z
      .object({ requestsPerSecond: z.number().positive(), burst: z.number().int().positive().optional() })
      .transform((t) => ({ requestsPerSecond: t.requestsPerSecond, burst: t.burst ?? Math.max(1, Math.ceil(t.requestsPerSecond)) }))
      .nullable()
      .default(null),
    /** Seconds a machine stays `pending` after create or power-on (and after a reboot). */
    provisionSeconds: z.number().min(0).default(0),
    /** Seconds a machine stays `stopping` after power-off. */
    stopSeconds: z.number().min(0).default(0),
    /** SQLite file holding the simulated machines; default `<dataDir>/sim/<provider name>.db`. */
    stateFile: z.string().min(1).optional(),
    /** Every call fails Retryable: the provider is down. */
    failAll: z.boolean().default(false),
    /** Makes latency and fault injection repeatable. Machine ids stay random so that reopened state never collides. */
    seed: z.number().int().optional(),
  });
export type SimConfig = z.output<typeof SimConfig>;
export type SimConfigInput = z.input<typeof SimConfig>;

/** Validates a provider block, with a message that names the provider and the offending field. */
export function parseSimConfig(providerName: string, raw: unknown): SimConfig {
  const result = SimConfig.safeParse(raw ?? {});
  if (!result.success) {
    const problems = describeIssues(result.error.issues).join('; ');
    throw new InvalidInputError(`sim provider '${providerName}' has an invalid configuration: ${problems}`, {
      provider: providerName,
    });
  }
  return result.data;
}

function describeIssues(issues: z.core.$ZodIssue[], prefix: PropertyKey[] = []): string[] {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union') {
      // Report what is wrong inside the alternative the input was shaped like, rather than a bare "invalid input".
      const branches: z.core.$ZodIssue[][] = issue.errors;
      const shaped = branches.filter((branch) => !branch.every((i) => i.code === 'invalid_type' && i.path.length === 0));
      if (shaped.length === 1) return describeIssues(shaped[0]!, path);
    }
    return [`${path.map(String).join('.') || '(root)'}: ${issue.message}`];
  });
}
