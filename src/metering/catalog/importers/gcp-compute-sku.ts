import { z } from 'zod';
import type { Market } from '../../../core/offer.js';
import { googleMoneyToNanos, type Nanos } from './exact-money.js';

/**
 * One Cloud Billing Catalog SKU of Compute Engine read as what GCE prices machines with: a machine family's rate per
 * vCPU-hour ("N2 Instance Core running in Americas") or per GiB-hour ("… Ram …") in some regions, on demand or
 * Spot/preemptible. Custom, sole-tenancy, commitment and premium SKUs price something else and are passed over.
 */

const Money = z.object({
  currencyCode: z.string().optional(),
  units: z.union([z.string(), z.number()]).optional(),
  nanos: z.number().optional(),
});

const PricingInfo = z.object({
  effectiveTime: z.string().optional(),
  pricingExpression: z.object({
    usageUnit: z.string(),
    tieredRates: z.array(z.object({ startUsageAmount: z.number().optional(), unitPrice: Money })).default([]),
  }),
});

export const BillingSku = z.object({
  name: z.string().optional(),
  skuId: z.string().min(1),
  description: z.string(),
  category: z.object({
    serviceDisplayName: z.string().optional(),
    resourceFamily: z.string(),
    resourceGroup: z.string().optional(),
    usageType: z.string(),
  }),
  serviceRegions: z.array(z.string()).default([]),
  pricingInfo: z.array(PricingInfo).default([]),
});
export type BillingSku = z.infer<typeof BillingSku>;

export type ComputeResource = 'core' | 'ram';

export interface ComputeRate {
  family: string;
  resource: ComputeResource;
  market: Market;
  regions: string[];
  /** USD per vCPU-hour (core) or per GiB-hour (ram), in nano-dollars. */
  unitNanos: Nanos;
  effectiveAt: string | null;
}

/** The unit each resource is priced in (`h`: hours of one vCPU; `GiBy.h`: GiB-hours). */
const UNIT_OF: Record<ComputeResource, string> = { core: 'h', ram: 'GiBy.h' };

const MARKET_OF_USAGE: Record<string, Market> = { OnDemand: 'on-demand', Preemptible: 'spot' };

/** Words of SKUs that price something other than a predefined machine type's vCPUs and memory. */
const NOT_PREDEFINED = /\b(custom|sole tenancy|commitment|premium|extended|reserved|licen[cs]e|licensing)\b/i;

/** "N2 Instance Core running in …", "N2D AMD Instance Ram running in …", "N1 Predefined Instance Core running in …". */
const FAMILY_RATE = /^(?<family>[A-Z][A-Z0-9]*)(?: (?:AMD|Arm|Intel|Predefined|Memory-optimized))* Instance (?<resource>Core|Ram) running in /;
/** Families whose SKUs are named by purpose rather than by family. */
const PURPOSE_NAMED_RATES: { pattern: RegExp; family: string }[] = [
  { pattern: /^Compute optimized (?<resource>Core|Ram) running in /, family: 'c2' },
  { pattern: /^Memory-optimized Instance (?<resource>Core|Ram) running in /, family: 'm1' },
];

/** The rate a SKU gives, or why it gives none Tessera uses. */
export function classifyComputeSku(sku: BillingSku): ComputeRate | { skip: string } {
  const { category } = sku;
  if (category.serviceDisplayName !== undefined && category.serviceDisplayName !== 'Compute Engine') {
    return { skip: `service "${category.serviceDisplayName}" is not Compute Engine` };
  }
  if (category.resourceFamily !== 'Compute') return { skip: `resourceFamily "${category.resourceFamily}" is not Compute` };
  const market = MARKET_OF_USAGE[category.usageType];
  if (!market) return { skip: `usageType "${category.usageType}": only on-demand and Spot/preemptible list prices are imported, not commitments` };
  if (NOT_PREDEFINED.test(sku.description)) {
    return { skip: 'a custom, sole-tenancy, commitment or premium SKU: not the rate of a predefined machine type' };
  }
  const named = familyAndResource(sku.description.replace(/^(Spot )?Preemptible /, ''));
  if (!named) return { skip: "not a machine family's vCPU or RAM rate (GPUs, licences and the like are not imported)" };
  if (sku.serviceRegions.length === 0) return { skip: 'no serviceRegions: the SKU says nowhere it applies' };

  // With a time range the API returns the price history; the newest entry is the price in force.
  const pricing = [...sku.pricingInfo].sort((a, b) => timeOf(b.effectiveTime) - timeOf(a.effectiveTime))[0];
  if (!pricing) return { skip: 'no pricingInfo' };
  if (pricing.effectiveTime !== undefined && Number.isNaN(Date.parse(pricing.effectiveTime))) {
    return { skip: `effectiveTime "${pricing.effectiveTime}" is not a date` };
  }
  const expression = pricing.pricingExpression;
  if (expression.usageUnit !== UNIT_OF[named.resource]) {
    return { skip: `usageUnit "${expression.usageUnit}" is not "${UNIT_OF[named.resource]}", the unit of a ${named.resource} rate` };
  }
  const tier = expression.tieredRates.find((t) => (t.startUsageAmount ?? 0) === 0);
  if (!tier) return { skip: 'no tier starting at usage 0' };
  if (tier.unitPrice.currencyCode !== 'USD') return { skip: `priced in ${tier.unitPrice.currencyCode ?? 'no currency'}, not USD` };
  let unitNanos: Nanos;
  try {
    unitNanos = googleMoneyToNanos(tier.unitPrice.units, tier.unitPrice.nanos);
  } catch (e) {
    return { skip: `unitPrice is not a valid amount: ${(e as Error).message}` };
  }
  if (unitNanos <= 0n) return { skip: `unitPrice ${unitNanos} nano-USD is not a positive price` };

  return { ...named, market, regions: sku.serviceRegions, unitNanos, effectiveAt: pricing.effectiveTime ?? null };
}

function familyAndResource(description: string): { family: string; resource: ComputeResource } | null {
  const generic = FAMILY_RATE.exec(description);
  if (generic?.groups) return { family: generic.groups.family!.toLowerCase(), resource: resourceOf(generic.groups.resource!) };
  for (const { pattern, family } of PURPOSE_NAMED_RATES) {
    const m = pattern.exec(description);
    if (m?.groups) return { family, resource: resourceOf(m.groups.resource!) };
  }
  return null;
}

function resourceOf(word: string): ComputeResource {
  return word === 'Core' ? 'core' : 'ram';
}

function timeOf(iso: string | undefined): number {
  const t = iso === undefined ? Number.NaN : Date.parse(iso);
  return Number.isNaN(t) ? Number.NEGATIVE_INFINITY : t;
}
