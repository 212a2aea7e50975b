import type { Micros } from '../../core/money.js';
import type { InstanceKind, Offer } from '../../core/offer.js';

/**
 * The placement problem as pure data: what can be had (offers), what is wanted (a request), and what the
 * optimiser answers (a placement with its explanation). No store, no API: the deployment plane wires these in.
 */

/** A catalog offer as the optimiser sees it: the core Offer plus what placement policy needs to know of it. */
export interface PlacementOffer extends Offer {
  /** Whether the offer is the company's own hardware or a public cloud (for `preferPrivate`). */
  providerKind: 'private' | 'public';
  /** What one unit of useful work costs on this offer (from /v1/priceperf); null or absent when unmeasured. */
  priceperfMicrosPerUnit?: Micros | null;
  /** Facts about where the offer runs, matched by a request's `requiredLabels`, e.g. `{ residency: 'kr' }`. */
  labels?: Record<string, string>;
  /** Set when the caller already knows the offer cannot be used (e.g. the provider lacks the image): why. */
  unusableReason?: string;
}

/** A shape asked for by size: an offer qualifies when it is at least this large (and of this arch, if given). */
export interface Requirements {
  vcpus: number;
  memoryGiB: number;
  gpus?: number;
  arch?: string;
}

/** Either a size (any flavor at least this large) or one provider flavor by name (`m6i.large`). */
export type Shape = { requirements: Requirements } | { flavor: string };

/**
 * - `cost`: minimise the hourly price of all replicas.
 * - `priceperf`: minimise the summed cost per unit of work; offers with no measurement are excluded (rejected
 *   as `priceperf unmeasured`), never guessed.
 * - `spread`: minimise the largest number of replicas on any one provider (or provider region, with
 *   `spreadBy: 'region'`), then the hourly price.
 */
export type Objective = 'cost' | 'priceperf' | 'spread';

/** Hard constraints (an offer or placement that breaks one is never chosen) and the one soft preference. */
export interface PlacementConstraints {
  /** When given, only these providers may be used. */
  allowedProviders?: readonly string[];
  deniedProviders?: readonly string[];
  allowedRegions?: readonly string[];
  deniedRegions?: readonly string[];
  /** When given, only offers of these kinds (vm, container, baremetal). */
  allowedKinds?: readonly InstanceKind[];
  /** Every entry must appear with the same value in an offer's labels, e.g. `{ residency: 'kr' }`. */
  requiredLabels?: Record<string, string>;
  /** Spot offers may be used only when this is true (default false: spot capacity can be reclaimed). */
  spot?: boolean;
  /** Budget: the placement's total price per hour must not exceed this. */
  maxHourlyMicros?: Micros;
  /** At least this many distinct providers must each carry at least one replica. */
  minProviders?: number;
  /** No provider may carry more than this many replicas. */
  maxPerProvider?: number;
  /** Per-provider quota: at most this many replicas on that provider (0 keeps it out). */
  quota?: Record<string, number>;
  /**
   * Provider regions (or one flavor there) to keep out for now, each with why: an offer that refused a replica for
   * capacity, a region that refused for quota. Unlike `deniedRegions` this names a provider's region, since two
   * providers may both have a region called `r1`.
   */
  avoid?: readonly { provider: string; region: string; flavor?: string; reason: string }[];
  /**
   * Soft preference, a pure tie-break: among placements equally good by the objective, the one with the most
   * replicas on private offers wins. It never makes a placement more expensive (or worse by the objective).
   */
  preferPrivate?: boolean;
}

export interface PlacementRequest {
  replicas: number;
  shape: Shape;
  objective: Objective;
  constraints?: PlacementConstraints;
  /** What `spread` spreads across: providers (default) or each provider's regions. */
  spreadBy?: 'provider' | 'region';
  /**
   * Replicas already running, by `offerKey`: they count as capacity of their offer (the provider's `available`
   * counts only what is free), and among placements equally good by the objective the one that keeps most of
   * them where they are wins — so a re-plan never moves a running replica for nothing.
   */
  current?: ReadonlyMap<string, number>;
  /**
   * Keep every replica in `current` where it is (lower bounds), placing only the rest: what a controller does when
   * nothing but a lost or refused replica changed, so that one failure never moves the healthy replicas.
   */
  keepCurrent?: boolean;
}

/** Why an offer cannot take (more of) the replicas: the constraint that rejected it, in words a user reads. */
export type RejectionReason = string;

export interface Assignment {
  offer: PlacementOffer;
  count: number;
  priceMicrosPerHour: Micros;
  /** count × price. */
  totalMicrosPerHour: Micros;
}

export interface RejectedAlternative {
  offer: PlacementOffer;
  priceMicrosPerHour: Micros;
  reason: RejectionReason;
}

export interface PlacementExplanation {
  objective: Objective;
  /** How the answer was found: `exact` (MILP through HiGHS, proven optimal) or `fast` (greedy with repair). */
  method: 'exact' | 'fast';
  /** The cheapest offers not used (or not used more), each with the constraint that kept it out. */
  rejectedAlternatives: RejectedAlternative[];
  /** How many offers each hard constraint filtered out before solving, e.g. `{ 'residency≠kr': 182 }`. */
  rejectedCounts: Record<RejectionReason, number>;
}

export interface Placement {
  replicas: number;
  /** One entry per offer used, cheapest first; counts sum to `replicas`. */
  assignments: Assignment[];
  totalMicrosPerHour: Micros;
  explanation: PlacementExplanation;
}
