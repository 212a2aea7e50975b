import { z } from 'zod';
import { usdPerHour } from '../core/config-schema.js';
import { InstanceName, Requirements } from '../core/instance.js';
import { InstanceKindEnum, Market } from '../core/offer.js';
import { Condition, LabelKey, Labels, LabelValue, ResourceMeta, type Resource } from '../core/resource.js';

/**
 * The Deployment resource (DKOS's declarative deployment): N replicas of one instance template, placed by the
 * optimiser under a placement policy, kept at N by the deployment controller. One schema serves the YAML files
 * of `tessera plan|apply|delete -f`, the JSON of /v1/deployments and the OpenAPI document.
 */

export const DEPLOYMENT_KIND = 'Deployment';
export const API_VERSION = 'tessera.io/v1';

/** Labels the deployment controller puts on every replica: the owner (a selector users can type) and the template. */
export const DEPLOYMENT_LABEL = 'tessera.io/deployment';
export const TEMPLATE_LABEL = 'tessera.io/template';

export const DeploymentTemplate = z
  .object({
    image: z.string().min(1).max(255).default('ubuntu-24.04'),
    /** A provider flavor by name (m6i.large): only offers of that flavor qualify. */
    flavor: z.string().min(1).max(63).optional(),
    /** A size: any flavor at least this large qualifies, so the optimiser may choose across providers. */
    requirements: Requirements.optional(),
    /** cloud-init user data, passed to every replica. */
    userData: z.string().max(65536).optional(),
    /** Labels of every replica (the controller adds tessera.io/deployment and tessera.io/template). */
    labels: Labels.default({}),
  })
  .strict()
  .refine((t) => (t.flavor === undefined) !== (t.requirements === undefined), {
    message: 'give exactly one of "flavor" (a provider flavor such as m6i.large) or "requirements" ({vcpus, memoryGiB})',
    path: ['requirements'],
  })
  .meta({ id: 'DeploymentTemplate' });
export type DeploymentTemplate = z.infer<typeof DeploymentTemplate>;

const Names = z.array(z.string().min(1).max(63)).min(1).max(200);
const AllowDeny = z
  .object({ allow: Names.optional().describe('only these'), deny: Names.optional().describe('never these') })
  .strict();

/** A replica count, or a percentage of the replicas (`25%`), as Kubernetes writes rollout limits. */
export const IntOrPercent = z.union([z.number().int().min(0), z.string().regex(/^\d{1,3}%$/, { message: 'a percentage such as "25%"' })]);
export type IntOrPercent = z.infer<typeof IntOrPercent>;

export const PlacementPolicy = z
  .object({
    /** cost: cheapest; priceperf: cheapest per unit of useful work (needs workUnit); spread: fewest replicas on any one provider. */
    objective: z.enum(['cost', 'priceperf', 'spread']).default('cost'),
    /** What `spread` evens out: providers, or every provider's regions (replicas across regions of one cloud). */
    spreadBy: z.enum(['provider', 'region']).default('provider'),
    /** The work unit (of the deployment's project) whose measured cost per unit ranks offers under `priceperf`. */
    workUnit: InstanceName.optional(),
    providers: AllowDeny.optional(),
    regions: AllowDeny.optional(),
    kinds: z.array(InstanceKindEnum).min(1).optional().describe('only offers of these kinds: vm, container, baremetal'),
    /** Facts every chosen offer must have, e.g. `residency: kr` (see README, "Placement labels"). */
    labels: z.record(LabelKey, LabelValue).optional(),
    /** Spot offers may be chosen (cheaper; the provider may reclaim them). */
    spot: z.boolean().default(false),
    /** Budget: the whole deployment's hourly price may not exceed this (USD, e.g. "2.50"). */
    maxHourlyUsd: usdPerHour('2.50').optional(),
    /** At least this many providers each carry a replica (no single-vendor lock-in). */
    minProviders: z.number().int().min(1).max(100).optional(),
    maxPerProvider: z.number().int().min(1).optional(),
    /** Per provider, at most this many replicas (0 keeps a provider out). */
    quota: z.record(z.string().min(1).max(63), z.number().int().min(0)).optional(),
    /** Between equally good placements, the one with most replicas on the company's own hardware. */
    preferPrivate: z.boolean().default(false),
    /** A region that refused a replica (capacity, quota) is avoided this long, as SkyPilot's failover does. */
    backoffSeconds: z.number().int().min(0).max(86_400).default(600),
    /**
     * A replica its provider has kept failing to create for this long (errors, an outage, an open circuit) is
     * re-placed elsewhere like a refused one, and its region backed off.
     */
    failoverAfterSeconds: z.number().int().min(1).max(86_400).default(300),
  })
  .strict()
  .refine((p) => p.objective !== 'priceperf' || p.workUnit !== undefined, {
    message: 'objective "priceperf" needs "workUnit": the name of a work unit of this project (PUT /v1/projects/{project}/work-units/{name})',
    path: ['workUnit'],
  })
  .meta({ id: 'PlacementPolicy' });
export type PlacementPolicy = z.infer<typeof PlacementPolicy>;

export const RolloutStrategy = z
  .object({
    /**
     * RollingUpdate: a template change replaces every replica, within maxSurge / maxUnavailable. OnDelete: running
     * replicas keep their template; only new ones (scale-up, replacements of failed or lost ones) get the new one.
     */
    type: z.enum(['RollingUpdate', 'OnDelete']).default('RollingUpdate'),
    /** How many replicas above `replicas` may exist during a rollout. */
    maxSurge: IntOrPercent.default('25%'),
    /** How many of `replicas` may be unavailable during a rollout. */
    maxUnavailable: IntOrPercent.default('25%'),
  })
  .strict()
  .refine((s) => s.maxSurge !== 0 || s.maxUnavailable !== 0, {
    message: 'maxSurge and maxUnavailable cannot both be 0: a rollout could then neither add nor remove a replica',
    path: ['maxUnavailable'],
  })
  .meta({ id: 'RolloutStrategy' });
export type RolloutStrategy = z.infer<typeof RolloutStrategy>;

export const DeploymentSpec = z
  .object({
    replicas: z.number().int().min(0).max(100_000),
    template: DeploymentTemplate,
    placement: PlacementPolicy.prefault({}),
    strategy: RolloutStrategy.prefault({}),
  })
  .strict()
  .meta({ id: 'DeploymentSpec' });
export type DeploymentSpec = z.infer<typeof DeploymentSpec>;
export type DeploymentSpecInput = z.input<typeof DeploymentSpec>;

export const Metadata = z
  .object({
    name: InstanceName,
    project: InstanceName.default('default'),
    labels: Labels.default({}),
  })
  .strict();

/** What a file or a request holds: Kubernetes' document shape, so the files read the way platform teams expect. */
export const DeploymentDocument = z
  .object({
    apiVersion: z.literal(API_VERSION).default(API_VERSION),
    kind: z.literal(DEPLOYMENT_KIND),
    metadata: Metadata,
    spec: DeploymentSpec,
  })
  .strict()
  .meta({ id: 'DeploymentDocument' });
export type DeploymentDocument = z.infer<typeof DeploymentDocument>;

/** One offer the deployment's replicas run on (or are meant to), with its share of the hourly price. */
export const PlacedOffer = z
  .object({
    provider: z.string(),
    region: z.string(),
    flavor: z.string(),
    market: Market,
    replicas: z.number().int(),
    priceMicrosPerHour: z.number().int(),
  })
  .meta({ id: 'PlacedOffer' });
export type PlacedOffer = z.infer<typeof PlacedOffer>;

export const RejectedOffer = z
  .object({ provider: z.string(), region: z.string(), flavor: z.string(), market: Market, priceMicrosPerHour: z.number().int(), reason: z.string() })
  .meta({ id: 'RejectedOffer' });

/** The optimiser's last answer for this deployment: where, at what price, and why not elsewhere. */
export const DeploymentPlacement = z
  .object({
    offers: z.array(PlacedOffer),
    totalMicrosPerHour: z.number().int(),
    method: z.enum(['exact', 'fast']),
    objective: z.string(),
    rejectedAlternatives: z.array(RejectedOffer),
    rejectedCounts: z.record(z.string(), z.number().int()),
    decidedAt: z.string(),
  })
  .meta({ id: 'DeploymentPlacement' });
export type DeploymentPlacement = z.infer<typeof DeploymentPlacement>;

/**
 * What the controller avoids for a while because it refused a replica: one flavor of a region after a capacity
 * error (others may have room), the whole region after a quota error (quotas count a region's vCPUs).
 */
export const RegionBackoff = z
  .object({
    provider: z.string(),
    region: z.string(),
    /** Null: every flavor of the region. */
    flavor: z.string().nullable(),
    reason: z.string(),
    message: z.string(),
    since: z.string(),
    until: z.string(),
  })
  .meta({ id: 'RegionBackoff' });
export type RegionBackoff = z.infer<typeof RegionBackoff>;

/** A replica that failed or was lost, and what the controller did about it (newest last, the last 20 kept). */
export const ReplicaFailure = z
  .object({
    replica: z.string(),
    instanceId: z.string(),
    provider: z.string(),
    region: z.string(),
    flavor: z.string(),
    reason: z.string(),
    message: z.string(),
    action: z.string(),
    at: z.string(),
    /** The deployment's generation then: failures of a template that cannot work stop replacements until it changes. */
    generation: z.number().int(),
  })
  .meta({ id: 'ReplicaFailure' });
export type ReplicaFailure = z.infer<typeof ReplicaFailure>;

export const DeploymentPhase = z.enum(['Progressing', 'Available', 'Degraded', 'Deleting', 'Deleted']);
export type DeploymentPhase = z.infer<typeof DeploymentPhase>;

export const DeploymentStatus = z
  .object({
    phase: DeploymentPhase,
    observedGeneration: z.number().int(),
    /** Replicas that exist (not being deleted), whatever their template. */
    replicas: z.number().int(),
    /** Replicas of the current template. */
    updatedReplicas: z.number().int(),
    /** Replicas running (ready), of any template. */
    readyReplicas: z.number().int(),
    /** Ready replicas the rollout counts as available (ready, of any template, not on their way out). */
    availableReplicas: z.number().int(),
    /** Hash of the current template; replicas carry it as the tessera.io/template label. */
    templateHash: z.string().nullable(),
    placement: DeploymentPlacement.nullable(),
    backoff: z.array(RegionBackoff),
    recentFailures: z.array(ReplicaFailure),
    conditions: z.array(Condition),
  })
  .meta({ id: 'DeploymentStatus' });
export type DeploymentStatus = z.infer<typeof DeploymentStatus>;

export type Deployment = Resource<DeploymentSpec, DeploymentStatus>;

export const DeploymentView = z.object({ ...ResourceMeta, spec: DeploymentSpec, status: DeploymentStatus }).meta({ id: 'Deployment' });

export function initialDeploymentStatus(): DeploymentStatus {
  return {
    phase: 'Progressing',
    observedGeneration: 0,
    replicas: 0,
    updatedReplicas: 0,
    readyReplicas: 0,
    availableReplicas: 0,
    templateHash: null,
    placement: null,
    backoff: [],
    recentFailures: [],
    conditions: [],
  };
}

/** Resolves maxSurge / maxUnavailable against the replica count: surge rounds up, unavailability down (as Kubernetes). */
export function rolloutLimits(spec: DeploymentSpec): { maxSurge: number; maxUnavailable: number } {
  const resolve = (v: IntOrPercent, round: (x: number) => number) =>
    typeof v === 'number' ? v : round((Number(v.slice(0, -1)) * spec.replicas) / 100);
  let maxSurge = resolve(spec.strategy.maxSurge, Math.ceil);
  const maxUnavailable = resolve(spec.strategy.maxUnavailable, Math.floor);
  // Both zero could never make progress; Kubernetes refuses it, and 25% of a small deployment rounds to that.
  if (maxSurge === 0 && maxUnavailable === 0) maxSurge = 1;
  return { maxSurge, maxUnavailable };
}
