import type { Micros } from '../core/money.js';
import type { Offer } from '../core/offer.js';
import type { PlacementOffer } from './placement/index.js';
import { residencyOf } from './region-residency.js';

/**
 * What the deploy plane needs from the rest of Tessera to place replicas, as functions the composition root
 * supplies: the catalog (compute), whose prices a provider sells at and the price-performance (metering), and
 * the operators' placement labels (configuration). Deploy reaches no other plane's tables.
 */
export interface PlacementSources {
  /** Every configured provider's offers (cached by the compute plane). */
  offers(): Promise<Offer[]>;
  /** Image names a provider has, or null when it cannot say (then any image may be asked for). */
  imageNames(provider: string): Promise<string[] | null>;
  /** Whether a provider is one of the public clouds (or a simulation of one), and which: `aws`, `azure`, `gcp`; null for private. */
  publicCloudOf(provider: string): string | null;
  /** Labels the operator gave a provider and its regions in tessera.yaml (`placement.labels`, `placement.regions`). */
  configuredLabels(provider: string, region: string): Record<string, string>;
  /** µ$ per unit of work by `provider/region/flavor`, measured for the project's work unit (missing: unmeasured). */
  priceperf(project: string, workUnit: string): Promise<Map<string, Micros>>;
}

export function priceperfKey(provider: string, region: string, flavor: string): string {
  return `${provider}/${region}/${flavor}`;
}

/**
 * The catalog as the optimiser sees it for one deployment: each offer with its provider kind, its placement labels
 * (residency from the region, then the operator's), the price-performance when the objective needs it, and — when
 * the provider lacks the template's image — why it cannot be used.
 */
export async function placementOffers(
  sources: PlacementSources,
  want: { project: string; image: string; workUnit?: string },
): Promise<PlacementOffer[]> {
  const offers = await sources.offers();
  const providers = [...new Set(offers.map((o) => o.provider))];
  const images = new Map(await Promise.all(providers.map(async (p) => [p, await sources.imageNames(p)] as const)));
  const perf = want.workUnit ? await sources.priceperf(want.project, want.workUnit) : null;
  return offers.map((o) => {
    const cloud = sources.publicCloudOf(o.provider);
    const residency = cloud ? residencyOf(cloud, o.region) : null;
    const labels = { ...(residency ? { residency } : {}), ...sources.configuredLabels(o.provider, o.region) };
    const has = images.get(o.provider);
    const placed: PlacementOffer = { ...o, providerKind: cloud ? 'public' : 'private', labels };
    if (perf) placed.priceperfMicrosPerUnit = perf.get(priceperfKey(o.provider, o.region, o.flavor)) ?? null;
    if (has && !has.includes(want.image)) placed.unusableReason = `no image ${want.image}`;
    return placed;
  });
}
