import { offerKey } from './offer-name.js';
import type { PlacementConstraints, PlacementOffer, PlacementRequest, RejectionReason, Shape } from './problem.js';

/** An offer that passed every per-offer constraint, with what the solvers need of it precomputed. */
export interface EligibleOffer {
  offer: PlacementOffer;
  provider: string;
  price: number;
  /** The objective's coefficient for one replica: the price, or the priceperf figure. */
  unit: number;
  /** At most this many replicas here: the offer's availability, never above the replicas asked for. */
  capacity: number;
  isPrivate: boolean;
  /** Replicas of the deployment already running on this offer (PlacementRequest.current). */
  current: number;
}

export interface RejectedOffer {
  offer: PlacementOffer;
  reason: RejectionReason;
}

export interface FilteredOffers {
  eligible: EligibleOffer[];
  /** Every offer filtered out, with the first constraint (in the order checked) that rejected it. */
  rejected: RejectedOffer[];
}

/** Splits offers into those a replica could go to and those a hard constraint rules out, with the reason. */
export function filterOffers(request: PlacementRequest, offers: readonly PlacementOffer[]): FilteredOffers {
  const c = request.constraints ?? {};
  const eligible: EligibleOffer[] = [];
  const rejected: RejectedOffer[] = [];
  for (const offer of offers) {
    const reason = rejectionOf(offer, request, c);
    if (reason !== null) {
      rejected.push({ offer, reason });
      continue;
    }
    const current = request.current?.get(offerKey(offer)) ?? 0;
    eligible.push({
      offer,
      provider: offer.provider,
      price: offer.priceMicrosPerHour,
      unit: request.objective === 'priceperf' ? offer.priceperfMicrosPerUnit! : offer.priceMicrosPerHour,
      capacity: avoidance(c, offer) ? Math.min(current, request.replicas) : Math.min(offer.available === null ? request.replicas : offer.available + current, request.replicas),
      isPrivate: offer.providerKind === 'private',
      current,
    });
  }
  return { eligible, rejected };
}

function avoidance(c: PlacementConstraints, offer: PlacementOffer): { reason: string } | undefined {
  return c.avoid?.find((a) => a.provider === offer.provider && a.region === offer.region && (a.flavor === undefined || a.flavor === offer.flavor));
}

/** vCPUs first, then memory: memory stays far below 10⁶ GiB, so one coefficient orders both. */
export function sizeOf(e: EligibleOffer): number {
  return e.offer.vcpus * 1_000_000 + e.offer.memoryGiB;
}

/** The group `spread` evens out that an offer belongs to: its provider, or its provider's region. */
export function spreadGroupOf(request: PlacementRequest, e: { provider: string; offer: PlacementOffer }): string {
  return request.spreadBy === 'region' ? `${e.provider}/${e.offer.region}` : e.provider;
}

/** Per-provider replica limit from quota and maxPerProvider; Infinity when neither limits it. */
export function providerLimit(constraints: PlacementConstraints | undefined, provider: string): number {
  const quota = constraints?.quota?.[provider] ?? Infinity;
  return Math.min(quota, constraints?.maxPerProvider ?? Infinity);
}

function rejectionOf(offer: PlacementOffer, request: PlacementRequest, c: PlacementConstraints): RejectionReason | null {
  if (offer.unusableReason !== undefined) return offer.unusableReason;
  if (c.deniedProviders?.includes(offer.provider)) return 'denied provider';
  if (c.allowedProviders && !c.allowedProviders.includes(offer.provider)) return 'provider not allowed';
  if (c.deniedRegions?.includes(offer.region)) return 'denied region';
  const avoided = avoidance(c, offer);
  // A region that refused a new replica keeps the ones it already runs (see `capacity` above), but takes no more.
  if (avoided && !request.current?.get(offerKey(offer))) return avoided.reason;
  if (c.allowedRegions && !c.allowedRegions.includes(offer.region)) return 'region not allowed';
  if (c.allowedKinds && !c.allowedKinds.includes(offer.kind)) return `kind ${offer.kind} not allowed`;
  for (const [key, value] of Object.entries(c.requiredLabels ?? {})) {
    if (offer.labels?.[key] !== value) return `${key}≠${value}`;
  }
  if (offer.market === 'spot' && c.spot !== true) return 'spot not allowed';
  const shapeMiss = shapeMismatch(offer, request.shape);
  if (shapeMiss !== null) return shapeMiss;
  if (request.objective === 'priceperf' && (offer.priceperfMicrosPerUnit === null || offer.priceperfMicrosPerUnit === undefined)) {
    return 'priceperf unmeasured';
  }
  if (c.quota?.[offer.provider] === 0) return `quota ${offer.provider}=0`;
  if (offer.available !== null && offer.available <= 0 && !request.current?.get(offerKey(offer))) return 'no capacity';
  // One replica here would already break the budget, so no placement can use this offer.
  if (c.maxHourlyMicros !== undefined && offer.priceMicrosPerHour > c.maxHourlyMicros) return 'over budget';
  return null;
}

/** The reasons shapeMismatch gives: the offer is not what was asked for, whatever the policy. */
export function isShapeMismatch(reason: RejectionReason): boolean {
  return reason === 'smaller than the requirements' || reason.startsWith('not flavor ') || reason.startsWith('arch≠');
}

function shapeMismatch(offer: PlacementOffer, shape: Shape): RejectionReason | null {
  if ('flavor' in shape) return offer.flavor === shape.flavor ? null : `not flavor ${shape.flavor}`;
  const r = shape.requirements;
  if (r.arch !== undefined && offer.arch !== r.arch) return `arch≠${r.arch}`;
  if (offer.vcpus < r.vcpus || offer.memoryGiB < r.memoryGiB || offer.gpus < (r.gpus ?? 0)) return 'smaller than the requirements';
  return null;
}
